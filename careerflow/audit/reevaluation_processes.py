"""Exact re-evaluation of seed 004's processes (see reevaluation.py for the approach).

Support requests: the routing from the support_process version recorded, the SLA clock
(due time and reminders) from the recorded raise time and routing, and the response time
and SLA verdict from the recorded acknowledgement, through the same office-hours code.

Assessment rounds: each person's profile and the round's gap summary from the sealed
results (the anonymous groups as sealed at the close, the named ratings) and the
competency model version recorded. Hidden groups were sealed with their count only: they
are recomputed from that count (a hidden group shows no figure, so its levels never
mattered). Only results are compared and reported: no rater and no individual rating."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from aggregates.assessment_round import AssessmentRound, RaterTask, round_uuid
from aggregates.base import NotFoundError
from aggregates.competency import (
    GROUPS,
    CompetencyGap,
    CompetencyModel,
    CompetencyProfile,
    GroupRatings,
    RatingItem,
    build_profile,
    gap_summary,
)
from aggregates.not_found import no_support_request
from aggregates.support_process import SupportProcess
from aggregates.support_request import Routing, SlaClock, SlaReminder, SupportRequest, support_uuid
from careerflow.audit.decision_checks import DecisionCheck, check_decision
from careerflow.office_hours import add_office_minutes, office_minutes_between
from words.catalogue import in_every_language

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies
    from careerflow.store import Store


def _event_name(event: object) -> str:
    return type(event).__qualname__.split(".")[-1]


# -- support requests ----------------------------------------------------------------------
def support_checks(store: Store, policies: Policies, request_id: str) -> list[DecisionCheck]:
    request: SupportRequest | None = store.support.find(support_uuid(request_id))
    if request is None:
        raise no_support_request(request_id)
    recorded = request.routing
    version = recorded.process_version
    process = SupportProcess.model_validate(
        policies.version("support_process", "default", version).document
    )
    versions = {"support_process/default": version}
    route = process.categories[recorded.category]
    team = process.teams[route.team]
    escalate = [team.lead_id] if process.escalate_to_lead else []
    if process.escalate_to_hr:
        escalate.append("HR")
    routing = Routing(
        category=recorded.category,
        category_label=dict(route.label),
        team=route.team,
        team_label=dict(team.label),
        lead_id=team.lead_id,
        members=list(team.members),
        response_minutes=route.response_minutes,
        escalate_to=escalate,
        office_hours=process.office_hours,
        # The company's calendar as recorded when the request was raised.
        country=recorded.country,
        time_zone=recorded.time_zone,
        close_unconfirmed_after_hours=process.close_unconfirmed_after_hours,
        process_version=version,
    )
    office = recorded.office_hours
    hours = (office.start, office.end) if office else None
    raised = request.clock.raised_at

    def after(minutes: float) -> Any:
        return add_office_minutes(raised, minutes, hours, recorded.country, recorded.time_zone)

    clock = SlaClock(
        raised_at=raised,
        week=request.clock.week,
        due_at=after(recorded.response_minutes),
        reminders=[
            SlaReminder(percent=p, at=after(recorded.response_minutes * p / 100))
            for p in process.remind_at_percent
        ],
    )
    checks = [
        check_decision("routing", versions, recorded, routing),
        check_decision("SLA clock", versions, request.clock, clock),
    ]
    if request.acknowledged_at is not None:
        at = request.acknowledged_at
        minutes = office_minutes_between(raised, at, hours, recorded.country, recorded.time_zone)
        checks.append(
            check_decision(
                "acknowledgement",
                versions,
                {"response_minutes": request.response_minutes, "sla_met": request.sla_met},
                {"response_minutes": minutes, "sla_met": at <= clock.due_at},
            )
        )
    return checks


# -- assessment rounds ---------------------------------------------------------------------
def _placeholder(model: CompetencyModel) -> dict[str, RatingItem]:
    return {cid: RatingItem(level=1) for cid in model.ids()}


def assessment_checks(store: Store, policies: Policies, round_id: str) -> list[DecisionCheck]:
    rnd: AssessmentRound | None = store.assessments.find(round_uuid(round_id))
    if rnd is None or not rnd.closed:
        raise NotFoundError(
            "no closed assessment round {round_id!r}: results exist only once a round has closed",
            round_id=round_id,
        )
    # The competency model at the version the round was started with.
    recorded = policies.version("competency_model", rnd.model_key, rnd.model_version)
    model, version = CompetencyModel.model_validate(recorded.document), recorded.version
    versions = {f"competency_model/{rnd.model_key}": version}
    sealed: dict[tuple[str, str], tuple[int, bool, list[dict[str, RatingItem]]]] = {}
    recorded_gaps: list[CompetencyGap] = []
    for stored in store.assessments.events.get(round_uuid(round_id)):
        event: Any = stored
        name = _event_name(event)
        if name == "GroupSealed":
            sealed[(event.ratee_id, event.group)] = (
                event.raters,
                event.published,
                list(event.ratings),
            )
        elif name == "Closed":
            recorded_gaps = list(event.gap_summary)
    by_ratee: dict[str, list[RaterTask]] = defaultdict(list)
    for task in rnd.tasks:
        by_ratee[task.ratee_id].append(task)
    checks: list[DecisionCheck] = []
    profiles: list[CompetencyProfile] = []
    for ratee in rnd.ratees:
        groups: list[GroupRatings] = []
        for group in GROUPS:
            tasks = [t for t in by_ratee[ratee.employee_id] if t.group == group]
            if not tasks:
                continue
            anonymous = tasks[0].anonymous
            if anonymous:
                raters, published, ratings = sealed.get((ratee.employee_id, group), (0, False, []))
                if not published:
                    ratings = [_placeholder(model)] * raters
            else:
                ratings = [rnd.named[t.key] for t in tasks if t.key in rnd.named]
            groups.append(
                GroupRatings(group=group, anonymous=anonymous, asked=len(tasks), ratings=ratings)
            )
        profile = build_profile(
            model, version, rnd.round_id, ratee.employee_id, groups, labels=in_every_language
        )
        profiles.append(profile)
        checks.append(
            check_decision(
                f"profile {ratee.employee_id}",
                versions,
                rnd.profiles.get(ratee.employee_id),
                profile,
            )
        )
    checks.append(
        check_decision(
            "gap summary",
            versions,
            recorded_gaps,
            gap_summary(model, profiles, labels=in_every_language),
        )
    )
    return checks
