"""Promotion applications: status, timeline and the inputs of HR's pipeline views."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.promotion import PromotionApplication
from projections.base import TimelineHandlers, event_of, handles


class PromotionsProjection(TimelineHandlers):
    name = "promotions_projection"
    owned_tables: ClassVar[list[str]] = ["rm_application", "rm_application_step"]
    aggregates = (PromotionApplication,)

    # -- application row ---------------------------------------------------------------
    @handles(event_of(PromotionApplication, "Started"))
    def _Started(self, curs: Cursor[DictRow], e: Any) -> None:
        curs.execute(
            SQL(
                "INSERT INTO {0} (application_id, aggregate_id, workflow_id, employee_id, "
                "from_role, target_role, stage, round, started_by, started_at, stage_since) "
                "VALUES (%s, %s, %s, %s, %s, %s, 'reporting', 0, %s, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ).format(self.view.table("rm_application")),
            (
                e.application_id,
                e.originator_id,
                e.workflow_id,
                e.employee_id,
                str(e.from_role),
                str(e.target_role),
                e.started_by,
                e.timestamp,
                e.timestamp,
            ),
        )

    @handles(event_of(PromotionApplication, "Submitted"))
    def _Submitted(self, curs: Cursor[DictRow], e: Any) -> None:
        a = e.report.assessment
        evaluation = a.evaluation
        self._update(
            curs,
            e,
            "stage = 'manager_review', round = %s, manager_id = %s, eligible = %s, score = %s, "
            "evaluation = %s, unmet = %s, policy_versions = %s, decided_at = NULL",
            (
                e.round,
                e.report.manager_id,
                evaluation.eligible if evaluation else None,
                a.potential.total,
                Jsonb(evaluation.model_dump(mode="json")) if evaluation else None,
                Jsonb(
                    [r.model_dump(mode="json") for r in evaluation.unmet()] if evaluation else []
                ),
                Jsonb(a.policy_versions),
            ),
        )

    @handles(event_of(PromotionApplication, "ManagerDecided"))
    def _ManagerDecided(self, curs: Cursor[DictRow], e: Any) -> None:
        if e.approve:
            self._update(curs, e, "stage = 'hr_review'", ())
        else:
            self._update(curs, e, "stage = 'rejected', decided_at = %s", (e.timestamp,))

    @handles(event_of(PromotionApplication, "Returned"))
    def _Returned(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(
            curs,
            e,
            "stage = 'returned', returned_count = returned_count + 1, unmet = %s",
            (Jsonb([r.model_dump(mode="json") for r in e.unmet]),),
        )

    @handles(event_of(PromotionApplication, "HrConfirmed"))
    def _HrConfirmed(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "stage = 'approved', decided_at = %s", (e.timestamp,))

    @handles(event_of(PromotionApplication, "HrOverridden"))
    def _HrOverridden(self, curs: Cursor[DictRow], e: Any) -> None:
        stage = "approved" if e.approve else "declined"
        self._update(curs, e, "stage = %s, decided_at = %s", (stage, e.timestamp))

    @handles(event_of(PromotionApplication, "Withdrawn"))
    def _Withdrawn(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "stage = 'withdrawn', decided_at = %s", (e.timestamp,))

    @handles(event_of(PromotionApplication, "Announced"))
    def _Announced(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "effective_date = %s", (e.effective_date,), stage_change=False)

    @handles(event_of(PromotionApplication, "Promoted"))
    def _Promoted(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "stage = 'promoted'", ())

    def _update(
        self,
        curs: Cursor[DictRow],
        e: Any,
        assignments: str,
        params: tuple[Any, ...],
        stage_change: bool = True,
    ) -> None:
        since = ", stage_since = %s" if stage_change else ""
        curs.execute(
            SQL("UPDATE {0} SET " + assignments + since + " WHERE aggregate_id = %s").format(
                self.view.table("rm_application")
            ),
            (*params, *((e.timestamp,) if stage_change else ()), e.originator_id),
        )

    # -- timeline ----------------------------------------------------------------------
    def step(self, curs: Cursor[DictRow], e: Any, kind: str) -> None:
        comment = getattr(e, "comment", None) or getattr(e, "reason", None) or e.meta.reason
        detail: dict[str, Any] = {}
        for field in ("approve", "as_hr", "recipients", "effective_date", "role", "key"):
            if hasattr(e, field):
                value = getattr(e, field)
                detail[field] = value.isoformat() if hasattr(value, "isoformat") else value
        if kind == "Returned":
            # Messages, said in the reader's language when read (promotion_queries).
            detail["unmet"] = [r.message(verbose=True).to_json() for r in e.unmet]
        if kind == "Submitted" and e.report.assessment.evaluation is not None:
            detail["eligible"] = e.report.assessment.evaluation.eligible
            detail["policy_versions"] = e.report.assessment.policy_versions
        curs.execute(
            SQL(
                "INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(self.view.table("rm_application_step")),
            (
                self._application_id(curs, e),
                e.originator_version,
                e.timestamp,
                kind,
                e.meta.actor,
                e.meta.role,
                getattr(e, "round", None),
                comment,
                Jsonb(detail),
            ),
        )

    def _application_id(self, curs: Cursor[DictRow], e: Any) -> str:
        if hasattr(e, "application_id"):
            return str(e.application_id)
        curs.execute(
            SQL("SELECT application_id FROM {0} WHERE aggregate_id = %s").format(
                self.view.table("rm_application")
            ),
            (e.originator_id,),
        )
        row = curs.fetchone()
        assert row is not None, "an application's first event is Started"
        return str(row["application_id"])
