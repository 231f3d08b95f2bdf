"""The pages each role reaches from the header, in order: one list, drawn inline on a
desktop and as a menu on a phone (base.html). A screen adds its entry here."""

from __future__ import annotations

from careerflow.api.i18n import N_
from careerflow.principal import AccessRole, Principal

Link = tuple[str, str]
"""(path, label): the label is a msgid, said in the page's language by the template."""

_REP: list[Link] = [("/employee", N_("My page"))]
_REP_ONLY: list[Link] = [
    ("/week", N_("My week")),
    ("/pay", N_("My pay")),
    ("/promotion", N_("My promotion")),
]
_MANAGER: list[Link] = [("/manager", N_("My team"))]
_TEAM_WEEK: list[Link] = [
    ("/team/week", N_("Team week")),
    ("/team/alerts", N_("Alerts")),
]
_HR: list[Link] = [("/hr", N_("HR"))]
_APPLICATIONS: list[Link] = [("/hr/applications", N_("Applications"))]
_AUDIT: list[Link] = [("/audit", N_("Audit trail"))]
_AUDIT_TOOLS: list[Link] = [("/audit/tools", N_("Audit tools"))]
_TOKENS: list[Link] = [("/hr/tokens", N_("Tokens"))]
_UPLOADS: list[Link] = [("/hr/metrics", N_("Upload metrics"))]
_ORG_IMPORT: list[Link] = [("/hr/import", N_("Import organisation"))]
_POLICIES: list[Link] = [("/hr/policies", N_("Policies"))]
_INBOX: list[Link] = [("/inbox", N_("Inbox"))]
_SUPPORT: list[Link] = [("/support", N_("Support"))]
_TEAM_SUPPORT: list[Link] = [("/team/support", N_("Team support"))]
_ASSESSMENTS: list[Link] = [("/assessments", N_("360° assessments"))]
_PEOPLE: list[Link] = [("/people", N_("People"))]
_ROUNDS: list[Link] = [("/hr/assessments", N_("360° rounds"))]
_TEAM_360: list[Link] = [("/team/assessments", N_("Team 360°"))]
_TEAM_PLANS: list[Link] = [("/team/plans", N_("Team plans"))]
_START_PLAN: list[Link] = [("/hr/plans/new", N_("Start a plan"))]
_ANY_TEAM: list[Link] = [("/team/week", N_("Team weeks"))]  # HR and auditors pick a manager
_REPORTS: list[Link] = [
    ("/hr/cycles", N_("Weekly cycles")),
    ("/hr/goals", N_("Goals")),
    ("/hr/support", N_("Support SLA")),
]

NAV: dict[AccessRole, list[Link]] = {
    AccessRole.employee: [*_REP, *_REP_ONLY, *_SUPPORT, *_ASSESSMENTS, *_INBOX],
    AccessRole.manager: [
        *_REP,
        *_MANAGER,
        *_TEAM_WEEK,
        *_PEOPLE,
        *_TEAM_PLANS,
        *_TEAM_360,
        *_ASSESSMENTS,
        *_TEAM_SUPPORT,
        *_INBOX,
    ],
    AccessRole.hr: [
        *_HR,
        *_APPLICATIONS,
        *_PEOPLE,
        *_START_PLAN,
        *_REPORTS,
        *_ANY_TEAM,
        *_ROUNDS,
        *_POLICIES,
        *_UPLOADS,
        *_ORG_IMPORT,
        *_TOKENS,
        *_AUDIT,
        *_AUDIT_TOOLS,
        *_INBOX,
    ],
    AccessRole.auditor: [
        *_HR,
        *_APPLICATIONS,
        *_PEOPLE,
        *_REPORTS,
        *_ANY_TEAM,
        *_ROUNDS,
        *_POLICIES,
        *_TOKENS,
        *_AUDIT,
        *_AUDIT_TOOLS,
        *_INBOX,
    ],
}


def links(caller: Principal | None) -> list[Link]:
    """The header's links for the person signed in (none before signing in)."""
    return NAV.get(caller.role, []) if caller is not None else []


def current(path: str, links: list[Link]) -> str | None:
    """The link the page at `path` belongs to: the longest one that prefixes it."""
    found = [p for p, _ in links if path == p or path.startswith(p.rstrip("/") + "/")]
    return max(found, key=len) if found else None
