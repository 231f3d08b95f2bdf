"""What-if: evaluate a draft criteria or potential-weights document against every active
employee before publishing it, beside the documents in force, on the same data; list
everyone whose eligibility or candidate-pool membership would change, and how the pool
moves. Nothing is published; the run is recorded as an audit action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.assessment import PolicySet, VersionedCriteria
from aggregates.base import DomainError
from aggregates.documents import PotentialWeights, PromotionCriteria
from aggregates.evaluation import candidate_pool
from aggregates.ladder import Role
from careerflow.principal import AccessRole, Principal
from projections.people import active_staff
from projections.readiness import assess_employees, latest_month, load_policy_set
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies
    from careerflow.audit.history import HistoryService

DRAFT_KINDS = ("potential_weights", "promotion_criteria")


class EmployeeChange(BaseModel):
    employee_id: str
    name: str
    team_id: str
    role: str
    score_now: float
    score_draft: float
    eligible_now: bool | None
    eligible_draft: bool | None
    in_pool_now: bool
    in_pool_draft: bool


class WhatIfReport(BaseModel):
    kind: str
    key: str
    in_force_version: int | None
    as_of_month: str | None
    employees: int
    pool_size_now: int
    pool_size_draft: int
    joined_pool: list[str]
    left_pool: list[str]
    eligible_now: int
    eligible_draft: int
    changes: list[EmployeeChange]
    """Everyone whose eligibility or pool membership changes."""


def what_if(
    policies: Policies,
    read_pool: ConnectionPool,
    history: HistoryService,
    principal: Principal,
    kind: str,
    key: str,
    draft: dict[str, Any],
) -> WhatIfReport:
    """`policies` validates the draft and checks it against those in force; the
    employees and their figures come from the read models in `read_pool`."""
    principal.require(
        AccessRole.hr,
        AccessRole.auditor,
        AccessRole.system,
        action=Message("evaluate draft policies"),
    )
    if kind not in DRAFT_KINDS:
        raise DomainError(
            "what-if evaluates {kinds} drafts, not {kind!r}",
            kinds=" or ".join(DRAFT_KINDS),
            kind=kind,
        )
    parsed = policies.validate(kind, key, draft)
    problems = policies.consistency_messages(parsed)
    if problems:
        raise DomainError(
            "the draft {kind}/{key} does not fit: {problems}",
            kind=kind,
            key=key,
            problems=problems,
        )
    with read_pool.connection() as raw:
        conn = cast(Connection[DictRow], raw)
        current = load_policy_set(conn)
        if current is None:
            raise DomainError("no metric catalog and potential weights are published yet")
        draft_set, in_force = _with_draft(current, parsed)
        as_of = latest_month(conn)
        staff = active_staff(conn)
        roles = {r["employee_id"]: Role(r["role"]) for r in staff}
        now = assess_employees(conn, current, roles, as_of)
        then = assess_employees(conn, draft_set, roles, as_of)
    pool_now = set(
        candidate_pool(
            {e: a.potential.total for e, a in now.items()}, current.weights.pool_top_fraction
        )
    )
    pool_draft = set(
        candidate_pool(
            {e: a.potential.total for e, a in then.items()}, draft_set.weights.pool_top_fraction
        )
    )
    changes: list[EmployeeChange] = []
    for row in staff:
        e = row["employee_id"]
        a, b = now[e], then[e]
        eligible_a = a.evaluation.eligible if a.evaluation else None
        eligible_b = b.evaluation.eligible if b.evaluation else None
        if eligible_a != eligible_b or (e in pool_now) != (e in pool_draft):
            changes.append(
                EmployeeChange(
                    employee_id=e,
                    name=row["name"],
                    team_id=row["team_id"],
                    role=row["role"],
                    score_now=a.potential.total,
                    score_draft=b.potential.total,
                    eligible_now=eligible_a,
                    eligible_draft=eligible_b,
                    in_pool_now=e in pool_now,
                    in_pool_draft=e in pool_draft,
                )
            )
    report = WhatIfReport(
        kind=kind,
        key=key,
        in_force_version=in_force,
        as_of_month=as_of,
        employees=len(staff),
        pool_size_now=len(pool_now),
        pool_size_draft=len(pool_draft),
        joined_pool=sorted(pool_draft - pool_now),
        left_pool=sorted(pool_now - pool_draft),
        eligible_now=sum(1 for a in now.values() if a.evaluation and a.evaluation.eligible),
        eligible_draft=sum(1 for b in then.values() if b.evaluation and b.evaluation.eligible),
        changes=changes,
    )
    history.record(
        principal,
        "what-if",
        f"{kind}/{key}",
        f"{len(changes)} changes; pool {len(pool_now)} -> {len(pool_draft)}",
    )
    return report


def _with_draft(current: PolicySet, draft: BaseModel) -> tuple[PolicySet, int | None]:
    if isinstance(draft, PotentialWeights):
        return current.model_copy(update={"weights": draft}), current.weights_version
    assert isinstance(draft, PromotionCriteria)
    existing = current.criteria.get(draft.target_role)
    criteria = dict(current.criteria)
    # The draft has no version yet: the one it would get.
    version = (existing.version if existing else 0) + 1
    criteria[draft.target_role] = VersionedCriteria(version=version, document=draft)
    return current.model_copy(update={"criteria": criteria}), (
        existing.version if existing else None
    )
