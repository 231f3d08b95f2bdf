"""Unit tests of the support_process document, the office-hours SLA clock and the
SupportRequest aggregate: routing and SLA numbers from seed 004, refusals that record
nothing, idempotent commands, and events that rebuild the same state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from aggregates.base import DomainError, command_context
from aggregates.support_process import (
    OfficeHours,
    SupportCategory,
    SupportProcess,
    SupportTeam,
    support_process_v1,
)
from aggregates.support_request import (
    Routing,
    SlaClock,
    SlaReminder,
    SupportRequest,
    support_uuid,
)
from careerflow.office_hours import add_office_minutes, office_minutes_between

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = (time(9), time(18))
# 2026-03-02 is a Monday and a working day in China; 03-07/08 the weekend.
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
V1 = support_process_v1()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


# -- the document ------------------------------------------------------------------------
def test_version_one_routes_seed_004s_teams_with_its_slas() -> None:
    assert V1.kind == "support_process"
    assert {c: (r.team, r.response_minutes) for c, r in V1.categories.items()} == {
        "product": ("product", 30),
        "after_sales": ("after_sales", 60),
        "finance": ("finance", 60),
    }
    assert V1.remind_at_percent == [50, 80]
    assert (V1.escalate_to_lead, V1.escalate_to_hr) == (True, True)
    assert V1.office_hours == OfficeHours(start=time(9), end=time(18))
    product = V1.teams["product"]
    assert product.on_team("PD01") and product.on_team("PD03") and not product.on_team("AS01")
    assert product.people() == ["PD01", "PD02", "PD03"]
    # The document round-trips as JSON (it is published as data).
    assert SupportProcess.model_validate(V1.model_dump(mode="json")) == V1


def test_the_document_refuses_what_cannot_work() -> None:
    team = SupportTeam(label={"en": "t", "zh": "t"}, lead_id="L", members=["A"])
    with pytest.raises(ValidationError, match="routes to team 'nobody'"):
        SupportProcess(
            teams={"t": team},
            categories={
                "x": SupportCategory(
                    label={"en": "x", "zh": "x"}, team="nobody", response_minutes=5
                )
            },
        )
    category = SupportCategory(label={"en": "x", "zh": "x"}, team="t", response_minutes=5)
    for percents, message in (([80, 50], "increasing"), ([0, 50], "between 0 and 100")):
        with pytest.raises(ValidationError, match=message):
            SupportProcess(
                teams={"t": team}, categories={"x": category}, remind_at_percent=percents
            )
    with pytest.raises(ValidationError, match="listed twice"):
        SupportTeam(label={"en": "t", "zh": "t"}, lead_id="L", members=["A", "A"])
    with pytest.raises(ValidationError, match="start before they end"):
        OfficeHours(start=time(18), end=time(9))
    with pytest.raises(ValidationError):
        SupportCategory(label={"en": "x", "zh": "x"}, team="t", response_minutes=0)


# -- the office-hours clock ----------------------------------------------------------------
def test_inside_office_hours_every_minute_counts() -> None:
    assert add_office_minutes(MONDAY_10, 30, OFFICE, "CN", "Asia/Shanghai") == at(2, 10, 30)
    assert office_minutes_between(MONDAY_10, at(2, 10, 12), OFFICE, "CN", "Asia/Shanghai") == 12


def test_the_clock_stops_overnight_and_over_the_weekend() -> None:
    # Monday 17:40 + 30 minutes: 20 today, 10 from Tuesday's opening.
    assert add_office_minutes(at(2, 17, 40), 30, OFFICE, "CN", "Asia/Shanghai") == at(3, 9, 10)
    # Friday 17:45 + 60: 15 on Friday, 45 on Monday.
    friday = at(6, 17, 45)
    due = add_office_minutes(friday, 60, OFFICE, "CN", "Asia/Shanghai")
    assert due == at(9, 9, 45)
    assert office_minutes_between(friday, due, OFFICE, "CN", "Asia/Shanghai") == 60
    # Raised on Saturday: the clock starts Monday 09:00.
    assert add_office_minutes(at(7, 11), 30, OFFICE, "CN", "Asia/Shanghai") == at(9, 9, 30)
    assert office_minutes_between(at(7, 11), at(9, 9, 5), OFFICE, "CN", "Asia/Shanghai") == 5
    # Acknowledged before the clock started: no response time.
    assert office_minutes_between(at(7, 11), at(8, 20), OFFICE, "CN", "Asia/Shanghai") == 0


def test_without_office_hours_the_clock_never_stops() -> None:
    night = at(7, 23, 50)
    assert add_office_minutes(night, 30, None, "CN", "Asia/Shanghai") == at(8, 0, 20)
    assert office_minutes_between(night, at(8, 0, 20), None, "CN", "Asia/Shanghai") == 30
    with pytest.raises(ValueError, match="timezone-aware"):
        add_office_minutes(datetime(2026, 3, 2, 10), 30, OFFICE, "CN", "Asia/Shanghai")


# -- the aggregate -------------------------------------------------------------------------
def routing(category: str = "product") -> Routing:
    route = V1.categories[category]
    team = V1.teams[route.team]
    return Routing(
        category=category,
        category_label=route.label,
        team=route.team,
        team_label=team.label,
        lead_id=team.lead_id,
        members=team.members,
        response_minutes=route.response_minutes,
        escalate_to=[team.lead_id, "HR"],
        office_hours=V1.office_hours,
        country="CN",
        time_zone="Asia/Shanghai",
        close_unconfirmed_after_hours=72,
        process_version=1,
    )


def new_request(category: str = "product") -> SupportRequest:
    minutes = V1.categories[category].response_minutes

    def after(m: float) -> datetime:
        return add_office_minutes(MONDAY_10, m, OFFICE, "CN", "Asia/Shanghai")

    with command_context(actor="E1", role="employee", workflow_id="support-SR1"):
        return SupportRequest(
            request_id="SR1",
            employee_id="E1",
            text="the client needs a customised service: when can product answer?",
            customer="Hangzhou Lianxin",
            routing=routing(category),
            clock=SlaClock(
                raised_at=MONDAY_10,
                week="2026-W10",
                due_at=after(minutes),
                reminders=[SlaReminder(percent=p, at=after(minutes * p / 100)) for p in (50, 80)],
            ),
            workflow_id="support-SR1",
        )


def names(request: SupportRequest) -> list[str]:
    """The pending events' class names (and clears them, as saving would)."""
    return [type(e).__name__ for e in request.collect_events()]


def replay(events: list[Any]) -> Any:
    aggregate = None
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


def test_raised_records_the_routing_the_clock_and_who() -> None:
    request = new_request()
    (raised,) = request.collect_events()
    assert type(raised).__name__ == "Raised"
    assert request.id == support_uuid("SR1") != support_uuid("SR2")
    assert (raised.meta.actor, raised.meta.role) == ("E1", "employee")
    assert request.status == "open"
    assert request.clock.due_at == at(2, 10, 30)
    assert [r.at for r in request.clock.reminders] == [at(2, 10, 15), at(2, 10, 24)]


def test_refusals_record_nothing() -> None:
    request = new_request()
    request.collect_events()
    refusals = [
        (lambda: request.acknowledge("k1", "AS01", "employee", at(2, 10, 5), 5), "not on the"),
        (lambda: request.give_answer("k2", "PD01", "yes", at(2, 10, 5)), "not acknowledged yet"),
        (lambda: request.confirm("k3", "E1", at(2, 10, 5)), "no answer to confirm yet"),
        (lambda: request.reopen("k4", "E1", "why", at(2, 10, 5)), "no answer to reopen"),
        (lambda: request.breach(at(2, 10, 29)), "cannot be breached before"),
    ]
    for call, message in refusals:
        with pytest.raises(DomainError, match=message):
            call()
    assert names(request) == []
    assert request.status == "open" and request.version == 1


def test_acknowledged_within_the_sla_then_answered_and_confirmed() -> None:
    request = new_request()
    raised = request.collect_events()
    assert request.remind("reminder-50", 50, ["PD01", "PD02", "PD03"], at(2, 10, 15))
    assert not request.remind("reminder-50", 50, ["PD01"], at(2, 10, 16))  # once per key
    assert request.acknowledge("ack-1", "PD02", "employee", at(2, 10, 22), 22.0)
    assert not request.acknowledge("ack-1", "PD02", "employee", at(2, 10, 23), 23.0)  # retry
    assert (request.status, request.sla_met, request.response_minutes) == (
        "acknowledged",
        True,
        22.0,
    )
    # A second acknowledgement (another member) is refused with who took it.
    with pytest.raises(DomainError, match="already acknowledged by PD02"):
        request.acknowledge("ack-2", "PD03", "employee", at(2, 10, 25), 25.0)
    # No more reminders and no breach once acknowledged.
    assert not request.remind("reminder-80", 80, ["PD01"], at(2, 10, 24))
    assert not request.breach(at(2, 10, 31))
    with pytest.raises(DomainError, match="needs text"):
        request.give_answer("ans-0", "PD02", "  ", at(2, 10, 40))
    assert request.give_answer("ans-1", "PD02", "yes: a proposal by Friday", at(2, 11))
    with pytest.raises(DomainError, match="waits for E1 to confirm or reopen"):
        request.give_answer("ans-2", "PD01", "again", at(2, 11, 5))
    with pytest.raises(DomainError, match="only the rep who raised it"):
        request.confirm("c-0", "E2", at(2, 11, 10))
    assert request.confirm("c-1", "E1", at(2, 11, 10))
    assert request.status == "resolved" and request.finished_at == at(2, 11, 10)
    with pytest.raises(DomainError, match="is resolved"):
        request.reopen("r-1", "E1", "changed my mind", at(2, 11, 20))
    events = request.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Reminded",
        "Acknowledged",
        "Answered",
        "Confirmed",
    ]
    acknowledged = events[1]
    assert acknowledged.waited_minutes == 22.0  # type: ignore[attr-defined]
    # The events alone rebuild the same state.
    rebuilt = replay([*raised, *events])
    assert rebuilt.__dict__ == request.__dict__


def test_a_breach_is_escalated_once_and_the_late_acknowledgement_misses_the_sla() -> None:
    request = new_request("after_sales")
    request.collect_events()
    assert request.clock.due_at == at(2, 11)
    assert request.breach(at(2, 11))
    assert not request.breach(at(2, 11, 1))
    (breached,) = request.collect_events()
    assert breached.escalated_to == ["AS01", "HR"]  # type: ignore[attr-defined]
    assert request.acknowledge("ack", "AS01", "manager", at(2, 11, 20), 80.0)
    assert request.sla_met is False


def test_reopened_with_a_reason_then_answered_again_or_closed_unconfirmed() -> None:
    request = new_request()
    raised = request.collect_events()
    request.acknowledge("ack", "PD01", "employee", at(2, 10, 5), 5.0)
    request.give_answer("a1", "PD01", "Friday", at(2, 10, 30))
    with pytest.raises(DomainError, match="needs a reason"):
        request.reopen("r0", "E1", " ", at(2, 11))
    assert request.reopen("r1", "E1", "the client needs the delivery date too", at(2, 11))
    assert (request.status, request.reopens) == ("reopened", 1)
    assert not request.close_unconfirmed(at(5, 11))  # nothing to close: it is with the team
    assert request.give_answer("a2", "PD02", "delivery on the 20th", at(2, 12))
    assert request.answers == 2 and request.answered_by == "PD02"
    assert request.close_unconfirmed(at(5, 12))
    assert request.status == "closed"
    with pytest.raises(DomainError, match="is closed"):
        request.confirm("c", "E1", at(5, 13))
    events = request.collect_events()
    assert [type(e).__name__ for e in events][-2:] == ["Answered", "ClosedUnconfirmed"]
    assert events[-1].after_hours == 72  # type: ignore[attr-defined]
    assert replay([*raised, *events]).__dict__ == request.__dict__


def test_the_team_lead_and_members_act_whatever_their_token_role() -> None:
    request = new_request("finance")
    assert request.acknowledge("ack", "FN01", "hr", MONDAY_10 + timedelta(minutes=1), 1.0)
    assert request.acknowledged_by == "FN01"
