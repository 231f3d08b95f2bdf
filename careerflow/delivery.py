"""Delivery adapters: email over SMTP and an HTTP webhook shaped for enterprise
messenger robots (WeCom / DingTalk "text" messages). Each raises on failure so the
calling activity is retried; `DeliveryError.permanent` says a retry cannot help."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field


class DeliveryError(Exception):
    def __init__(self, channel: str, message: str, *, permanent: bool = False) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.permanent = permanent


class SmtpSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str
    port: int = 25
    sender: str = "careerflow@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """None (email disabled) unless CAREERFLOW_SMTP_HOST is set."""
        host = os.environ.get("CAREERFLOW_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("CAREERFLOW_SMTP_PORT", "") or 25),
            sender=os.environ.get("CAREERFLOW_SMTP_FROM", "") or "careerflow@localhost",
            starttls=os.environ.get("CAREERFLOW_SMTP_STARTTLS", "").strip().lower()
            in {"1", "y", "yes", "true", "on"},
            username=os.environ.get("CAREERFLOW_SMTP_USERNAME") or None,
            password=os.environ.get("CAREERFLOW_SMTP_PASSWORD") or None,
        )


class WebhookSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(repr=False)  # robot URLs carry their access token
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> WebhookSettings | None:
        """None (webhook disabled) unless CAREERFLOW_WEBHOOK_URL is set."""
        url = os.environ.get("CAREERFLOW_WEBHOOK_URL", "").strip()
        if not url:
            return None
        return cls(url=url, timeout=float(os.environ.get("CAREERFLOW_WEBHOOK_TIMEOUT", "") or 10))


def send_email(
    settings: SmtpSettings,
    to_addr: str,
    subject: str,
    body_text: str,
    headers: dict[str, str] | None = None,
) -> str:
    """Sends a plain-text (UTF-8) email; returns its Message-ID."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body_text)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            "email", f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            "email",
            f"server said {exc.smtp_code} {exc.smtp_error!r}",
            permanent=exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError),
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            "email", f"cannot send via {settings.host}:{settings.port}: {exc!r}"
        ) from exc
    return str(msg["Message-ID"])


def messenger_payload(content: str, notification: dict[str, Any]) -> dict[str, Any]:
    """A robot "text" message (WeCom and DingTalk share this shape), plus the structured
    notification under `careerflow` for receivers that read it."""
    return {"msgtype": "text", "text": {"content": content}, "careerflow": notification}


def post_webhook(settings: WebhookSettings, payload: dict[str, Any]) -> str:
    """POSTs the payload as JSON; returns a short description of the answer."""
    try:
        response = httpx.post(settings.url, json=payload, timeout=settings.timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError("webhook", f"request failed: {exc!r}") from exc
    if response.status_code >= 400:
        retry_helps = response.status_code >= 500 or response.status_code in (408, 429)
        raise DeliveryError(
            "webhook",
            f"HTTP {response.status_code}: {response.text[:200]}",
            permanent=not retry_helps,
        )
    # Messenger robots answer 200 with {"errcode": N, "errmsg": ...}; N != 0 is a failure
    # (rate limits among them, so it is retried).
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryError(
            "webhook", f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"
        )
    return f"HTTP {response.status_code}"
