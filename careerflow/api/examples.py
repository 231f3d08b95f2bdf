"""Examples for the OpenAPI document: one request body per request model (by its
component name) and answers for the commonest response models. careerflow/api/docs.py
puts them into /openapi.json; tests/api/test_api_docs.py validates each request example
against its model, so an example that drifts from the model fails there."""

from __future__ import annotations

from typing import Any

_DOCUMENT_NOTE = (
    "the whole policy document as JSON (the current version's shape: "
    "GET /api/v1/policies/{kind}/{key})"
)
_CRITERIA = {
    "role": "sales_supervisor",
    "criteria": [
        {"metric": "sales_target_rate", "op": ">=", "threshold": 100, "months": 6},
    ],
    "note": _DOCUMENT_NOTE,
}

REQUEST_EXAMPLES: dict[str, Any] = {
    "StartApplication": {"employee_id": "E00001", "target_role": "senior_sales_rep"},
    "ManagerDecisionIn": {
        "approve": True,
        "comment": "Ready: targets met two quarters running",
        "command_id": "3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54",
    },
    "WithdrawalIn": {"reason": "Applying again after the next quarter", "command_id": None},
    "HrReviewIn": {
        "outcome": "override_decline",
        "reason": "Open compliance finding on two contracts",
        "command_id": None,
    },
    "Draft": {"document": _CRITERIA},
    "DraftRequest": {"document": _CRITERIA},
    "PublishRequest": {"document": _CRITERIA, "note": "Sales target over six months"},
    "ConfirmMilestoneIn": {"comment": "Course certificate seen"},
    "AdjustPlanIn": {
        "action": "move",
        "reason": "Course moved to the spring session",
        "milestone_id": "m2",
        "due_month": 5,
    },
    "StartPlanIn": {"employee_id": "E00001", "effective_date": "2026-12-01", "role": None},
    "PlanBody": {"items": {"customer_visits": 10, "new_customers": 4, "sales_amount": 25000}},
    "FeedbackBody": {
        "text": "Good week; more new customers",
        "next_plan": {"customer_visits": 12, "new_customers": 5, "sales_amount": 30000},
    },
    "LaunchBody": {"kind": "week", "period": "2026-W49"},
    "TokenRequest": {"person_id": "E00001", "role": "employee", "label": "phone", "days": 90},
    "RevokeRequest": {"reason": "Phone lost"},
    "RaiseBody": {
        "category": "product",
        "text": "The client needs a customised service: when can the product team answer?",
        "customer": "Huaxin Trading",
        "request_id": None,
    },
    "AnswerBody": {"text": "Yes: the product team can deliver in three weeks"},
    "ReopenBody": {"reason": "The answer does not cover the installation"},
    "RoundBody": {
        "round_id": "2026-H2",
        "title": "Second half 2026",
        "employee_ids": [],
        "team_id": "T-NORTH",
        "deadline": "2026-12-20T18:00:00+08:00",
        "anonymous": ["peers", "reports"],
        "model_key": "default",
    },
    "RatingBody": {
        "ratings": {
            "customer_insight": {"level": 4},
            "relationship_maintenance": {"level": 3},
            "resource_coordination": {"level": 2, "comment": "involve product earlier"},
        }
    },
    "VerifyRequest": {
        "anchors": {
            "3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54": {
                "position": 7,
                "head": "9b74c9897bac770ffc029102a200c5de",
            }
        }
    },
    "CodecPayloads": {
        "payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAEC"}]
    },
    "LanguageIn": {"language": "en"},
    "OrgImport": {
        "organisation": "Acme Sales",
        "teams": [
            {"team_id": "T-NORTH", "name": "North", "manager_id": "M001", "parent_team_id": None}
        ],
        "employees": [
            {
                "employee_id": "E00001",
                "name": "Li Wei",
                "role": "sales_rep",
                "team_id": "T-NORTH",
                "manager_id": "M001",
                "hire_date": "2024-03-01",
                "email": "li.wei@example.com",
                "locale": "zh",
            }
        ],
    },
}

_VERIFY_ID = "audit-verify-3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54"

RESPONSE_EXAMPLES: dict[str, Any] = {
    "StartedApplicationOut": {
        "application_id": "3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54",
        "workflow_id": "promotion-3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54",
        "employee_id": "E00001",
        "target_role": "senior_sales_rep",
    },
    "ApplicationStatus": {
        "application_id": "3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54",
        "workflow_id": "promotion-3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54",
        "employee_id": "E00001",
        "stage": "hr_review",
        "round": 1,
        "manager_id": "M001",
        "command_id": "9d2e4f60-1a3b-4c5d-8e7f-0a1b2c3d4e5f",
    },
    "IssuedToken": {
        "token": "cf_4k9x2m7q1p3z.Jb6vWm0T2yQe8rLs5nHd",
        "token_id": "4k9x2m7q1p3z",
        "person_id": "E00001",
        "role": "employee",
        "expires_at": "2027-03-05T00:00:00Z",
    },
    "Revoked": {"token_id": "4k9x2m7q1p3z", "revoked": True, "already_revoked": False},
    "Me": {"person_id": "E00001", "role": "employee"},
    "ProfilesPage": {
        "items": [
            {
                "round_id": "2026-q4-big-client",
                "title": "Big-client competencies Q4",
                "closed_at": "2026-12-16T10:00:00Z",
                "gaps": 1,
            }
        ],
        "total": 3,
        "limit": 1,
        "next_cursor": (
            "WyJwcm9maWxlcyIsIjIwMjYtMTItMTZUMTA6MDA6MDArMDA6MDAiLCIyMDI2LXE0LWJpZy1jbGllbnQiXQ"
        ),
    },
    "VerifyStarted": {
        "verify_id": _VERIFY_ID,
        "status_url": f"/api/v1/audit/verifications/{_VERIFY_ID}",
    },
    "VerifyStatus": {
        "verify_id": _VERIFY_ID,
        "state": "running",
        "checked": 1200,
        "total": 4800,
        "report": None,
        "percent": 25,
    },
    # Every list answers a page: `items`, the `total` matching the filters, the `limit`
    # and the `next_cursor` to give back as `cursor` (None on the last page).
    "TeamMembers": {
        "items": [
            {
                "employee_id": "E00001",
                "name": "Li Wei",
                "role": "sales_rep",
                "manager_id": "M001",
                "hire_date": "2024-03-01",
            }
        ],
        "total": 12,
        "limit": 1,
        "next_cursor": "WyJ0ZWFtLW1lbWJlcnMiLCJFMDAwMDEiXQ",
        "team_id": "T-NORTH",
        "name": "North",
        "manager_id": "M001",
        "parent_team_id": None,
    },
    "Directory": {
        "items": [
            {
                "employee_id": "E00001",
                "name": "Li Wei",
                "role": "sales_rep",
                "team_id": "T-NORTH",
                "team_name": "North",
                "region_id": "R-EAST",
                "region_name": "East",
                "manager_id": "M001",
                "manager_name": "Zhang Min",
                "score": 7.4,
                "eligible": True,
                "next_role": "senior_sales_rep",
                "in_pool": True,
            }
        ],
        "total": 240,
        "limit": 1,
        "offset": 0,
        "next_cursor": "WyJkaXJlY3RvcnkiLCJMaSBXZWkiLCJFMDAwMDEiLDFd",
    },
    "TeamBoardPage": {
        "items": [
            {
                "employee_id": "E00001",
                "name": "Li Wei",
                "has_cycle": True,
                "planned": True,
                "plan_source": "submitted",
                "reported": False,
                "met": 1,
                "total": 3,
                "behind": ["customer_visits", "sales_amount"],
                "lagging": True,
                "feedback": "pending",
            }
        ],
        "total": 8,
        "limit": 1,
        "next_cursor": "WyJ0ZWFtLWJvYXJkIiwiRTAwMDAxIl0",
        "manager_id": "M001",
        "week": "2026-W48",
        "totals": {"reps": 8, "with_cycle": 8, "planned": 6, "submitted": 5, "agreed": 1},
    },
    "CompletionPage": {
        "items": [
            {
                "team_id": "T-NORTH",
                "team_name": "North",
                "cycles": 8,
                "plans_submitted": 5,
                "plans_agreed": 1,
                "plans_defaulted": 2,
                "reports_built": 8,
                "feedback_given": 7,
                "feedback_missed": 1,
                "submitted_share": 0.625,
                "agreed_share": 0.125,
                "defaulted_share": 0.25,
                "reported_share": 1.0,
                "feedback_given_share": 0.875,
                "feedback_missed_share": 0.125,
                "feedback_pending_share": 0.0,
            }
        ],
        "total": 30,
        "limit": 1,
        "next_cursor": "WyJjb21wbGV0aW9uIiwiVC1OT1JUSCJd",
        "week": "2026-W48",
        "overall": {"cycles": 240, "plans_submitted": 180, "submitted_share": 0.75},
    },
}
