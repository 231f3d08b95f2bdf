"""360° assessment rounds' commands on the event store (run by activities.assessments):
each method is one idempotent command, safe to run again after a crash. Who may rate,
and when, is decided in aggregates.assessment_rules, which the round workflow asks too.

Who rates whom is derived from the organisation when the round opens (an injected
`Roster`, read from the employee directory): the person (self), their manager, their
peers (the same team, not their manager and not their own reports) and their direct
reports. Peers and reports may be anonymous (the round says so); their ratings reach the
store only at the close, sealed per person and group.

The commands return domain values; the activities map them to the workflow's contracts."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from aggregates.assessment_round import AssessmentRound, Ratee, RaterTask, round_uuid
from aggregates.assessment_rules import (
    RoundRequest,
    already_rated,
    closed_refusal,
    local_label,
    no_task,
    rater_refusal,
    rating_refusal,
)
from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.competency import (
    AnonymousGroup,
    CompetencyGap,
    CompetencyModel,
    Group,
    RatingItem,
    competency_metric,
    gap_summary,
)
from aggregates.documents import MetricCatalog
from aggregates.not_found import no_assessment_round, unknown_employee
from careerflow.applications.assessment_results import (
    Note,
    ledger_rows,
    profile_note,
    seal_ratee,
)
from careerflow.eventstore import PydanticApplication
from careerflow.principal import Principal, workflow_step
from words.catalogue import in_every_language
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies

MAX_RATEES = 5000
"""One round is one workflow chain (continued as new, so its history stays bounded), but
its anonymous ratings wait in Temporal until the close (never in the store before their
group is sealed): ~9 per person at ~35 bytes each must fit one 2 MB payload."""
MIN_LEAD = timedelta(hours=1)
ROUND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ROUNDS_CACHED = 4


class Circle(NamedTuple):
    """Who rates one person besides themselves, from the directory."""

    manager_active: bool
    reports: list[str]
    peers: list[str]


class Roster(Protocol):
    """The employee directory's reads a round needs (careerflow.wiring
    reads them from the people read model)."""

    def employees(self, ids: list[str]) -> Mapping[str, Mapping[str, Any]]:
        """These employees (name, team_id, manager_id, active), by id; unknown ids left out."""
        ...

    def active_members(self, team_id: str) -> list[str]: ...

    def circles(self, ratees: Sequence[Ratee]) -> list[Circle]:
        """Each person's circle, in the order given."""
        ...


class SealedBallot(Protocol):
    """An anonymous rating as the workflow kept it (activities.assessments.Ballot)."""

    def ratings(self, competencies: list[str]) -> dict[str, RatingItem]: ...


class Rated(NamedTuple):
    task: RaterTask
    late: bool
    remaining: int


class Closed(NamedTuple):
    rnd: AssessmentRound
    model: CompetencyModel
    gaps: list[CompetencyGap]


RecordLevels = Callable[[bytes, str, str], object]
"""(JSON-lines rows, source, batch): the competency levels into the metric ledger."""


class Assessments(PydanticApplication):
    """360° competency assessment rounds and their ratings.

    Collaborators: `policies` gives the documents in force (competency model, company
    calendar), `roster` who takes part, `catalog` the metric catalog, `record_levels`
    records the levels in the metric ledger at the close."""

    name = "assessments"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        policies: Policies | None = None,
        roster: Roster | None = None,
        catalog: Callable[[], MetricCatalog] | None = None,
        record_levels: RecordLevels | None = None,
    ) -> None:
        super().__init__(env=env)
        # A big round's aggregate (22,000 tasks for 2,000 people) is loaded once per
        # process and brought forward by its new events; one command at a time per round
        # here, so concurrent ratings don't collide on the aggregate's version.
        self._rounds: OrderedDict[str, AssessmentRound] = OrderedDict()
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._models: dict[tuple[str, int], CompetencyModel] = {}
        self.wire(policies=policies, roster=roster, catalog=catalog, record_levels=record_levels)

    def wire(
        self,
        *,
        policies: Policies | None = None,
        roster: Roster | None = None,
        catalog: Callable[[], MetricCatalog] | None = None,
        record_levels: RecordLevels | None = None,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before their collaborators exist (careerflow.wiring)."""
        self._policies = policies
        self._roster = roster
        self._catalog = catalog
        self._record_levels = record_levels

    # -- collaborators ---------------------------------------------------------------------
    @property
    def policies(self) -> Policies:
        assert self._policies is not None, "Assessments needs policies= to read the policies"
        return self._policies

    @property
    def roster(self) -> Roster:
        assert self._roster is not None, "Assessments needs roster= to read the directory"
        return self._roster

    def catalog(self) -> MetricCatalog:
        assert self._catalog is not None, "Assessments needs catalog= for the metric catalog"
        return self._catalog()

    # -- documents -------------------------------------------------------------------------
    def model(
        self, key: str = "default", version: int | None = None
    ) -> tuple[CompetencyModel, int]:
        if version is not None and (key, version) in self._models:
            return self._models[key, version], version  # a published version never changes
        if version is None:
            current = self.policies.current("competency_model", key)
        else:
            current = self.policies.version("competency_model", key, version)
        model = CompetencyModel.model_validate(current.document)
        self._models[key, current.version] = model
        return model, current.version

    def time_zone(self) -> str:
        return self.policies.promotion_process()[0].time_zone

    # -- reading ---------------------------------------------------------------------------
    def find_round(self, round_id: str) -> AssessmentRound | None:
        found: AssessmentRound | None = self.find(round_uuid(round_id))
        return found

    def get(self, round_id: str) -> AssessmentRound:
        found = self.find_round(round_id)
        if found is None:
            raise no_assessment_round(round_id)
        return found

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
                for new in self.events.get(round_uuid(round_id), gt=rnd.version):
                    rnd = cast(AssessmentRound, cast(AssessmentRound.Event, new).mutate(rnd))
            yield rnd  # on an error the round is not put back
            with self._guard:
                self._rounds[round_id] = rnd
                while len(self._rounds) > ROUNDS_CACHED:
                    self._rounds.popitem(last=False)

    def current(self, round_id: str) -> AssessmentRound:
        """The round as the store has it now (through the cache)."""
        with self.locked(round_id) as rnd:
            return rnd

    # -- who takes part --------------------------------------------------------------------
    def ratees(self, request: RoundRequest) -> list[Ratee]:
        """The people assessed: the ids given and/or the team's active members. Read from
        the employee directory (orchestration input, like the cycle roster)."""
        ids = list(dict.fromkeys(request.employee_ids))
        if request.team_id:
            team = self.roster.active_members(request.team_id)
            if not team:
                raise DomainError("team {team_id!r} has no active member", team_id=request.team_id)
            ids += [e for e in team if e not in ids]
        found = self.roster.employees(ids)
        problems = [unknown_employee(e).message for e in ids if e not in found]
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
        for r, circle in zip(ratees, self.roster.circles(ratees), strict=True):

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
            if r.manager_id and circle.manager_active:
                add(r.manager_id, "manager")
            for peer in circle.peers:
                add(peer, "peers")
            for report in circle.reports:
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

    # -- the round -------------------------------------------------------------------------
    def open_round(
        self, request: RoundRequest, started_by: Principal, workflow_id: str, now: datetime
    ) -> AssessmentRound:
        """Opens the round (a round already opened is returned as it is)."""
        existing = self.find_round(request.round_id)
        if existing is not None:
            return existing
        r = request
        model = self.check_request(r, now)
        _, version = self.model(r.model_key)
        ratees = self.ratees(r)
        tasks = self.tasks(ratees, r.anonymous)
        close_at = r.deadline + timedelta(hours=model.late_grace_hours)
        reminders = sorted(
            at
            for h in set(model.reminders_before_hours)
            if (at := r.deadline - timedelta(hours=h)) > now
        )
        with _context(started_by, workflow_id, "open"):
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
                workflow_id=workflow_id,
                started_by=started_by.person_id,
            )
        self.save(rnd)
        return rnd

    @staticmethod
    def require_rater(rnd: AssessmentRound, principal: Principal, ratee_id: str) -> RaterTask:
        if refusal := rater_refusal(principal.role.value, principal.person_id, rnd.round_id):
            raise DomainError(refusal)
        task = rnd.task(principal.person_id, ratee_id)
        if task is None:
            refusal = no_task(principal.person_id, ratee_id, rnd.round_id)
            raise DomainError(refusal)
        return task

    @staticmethod
    def check_open(rnd: AssessmentRound, now: datetime) -> None:
        refusal = closed_refusal(
            rnd.round_id,
            rnd.closed,
            now,
            rnd.deadline,
            rnd.close_at,
            local_label(rnd.deadline, rnd.time_zone),
            local_label(rnd.close_at, rnd.time_zone),
        )
        if refusal:
            raise DomainError(refusal)

    def rate(
        self,
        round_id: str,
        principal: Principal,
        ratee_id: str,
        ratings: Mapping[str, RatingItem],
        key: str,
        now: datetime,
    ) -> Rated:
        with self.locked(round_id) as rnd:
            task = self.require_rater(rnd, principal, ratee_id)
            if not rnd.has_command(key):
                self.check_open(rnd, now)
                model, _ = self.model(rnd.model_key, rnd.model_version)
                if refusal := rating_refusal(model, ratings):
                    raise DomainError(refusal)
                late = now >= rnd.deadline
                with _context(principal, rnd.workflow_id, f"rate/{key}"):
                    rnd.complete(key, task, dict(ratings), late)
                self.save(rnd)
            remaining = rnd.open_tasks_of(principal.person_id)
        return Rated(task=task, late=now >= rnd.deadline, remaining=remaining)

    def remind(self, round_id: str, index: int) -> tuple[AssessmentRound, dict[str, list[str]]]:
        """Raters with a task still open, each with whom they still have to rate."""
        with self.locked(round_id) as rnd:
            pending: dict[str, list[str]] = defaultdict(list)
            for t in rnd.pending():
                pending[t.rater_id].append(t.ratee_id)
            with _context(None, rnd.workflow_id, f"remind/{index}"):
                changed = rnd.remind(index, sorted(pending), len(rnd.pending()))
            if changed:
                self.save(rnd)
        return rnd, {r: pending[r] for r in sorted(pending)}

    def pass_deadline(self, round_id: str) -> AssessmentRound:
        with self.locked(round_id) as rnd:
            with _context(None, rnd.workflow_id, "deadline"):
                changed = rnd.pass_deadline(len(rnd.pending()))
            if changed:
                self.save(rnd)
            return rnd

    def explain_closed(self, round_id: str, principal: Principal, ratee_id: str) -> None:
        """A rating for a round whose workflow has finished: say why from its record."""
        rnd = self.find_round(round_id)
        if rnd is None:
            return
        task = self.require_rater(rnd, principal, ratee_id)
        if task.key in rnd.completed:
            refusal = already_rated(principal.person_id, ratee_id, round_id)
            raise DomainError(refusal)
        self.check_open(rnd, rnd.close_at)

    # -- the close (one history: the sealed ratings at once) -------------------------------
    def close_round(
        self,
        round_id: str,
        sealed: Mapping[tuple[str, str], list[dict[str, RatingItem]]],
        now: datetime,
    ) -> Closed:
        """Seals every person with the anonymous ratings given (in content order), closes
        the round and records the levels in the metric ledger. Idempotent."""
        with self.locked(round_id) as rnd:
            model, version = self.model(rnd.model_key, rnd.model_version)
            if not rnd.closed:
                by_ratee: dict[str, list[RaterTask]] = defaultdict(list)
                for t in rnd.tasks:
                    by_ratee[t.ratee_id].append(t)
                with _context(None, rnd.workflow_id, "close"):
                    for ratee in rnd.ratees:
                        seal_ratee(rnd, model, version, ratee, by_ratee[ratee.employee_id], sealed)
                    self._close(rnd, model, now)
                self.save(rnd)
        self._to_ledger(rnd, now)
        return Closed(rnd, model, self._gaps(rnd, model))

    # -- the close, a page at a time (rounds of any size) ----------------------------------
    def raters(
        self, round_id: str, after: str, limit: int, reminder: int | None
    ) -> tuple[dict[str, list[str]], str | None, str]:
        """A page of raters, by id, each with whom they rate (a reminder's page: whom
        they still have to rate; its first page records the reminder), where the next
        page starts and the deadline for people."""
        with self.locked(round_id) as rnd:
            tasks = rnd.tasks if reminder is None else rnd.pending()
            if reminder is not None and not after:
                with _context(None, rnd.workflow_id, f"remind/{reminder}"):
                    changed = rnd.remind(reminder, sorted({t.rater_id for t in tasks}), len(tasks))
                if changed:
                    self.save(rnd)
            label = local_label(rnd.deadline, rnd.time_zone)
        ratees: dict[str, list[str]] = defaultdict(list)
        for t in tasks:
            if t.rater_id > after:
                ratees[t.rater_id].append(t.ratee_id)
        chosen = sorted(ratees)[: limit + 1]
        more = len(chosen) > limit
        chosen = chosen[:limit]
        return {r: ratees[r] for r in chosen}, chosen[-1] if more else None, label

    def seal(
        self, round_id: str, ballots: Mapping[str, Sequence[SealedBallot]], upto: str | None
    ) -> tuple[int, int]:
        """Seals each person up to `upto` who has no profile yet with the ballots given
        (a retried page finds them sealed and changes nothing)."""
        with self.locked(round_id) as rnd:
            if not rnd.closed:
                model, version = self.model(rnd.model_key, rnd.model_version)
                ids = model.ids()
                sealed: dict[tuple[str, str], list[dict[str, RatingItem]]] = {}
                for key, given in ballots.items():
                    ratee, group = key.rsplit("/", 1)
                    sealed[ratee, group] = [b.ratings(ids) for b in given]
                todo = sorted(
                    (
                        r
                        for r in rnd.ratees
                        if r.employee_id not in rnd.profiles
                        and (upto is None or r.employee_id <= upto)
                    ),
                    key=lambda r: r.employee_id,
                )
                by_ratee: dict[str, list[RaterTask]] = defaultdict(list)
                wanted = {r.employee_id for r in todo}
                for t in rnd.tasks:
                    if t.ratee_id in wanted:
                        by_ratee[t.ratee_id].append(t)
                if todo:
                    step = f"seal/{todo[0].employee_id}-{todo[-1].employee_id}"
                    with _context(None, rnd.workflow_id, step):
                        for r in todo:
                            seal_ratee(rnd, model, version, r, by_ratee[r.employee_id], sealed)
                    self.save(rnd)
            return len(rnd.profiles), len(rnd.ratees)

    def finish(self, round_id: str, now: datetime) -> Closed:
        """Closes a round whose people are all sealed: the gap summary, the levels to the
        metric ledger. Idempotent."""
        with self.locked(round_id) as rnd:
            model, _ = self.model(rnd.model_key, rnd.model_version)
            if not rnd.closed:
                unsealed = [r.employee_id for r in rnd.ratees if r.employee_id not in rnd.profiles]
                if unsealed:
                    raise DomainError(
                        "round {round_id} cannot close: {count} people are not sealed yet",
                        round_id=rnd.round_id,
                        count=len(unsealed),
                    )
                with _context(None, rnd.workflow_id, "close"):
                    self._close(rnd, model, now)
                self.save(rnd)
            gaps = self._gaps(rnd, model)
        self._to_ledger(rnd, now)
        return Closed(rnd, model, gaps)

    def notes(self, round_id: str, after: str, limit: int) -> tuple[list[Note], str | None]:
        """A page of the people's results, by id, and where the next page starts."""
        with self.locked(round_id) as rnd:
            model, _ = self.model(rnd.model_key, rnd.model_version)
            ids = sorted(e for e in rnd.profiles if e > after)[: limit + 1]
            more = len(ids) > limit
            ids = ids[:limit]
            catalog = self.catalog()
            notes = [profile_note(rnd, rnd.profiles[e], model, catalog) for e in ids]
        return notes, ids[-1] if more else None

    def all_notes(self, rnd: AssessmentRound, model: CompetencyModel) -> list[Note]:
        catalog = self.catalog()
        return [profile_note(rnd, rnd.profiles[r.employee_id], model, catalog) for r in rnd.ratees]

    # -- sealing and closing ---------------------------------------------------------------
    def _close(self, rnd: AssessmentRound, model: CompetencyModel, now: datetime) -> None:
        batch, _ = self.ledger_rows(rnd, now)
        catalog = self.catalog()
        rnd.close(
            rated=len(rnd.completed),
            asked=len(rnd.tasks),
            late=rnd.late,
            gap_summary=self._gaps(rnd, model),
            ledger_batch=batch,
            ledger_metrics=sorted(
                {competency_metric(c) for c in model.ids()} & set(catalog.metrics)
            ),
        )

    @staticmethod
    def _gaps(rnd: AssessmentRound, model: CompetencyModel) -> list[CompetencyGap]:
        return gap_summary(model, list(rnd.profiles.values()), labels=in_every_language)

    def _to_ledger(self, rnd: AssessmentRound, now: datetime) -> None:
        batch, rows = self.ledger_rows(rnd, now)
        if rows:
            assert self._record_levels is not None, "Assessments needs record_levels="
            self._record_levels(rows, f"round {rnd.round_id}", batch)

    def ledger_rows(self, rnd: AssessmentRound, now: datetime) -> tuple[str, bytes]:
        return ledger_rows(rnd, now, self.catalog())


def _context(
    principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
) -> AbstractContextManager[EventMeta]:
    return workflow_step(principal, workflow_id, step, reason)
