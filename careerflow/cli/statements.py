"""What the action commands say when they are done: one statement (or a small table) in
the CLI's language, times in the company's time zone; `--json` prints the result instead.

Each function takes the Speaker and the result as plain data (what `--json` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careerflow.cli.text import _noted, _said_table, _when, person_named
from words.messages import SEPARATORS, Message

if TYPE_CHECKING:
    from careerflow.cli.tables import Speaker


def _person(say: Speaker, person_id: str, name: str | None = None) -> str:
    return say.say(person_named(person_id, name)) if name else person_id


def token_issued(say: Speaker, t: dict[str, Any]) -> list[str]:
    expires = (
        say.say(Message("expires {at}", at=_when(say, t["expires_at"])))
        if t.get("expires_at")
        else say.say(Message("never expires"))
    )
    return [
        say.say(
            Message(
                "token {token_id} issued to {person} as {role}; {expires}",
                token_id=t["token_id"],
                person=t["person_id"],
                role=say.cell(t["role"], "term"),
                expires=expires,
            )
        ),
        say.say(Message("the token (shown this once, keep it safe):")),
        f"  {t['token']}",
    ]


def token_revoked(say: Speaker, r: dict[str, Any]) -> list[str]:
    if r["revoked"]:
        return [say.say(Message("token {token_id} revoked", token_id=r["token_id"]))]
    return [say.say(Message("token {token_id} was already revoked", token_id=r["token_id"]))]


def who(say: Speaker, w: dict[str, Any]) -> list[str]:
    out = [
        say.say(
            Message(
                "you are {person}, acting as {role}",
                person=_person(say, w["person_id"], w.get("name")),
                role=say.cell(w["role"], "term"),
            )
        )
    ]
    if w.get("saved_in"):
        out.append(say.say(Message("token saved in {path}", path=w["saved_in"])))
    return out


def logged_out(say: Speaker, r: dict[str, Any]) -> list[str]:
    if r["logged_out"]:
        return [say.say(Message("logged out: removed {path}", path=r["removed"]))]
    return [say.say(Message("no saved token; nothing to remove"))]


def language_set(say: Speaker, r: dict[str, Any]) -> list[str]:
    said = say.say(Message("Chinese") if r["language"] == "zh" else Message("English"))
    if r["changed"]:
        text = Message(
            "{employee_id}'s language is now {language}",
            employee_id=r["employee_id"],
            language=said,
        )
    else:
        text = Message(
            "{employee_id}'s language was already {language}",
            employee_id=r["employee_id"],
            language=said,
        )
    return [say.say(text)]


def ingested(say: Speaker, r: dict[str, Any]) -> list[str]:
    if r["already_ingested"]:
        return [
            say.say(
                Message(
                    "batch {batch} was already ingested; nothing written ({rows} rows)",
                    batch=r["batch_id"],
                    rows=r["rows"],
                )
            )
        ]
    return [
        say.say(
            Message(
                "ingested batch {batch}: {rows} rows for {employees} people, {events} events "
                "written",
                batch=r["batch_id"],
                rows=r["rows"],
                employees=r["employees"],
                events=r["events_written"],
            )
        )
    ]


def seeded(say: Speaker, published: dict[str, int]) -> list[str]:
    if not published:
        return [say.say(Message("every policy document exists already; nothing published"))]
    rows = [[name, str(version)] for name, version in published.items()]
    return [
        say.say(Message("published {count} policy documents:", count=len(published))),
        *(f"  {x}" for x in _said_table(say, [Message("document"), Message("version")], rows)),
    ]


def demo_loaded(say: Speaker, d: dict[str, Any]) -> list[str]:
    """What the demo loader did, then its ready tokens one per line (role:person, token):
    what `careerflow start` prints for people to sign in with."""
    ready: dict[str, str] = d.get("api_tokens") or {}
    tokens = len(ready)
    keys = [f"  {who}  {token}" for who, token in sorted(ready.items())]
    if "skipped" in d:
        return [
            say.say(
                Message(
                    "the organisation exists already; the demo was not loaded ({tokens} demo "
                    "tokens)",
                    tokens=tokens,
                )
            ),
            *keys,
        ]
    org, metrics = d["organisation"], d["metrics"]
    return [
        say.say(
            Message(
                "demo loaded: {people} people added, {policies} policy documents published, "
                "{rows} metric rows ingested ({events} events); {tokens} demo tokens",
                people=org.get("employees_added", 0),
                policies=len(d.get("policies_published") or {}),
                rows=metrics["rows"],
                events=metrics["events_written"],
                tokens=tokens,
            )
        ),
        *keys,
    ]


_NEXT = {
    "reporting": Message("the readiness report is being built"),
    "manager_review": Message("manager review is next"),
    "hr_review": Message("HR review is next"),
    "returned": Message("it was returned to the applicant"),
}


def application_started(say: Speaker, a: dict[str, Any]) -> list[str]:
    return [
        say.say(
            Message(
                "application {application} for {employee} (target {role}) started; manager "
                "review follows the readiness report",
                application=a["application_id"],
                employee=say.person(a["employee_id"]),
                role=say.cell(a["target_role"], "role"),
            )
        ),
        say.say(Message("workflow {workflow_id}", workflow_id=a["workflow_id"])),
    ]


def application_steered(say: Speaker, a: dict[str, Any]) -> list[str]:
    stage = a["stage"]
    text = Message(
        "application {application} of {employee} is now at {stage} (round {round})",
        application=a["application_id"],
        employee=say.person(a["employee_id"]),
        stage=say.cell(stage, "term"),
        round=a["round"],
    )
    out = [say.say(text)]
    if stage in _NEXT:
        out.append(say.say(_NEXT[stage]))
    if a.get("command_id"):
        out.append(say.say(Message("command id {command_id}", command_id=a["command_id"])))
    return out


def plan_started(say: Speaker, plan_id: str, employee_id: str) -> list[str]:
    return [
        say.say(
            Message(
                "development plan {plan_id} started for {employee}",
                plan_id=plan_id,
                employee=say.person(employee_id),
            )
        )
    ]


def plan_changed(
    say: Speaker, p: dict[str, Any], titles: dict[str, dict[str, str]] | None = None
) -> list[str]:
    """A plan after a step: its milestones by their titles (`titles`: each milestone's
    label, from the plan), those to confirm with the id `plan confirm` takes."""
    from careerflow.api import i18n

    known = titles or {}

    def title(milestone_id: str) -> str:
        label = known.get(milestone_id)
        return i18n.unmarked(say.cell(label, "label")) if label else milestone_id

    def with_id(milestone_id: str) -> str:
        said = title(milestone_id)
        return _noted(say, said, milestone_id) if said != milestone_id else milestone_id

    between = SEPARATORS.get(say.lang, "; ")
    milestones = between.join(title(m) for m in p["milestones"])
    confirmable = between.join(with_id(m) for m in p["confirmable"])
    return [
        say.say(
            Message(
                "development plan {plan_id} of {employee}: {start} to {end}; milestones "
                "{milestones}",
                plan_id=p["plan_id"],
                employee=say.person(p["employee_id"]),
                start=p["effective_date"],
                end=p["end_date"],
                milestones=milestones or "-",
            )
        ),
        say.say(Message("to confirm: {confirmable}", confirmable=confirmable or "-")),
    ]
