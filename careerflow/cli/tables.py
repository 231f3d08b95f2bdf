"""Readable tables for the commands that list things (rich), in the CLI's language:
header words from the engine catalogue, states from the pages' terms, times in the
company's time zone. `--json` still prints the result as JSON."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from careerflow.cli.text import AS_OF_MONTH, RANK_IN_TEAM, person_named
from words.messages import Message, role_word

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rich.console import Console

    from careerflow.engine import Engine

Kind = Literal["text", "term", "time", "role", "label", "num", "yes"]


@dataclass(frozen=True)
class Column:
    """One column: the row's key, its header word, and how its cells are said."""

    key: str
    header: Message
    kind: Kind = "text"


def console(err: bool = False) -> Console:
    """The terminal's console; when the output is not a terminal, wide enough that no
    cell is cut (a pipe or a test reads every value whole)."""
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    tty = stream.isatty()
    return Console(
        file=stream,
        width=None if tty else 240,
        no_color=not tty or bool(os.environ.get("NO_COLOR")),
        highlight=False,
        soft_wrap=False,
    )


def company_zone(services: Engine) -> str:
    """The company's time zone: the promotion_process document's, as the pages use."""
    return company_words(services)[0]


def company_words(services: Engine) -> tuple[str, dict[str, dict[str, str]]]:
    """The company's time zone (the promotion_process document's, as the pages use) and
    each metric's label by language (the metric catalogue's), read in one connection."""
    from aggregates.documents import MetricCatalog
    from aggregates.process import PromotionProcess
    from projections.policies import latest_document

    with services.read_pool.connection() as conn:
        doc = latest_document(conn, "promotion_process")
        catalog = latest_document(conn, "metric_catalog")
    zone = (PromotionProcess.model_validate(doc) if doc else PromotionProcess()).time_zone
    metrics = MetricCatalog.model_validate(catalog).metrics if catalog else {}
    return zone, {name: dict(m.label) for name, m in metrics.items()}


class Speaker:
    """Says cells, headers and lines in one language and one time zone."""

    def __init__(
        self,
        lang: str,
        time_zone: str,
        metrics: dict[str, dict[str, str]] | None = None,
        people: dict[str, str] | None = None,
    ) -> None:
        from careerflow.api import i18n

        self.lang = lang
        self.time_zone = time_zone
        self.metrics = metrics or {}
        self.people = people or {}
        self.gettext = i18n.gettext_for(lang)

    def person(self, person_id: str) -> str:
        """A person by id and name ("E00001 (Name)"), as far as the command looked the
        name up (common._remember_people); the id alone otherwise."""
        name = self.people.get(person_id)
        if not name:
            return person_id
        return self.say(person_named(person_id, name))

    def metric(self, name: str) -> str:
        """A metric (a plan item) by its catalogue label; its id when the catalogue has
        none (a metric retired since)."""
        label = self.metrics.get(name)
        return self.cell(label, "label") if label else name

    def say(self, message: Message) -> str:
        from careerflow.api import i18n

        return i18n.say(message, self.lang)

    def cell(self, value: Any, kind: Kind) -> str:
        from careerflow.api import i18n

        if value is None or value == "":
            return "-"
        if kind == "term":
            return i18n.term(value, self.gettext)
        if kind == "time":
            from datetime import datetime

            moment = value
            if isinstance(value, str):
                try:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    return value
            return i18n.datetime_text(moment, self.lang, self.time_zone)
        if kind == "role":
            return i18n.role_label(value, self.lang)
        if kind == "label":
            return i18n.label(value, self.lang)
        if kind == "num":
            if isinstance(value, int | float):
                return f"{value:,.2f}".rstrip("0").rstrip(".")
            return str(value)
        if kind == "yes":
            return self.say(Message("yes") if value else Message("no"))
        return str(value)

    def table(
        self, columns: list[Column], rows: Iterable[dict[str, Any]], title: Message | None = None
    ) -> Any:
        from rich import box
        from rich.table import Table

        table = Table(
            title=self.say(title) if title is not None else None,
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        for column in columns:
            table.add_column(
                self.say(column.header),
                overflow="fold",
                justify="right" if column.kind == "num" else "left",
            )
        for row in rows:
            table.add_row(*(self.cell(row.get(c.key), c.kind) for c in columns))
        return table


def print_tables(parts: list[Any]) -> None:
    """Prints tables and lines (strings) to standard output."""
    out = console()
    for part in parts:
        out.print(part)


def render(
    plain: Any, services: Engine, lang: str, draw: Callable[[Speaker, Any], list[Any]]
) -> None:
    """`draw`'s tables of a plain (JSON-ready) result, in `lang`, times in the company's
    time zone."""
    zone, metrics = company_words(services)
    print_tables(draw(Speaker(lang, zone, metrics), plain))


# -- what each command shows -------------------------------------------------------------
APPLICATION = Column("application_id", Message("application"))
# The access role's word ("employee", 员工), said once in words.messages.
_EMPLOYEE_WORD = role_word("employee")
assert isinstance(_EMPLOYEE_WORD, Message)
EMPLOYEE = Column("employee_id", _EMPLOYEE_WORD)
NAME = Column("name", Message("name"))
TARGET = Column("target_role", Message("target role"), "role")
STAGE = Column("stage", Message("stage"), "term")


def applications(say: Speaker, rows: list[dict[str, Any]]) -> list[Any]:
    columns = [
        APPLICATION,
        EMPLOYEE,
        NAME,
        TARGET,
        STAGE,
        Column("round", Message("round"), "num"),
        Column("started_at", Message("started"), "time"),
        Column("stage_since", Message("in this stage since"), "time"),
        Column("manager_id", Message("line manager")),
    ]
    return [say.table(columns, rows, Message("promotion applications"))]


def application(say: Speaker, app: dict[str, Any]) -> list[Any]:
    facts = [
        (Message("application"), app.get("application_id"), "text"),
        (_EMPLOYEE_WORD, app.get("employee_id"), "text"),
        (Message("target role"), app.get("target_role"), "role"),
        (Message("stage"), app.get("stage"), "term"),
        (Message("round"), app.get("round"), "num"),
        (Message("started"), app.get("started_at"), "time"),
        (Message("in this stage since"), app.get("stage_since"), "time"),
        (Message("line manager"), app.get("manager_id"), "text"),
    ]
    summary = say.table(
        [Column("what", Message("field")), Column("value", Message("value"))],
        [{"what": say.say(m), "value": say.cell(v, k)} for m, v, k in facts],  # type: ignore[arg-type]
    )
    steps = say.table(
        [
            Column("at", Message("when"), "time"),
            Column("kind", Message("step"), "term"),
            Column("actor", Message("by")),
            Column("actor_role", Message("as"), "term"),
            Column("comment", Message("comment")),
        ],
        app.get("timeline") or [],
        Message("timeline"),
    )
    return [summary, steps]


def pipeline(say: Speaker, data: dict[str, Any]) -> list[Any]:
    stages = data["pipeline"]["stages"]
    open_rows = [a for s in stages.values() for a in s["applications"]]
    target = data["pipeline"].get("target_working_days")
    times = data["cycle_times"]
    return [
        say.table(
            [
                STAGE,
                Column("count", Message("applications"), "num"),
            ],
            [{"stage": s, "count": v["count"]} for s, v in stages.items()],
            Message("open applications by stage"),
        ),
        say.table(
            [
                APPLICATION,
                EMPLOYEE,
                TARGET,
                STAGE,
                Column("stage_since", Message("in this stage since"), "time"),
                Column("age_working_days", Message("working days in stage"), "num"),
            ],
            open_rows,
        ),
        say.say(
            Message(
                "median working days to a decision: {median}; target {target}",
                median=say.cell(times.get("median_working_days"), "num"),
                target=say.cell(target, "num"),
            )
        ),
        say.table(
            [APPLICATION, EMPLOYEE, TARGET, STAGE, Column("round", Message("round"), "num")],
            data["returned"],
            Message("returned applications"),
        ),
    ]


def readiness(say: Speaker, data: dict[str, Any]) -> list[Any]:
    facts = [
        (_EMPLOYEE_WORD, data.get("employee_id"), "text"),
        (Message("role"), data.get("role"), "role"),
        (AS_OF_MONTH, data.get("as_of_month"), "text"),
        (Message("potential score"), data.get("score"), "num"),
        (
            RANK_IN_TEAM,
            f"{data.get('team_rank', '-')}/{data.get('team_size', '-')}",
            "text",
        ),
        (Message("next role"), data.get("next_role"), "role"),
        (Message("eligible"), data.get("eligible"), "yes"),
    ]
    summary = say.table(
        [Column("what", Message("field")), Column("value", Message("value"))],
        [{"what": say.say(m), "value": say.cell(v, k)} for m, v, k in facts],  # type: ignore[arg-type]
        Message("readiness"),
    )
    ranks = data.get("indicator_ranks") or {}
    indicators = [
        {**ind, "rank": ranks.get(name)}
        for name, ind in ((data.get("potential") or {}).get("indicators") or {}).items()
    ]
    rows = say.table(
        [
            Column("label", Message("indicator"), "label"),
            Column("raw", Message("value"), "num"),
            Column("score", Message("score"), "num"),
            Column("rank", RANK_IN_TEAM, "num"),
        ],
        indicators,
    )
    return [summary, rows]


def tokens(say: Speaker, rows: list[dict[str, Any]]) -> list[Any]:
    columns = [
        Column("token_id", Message("token")),
        Column("person_id", Message("person")),
        Column("role", Message("role"), "term"),
        Column("label", Message("label")),
        Column("issued_by", Message("issued by")),
        Column("issued_at", Message("issued"), "time"),
        Column("expires_at", Message("expires"), "time"),
        Column("revoked_at", Message("revoked"), "time"),
    ]
    return [say.table(columns, rows, Message("API tokens"))]


PLAN_COLUMNS = [
    Column("plan_id", Message("plan")),
    EMPLOYEE,
    NAME,
    Column("role", Message("role"), "role"),
    Column("effective_date", Message("effective from")),
    Column("overall", Message("status"), "term"),
]


def plans(say: Speaker, rows: list[dict[str, Any]]) -> list[Any]:
    return [say.table(PLAN_COLUMNS, rows, Message("development plans"))]


def plan_overview(say: Speaker, data: dict[str, Any]) -> list[Any]:
    rows = [
        {"state": say.say(title), "status": status, "count": n}
        for title, counts in (
            (Message("open"), data.get("open") or {}),
            (Message("closed"), data.get("closed") or {}),
        )
        for status, n in counts.items()
    ]
    columns = [
        Column("state", Message("plans")),
        Column("status", Message("status"), "term"),
        Column("count", Message("count"), "num"),
    ]
    return [say.table(columns, rows, Message("development plans"))]


def policy(say: Speaker, data: dict[str, Any], kind: str, key: str) -> list[Any]:
    import json

    facts = [
        (Message("policy"), f"{kind}/{key}"),
        (Message("version"), say.cell(data.get("version"), "num")),
        (Message("by"), say.cell(data.get("published_by"), "text")),
        (Message("note"), say.cell(data.get("note"), "text")),
    ]
    summary = say.table(
        [Column("what", Message("field")), Column("value", Message("value"))],
        [{"what": say.say(m), "value": v} for m, v in facts],
    )
    document = json.dumps(data.get("document"), indent=2, ensure_ascii=False, default=str)
    return [summary, document]


def policy_versions(say: Speaker, rows: list[dict[str, Any]]) -> list[Any]:
    columns = [
        Column("version", Message("version"), "num"),
        Column("published_at", Message("published"), "time"),
        Column("published_by", Message("by")),
        Column("note", Message("note")),
    ]
    return [say.table(columns, rows, Message("policy versions"))]
