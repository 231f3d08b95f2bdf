"""The dashboards: server-rendered pages on the API's app, one per role, drawn from the
read models (never workflow queries) through the query services the API and the CLI use.

A person signs in by pasting the token HR issued; it is kept in an HttpOnly,
SameSite=Strict cookie, which the API's auth reads as well. Every form carries a CSRF
token (double-submit: a random value in a second cookie and in the form, compared on
post). Not signed in: a redirect to the login page; refused or unknown: a page that
says why. Actions go through the same process services as the API and the CLI.

Pages speak Simplified Chinese or English (careerflow.api.i18n: gettext catalogues, one
Jinja environment per language): the language switch's cookie, else the person's
employee profile, else the browser's Accept-Language, else Chinese. Numbers, money and
dates follow the language; times are shown in the company's time zone (the
promotion_process document's). Engine messages are said in the page's language when shown.

    /login, /logout                  sign in with a token / sign out
    /lang/{zh|en}?next=…             the language switch (a cookie), back to the page
    /                                 the caller's dashboard, by role
    /employee[/{employee_id}]         potential, distance to the next role, the week (and
                                      the plan form while the week takes one), expected
                                      pay, plan progress, applications, inbox
    POST /employee/plan               the rep submits the week's plan (the cycle workflow)
    /manager                          team board, approvals (SLA clock, decide form),
                                      who lags, candidate pool, plans at risk
    /hr                               pipeline by stage and age, cycle times, pool,
                                      returned applications, criteria versions
    /hr/months[/{month}[/close]]      the months, a month's close previewed, confirmed
                                      and followed (HR; auditors read)
    /audit, /audit/{kind}/{id}        applications, cycles, month closes, plans, support
                                      requests and 360° rounds, filtered by kind, person
                                      and dates, each with its ordered history and its
                                      exports (read-only; every view is recorded)
    /applications/{application_id}    one application's status and timeline (the
                                      applicant withdraws or resubmits there)
    /promotion, POST /promotion/apply the rep's readiness and gaps, the application for
                                      the next role, their applications
    /manifest.webmanifest, /sw.js,   the installable app: manifest, service worker (the
    /offline                          shell and static files only) and its offline page

One module per screen family (session, shell, employee, manager, hr, audit, applications)
on the plumbing they share: rendering (templates, language, CSRF cookie, the error page),
guard (PageRoute, the router, the caller, the CSRF check), reads (services, published
documents) and views (the week, charts, the SLA clock).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from careerflow.api.errors import LANG_COOKIE
from careerflow.api.pages.guard import PageRoute, router
from careerflow.api.pages.rendering import STATIC, TEMPLATE_SETS, TEMPLATES

# The screens add their routes to the router, in this order.
# isort: off
from careerflow.api.pages import audit_tools  # noqa: F401  (before audit's /audit/{kind}/…)
from careerflow.api.pages import session, shell, employee, manager, hr, audit  # noqa: F401
from careerflow.api.pages import applications  # noqa: F401
from careerflow.api.pages import tokens  # noqa: F401
from careerflow.api.pages import cycle_reports, goals, sla  # noqa: F401
from careerflow.api.pages import uploads  # noqa: F401
from careerflow.api.pages import policies  # noqa: F401
from careerflow.api.pages import people  # noqa: F401
from careerflow.api.pages import week  # noqa: F401
from careerflow.api.pages import inbox, plans  # noqa: F401
from careerflow.api.pages import support  # noqa: F401
from careerflow.api.pages import promotion  # noqa: F401
from careerflow.api.pages import rounds, team_360  # noqa: F401
from careerflow.api.pages import team_plans  # noqa: F401
from careerflow.api.pages import assessments  # noqa: F401
from careerflow.api.pages import team_week, team_alerts  # noqa: F401
from careerflow.api.pages import hr_applications  # noqa: F401
from careerflow.api.pages import org_import  # noqa: F401
from careerflow.api.pages import cycle_launch  # noqa: F401
from careerflow.api.pages import months  # noqa: F401
from careerflow.api.pages import problems
# isort: on

__all__ = ["LANG_COOKIE", "TEMPLATES", "TEMPLATE_SETS", "PageRoute", "mount", "router"]


def mount(app: FastAPI) -> None:
    """Adds the pages and their static files (CSS, JS, icons, the vendored chart library)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(router)
    # A browser asking for an unknown page gets the error page, not JSON (errors.py).
    app.state.not_found_page = problems.not_found_page
