"""Row-level access rules, answered from the read model: employees see themselves,
managers their reports (transitively), HR and auditors everyone. Pay (bonus and
commission figures) has one narrower rule, `sees_pay`, that every face applies: the
cycles' reads, the audit histories, time travel, re-evaluation, exports and pages."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow

from aggregates.not_found import employee_not_visible
from careerflow.principal import AccessRole, Principal

EVERYONE = (AccessRole.hr, AccessRole.auditor, AccessRole.system)

# A manager's team: their direct reports, and theirs in turn unless the access_rules
# document in force says "direct" (read in the same query: no second round trip).
_REPORTS_SQL = """
WITH RECURSIVE scope AS (
    SELECT COALESCE(
        (SELECT document->>'manager_scope' FROM rm_policy
         WHERE kind = 'access_rules' AND key = 'default' ORDER BY version DESC LIMIT 1),
        'transitive'
    ) AS manager_scope
), chain AS (
    SELECT employee_id FROM rm_employee WHERE manager_id = %(manager)s
    UNION
    SELECT e.employee_id FROM rm_employee e JOIN chain c ON e.manager_id = c.employee_id
    WHERE (SELECT manager_scope FROM scope) = 'transitive'
)
SELECT employee_id FROM chain
"""


# The same, as a subquery another query can join on (`%(manager)s` is the manager's id).
REPORTS_SQL = _REPORTS_SQL


def reports_of(conn: Connection[DictRow], manager_id: str) -> set[str]:
    return {r["employee_id"] for r in conn.execute(_REPORTS_SQL, {"manager": manager_id})}


def visible_sql(principal: Principal, column: str) -> tuple[str, dict[str, Any]]:
    """`can_see` as a condition on `column` (an employee id) in the caller's own query, so
    a list is filtered by the database in one round trip instead of one check per row."""
    if principal.role in EVERYONE:
        return "TRUE", {}
    if principal.role == AccessRole.manager:
        chain = _REPORTS_SQL.replace("%(manager)s", "%(visible_me)s")
        return (
            f"({column} = %(visible_me)s OR {column} IN ({chain}))",
            {"visible_me": principal.person_id},
        )
    return f"{column} = %(visible_me)s", {"visible_me": principal.person_id}


def can_see(conn: Connection[DictRow], principal: Principal, employee_id: str) -> bool:
    if principal.role in EVERYONE:
        return True
    if principal.person_id == employee_id:
        return True
    if principal.role == AccessRole.manager:
        return employee_id in reports_of(conn, principal.person_id)
    return False


def require_visible(conn: Connection[DictRow], principal: Principal, employee_id: str) -> None:
    """Unknown and not-allowed look the same, so nobody learns who exists."""
    row = conn.execute(
        "SELECT 1 FROM rm_employee WHERE employee_id = %s", (employee_id,)
    ).fetchone()
    if row is None or not can_see(conn, principal, employee_id):
        raise employee_not_visible(employee_id)


# The parts of a bonus or commission result that are pay: the money, whether the sales
# target was met, the sales figures it was computed from and its derivation. The rule
# version and the currency stay, so an auditor can still say which rules were used.
PAY_FIELDS = ("amount", "target_met", "inputs", "lines")


def sees_pay(principal: Principal, employee_id: str, team: Callable[[], Collection[str]]) -> bool:
    """Pay is for the person, their manager chain and HR; nobody else (auditors, other
    reps, integrations, the engine's own reads) sees a figure. `team` gives the people a
    manager may see, asked only for a manager."""
    if principal.role == AccessRole.hr:
        return True
    if principal.role in (AccessRole.employee, AccessRole.manager):
        if principal.person_id == employee_id:
            return True
        if principal.role == AccessRole.manager:
            return employee_id in team()
    return False


def pay_visible(conn: Connection[DictRow], principal: Principal, employee_id: str) -> bool:
    """`sees_pay` with the manager's team from the read model."""
    return sees_pay(principal, employee_id, lambda: reports_of(conn, principal.person_id))


def redact_pay(figures: Any) -> Any:
    """A bonus or commission result (as JSON) without its pay fields (each None)."""
    if not isinstance(figures, dict):
        return figures
    return {k: (None if k in PAY_FIELDS else v) for k, v in figures.items()}
