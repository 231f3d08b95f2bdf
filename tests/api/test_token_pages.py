"""HR's token page on the real stack: the list by holder name, paged and filtered;
issuing (the secret shown once, and it signs in), refusals said in the page's language
with nothing changed, revoking with a reason; auditors read, reps are refused."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from careerflow.applications.access import TokenQuery
from careerflow.principal import AccessRole, Principal
from tests.api.test_pages import FORM_ACTION, Site, csrf_of, site, text  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

HR = Principal(person_id="H001", role=AccessRole.hr)
SECRET = re.compile(r'<code class="secret" translate="no">(cf_[^<]+)</code>')


async def test_hr_lists_issues_and_revokes_tokens(site: Site) -> None:  # noqa: F811
    async with site.session("hr:H001") as client:
        page = await client.get("/hr/tokens")
        assert page.status_code == 200
        assert NAMES["E1"] in page.text and "tokens match" in page.text
        assert "/hr/tokens" in FORM_ACTION.findall(page.text)

        issued = await client.post(
            "/hr/tokens",
            data={
                "csrf": csrf_of(page),
                "person_id": "E2",
                "role": "employee",
                "label": "phone",
                "days": "30",
            },
        )
        assert issued.status_code == 200, issued.text
        secret = SECRET.search(issued.text)
        assert secret, "the new token is shown once"
        token = secret.group(1)
        token_id = token[3:].split(".")[0]
        assert f'id="token-{token_id}"' in issued.text
        # Not shown again.
        again = await client.get("/hr/tokens")
        assert token not in again.text and f'id="token-{token_id}"' in again.text

        # It signs E2 in.
        async with site.client("en") as other:
            login = await other.get("/login")
            signed = await other.post(
                "/login", data={"token": token, "csrf": csrf_of(login), "next": "/"}
            )
            assert signed.status_code == 303

        # Refusals: an unknown person, a bad number of days; nothing issued.
        before = site.api.services.tokens.browse(HR, TokenQuery(limit=500)).total
        unknown = await client.post(
            "/hr/tokens",
            data={"csrf": csrf_of(page), "person_id": "E404", "role": "employee", "days": "30"},
        )
        assert unknown.status_code == 422 and "unknown employee" in text(unknown)
        days = await client.post(
            "/hr/tokens",
            data={"csrf": csrf_of(page), "person_id": "E2", "role": "employee", "days": "x"},
        )
        assert days.status_code == 422 and "a whole number of days" in days.text
        assert site.api.services.tokens.browse(HR, TokenQuery(limit=500)).total == before

        # Revoking needs a reason; then the token no longer signs in.
        action = f"/hr/tokens/{token_id}/revoke"
        empty = await client.post(action, data={"csrf": csrf_of(page), "reason": " "})
        assert empty.status_code == 422 and "Say why" in empty.text
        revoked = await client.post(action, data={"csrf": csrf_of(page), "reason": "lost phone"})
        assert revoked.status_code == 303 and revoked.headers["location"].endswith("done=revoked")
        shown = await client.get("/hr/tokens?state=revoked&q=E2")
        assert f'id="token-{token_id}"' in shown.text and "lost phone" in shown.text
        async with site.client("en") as other:
            login = await other.get("/login")
            refused = await other.post(
                "/login", data={"token": token, "csrf": csrf_of(login), "next": "/"}
            )
            assert refused.status_code == 401 and "revoked" in text(refused)


async def test_refusals_in_chinese_and_one_language_per_page(site: Site) -> None:  # noqa: F811
    for lang in ("zh", "en"):
        async with site.session("hr:H001", lang) as client:
            page = await client.get("/hr/tokens")
            assert other_language(page.text, lang, NAMES.values()) == []
            unknown = await client.post(
                "/hr/tokens",
                data={"csrf": csrf_of(page), "person_id": "E404", "role": "manager"},
            )
            assert unknown.status_code == 422
            assert other_language(unknown.text, lang, NAMES.values()) == []
            if lang == "zh":
                assert "E404" in unknown.text and re.search(r"[\u4e00-\u9fff]", unknown.text)


async def test_auditors_read_and_reps_are_refused(site: Site) -> None:  # noqa: F811
    async with site.session("auditor:A001") as client:
        page = await client.get("/hr/tokens")
        assert page.status_code == 200
        assert FORM_ACTION.findall(page.text) == ["/logout", "/hr/tokens"]  # search only
        assert 'method="get" action="/hr/tokens"' in page.text
    async with site.session("employee:E1") as client:
        assert (await client.get("/hr/tokens")).status_code == 403


def test_the_pages_walk_every_token_once(site: Site) -> None:  # noqa: F811
    tokens = site.api.services.tokens
    everything = tokens.browse(HR, TokenQuery(limit=500))
    seen: list[str] = []
    cursor = ""
    while True:
        page = tokens.browse(HR, TokenQuery(limit=2, cursor=cursor))
        assert page.total == everything.total
        seen += [t.token_id for t in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [t.token_id for t in everything.items] and len(set(seen)) == len(seen)
    managers = tokens.browse(HR, TokenQuery(role=AccessRole.manager, limit=500))
    assert managers.items and all(t.role == "manager" for t in managers.items)
    named = tokens.browse(HR, TokenQuery(q=NAMES["E1"], limit=500))
    assert {t.person_id for t in named.items} == {"E1"}


@pytest.mark.parametrize(
    ("lang", "header"),
    [
        ("en", ["Holder", "Employee id", "Role", "Label", "Issued", "Issued by"]),
        ("zh", None),
    ],
)
async def test_hr_downloads_every_token_without_secrets(
    site: Site,  # noqa: F811
    lang: str,
    header: list[str] | None,
) -> None:
    async with site.session("hr:H001", lang) as client:
        page = await client.get("/hr/tokens")
        assert 'href="/hr/tokens?format=csv"' in page.text
        got = await client.get("/hr/tokens?format=csv&q=E1")
        assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
        assert got.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        if header:
            assert lines[0][:6] == header
        else:
            assert re.search(r"[\u4e00-\u9fff]", lines[0][0]) and "Holder" not in lines[0]
        rows = [r for r in lines[1:] if r[1] == "E1"]
        assert rows and rows[0][0] == NAMES["E1"]
        assert "employee" not in rows[0][2] or lang == "en"
        assert "cf_" not in got.content.decode("utf-8-sig")
        every = site.api.services.tokens.browse(HR, TokenQuery(q="E1", limit=500)).total
        assert len(lines) - 1 == every
        xlsx = await client.get("/hr/tokens?format=xlsx&q=E1")
        assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        read = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        assert read == lines
    async with site.session("employee:E1", lang) as rep:
        assert (await rep.get("/hr/tokens?format=csv")).status_code == 403
