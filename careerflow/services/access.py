"""Row-level access rules: they live in `projections.visibility` (they are read-model
queries); re-exported here for the services, faces and tests that import them."""

from projections.visibility import (
    EVERYONE,
    PAY_FIELDS,
    can_see,
    pay_visible,
    redact_pay,
    reports_of,
    require_visible,
    sees_pay,
)

__all__ = [
    "EVERYONE",
    "PAY_FIELDS",
    "can_see",
    "pay_visible",
    "redact_pay",
    "reports_of",
    "require_visible",
    "sees_pay",
]
