"""360° assessment round commands on the event store (run by the round workflow's
activities). Each is idempotent: a retried activity changes nothing.

Who rates whom is derived from the organisation when the round opens: the person
(self), their manager, their peers (the same team, not their manager and not their own
reports) and their direct reports. Peers and reports may be anonymous (the round says
so); their ratings reach the store only at the close, sealed per person and group."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import orjson
from psycopg import Connection
from psycopg.rows import DictRow

# The round's contracts live beside its activities; the faces and tests import them here.
from activities.assessments import (
    ANONYMOUS_DEFAULT,  # noqa: F401
    CloseRound,
    CloseSummary,
    OpenRound,
    ProfileNote,
    RateCommand,
    RaterReminder,
    RatingReceipt,
    Reminders,
    RoundInfo,
    RoundRequest,
    SealedRating,  # noqa: F401
    closed_message,
    sealed_order,
)
from aggregates.assessment_round import AssessmentRound, Ratee, RaterTask, round_uuid
from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.competency import (
    GROUPS,
    AnonymousGroup,
    CompetencyModel,
    CompetencyProfile,
    Group,
    GroupRatings,
    RatingItem,
    build_profile,
    canonical,
    competency_metric,
    gap_summary,
    rating_problems,
)
from aggregates.documents import MetricCatalog
from careerflow.messages import Message, in_every_language
from careerflow.principal import SYSTEM, AccessRole, Principal, workflow_step
from projections import people as people_view

if TYPE_CHECKING:
    from careerflow.services.registry import Services

MAX_RATEES = 5000
"""One round is one workflow chain (continued as new, so its history stays bounded), but
its anonymous ratings wait in Temporal until the close (never in the store before their
group is sealed): ~9 per person at ~35 bytes each must fit one 2 MB payload."""
MIN_LEAD = timedelta(hours=1)
ROUND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def local_label(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} ({zone})"


ROUNDS_CACHED = 4


class AssessmentCommands:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.app = services.store.assessments
        # A big round's aggregate (22,000 tasks for 2,000 people) is loaded once per
        # process and brought forward by its new events; one command at a time per round
        # here, so concurrent ratings don't collide on the aggregate's version.
        self._rounds: OrderedDict[str, AssessmentRound] = OrderedDict()
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._models: dict[tuple[str, int], CompetencyModel] = {}

    # -- documents -------------------------------------------------------------------
    def model(
        self, key: str = "default", version: int | None = None
    ) -> tuple[CompetencyModel, int]:
        if version is not None and (key, version) in self._models:
            return self._models[key, version], version  # a published version never changes
        if version is None:
            current = self.s.policies.current("competency_model", key)
        else:
            current = self.s.policies.version("competency_model", key, version)
        model = CompetencyModel.model_validate(current.document)
        self._models[key, current.version] = model
        return model, current.version

    @contextmanager
    def locked(self, round_id: str) -> Iterator[AssessmentRound]:
        """The round, current with the store, for one command that may change it; the
        cached copy is dropped when the command fails (its events were not saved)."""
        with self._guard:
            lock = self._locks[round_id]
        with lock:
            rnd = self._rounds.pop(round_id, None)
            if rnd is None:
                rnd = self.get(round_id)
            else:
                for new in self.app.events.get(round_uuid(round_id), gt=rnd.version):
                    rnd = cast(AssessmentRound, cast(AssessmentRound.Event, new).mutate(rnd))
            yield rnd  # on an error the round is not put back
            with self._guard:
                self._rounds[round_id] = rnd
                while len(self._rounds) > ROUNDS_CACHED:
                    self._rounds.popitem(last=False)

    def time_zone(self) -> str:
        return self.s.policies.promotion_process()[0].time_zone

    # -- who takes part ----------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.s.read_pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    def _employees(self, conn: Connection[DictRow], ids: list[str]) -> dict[str, dict[str, Any]]:
        return people_view.employees_by_id(conn, ids)

    def ratees(self, request: RoundRequest) -> list[Ratee]:
        """The people assessed: the ids given and/or the team's active members. Read from
        the employee directory (orchestration input, like the cycle roster)."""
        with self._connection() as conn:
            ids = list(dict.fromkeys(request.employee_ids))
            if request.team_id:
                team = people_view.active_member_ids(conn, request.team_id)
                if not team:
                    raise DomainError(
                        "team {team_id!r} has no active member", team_id=request.team_id
                    )
                ids += [e for e in team if e not in ids]
            found = self._employees(conn, ids)
        problems = [
            Message("unknown employee {employee_id!r}", employee_id=e)
            for e in ids
            if e not in found
        ]
        problems += [
            Message("{employee_id} has left", employee_id=e)
            for e in ids
            if e in found and not found[e]["active"]
        ]
        if problems:
            raise DomainError("the round was not started: {problems}", problems=problems)
        return [
            Ratee(
                employee_id=e,
                name=found[e]["name"],
                manager_id=found[e]["manager_id"],
                team_id=found[e]["team_id"],
            )
            for e in ids
        ]

    def tasks(self, ratees: list[Ratee], anonymous: list[AnonymousGroup]) -> list[RaterTask]:
        """Self, manager, peers (same team, not the manager, not the person's reports)
        and direct reports, each an active employee; one task per rater and person."""
        out: list[RaterTask] = []
        with self._connection() as conn:
            for r in ratees:

                def add(rater: str, group: Group, ratee: Ratee = r) -> None:
                    out.append(
                        RaterTask(
                            rater_id=rater,
                            ratee_id=ratee.employee_id,
                            group=group,
                            anonymous=group in anonymous,
                        )
                    )

                add(r.employee_id, "self")
                if r.manager_id and people_view.is_active(conn, r.manager_id):
                    add(r.manager_id, "manager")
                reports = people_view.active_report_ids(conn, r.employee_id)
                peers = people_view.active_peer_ids(
                    conn, r.team_id, r.employee_id, reports, r.manager_id
                )
                for peer in peers:
                    add(peer, "peers")
                for report in reports:
                    add(report, "reports")
        return out

    def check_request(self, request: RoundRequest, now: datetime) -> CompetencyModel:
        """Raises with every reason the round cannot start (nothing is recorded)."""
        problems: list[Message] = []
        if not ROUND_ID.fullmatch(request.round_id):
            problems.append(
                Message(
                    "round id {round_id!r}: use 1-64 letters, digits, '.', '_' or '-'",
                    round_id=request.round_id,
                )
            )
        if not request.employee_ids and not request.team_id:
            problems.append(Message("name the people assessed: employee ids or a team"))
        if request.deadline.tzinfo is None:
            problems.append(Message("the deadline needs a time zone (e.g. 2026-12-15T18:00+08:00)"))
        elif request.deadline < now + MIN_LEAD:
            problems.append(
                Message(
                    "the deadline {deadline} must be at least {hours} hour from now",
                    deadline=request.deadline.isoformat(),
                    hours=int(MIN_LEAD.total_seconds() // 3600),
                )
            )
        try:
            model, _ = self.model(request.model_key)
        except NotFoundError:
            raise DomainError(
                "no competency_model/{model_key} is published; publish one first",
                model_key=request.model_key,
            ) from None
        if problems:
            raise DomainError("the round was not started: {problems}", problems=problems)
        ratees = self.ratees(request)
        if len(ratees) > MAX_RATEES:
            raise DomainError(
                "the round was not started: {count} people is more than one round "
                "takes ({limit}); split them into several rounds",
                count=len(ratees),
                limit=MAX_RATEES,
            )
        return model

    # -- the round ---------------------------------------------------------------------
    def find(self, round_id: str) -> AssessmentRound | None:
        found: AssessmentRound | None = self.app.find(round_uuid(round_id))
        return found

    def get(self, round_id: str) -> AssessmentRound:
        found = self.find(round_id)
        if found is None:
            raise NotFoundError("no assessment round {round_id!r}", round_id=round_id)
        return found

    def info(self, rnd: AssessmentRound) -> RoundInfo:
        model, version = self.model(rnd.model_key, rnd.model_version)
        return RoundInfo(
            round_id=rnd.round_id,
            workflow_id=rnd.workflow_id,
            title=rnd.title,
            model=model,
            model_version=version,
            tasks=rnd.tasks,
            completed=rnd.completed,
            ratees=[r.employee_id for r in rnd.ratees],
            deadline=rnd.deadline,
            close_at=rnd.close_at,
            reminders=rnd.reminders,
            time_zone=rnd.time_zone,
            deadline_label=local_label(rnd.deadline, rnd.time_zone),
            close_label=local_label(rnd.close_at, rnd.time_zone),
            started_by=rnd.started_by,
            closed=rnd.closed,
        )

    def open(self, request: OpenRound) -> RoundInfo:
        existing = self.find(request.request.round_id)
        if existing is not None:
            return self.info(existing)
        r = request.request
        model = self.check_request(r, request.now)
        _, version = self.model(r.model_key)
        ratees = self.ratees(r)
        tasks = self.tasks(ratees, r.anonymous)
        close_at = r.deadline + timedelta(hours=model.late_grace_hours)
        reminders = sorted(
            at
            for h in set(model.reminders_before_hours)
            if (at := r.deadline - timedelta(hours=h)) > request.now
        )
        with self._context(request.started_by, request.workflow_id, "open"):
            rnd = AssessmentRound(
                round_id=r.round_id,
                title=r.title or r.round_id,
                model_key=r.model_key,
                model_version=version,
                competencies=model.ids(),
                scale_top=model.top,
                min_group_size=model.min_group_size,
                anonymous_groups=sorted(set(r.anonymous)),
                ratees=ratees,
                tasks=tasks,
                deadline=r.deadline,
                close_at=close_at,
                reminders=reminders,
                time_zone=self.time_zone(),
                workflow_id=request.workflow_id,
                started_by=request.started_by.person_id,
            )
        self.app.save(rnd)
        return self.info(rnd)

    @staticmethod
    def require_rater(rnd: AssessmentRound, principal: Principal, ratee_id: str) -> RaterTask:
        if principal.role not in (AccessRole.employee, AccessRole.manager):
            raise DomainError(
                "{role} {person_id} cannot rate in round {round_id}; raters rate for themselves",
                role=principal.role.value,
                person_id=principal.person_id,
                round_id=rnd.round_id,
            )
        task = rnd.task(principal.person_id, ratee_id)
        if task is None:
            raise DomainError(
                "{person_id} has no rating task for {ratee_id} in round {round_id}",
                person_id=principal.person_id,
                ratee_id=ratee_id,
                round_id=rnd.round_id,
            )
        return task

    @staticmethod
    def check_open(rnd: AssessmentRound, now: datetime) -> None:
        if rnd.closed or now >= rnd.close_at:
            message = closed_message(
                rnd.round_id,
                local_label(rnd.deadline, rnd.time_zone),
                local_label(rnd.close_at, rnd.time_zone),
                rnd.close_at > rnd.deadline,
            )
            raise DomainError(message)

    def rate(self, command: RateCommand) -> RatingReceipt:
        with self.locked(command.round_id) as rnd:
            task = self.require_rater(rnd, command.principal, command.ratee_id)
            if not rnd.has_command(command.key):
                self.check_open(rnd, command.now)
                model, _ = self.model(rnd.model_key, rnd.model_version)
                problems = rating_problems(model, command.ratings)
                if problems:
                    raise DomainError("the rating was not taken: {problems}", problems=problems)
                late = command.now >= rnd.deadline
                with self._context(command.principal, rnd.workflow_id, f"rate/{command.key}"):
                    rnd.complete(command.key, task, dict(command.ratings), late)
                self.app.save(rnd)
            remaining = rnd.open_tasks_of(command.principal.person_id)
        return RatingReceipt(
            round_id=rnd.round_id,
            ratee_id=task.ratee_id,
            group=task.group,
            anonymous=task.anonymous,
            late=command.now >= rnd.deadline,
            remaining=remaining,
        )

    def remind(self, round_id: str, index: int) -> Reminders:
        """Raters with a task still open, each with whom they still have to rate."""
        rnd = self.get(round_id)
        pending: dict[str, list[str]] = defaultdict(list)
        for t in rnd.pending():
            pending[t.rater_id].append(t.ratee_id)
        raters = [RaterReminder(rater_id=r, ratees=pending[r]) for r in sorted(pending)]
        with self._context(None, rnd.workflow_id, f"remind/{index}"):
            changed = rnd.remind(index, [r.rater_id for r in raters], len(rnd.pending()))
        if changed:
            self.app.save(rnd)
        return Reminders(
            round_id=round_id,
            index=index,
            raters=raters,
            deadline_label=local_label(rnd.deadline, rnd.time_zone),
        )

    def pass_deadline(self, round_id: str) -> RoundInfo:
        rnd = self.get(round_id)
        with self._context(None, rnd.workflow_id, "deadline"):
            changed = rnd.pass_deadline(len(rnd.pending()))
        if changed:
            self.app.save(rnd)
        return self.info(rnd)

    # -- the close ---------------------------------------------------------------------
    def close(self, request: CloseRound) -> CloseSummary:
        rnd = self.get(request.round_id)
        model, version = self.model(rnd.model_key, rnd.model_version)
        if not rnd.closed:
            self._close(rnd, model, version, request)
        batch, rows = self._ledger_rows(rnd, request.now)
        if rows:
            self.s.ingest.ingest(
                SYSTEM, rows, "jsonl", self.s.catalog(), f"round {rnd.round_id}", batch
            )
        return self._summary(rnd, model)

    def _close(
        self, rnd: AssessmentRound, model: CompetencyModel, version: int, request: CloseRound
    ) -> None:
        sealed: dict[tuple[str, str], list[dict[str, RatingItem]]] = defaultdict(list)
        for s in sorted(request.sealed, key=sealed_order):
            sealed[(s.ratee_id, s.group)].append(dict(s.ratings))
        by_ratee: dict[str, list[RaterTask]] = defaultdict(list)
        for t in rnd.tasks:
            by_ratee[t.ratee_id].append(t)
        profiles: list[CompetencyProfile] = []
        with self._context(None, rnd.workflow_id, "close"):
            for ratee in rnd.ratees:
                profiles.append(
                    self.seal_ratee(rnd, model, version, ratee, by_ratee[ratee.employee_id], sealed)
                )
            batch, _ = self._ledger_rows(rnd, request.now)
            catalog = self.s.catalog()
            rnd.close(
                rated=len(rnd.completed),
                asked=len(rnd.tasks),
                late=rnd.late,
                gap_summary=gap_summary(model, profiles, labels=in_every_language),
                ledger_batch=batch,
                ledger_metrics=sorted(
                    {competency_metric(c) for c in model.ids()} & set(catalog.metrics)
                ),
            )
        self.app.save(rnd)

    @staticmethod
    def seal_ratee(
        rnd: AssessmentRound,
        model: CompetencyModel,
        version: int,
        ratee: Ratee,
        tasks: list[RaterTask],
        sealed: dict[tuple[str, str], list[dict[str, RatingItem]]],
    ) -> CompetencyProfile:
        """One person's groups sealed (anonymous ones in content order, a group under the
        minimum with its count only) and their profile computed."""
        groups: list[GroupRatings] = []
        for group in GROUPS:
            in_group = [t for t in tasks if t.group == group]
            if not in_group:
                continue
            anonymous = in_group[0].anonymous
            if anonymous:
                ratings = canonical(sealed.get((ratee.employee_id, group), []))
                published = len(ratings) >= model.min_group_size
                rnd.seal_group(
                    ratee_id=ratee.employee_id,
                    group=group,
                    raters=len(ratings),
                    published=published,
                    ratings=ratings if published else [],
                )
            else:
                ratings = [rnd.named[t.key] for t in in_group if t.key in rnd.named]
            groups.append(
                GroupRatings(group=group, anonymous=anonymous, asked=len(in_group), ratings=ratings)
            )
        profile = build_profile(
            model, version, rnd.round_id, ratee.employee_id, groups, labels=in_every_language
        )
        rnd.record_profile(
            ratee_id=ratee.employee_id,
            manager_id=ratee.manager_id,
            team_id=ratee.team_id,
            profile=profile,
        )
        return profile

    def _ledger_rows(self, rnd: AssessmentRound, now: datetime) -> tuple[str, bytes]:
        """Every published figure of every profile as metric-ledger rows (JSON lines):
        `competency_<id>` with the figure (overall, self, manager, peers, reports) as the
        item, dated the day the round closed. Metrics the catalog lacks are left out."""
        batch = f"assessment:{rnd.round_id}"
        catalog: MetricCatalog = self.s.catalog()
        day = now.astimezone(ZoneInfo(rnd.time_zone)).date().isoformat()
        lines = [
            orjson.dumps(
                {
                    "employee_id": employee_id,
                    "period": day,
                    "metric": competency_metric(cid),
                    "item": source,
                    "value": value,
                    "source": batch,
                }
            )
            for employee_id, profile in rnd.profiles.items()
            for cid, source, value in profile.values()
            if competency_metric(cid) in catalog.metrics
        ]
        return batch, b"\n".join(lines) + b"\n" if lines else b""

    def _summary(self, rnd: AssessmentRound, model: CompetencyModel) -> CloseSummary:
        catalog = self.s.catalog()
        notes = [
            _profile_note(rnd, profile, model, catalog)
            for profile in (rnd.profiles[r.employee_id] for r in rnd.ratees)
        ]
        return CloseSummary(
            round_id=rnd.round_id,
            title=rnd.title,
            started_by=rnd.started_by,
            asked=len(rnd.tasks),
            rated=len(rnd.completed),
            late=rnd.late,
            notes=notes,
            gaps=gap_summary(model, list(rnd.profiles.values()), labels=in_every_language),
        )

    def explain_closed(self, round_id: str, principal: Principal, ratee_id: str) -> None:
        """A rating for a round whose workflow has finished: say why from its record."""
        rnd = self.find(round_id)
        if rnd is None:
            return
        task = self.require_rater(rnd, principal, ratee_id)
        if task.key in rnd.completed:
            raise DomainError(
                "{rater_id} already rated {ratee_id} in round {round_id}; ratings are final",
                rater_id=principal.person_id,
                ratee_id=ratee_id,
                round_id=round_id,
            )
        self.check_open(rnd, rnd.close_at)

    @staticmethod
    def _context(
        principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        return workflow_step(principal, workflow_id, step, reason)


def _profile_note(
    rnd: AssessmentRound,
    profile: CompetencyProfile,
    model: CompetencyModel,
    catalog: MetricCatalog,
) -> ProfileNote:
    lines: list[Message] = []
    for score in profile.competencies:
        if score.overall is None:
            lines.append(Message("{competency}: no overall level", competency=score.label))
            continue
        level = Message(
            "{overall:g}/{top} (target {target:g})",
            overall=score.overall,
            top=model.top,
            target=score.target,
        )
        if not score.below_target:
            lines.append(Message("{competency} {level}: met", competency=score.label, level=level))
        elif score.courses:
            lines.append(
                Message(
                    "{competency} {level}: below target; recommended {courses}",
                    competency=score.label,
                    level=level,
                    courses=_course_list(catalog, score.courses),
                )
            )
        else:
            lines.append(
                Message("{competency} {level}: below target", competency=score.label, level=level)
            )
    return ProfileNote(
        employee_id=profile.employee_id,
        gaps=profile.gaps,
        title=in_every_language(Message("Your 360° results: {title}", title=rnd.title)),
        body=in_every_language(Message("{text}", text=lines)),  # joined as each language joins
    )


def _course_list(catalog: MetricCatalog, courses: list[str]) -> Message:
    """Recommended courses by title: "*A*, *B*" (《A》《B》 in Chinese)."""
    said = Message("*{course}*", course=catalog.course_label(courses[0]))
    for course in courses[1:]:
        said = Message("{courses}, *{course}*", courses=said, course=catalog.course_label(course))
    return said
