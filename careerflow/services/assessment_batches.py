"""The round workflow's compact commands, for rounds of any size: what crosses Temporal is
ids, counts and pages, never the round's whole task list, so each activity's input and
result stays small whatever the number of people (2,000 people are ~22,000 tasks).

Anonymous ratings reach the store only here, at the close, sealed per person and group
(`seal`), a page of people at a time; the round is closed (`finish`) once every person
has a profile, and the results go out a page at a time (`notes`)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

# The contracts live beside the activities (the workflow imports them there).
from activities.assessments import (
    FinishRound,
    NotesPage,
    OpenRound,
    RaterPage,
    RaterReminder,
    RoundBrief,
    RoundClosed,
    RoundPage,
    SealPage,
    SealProgress,
)
from aggregates.assessment_round import AssessmentRound, RaterTask
from aggregates.base import DomainError
from aggregates.competency import RatingItem, competency_metric, gap_summary
from careerflow.principal import SYSTEM
from careerflow.services.assessments import (
    AssessmentCommands,
    _profile_note,
    local_label,
)
from words.catalogue import in_every_language

if TYPE_CHECKING:
    from careerflow.services.registry import Services


class RoundBatches:
    def __init__(self, services: Services, commands: AssessmentCommands | None = None) -> None:
        self.s = services
        self.c = commands or AssessmentCommands(services)

    def brief(self, rnd: AssessmentRound) -> RoundBrief:
        model, version = self.c.model(rnd.model_key, rnd.model_version)
        return RoundBrief(
            round_id=rnd.round_id,
            workflow_id=rnd.workflow_id,
            title=rnd.title,
            model=model,
            model_version=version,
            asked=len(rnd.tasks),
            rated=len(rnd.completed),
            ratees=len(rnd.ratees),
            raters=len({t.rater_id for t in rnd.tasks}),
            deadline=rnd.deadline,
            close_at=rnd.close_at,
            reminders=rnd.reminders,
            deadline_label=local_label(rnd.deadline, rnd.time_zone),
            close_label=local_label(rnd.close_at, rnd.time_zone),
            started_by=rnd.started_by,
            closed=rnd.closed,
        )

    def open(self, request: OpenRound) -> RoundBrief:
        self.c.open(request)
        with self.c.locked(request.request.round_id) as rnd:
            return self.brief(rnd)

    def raters(self, page: RoundPage) -> RaterPage:
        """A page of raters, by id, each with whom they rate (a reminder's page: whom
        they still have to rate; its first page records the reminder)."""
        with self.c.locked(page.round_id) as rnd:
            tasks = rnd.tasks if page.reminder is None else rnd.pending()
            if page.reminder is not None and not page.after:
                with self.c._context(None, rnd.workflow_id, f"remind/{page.reminder}"):
                    changed = rnd.remind(
                        page.reminder, sorted({t.rater_id for t in tasks}), len(tasks)
                    )
                if changed:
                    self.s.store.assessments.save(rnd)
            label = local_label(rnd.deadline, rnd.time_zone)
        ratees: dict[str, list[str]] = defaultdict(list)
        for t in tasks:
            if t.rater_id > page.after:
                ratees[t.rater_id].append(t.ratee_id)
        chosen = sorted(ratees)[: page.limit + 1]
        more = len(chosen) > page.limit
        chosen = chosen[: page.limit]
        return RaterPage(
            raters=[RaterReminder(rater_id=r, ratees=ratees[r]) for r in chosen],
            next=chosen[-1] if more else None,
            deadline_label=label,
        )

    def pass_deadline(self, round_id: str) -> RoundBrief:
        with self.c.locked(round_id) as rnd:
            with self.c._context(None, rnd.workflow_id, "deadline"):
                changed = rnd.pass_deadline(len(rnd.pending()))
            if changed:
                self.s.store.assessments.save(rnd)
            return self.brief(rnd)

    def seal(self, page: SealPage) -> SealProgress:
        """Seals each person up to `upto` who has no profile yet with the ballots given
        (a retried page finds them sealed and changes nothing)."""
        with self.c.locked(page.round_id) as rnd:
            if not rnd.closed:
                model, version = self.c.model(rnd.model_key, rnd.model_version)
                ids = model.ids()
                sealed: dict[tuple[str, str], list[dict[str, RatingItem]]] = {}
                for key, ballots in page.ballots.items():
                    ratee, group = key.rsplit("/", 1)
                    sealed[ratee, group] = [b.ratings(ids) for b in ballots]
                todo = sorted(
                    (
                        r
                        for r in rnd.ratees
                        if r.employee_id not in rnd.profiles
                        and (page.upto is None or r.employee_id <= page.upto)
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
                    with self.c._context(None, rnd.workflow_id, step):
                        for r in todo:
                            self.c.seal_ratee(
                                rnd, model, version, r, by_ratee[r.employee_id], sealed
                            )
                    self.s.store.assessments.save(rnd)
            return SealProgress(profiles=len(rnd.profiles), ratees=len(rnd.ratees))

    def finish(self, request: FinishRound) -> RoundClosed:
        """Closes a round whose people are all sealed: the gap summary, the levels to the
        metric ledger. Idempotent."""
        with self.c.locked(request.round_id) as rnd:
            model, _ = self.c.model(rnd.model_key, rnd.model_version)
            if not rnd.closed:
                unsealed = [r.employee_id for r in rnd.ratees if r.employee_id not in rnd.profiles]
                if unsealed:
                    raise DomainError(
                        "round {round_id} cannot close: {count} people are not sealed yet",
                        round_id=rnd.round_id,
                        count=len(unsealed),
                    )
                batch, _ = self.c._ledger_rows(rnd, request.now)
                catalog = self.s.catalog()
                with self.c._context(None, rnd.workflow_id, "close"):
                    rnd.close(
                        rated=len(rnd.completed),
                        asked=len(rnd.tasks),
                        late=rnd.late,
                        gap_summary=gap_summary(
                            model, list(rnd.profiles.values()), labels=in_every_language
                        ),
                        ledger_batch=batch,
                        ledger_metrics=sorted(
                            {competency_metric(c) for c in model.ids()} & set(catalog.metrics)
                        ),
                    )
                self.s.store.assessments.save(rnd)
            batch, rows = self.c._ledger_rows(rnd, request.now)
            closed = RoundClosed(
                round_id=rnd.round_id,
                title=rnd.title,
                started_by=rnd.started_by,
                asked=len(rnd.tasks),
                rated=len(rnd.completed),
                late=rnd.late,
                gaps=gap_summary(model, list(rnd.profiles.values()), labels=in_every_language),
            )
        if rows:
            self.s.ingest.ingest(
                SYSTEM, rows, "jsonl", self.s.catalog(), f"round {request.round_id}", batch
            )
        return closed

    def notes(self, page: RoundPage) -> NotesPage:
        """A page of the people's results, by id."""
        with self.c.locked(page.round_id) as rnd:
            model, _ = self.c.model(rnd.model_key, rnd.model_version)
            ids = sorted(e for e in rnd.profiles if e > page.after)[: page.limit + 1]
            more = len(ids) > page.limit
            ids = ids[: page.limit]
            catalog = self.s.catalog()
            notes = [_profile_note(rnd, rnd.profiles[e], model, catalog) for e in ids]
        return NotesPage(notes=notes, next=ids[-1] if more else None)
