"""The dashboards on the real stack (PostgreSQL, read models, the Temporal dev server and a
worker), called over ASGI like a browser would: sign in with a token (cookie), each
role's page with their data and without anyone else's, 401 → the login page, 403/404
pages with their reason, CSRF refusal, the rep's weekly plan and the manager's decision
from the dashboard; the language (switch, profile, browser), Chinese and English with
their formats and the company's time zone; the installable app's manifest, service
worker and offline page."""

from __future__ import annotations

import html as markup
import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from careerflow.api import i18n
from careerflow.api.pages import LANG_COOKIE
from careerflow.principal import AccessRole
from tests.api.conftest import ApiStack
from tests.api.site import assert_parts_sum_to_the_score, browser, signed_in, web_app
from tests.api.site import csrf_of as csrf_of
from tests.browser.support import HR, NAMES, Arranged, arrange, next_week, open_running_week

FORM_ACTION = re.compile(r'<form[^>]*action="([^"]*)"')


@dataclass
class Site:
    api: ApiStack
    app: FastAPI
    arranged: Arranged

    @property
    def application_id(self) -> str:
        return self.arranged.application_id

    def client(self, lang: str | None = "en", **headers: str) -> httpx.AsyncClient:
        """A browser-like client; `lang` is the language switch's cookie (None: never
        switched, so the profile or the browser's Accept-Language decides)."""
        return browser(self.app, lang, **headers)

    def session(
        self, who: str, lang: str | None = "en", **headers: str
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """A browser-like client signed in through the login form."""
        return signed_in(self.app, self.api, who, lang, **headers)


def text(page: httpx.Response) -> str:
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return markup.unescape(page.text)


@pytest.fixture(scope="module")
async def site(api: ApiStack) -> Site:
    arranged = await arrange(api.services, api.read_models, api.temporal, api.queue)
    return Site(api, web_app(api), arranged)


async def test_not_signed_in_goes_to_the_login_page(site: Site) -> None:
    async with site.client() as client:
        for path in ("/", "/employee", "/manager", "/hr", "/audit", "/employee/E1"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login"), path
        deep = await client.get("/employee/E1?week=2026-W01")
        assert deep.headers["location"] == "/login?next=%2Femployee%2FE1%3Fweek%3D2026-W01"
        page = await client.get(deep.headers["location"])
        assert page.status_code == 200
        assert 'name="next" value="/employee/E1?week=2026-W01"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        # A stale cookie is dropped and explained.
        client.cookies.set("careerflow_token", "cf_000000000000.not-a-real-secret-at-all")
        stale = await client.get("/employee")
        assert stale.headers["location"] == "/login?next=%2Femployee&reason=expired"
        assert "no longer accepted" in (await client.get(stale.headers["location"])).text


async def test_login_sets_a_strict_http_only_cookie_and_logout_clears_it(site: Site) -> None:
    async with site.client() as client:
        login = await client.get("/login")
        assert "careerflow_csrf" in login.headers["set-cookie"]
        token = site.api.tokens["employee:E1"]

        bad = await client.post("/login", data={"token": "nonsense", "csrf": csrf_of(login)})
        assert bad.status_code == 401 and "malformed token" in bad.text

        robot = await client.post(
            "/login", data={"token": site.api.tokens["integration:crm"], "csrf": csrf_of(login)}
        )
        assert robot.status_code == 403 and "tokens are for the API" in robot.text

        good = await client.post(
            "/login",
            data={"token": token, "csrf": csrf_of(login), "next": "https://evil.example/"},
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/"  # never off the site
        cookies = good.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("careerflow_token="))
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        assert "careerflow_csrf=" in " ".join(cookies)  # a new form token for the session

        home = await client.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/employee"
        page = await client.get("/employee")
        assert page.status_code == 200 and NAMES["E1"] in page.text
        # The API reads the same cookie.
        me = await client.get("/api/v1/me")
        assert me.json() == {"person_id": "E1", "role": "employee"}

        out = await client.post("/logout", data={"csrf": csrf_of(page)})
        assert out.status_code == 303 and out.headers["location"] == "/login?reason=out"
        assert "careerflow_token" not in client.cookies
        again = await client.get("/employee")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_the_employee_sees_their_own_dashboard_and_nobody_else(site: Site) -> None:
    async with site.session("employee:E1") as client:
        page = await client.get("/employee")
        assert page.status_code == 200
        html = page.text
        assert NAMES["E1"] in html
        for other in ("E2", "E3"):
            assert NAMES[other] not in html, f"{other}'s name leaked onto E1's page"
        # Potential with each indicator's rank, drawn as a chart from the read model.
        assert 'data-chart="chart-indicators"' in html and "Rank 1 of" in html
        assert_parts_sum_to_the_score(html)  # the score's four weighted parts, drawn
        assert "1 of 4</td>" in html  # an indicator's rank among the team's four
        # Distance to the next role: criteria with ✓/✗.
        assert "Sales Supervisor" in html and "✓" in html
        # This week: plan vs actual (chart), the team rank, expected pay.
        assert 'data-chart="chart-week"' in html and site.arranged.week in html
        assert "defaulted" in html and "Team rank this month" in html
        assert 'class="amount"' in html  # the person sees their own pay
        # The application and its timeline; the inbox.
        assert f"/applications/{site.application_id}" in html
        assert "manager review" in html and "Submitted" in html
        assert 'id="inbox"' in html
        # Actions: only signing out.
        assert FORM_ACTION.findall(html) == ["/logout", "/employee/language"]

        someone_else = await client.get("/employee/E2")
        assert someone_else.status_code == 404
        assert "no employee 'E2' that you can see" in text(someone_else)
        assert NAMES["E2"] not in someone_else.text

        manager_only = await client.get("/manager")
        assert manager_only.status_code == 403
        assert "employee E1 may not open the manager's dashboard" in text(manager_only)
        assert (await client.get("/hr")).status_code == 403
        assert (await client.get("/audit")).status_code == 403
        assert (await client.get(f"/applications/{site.application_id}")).status_code == 200


async def test_another_employee_does_not_see_e1(site: Site) -> None:
    async with site.session("employee:E2") as client:
        html = (await client.get("/employee")).text
        assert NAMES["E2"] in html and NAMES["E1"] not in html
        assert site.application_id not in html
        # Their criteria are not met: ✗ with the suggestion.
        assert "✗" in html and 'class="suggestion"' in html
        theirs = await client.get(f"/applications/{site.application_id}")
        assert theirs.status_code == 404 and NAMES["E1"] not in theirs.text


async def test_the_manager_sees_the_team_and_the_approval_waiting(site: Site) -> None:
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        assert page.status_code == 200
        html = page.text
        # Approvals with their SLA clock and a decide form for E1's application.
        row = html[html.index(f'data-application="{site.application_id}"') :]
        assert NAMES["E1"] in row[:2000] and "working days" in row[:2000]
        assert f'action="/applications/{site.application_id}/decide"' in html
        assert 'value="approve"' in html and 'value="reject"' in html
        # The board for the week, with a chart; the pool and plans sections.
        assert f"week {site.arranged.week}" in html
        assert 'data-chart="chart-board"' in html
        assert NAMES["E2"] in html and 'id="lagging"' in html
        assert 'id="pool"' in html and 'id="plans-at-risk"' in html
        # The manager may look at a report's page, pay included.
        report = await client.get("/employee/E1")
        assert report.status_code == 200 and 'class="amount"' in report.text
        assert 'id="inbox"' not in report.text  # not the report's inbox
        assert (await client.get("/hr")).status_code == 403

        # A week without cycles says when they open, not that nobody is behind.
        future = (await client.get("/manager?week=2099-W10")).text
        assert "This week's cycles open" in future and "Nobody has a plan yet" in future
        assert "Nobody is behind plan" not in future
        past = (await client.get("/manager?week=2020-W10")).text
        assert "Nobody has a weekly cycle in 2020-W10" in past
        assert "Nobody is behind plan" not in past

    async with site.session("manager:M001") as client:
        html = (await client.get("/manager")).text
        # Not M001's to decide: listed as waiting on S001, without a form.
        assert "Waiting on other managers" in html and f"with {NAMES['S001']}" in html
        assert f"/applications/{site.application_id}/decide" not in html


async def test_hr_sees_pipeline_cycle_times_pool_and_criteria(site: Site) -> None:
    async with site.session("hr:H001") as client:
        page = await client.get("/hr")
        assert page.status_code == 200
        html = page.text
        assert 'data-chart="chart-pipeline"' in html
        # manager review: one open application, E1's.
        assert re.search(r'manager review</span></td><td data-label="Open">1</td>', html)
        assert "No application has been decided yet." in html
        assert 'id="pool"' in html and 'id="returned"' in html
        # Criteria versions from the read model's policy table.
        assert 'Sales Supervisor</td><td data-label="Version">v1</td>' in html
        assert FORM_ACTION.findall(html) == ["/logout"]
        assert (await client.get("/manager")).status_code == 403


async def test_the_auditor_reads_every_history_and_can_change_nothing(site: Site) -> None:
    async with site.session("auditor:A001") as client:
        home = await client.get("/")
        assert home.headers["location"] == "/audit"
        listing = await client.get("/audit")
        assert listing.status_code == 200
        assert f"/audit/application/{site.application_id}" in listing.text
        cycle = re.search(r'href="(/audit/cycle/[^"]+)"', listing.text)
        assert cycle, "the weekly cycles are listed"

        history = await client.get(f"/audit/application/{site.application_id}")
        assert history.status_code == 200
        html = history.text
        assert 'id="timeline"' in html and "Submitted" in html
        assert 'id="events"' in html and "<strong>Started</strong>" in html
        assert "promotion-E1-sales_supervisor" in html  # the workflow, to replay
        cycle_history = await client.get(cycle.group(1))
        assert cycle_history.status_code == 200 and "Plan defaulted" in cycle_history.text

        pages = [listing, history, cycle_history]
        pages.append(await client.get(f"/applications/{site.application_id}"))
        pages.append(await client.get("/employee/E1"))
        # A history's own tools change nothing: time travel (a GET) and, for the kinds
        # with recorded decisions, re-evaluation (a read-only POST).
        app_path = f"/audit/application/{site.application_id}"
        tools = {
            app_path: [app_path, f"/audit/reevaluate/application/{site.application_id}"],
            cycle.group(1): [cycle.group(1)],
        }
        for page in pages:
            assert page.status_code == 200
            expected = ["/logout", *tools.get(page.url.path, [])]
            assert FORM_ACTION.findall(page.text) == expected, page.url
        # Pay is not for auditors.
        assert "Pay figures are shown to the person" in pages[-1].text
        assert 'class="amount"' not in pages[-1].text

        assert (await client.get("/audit/ledger/x")).status_code == 404
        unknown = await client.get("/audit/application/nope")
        assert unknown.status_code == 404 and "no application 'nope'" in text(unknown)
        # A cycle and a plan are read from their projections (one found above, none here).
        for kind, term in (("cycle", "weekly cycle"), ("plan", "development plan")):
            none = await client.get(f"/audit/{kind}/nope")
            assert none.status_code == 404 and f"No {term} “nope”" in text(none), kind


async def test_a_decision_without_the_form_token_is_refused(site: Site) -> None:
    path = f"/applications/{site.application_id}/decide"
    async with site.session("manager:S001") as client:
        forged = await client.post(path, data={"decision": "approve", "csrf": "x" * 43})
        assert forged.status_code == 403 and "nothing was done" in forged.text
        missing = await client.post(path, data={"decision": "approve"})
        assert missing.status_code == 403
    async with site.client() as anonymous:
        response = await anonymous.post(path, data={"decision": "approve", "csrf": "x" * 43})
        assert response.status_code == 303 and response.headers["location"] == "/login"
    async with site.session("employee:E1") as client:
        page = await client.get("/employee")
        own = await client.post(path, data={"decision": "approve", "csrf": csrf_of(page)})
        # The same check and words as the API's and the CLI's: the role may not decide.
        assert own.status_code == 403 and "may not decide on promotion" in text(own)
    record = site.api.services.promotion_queries.application(HR, site.application_id)
    assert record["stage"] == "manager_review"


async def test_a_rejection_needs_a_comment(site: Site) -> None:
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        response = await client.post(
            f"/applications/{site.application_id}/decide",
            data={"decision": "reject", "comment": " ", "csrf": csrf_of(page)},
        )
        assert response.status_code == 422
        assert "a rejection needs a comment" in response.text
    record = site.api.services.promotion_queries.application(HR, site.application_id)
    assert record["stage"] == "manager_review"


async def test_static_assets_ship_with_the_package(site: Site) -> None:
    async with site.client() as client:
        library = await client.get("/static/vendor/chart.umd.min.js")
        assert library.status_code == 200 and "Chart.js v4.6.1" in library.text[:200]
        assert (await client.get("/static/dashboard.js")).status_code == 200
        assert (await client.get("/static/pwa.js")).status_code == 200
        assert (await client.get("/static/careerflow.css")).status_code == 200


async def test_the_language_comes_from_the_switch_the_profile_or_the_browser(
    site: Site,
) -> None:
    # Nobody signed in, nothing chosen: the browser's language, else Chinese.
    async with site.client(None) as client:
        page = await client.get("/login")
        assert '<html lang="zh-CN">' in page.text and "<h1>登录</h1>" in page.text
        assert page.headers["content-language"] == "zh-CN"
    for header, lang in (
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, zh;q=0.2, en;q=0.8", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.5", "zh"),
        ("fr, de;q=0.5", "zh"),
    ):
        async with site.client(None, **{"Accept-Language": header}) as client:
            page = await client.get("/login")
            assert page.headers["content-language"] == i18n.HTML_LANG[lang], header

    # E1's profile says zh: it wins over an English browser...
    async with site.session("employee:E1", None, **{"Accept-Language": "en"}) as client:
        page = await client.get("/employee")
        assert '<html lang="zh-CN">' in page.text and "潜力评分" in page.text
        # ...until E1 picks English with the switch on the page (a cookie, back to the page).
        assert 'href="/lang/en?next=%2Femployee"' in page.text
        switched = await client.get("/lang/en?next=%2Femployee")
        assert switched.status_code == 303 and switched.headers["location"] == "/employee"
        cookie = switched.headers["set-cookie"]
        assert f"{LANG_COOKIE}=en" in cookie and "SameSite=lax" in cookie
        page = await client.get("/employee")
        assert '<html lang="en">' in page.text and "<h2>Potential</h2>" in page.text
        back = await client.get("/lang/zh_CN?next=https://evil.example/")
        assert back.headers["location"] == "/"  # never off the site
        assert "潜力评分" in (await client.get("/employee")).text
        assert (await client.get("/lang/fr")).status_code == 404

    # H001 (HR) has no employee profile: the browser decides.
    async with site.session("hr:H001", None, **{"Accept-Language": "en-GB"}) as client:
        assert "Pipeline by stage and age" in (await client.get("/hr")).text
    async with site.session("hr:H001", None, **{"Accept-Language": "zh-CN"}) as client:
        assert "各阶段申请及停留时长" in (await client.get("/hr")).text


async def test_chinese_pages_with_chinese_formats_in_the_company_time_zone(site: Site) -> None:
    record = site.api.services.promotion_queries.application(HR, site.application_id)
    started = record["started_at"]
    async with site.session("employee:E1", "zh") as client:
        html = (await client.get("/employee")).text
        for heading in ("本周", "潜力评分", "距下一职级的差距", "预计奖金与提成", "晋升申请"):
            assert f"<h2>{heading}" in html, heading
        # Domain names from the policy documents and the ladder, in Chinese.
        assert "高级销售代表" in html and "销售主管" in html
        assert "客户拜访" in html or "拜访" in html  # a plan item's label (metric catalogue)
        assert "主管审批" in html  # the application's stage
        # Money and dates the Chinese way; times in Asia/Shanghai, not UTC.
        assert "¥" in html and "CN¥" not in html
        shown = i18n.datetime_text(started, "zh", "Asia/Shanghai")
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", shown), shown
        assert shown in html
        local = started.astimezone(i18n.zone("Asia/Shanghai"))
        assert f'<time datetime="{local.isoformat(timespec="minutes")}">' in html
        assert local.isoformat().endswith("+08:00")
        moments = [t for t in re.findall(r'<time datetime="([^"]+)"', html) if "T" in t]
        assert len(moments) > 3 and all(t.endswith("+08:00") for t in moments), moments
        assert "中国标准时间" in html and "Asia/Shanghai" in html
        manager_only = await client.get("/manager")
        assert manager_only.status_code == 403 and "<h1>无权访问" in manager_only.text
    async with site.session("employee:E1", "en") as client:
        html = (await client.get("/employee")).text
        assert "CN¥" in html and "Senior Sales Representative" in html
        assert i18n.datetime_text(started, "en", "Asia/Shanghai") in html
        assert "China Standard Time" in html


def test_the_formats_of_each_language() -> None:
    assert i18n.money(1_200_000, "CNY", "zh") == "¥1,200,000"
    assert i18n.money(1_200_000, "CNY", "en") == "CN¥1,200,000"
    assert i18n.money(1234.5, "CNY", "zh") == "¥1,234.50"
    assert i18n.number(1234567.891, "zh") == "1,234,567.89"
    assert i18n.date_text("2026-11-22", "zh") == "2026年11月22日"
    assert i18n.date_text("2026-11-22", "en") == "Nov 22, 2026"
    assert i18n.month_text("2026-10", "zh") == "2026年10月"
    assert i18n.month_text("2026-10", "en") == "October 2026"
    moment = "2026-11-22T01:30:00+00:00"
    assert i18n.datetime_text(moment, "zh", "Asia/Shanghai") == "2026年11月22日 09:30"
    assert i18n.datetime_text(moment, "en", "Asia/Shanghai") == "Nov 22, 2026, 9:30\u202fAM"
    assert i18n.role_label("sales_supervisor", "zh") == "销售主管"
    assert i18n.term("manager_review", i18n.gettext_for("zh")) == "主管审批"
    assert i18n.choose(None, "zh_CN", "en") == ("zh", "profile")
    assert i18n.choose("en", "zh", "zh") == ("en", "switch")
    assert i18n.choose(None, None, "de, en;q=0.3") == ("en", "browser")
    assert i18n.choose("xx", None, None) == ("zh", "default")


async def test_the_rep_submits_the_week_plan_through_the_cycle_workflow(site: Site) -> None:
    week = next_week(site.arranged.week)
    handle = await open_running_week(
        site.api.services, site.api.temporal, site.api.queue, "E1", week
    )
    try:
        async with site.session("employee:E1", "en") as client:
            page = await client.get(f"/employee?week={week}")
            html = page.text
            assert FORM_ACTION.findall(html) == ["/logout", "/employee/plan", "/employee/language"]
            assert 'name="item.customer_visits"' in html and 'inputmode="numeric"' in html
            fields = dict(re.findall(r'name="(item\.[a-z_]+)"[^>]*value="([^"]*)"', html))
            assert set(fields) == {
                "item.customer_visits",
                "item.new_customers",
                "item.sales_amount",
            }
            # A plan the workflow's validator refuses: the reason, nothing recorded.
            insane = {**fields, "item.customer_visits": "2", "item.new_customers": "5"}
            refused = await client.post(
                "/employee/plan", data={"csrf": csrf_of(page), "week": week, **insane}
            )
            assert refused.status_code == 422
            assert "cannot exceed customer_visits" in text(refused)
            typo = await client.post(
                "/employee/plan",
                data={"csrf": csrf_of(page), "week": week, **{**fields, "item.new_customers": "x"}},
            )
            assert typo.status_code == 422 and "is not a number" in text(typo)

            plan = {**fields, "item.customer_visits": "12", "item.new_customers": "3"}
            sent = await client.post(
                "/employee/plan", data={"csrf": csrf_of(page), "week": week, **plan}
            )
            assert sent.status_code == 303, text(sent)
            assert sent.headers["location"] == f"/employee?week={week}&planned=1#week"
            shown = await client.get(sent.headers["location"].split("#")[0])
            assert f"Your plan for {week} was recorded." in shown.text
            assert "Plan: submitted" in shown.text
        rep_week = site.api.services.cycle_queries.rep_week(HR, "E1", week)
        assert rep_week.plan_source == "submitted"
        planned = {line.item: line.planned for line in rep_week.lines}
        assert planned["customer_visits"] == 12 and planned["new_customers"] == 3

        # Only the rep: the manager sees no form on E1's page, and may not post one.
        async with site.session("manager:S001", "en") as client:
            page = await client.get(f"/employee/E1?week={week}")
            assert "/employee/plan" not in page.text
            posted = await client.post(
                "/employee/plan", data={"csrf": csrf_of(page), "week": week, **plan}
            )
            assert posted.status_code == 403
        # The current week's plan was defaulted: no form there.
        async with site.session("employee:E1", "en") as client:
            assert "/employee/plan" not in (await client.get("/employee")).text
    finally:
        await handle.terminate("test over")


async def test_the_installable_app(site: Site) -> None:
    async with site.client("zh") as client:
        manifest = await client.get("/manifest.webmanifest?lang=en")
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        body = manifest.json()
        assert body["display"] == "standalone" and body["start_url"] == "/"
        assert body["lang"] == "en" and body["theme_color"].startswith("#")
        sizes = {icon["sizes"] for icon in body["icons"]}
        assert {"192x192", "512x512"} <= sizes
        for icon in body["icons"]:
            png = await client.get(icon["src"])
            assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
            size = int.from_bytes(png.content[16:20], "big")
            assert f"{size}x{size}" == icon["sizes"]
        assert (await client.get("/manifest.webmanifest")).json()["lang"] == "zh-CN"
        assert (await client.get("/static/icons/icon.svg")).status_code == 200

        worker = await client.get("/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["cache-control"] == "no-cache"
        script = worker.text
        assert "__VERSION__" not in script and "__SHELL__" not in script
        assert (
            '"/static/careerflow.css"' in script and '"/static/vendor/chart.umd.min.js"' in script
        )
        assert "/api/" not in script  # the API is never cached

        offline = await client.get("/offline")
        assert offline.status_code == 200 and "您已离线" in offline.text
        assert FORM_ACTION.findall(offline.text) == []
        assert "set-cookie" not in offline.headers  # nobody's session or form token

        login = await client.get("/login")
        csp = login.headers["content-security-policy"]
        for directive in ("manifest-src 'self'", "worker-src 'self'", "script-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp and "data:" not in csp
        assert '<link rel="manifest" href="/manifest.webmanifest?lang=zh">' in login.text
        assert '<script src="/static/pwa.js" defer></script>' in login.text


async def test_the_manager_approves_from_the_dashboard(site: Site) -> None:
    """Last in the module: the decision moves the application on."""
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        decided = await client.post(
            f"/applications/{site.application_id}/decide",
            data={"decision": "approve", "comment": "ready to lead", "csrf": csrf_of(page)},
        )
        assert decided.status_code == 303, decided.text
        assert decided.headers["location"] == (
            f"/applications/{site.application_id}?decided=approve"
        )
        shown = await client.get(decided.headers["location"])
        html = shown.text
        assert "Your decision was recorded (approved)" in html
        assert "now at <strong>HR review</strong>" in html
        assert "Manager decided" in html and "ready to lead" in html and "by S001" in html
        assert f"/applications/{site.application_id}/decide" not in html
        board = (await client.get("/manager")).text
        assert f'data-application="{site.application_id}"' not in board

    async with site.session("employee:E1") as client:
        html = (await client.get("/employee")).text
        assert "HR review" in html and "ready to lead" in html


async def test_a_person_saves_their_profile_language(site: Site) -> None:
    api = site.api
    if "employee:E3" not in api.tokens:
        issued = api.services.tokens.issue(HR, "E3", AccessRole.employee, "language page")
        api.tokens["employee:E3"] = issued.token
    # E3 switched this browser to Chinese; the profile says Chinese too (the default).
    async with site.session("employee:E3", None, **{"Accept-Language": "en"}) as client:
        await client.get("/lang/zh")
        page = await client.get("/employee")
        assert '<html lang="zh-CN">' in page.text and "我的语言" in page.text
        assert '<option value="zh" lang="zh" selected>' in page.text

        forged = await client.post("/employee/language", data={"csrf": "x" * 43, "language": "en"})
        assert forged.status_code == 403
        unknown = await client.post(
            "/employee/language", data={"csrf": csrf_of(page), "language": "fr"}
        )
        assert unknown.status_code == 422 and "'fr'" in text(unknown) and "zh, en" in text(unknown)
        assert api.services.people.get("E3").locale == "zh"  # refusals changed nothing

        saved = await client.post(
            "/employee/language", data={"csrf": csrf_of(page), "language": "en"}
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/employee?language=saved#language"
        assert f'{LANG_COOKIE}=""' in saved.headers["set-cookie"]  # the switch is cleared
        # The profile now decides on this browser, and wherever E3 never switched.
        after = await client.get(saved.headers["location"])
        assert '<html lang="en">' in after.text
        assert "Your profile's language was saved." in text(after)
        assert '<option value="en" lang="en" selected>' in after.text
    async with site.session("employee:E3", None, **{"Accept-Language": "zh-CN"}) as client:
        assert '<html lang="en">' in (await client.get("/employee")).text
    assert api.services.people.get("E3").locale == "en"
    # A manager's page of E3 has no such form: only one's own profile.
    async with site.session("manager:S001") as client:
        assert 'action="/employee/language"' not in (await client.get("/employee/E3")).text
