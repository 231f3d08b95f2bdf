"""What an audit read shows of a subject's stored events and state: decided here once,
for every face (the API's JSON, JSON lines and HTML, the pages, the CLI) and every read
(history, time travel, re-evaluation).

Two rules. Pay: bonus and commission figures only for those `sees_pay` allows (the
person, their manager chain, HR); everyone else gets the results with the pay fields
empty. 360° anonymity, for everyone: an assessment round shows its sealed results (group
counts, profiles, the gap summary), never a rater of an anonymous group, an individual
rating or the moment of one. So the per-rater events are withheld from histories and
time travel does not stop on them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from careerflow.principal import Principal
from projections.visibility import redact_pay, sees_pay

# One event per rating: who rated (named groups: and what), and when.
PER_RATER_EVENTS = frozenset({"RatingRecorded", "AnonymousTaskCompleted"})
PAY_EVENTS = frozenset({"BonusComputed", "CommissionComputed"})
PAY_STATE = ("bonus", "commission")
# An access token's secret is shown once, when issued; its hash never leaves the store.
SECRET_FIELDS = frozenset({"secret_hash"})
# Of a round's state, what may be shown as it is (the rest is summarised or left out).
_ROUND_STATE = (
    "round_id",
    "title",
    "model_key",
    "model_version",
    "competencies",
    "scale_top",
    "min_group_size",
    "anonymous_groups",
    "ratees",
    "deadline",
    "close_at",
    "reminders",
    "time_zone",
    "workflow_id",
    "started_by",
    "late",
    "reminded",
    "deadline_passed",
    "sealed",
    "profiles",
    "closed",
)


def pay_subject(kind: str, ident: str) -> str | None:
    """Whose pay a subject's events may carry (only a month close holds pay)."""
    return ident.partition("/")[0] if kind == "month" else None


def _tasks_summary(tasks: Any) -> list[dict[str, Any]]:
    """A round's rating tasks per person and group: how many were asked, and who only
    where the group is named."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for task in tasks if isinstance(tasks, list) else []:
        key = (str(task.get("ratee_id")), str(task.get("group")))
        anonymous = bool(task.get("anonymous"))
        entry = groups.setdefault(
            key,
            {
                "ratee_id": key[0],
                "group": key[1],
                "anonymous": anonymous,
                "asked": 0,
                "rater_ids": None if anonymous else [],
            },
        )
        entry["asked"] += 1
        if not anonymous:
            entry["rater_ids"].append(task.get("rater_id"))
    return list(groups.values())


class AuditView:
    """The view of one subject for one reader."""

    def __init__(
        self,
        principal: Principal,
        kind: str,
        ident: str,
        team: Callable[[], Collection[str]],
    ) -> None:
        self.kind = kind
        person = pay_subject(kind, ident)
        self.shows_pay = person is None or sees_pay(principal, person, team)
        self.pay_redacted = False
        """Set once a pay field was emptied for this reader."""
        self.withheld: dict[str, int] = {}

    def _pay(self, value: Any) -> Any:
        if self.shows_pay or value is None:
            return value
        self.pay_redacted = True
        return redact_pay(value)

    def event(self, name: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """An event's data as this reader sees it; None when withheld."""
        if self.kind == "month" and name in PAY_EVENTS and "result" in data:
            return {**data, "result": self._pay(data["result"])}
        if self.kind == "token":
            return {k: v for k, v in data.items() if k not in SECRET_FIELDS}
        if self.kind != "assessment":
            return data
        if name in PER_RATER_EVENTS:
            self.withheld[name] = self.withheld.get(name, 0) + 1
            return None
        if name == "Started":
            return {**data, "tasks": _tasks_summary(data.get("tasks"))}
        if name == "RemindersSent":
            return {**data, "raters": len(data.get("raters") or [])}
        if name == "GroupSealed":
            return {k: v for k, v in data.items() if k != "ratings"}
        return data

    def state(self, state: dict[str, Any]) -> dict[str, Any]:
        """An aggregate's state as this reader sees it."""
        if self.kind == "month":
            return {k: (self._pay(v) if k in PAY_STATE else v) for k, v in state.items()}
        if self.kind == "token":
            return {k: v for k, v in state.items() if k not in SECRET_FIELDS}
        if self.kind != "assessment":
            return state
        shown = {k: state[k] for k in _ROUND_STATE if k in state}
        shown["tasks"] = _tasks_summary(state.get("tasks"))
        shown["rated"] = len(state.get("completed") or [])
        return shown

    def may_stop_at(self, name: str) -> bool:
        """Whether time travel may show the state right after this event: never right
        after a rating (its moment would show)."""
        return not (self.kind == "assessment" and name in PER_RATER_EVENTS)
