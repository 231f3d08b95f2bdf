"""The rep's promotion page over ASGI on the real stack: readiness first with the gaps
(stored lines said in the page's language, course markers as citations), the
application form through the process service (a refusal said on the same page, 422),
the rep's own applications; withdraw and resubmit on the application's page, each
followed by its notice; Chinese and English, no text of the other language."""

from __future__ import annotations

import re

import httpx
import pytest

from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.site import assert_parts_sum_to_the_score, web_app
from tests.api.test_pages import Site, csrf_of, text
from tests.browser.support import NAMES, arrange
from tests.language import other_language as one_language_check

SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
DATA = list(NAMES.values())


def other_language(page: str, lang: str) -> list[str]:
    """Words of the other language a reader of `lang` would see on the page (the one
    checker, tests/language.py; the organisation's names are data)."""
    return one_language_check(page, lang, DATA)


@pytest.fixture(scope="module")
async def site(api: ApiStack) -> Site:
    arranged = await arrange(api.services, api.read_models, api.temporal, api.queue)
    return Site(api, web_app(api), arranged)


async def _page(client: httpx.AsyncClient, path: str, lang: str) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert other_language(page.text, lang) == [], (path, other_language(page.text, lang))
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_rep_not_yet_eligible_sees_the_gaps_first(site: Site, lang: str) -> None:
    async with site.session("employee:E2", lang) as client:
        page = await _page(client, "/promotion", lang)
        html = text(page)
        assert 'href="/promotion"' in html  # the rep's nav link
        # Readiness before the form, the gaps with their suggestions.
        assert html.index('id="readiness"') < html.index('id="apply"')
        assert 'class="unmet"' in html and 'class="suggestion"' in html
        assert "*" not in TAG.sub("", SCRIPT.sub("", page.text))  # markers not raw
        if lang == "en":
            assert "criteria not met yet" in html and "Gap and suggestion" in html
            assert "Apply for Sales Supervisor" in html
        else:
            assert "项条件未达成" in html and "差距与建议" in html
        assert 'action="/promotion/apply"' in html and 'name="command_id"' in html
        assert_parts_sum_to_the_score(page.text)


async def test_the_rep_withdraws_and_applies_again(site: Site) -> None:
    application_id = site.application_id  # E1's, at manager review
    async with site.session("employee:E1", "zh") as client:
        page = await _page(client, "/promotion", "zh")
        html = text(page)
        assert f'href="/applications/{application_id}"' in html
        assert "你的申请正在办理中" in html and 'action="/promotion/apply"' not in html

        app_page = await _page(client, f"/applications/{application_id}", "zh")
        assert f'action="/applications/{application_id}/withdraw"' in app_page.text
        assert "/resubmit" not in app_page.text  # only after a return
        # No CSRF token: nothing is done.
        refused = await client.post(
            f"/applications/{application_id}/withdraw", data={"reason": "x"}
        )
        assert refused.status_code == 403
        done = await client.post(
            f"/applications/{application_id}/withdraw",
            data={"csrf": csrf_of(app_page), "reason": "下个季度再申请", "command_id": "w-1"},
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/applications/{application_id}?done=withdrawn"
        after = await _page(client, done.headers["location"], "zh")
        assert "你已撤回该申请" in text(after) and "/withdraw" not in after.text
        record = site.api.services.promotion_queries.application(
            Principal(person_id="E1", role=AccessRole.employee), application_id
        )
        assert record["stage"] == "withdrawn"
        # Sent again with its command id: the recorded outcome; a new withdrawal of the
        # closed application: the engine's refusal, said on the same page (422).
        again = await client.post(
            f"/applications/{application_id}/withdraw",
            data={"csrf": csrf_of(app_page), "reason": "下个季度再申请", "command_id": "w-1"},
        )
        assert again.status_code == 303, again.text
        closed = await client.post(
            f"/applications/{application_id}/withdraw",
            data={"csrf": csrf_of(app_page), "reason": "再撤回一次", "command_id": "w-2"},
        )
        assert closed.status_code == 422, closed.text
        assert 'id="refused"' in closed.text and 'id="timeline"' in closed.text
        assert other_language(closed.text, "zh") == []

        page = await _page(client, "/promotion", "zh")
        applied = await client.post(
            "/promotion/apply",
            data={
                "csrf": csrf_of(page),
                "target_role": "sales_supervisor",
                "command_id": "a-1",
            },
        )
        assert applied.status_code == 303, applied.text
        assert applied.headers["location"] == "/promotion?done=applied#applications"
        shown = await _page(client, "/promotion?done=applied", "zh")
        assert "你的申请已提交" in text(shown)
        mine = site.api.services.promotion_queries.of_employee(
            Principal(person_id="E1", role=AccessRole.employee), "E1"
        )
        assert [a["stage"] for a in mine][1:] == ["withdrawn"]
        assert mine[0]["application_id"] != application_id
        assert f'href="/applications/{mine[0]["application_id"]}"' in shown.text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_refusal_is_said_on_the_same_page(site: Site, lang: str) -> None:
    async with site.session("employee:E2", lang) as client:
        page = await client.get("/promotion")
        refused = await client.post(
            "/promotion/apply",
            data={"csrf": csrf_of(page), "target_role": "sales_manager"},
        )
        assert refused.status_code == 422
        html = text(refused)
        assert 'id="refused"' in html and 'id="readiness"' in html
        assert other_language(refused.text, lang) == []
        said = re.search(r'id="refused">(.*?)</p>', html, re.S)
        assert said, html
        if lang == "en":
            assert "is not the next rung" in said.group(1), said.group(1)
        else:
            assert "不是下一级" in html


async def test_a_returned_application_is_resubmitted(site: Site) -> None:
    """E2 (not eligible) applies; the manager approves, so it comes back with the unmet
    criteria; E2 resubmits from the application's page and it goes back to the manager."""
    async with site.session("employee:E2", "en") as client:
        page = await client.get("/promotion")
        applied = await client.post(
            "/promotion/apply", data={"csrf": csrf_of(page), "target_role": "sales_supervisor"}
        )
        assert applied.status_code == 303, applied.text
        e2 = Principal(person_id="E2", role=AccessRole.employee)
        application_id = site.api.services.promotion_queries.of_employee(e2, "E2")[0][
            "application_id"
        ]
        early = await _page(client, f"/applications/{application_id}", "en")
        assert "/resubmit" not in early.text  # not returned yet
        refused = await client.post(
            f"/applications/{application_id}/resubmit",
            data={"csrf": csrf_of(early), "command_id": "r-0"},
        )
        assert refused.status_code == 422 and 'id="refused"' in refused.text
    async with site.session("manager:S001", "en") as manager:
        app_page = await manager.get(f"/applications/{application_id}")
        decided = await manager.post(
            f"/applications/{application_id}/decide",
            data={"csrf": csrf_of(app_page), "decision": "approve", "comment": "ok"},
        )
        assert decided.status_code == 303, decided.text
        assert "/withdraw" not in app_page.text  # the applicant's forms are theirs
    async with site.session("employee:E2", "en") as client:
        app_page = await _page(client, f"/applications/{application_id}", "en")
        assert f'action="/applications/{application_id}/resubmit"' in app_page.text
        done = await client.post(
            f"/applications/{application_id}/resubmit",
            data={"csrf": csrf_of(app_page), "command_id": "r-1"},
        )
        assert done.status_code == 303, done.text
        after = await _page(client, done.headers["location"], "en")
        assert "You resubmitted the application" in text(after)
        record = site.api.services.promotion_queries.application(e2, application_id)
        assert record["round"] == 2 and record["stage"] != "returned"
