"""The pages each role reaches from the header, in order: entries inline on a desktop,
related pages grouped under a label (a menu), and all of them in one menu on a phone
(base.html). A screen adds its entry here."""

from __future__ import annotations

from typing import NamedTuple

from careerflow.api.i18n import N_
from careerflow.principal import AccessRole, Principal

Link = tuple[str, str]
"""(path, label): the label is a msgid, said in the page's language by the template."""


class Section(NamedTuple):
    """Links drawn together: without a label inline in the header, with one as a menu
    under that label (a desktop header holds six or seven entries, not sixteen)."""

    label: str | None
    links: list[Link]


def _one(path: str, label: str) -> Section:
    return Section(None, [(path, label)])


_MY_PAGE = _one("/employee", N_("My page"))
_INBOX = _one("/inbox", N_("Inbox"))
_HR = _one("/hr", N_("HR"))
_PEOPLE: Link = ("/people", N_("People"))
_APPLICATIONS: Link = ("/hr/applications", N_("Applications"))
_ANY_TEAM: Link = ("/team/week", N_("Team weeks"))  # HR and auditors pick a manager
_ROUNDS: Link = ("/hr/assessments", N_("360° rounds"))
_REPORTS = Section(
    N_("Overviews"),
    [
        ("/hr/cycles", N_("Weekly cycles")),
        ("/hr/months", N_("Month close")),
        ("/hr/goals", N_("Goals")),
        ("/hr/support", N_("Support SLA")),
    ],
)
_POLICIES: Link = ("/hr/policies", N_("Policies"))
_TOKENS: Link = ("/hr/tokens", N_("Tokens"))
_AUDIT = Section(N_("Audit"), [("/audit", N_("Audit trail")), ("/audit/tools", N_("Audit tools"))])

SECTIONS: dict[AccessRole, list[Section]] = {
    AccessRole.employee: [
        _MY_PAGE,
        _one("/week", N_("My week")),
        _one("/pay", N_("My pay")),
        _one("/promotion", N_("My promotion")),
        _one("/support", N_("Support")),
        _one("/assessments", N_("360° assessments")),
        _INBOX,
    ],
    AccessRole.manager: [
        _MY_PAGE,
        _one("/manager", N_("My team")),
        Section(
            N_("Team"),
            [
                ("/team/week", N_("Team week")),
                ("/team/alerts", N_("Alerts")),
                ("/team/plans", N_("Team plans")),
                ("/team/assessments", N_("Team 360°")),
                ("/team/support", N_("Team support")),
            ],
        ),
        Section(None, [_PEOPLE]),
        _one("/assessments", N_("360° assessments")),
        _INBOX,
    ],
    AccessRole.hr: [
        _HR,
        Section(
            N_("People and promotions"),
            [
                _PEOPLE,
                _APPLICATIONS,
                ("/hr/plans/new", N_("Start a plan")),
                _ANY_TEAM,
                _ROUNDS,
            ],
        ),
        _REPORTS,
        Section(
            N_("Data and settings"),
            [
                _POLICIES,
                ("/hr/metrics", N_("Upload metrics")),
                ("/hr/import", N_("Import organisation")),
                _TOKENS,
            ],
        ),
        _AUDIT,
        _INBOX,
    ],
    AccessRole.auditor: [
        _HR,
        Section(N_("People and promotions"), [_PEOPLE, _APPLICATIONS, _ANY_TEAM, _ROUNDS]),
        _REPORTS,
        Section(N_("Data and settings"), [_POLICIES, _TOKENS]),
        _AUDIT,
        _INBOX,
    ],
}

NAV: dict[AccessRole, list[Link]] = {
    role: [link for section in sections for link in section.links]
    for role, sections in SECTIONS.items()
}
"""Every role's links in header order, flat (the phone menu lists them all)."""


def sections(caller: Principal | None) -> list[Section]:
    """The header's entries for the person signed in (none before signing in)."""
    return SECTIONS.get(caller.role, []) if caller is not None else []


def links(caller: Principal | None) -> list[Link]:
    """The header's links for the person signed in (none before signing in)."""
    return NAV.get(caller.role, []) if caller is not None else []


def current(path: str, links: list[Link]) -> str | None:
    """The link the page at `path` belongs to: the longest one that prefixes it."""
    found = [p for p, _ in links if path == p or path.startswith(p.rstrip("/") + "/")]
    return max(found, key=len) if found else None
