"""Who the command line acts as, and how it says no.

A business command acts as the principal of an API token, verified by the same code as
the API's bearer tokens (`Access.authenticate`): the token comes from `--token`,
`CAREERFLOW_TOKEN`, or the file `careerflow login` saved. Only the local operator's stack
commands (the ones with direct database access that run or rebuild the engine) take
`--as`. A refusal exits with the code of its kind, as the API answers with its status."""

from __future__ import annotations

import getpass
import os
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.applications.access import AuthenticationError
from careerflow.principal import AccessRole, Principal

if TYPE_CHECKING:
    from careerflow.engine import Engine


class ExitCode(IntEnum):
    """What a command's exit status says (documented in the README)."""

    OK = 0
    CHECK_FAILED = 1  # audit verify, reevaluate, check-projections: a difference found
    USAGE = 2  # an unknown option, a missing argument (click's own)
    UNAUTHENTICATED = 3  # no usable token (the API's 401)
    REFUSED = 4  # the role may not do this (403)
    NOT_FOUND = 5  # no such thing, or not one you can see (404)
    INVALID = 6  # bad input, or a business rule said no; nothing changed (422)
    UNAVAILABLE = 7  # no stack to talk to: var/stack.json missing or unreachable (503)


def exit_code(exc: DomainError) -> ExitCode:
    if isinstance(exc, AuthenticationError):
        return ExitCode.UNAUTHENTICATED
    if isinstance(exc, PermissionDeniedError):
        return ExitCode.REFUSED
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND
    return ExitCode.INVALID


def token_file() -> Path:
    """Where `careerflow login` keeps the token: per user, not per install."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "careerflow" / "token"


def saved_token() -> str | None:
    try:
        return token_file().read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def save_token(token: str) -> Path:
    """Writes the token readable by its owner only (0600, in a 0700 directory)."""
    path = token_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)  # also when the file was there with a wider mode
        f.write(token.strip() + "\n")
    return path


def forget_token() -> Path | None:
    """Removes the saved token; the path it was at, None if there was none."""
    path = token_file()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def authenticate(services: Engine, token: str) -> Principal:
    """The principal of the given token, else of the saved one; refused like the API
    refuses a bearer token (AuthenticationError: unknown, revoked, expired, malformed)."""
    text = token.strip() or saved_token()
    if not text:
        raise AuthenticationError(
            "no token: pass --token, set CAREERFLOW_TOKEN or run `careerflow login` "
            "(HR issues tokens with `careerflow token issue`)"
        )
    return services.tokens.authenticate(text)


def local_operator() -> Principal:
    """The operator at this machine's shell, recorded as the engine's own role: stack
    commands run with direct database access, which no token could narrow."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
        user = f"uid-{os.getuid()}"
    return Principal(person_id=user, role=AccessRole.system)
