"""What the page tests over ASGI share: the web app on the test stack (PostgreSQL, read
models, the Temporal dev server), a browser-like client signed in through the login form
in a language, the year of metrics most page tests arrange for E1 (meets the criteria)
and E2 (misses repurchase), and a page's paging links."""

from __future__ import annotations

import html as markup
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.api.pages import LANG_COOKIE
from tests.api.conftest import ApiStack
from tests.workflows.promotion_support import ingest, year_of_metrics

BASE = "http://careerflow.test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_app(api: ApiStack) -> FastAPI:
    """The pages and the API as the server runs them, on the test stack."""

    async def connect() -> Client:
        return api.temporal

    return create_app(ApiContext(api.services, connect, api.queue))


def browser(app: FastAPI, lang: str | None = "en", **headers: str) -> httpx.AsyncClient:
    """A browser-like client; `lang` is the language switch's cookie (None: never
    switched, so the profile or the browser's Accept-Language decides)."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers
    )
    if lang:
        client.cookies.set(LANG_COOKIE, lang)
    return client


@asynccontextmanager
async def signed_in(
    app: FastAPI, api: ApiStack, who: str, lang: str | None = "en", **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in as `who` (a key of the stack's tokens) through the
    login form."""
    async with browser(app, lang, **headers) as client:
        login = await client.get("/login")
        found = CSRF.search(login.text)
        assert found, "the login page has no form token"
        response = await client.post(
            "/login", data={"token": api.tokens[who], "csrf": found.group(1), "next": "/"}
        )
        assert response.status_code == 303, response.text
        yield client


def last_month() -> str:
    """The month before this one (YYYY-MM): the one the reports evaluate."""
    now = datetime.now(UTC)
    return f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"


def a_year_of_metrics(api: ApiStack) -> None:
    """Twelve months up to last month: E1 meets every criterion, E2 misses repurchase."""
    as_of = last_month()
    ingest(api.services, year_of_metrics("E1", as_of, {}, mentored=2))
    ingest(api.services, year_of_metrics("E2", as_of, {"repurchase_rate": 55.0}, mentored=1))
    api.caught_up()


def link(page: httpx.Response, cls: str) -> str | None:
    """The href of the page's paging link of class `cls` (first, next, …), if any."""
    found = re.search(
        rf'<a class="button[^"]*\b{cls}\b[^"]*" (?:rel="next" )?href="([^"]+)"', page.text
    )
    return markup.unescape(found.group(1)) if found else None


def csrf_of(page: httpx.Response) -> str:
    """The form token a page's forms carry."""
    found = CSRF.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


async def paged(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str | int],
    rows: Callable[[httpx.Response], list[str]],
    check: Callable[[httpx.Response], None],
) -> tuple[list[str], httpx.Response]:
    """Every page of a list from its first (`params`: the filters and the limit) by its
    "next" links, which keep the filters; each later page's "first" link leads back.
    `check` each page; the rows seen in order, and the last page."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    current = await client.get(path, params=params)
    assert link(current, "first") is None
    seen: list[str] = []
    while True:
        check(current)
        seen += rows(current)
        following = link(current, "next")
        if following is None:
            return seen, current
        assert all(f"{k}={v}" in following for k, v in params.items()), following
        assert "cursor=" in following, following
        current = await client.get(following)
        assert link(current, "first") == f"{path}?{query}"


def assert_parts_sum_to_the_score(page: str) -> None:
    """The potential score's weighted parts are drawn: one bar per dimension, the points
    each adds (score × weight) stacked on the points it could still add (weight × 10);
    the points added sum to the score shown."""
    spec = json.loads(
        re.search(
            r'<script type="application/json" id="chart-parts">(.*?)</script>', page, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    earned, still = spec["datasets"][0]["data"], spec["datasets"][1]["data"]
    assert spec["stacked"] and len(spec["labels"]) == len(earned) == len(still) >= 4
    assert round(sum(e + s for e, s in zip(earned, still, strict=True)), 1) == 10.0
    score = re.search(r'<span class="score">([\d.]+)</span>', page)
    assert score and abs(sum(earned) - float(score.group(1))) < 0.02 * len(earned)
