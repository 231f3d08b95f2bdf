"""Real API tokens for the tests that run the `careerflow` command line: issued through
the token service on the test database, as HR would issue them, and passed to the CLI
with `--token` (or CAREERFLOW_TOKEN). No identity is claimed: the CLI verifies each."""

from __future__ import annotations

from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole
from careerflow.store import Store


class CliTokens:
    """One token per "ROLE:ID", issued on first use and kept for the test."""

    def __init__(self, pg: PostgresSettings) -> None:
        self.pg = pg
        self.issued: dict[str, str] = {}
        self.token_ids: dict[str, str] = {}

    def __call__(self, who: str) -> str:
        if who not in self.issued:
            role, _, person = who.partition(":")
            with Engine(Store(self.pg)) as services:
                issued = services.tokens.issue(DEMO_HR, person, AccessRole(role), "cli tests")
            self.issued[who] = issued.token
            self.token_ids[who] = issued.token_id
        return self.issued[who]

    def args(self, who: str) -> tuple[str, str]:
        """`--token <the token of who>`, to splice into a command line."""
        return ("--token", self(who))
