"""The person page's charts: twelve months of the person's percent metrics (a line each,
month labels in the page's language, the next role's threshold as a dashed target line)
and the potential-score distribution of their team and of the organisation (binned in
SQL, two datasets of shares, their own bin marked), each with its figures table; who
sees whose page as before; nothing of the other language on either page."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest

from careerflow.principal import AccessRole, Principal
from projections.person_charts import PersonCharts
from tests.api.test_pages import Site, site  # noqa: F401
from tests.browser.support import HR, NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

SPEC = re.compile(r'<script type="application/json" id="chart-([a-z]+)">(.*?)</script>', re.S)


def charts(page: httpx.Response) -> dict[str, Any]:
    return {name: orjson.loads(body) for name, body in SPEC.findall(page.text)}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_rep_sees_their_trends_and_where_their_score_sits(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    async with site.session("employee:E1", lang) as client:
        page = await client.get("/employee")
    assert page.status_code == 200, page.text
    found = charts(page)
    trend, spread = found["trend"], found["distribution"]

    assert trend["kind"] == "line" and len(trend["labels"]) == 12
    if lang == "zh":
        assert all(re.fullmatch(r"\d{4}年\d{1,2}月", m) for m in trend["labels"]), trend
    else:
        assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", m) for m in trend["labels"]), trend
    lines = {d["label"]: d for d in trend["datasets"]}
    completion = "sales completion" if lang == "en" else "销售完成率"
    assert lines[completion]["data"] == [130.0] * 12  # the fixture's GOOD months
    targets = [d for d in trend["datasets"] if d.get("dashed")]
    needs = "next role needs" if lang == "en" else "下一职级要求"
    # E1 is a senior rep: the supervisor's criteria set sales completion ≥ 120.
    assert any(needs in d["label"] and d["data"] == [120.0] * 12 for d in targets), targets

    assert spread["kind"] == "histogram" and len(spread["labels"]) == 10
    assert len(spread["datasets"]) == 2
    team, everyone = (d["data"] for d in spread["datasets"])
    assert round(sum(team)) == 100 and round(sum(everyone)) == 100
    reads = PersonCharts(site.api.services.read_pool)
    scores = reads.score_distribution(HR, "E1")
    assert scores is not None and spread["marker"]["index"] == scores.own_bin
    assert scores.bins[scores.own_bin].low <= scores.score <= scores.bins[scores.own_bin].high
    assert scores.bins[scores.own_bin].team >= 1

    assert page.text.count('<details class="figures">') >= 4  # week, indicators, these two
    assert other_language(page.text, lang, NAMES.values()) == []


async def test_the_distribution_is_binned_in_sql_over_the_read_model(
    site: Site,  # noqa: F811
) -> None:
    reads = PersonCharts(site.api.services.read_pool)
    found = reads.score_distribution(HR, "E1")
    assert found is not None
    with site.api.services.read_pool.connection() as conn:
        rows: list[Any] = conn.execute(
            "SELECT r.team_id, r.score FROM rm_readiness r JOIN rm_employee e "
            "USING (employee_id) WHERE e.active"
        ).fetchall()
    assert found.organisation_size == len(rows)
    assert found.team_size == sum(1 for r in rows if r["team_id"] == found.team_id)
    for b in found.bins:
        inside = [r for r in rows if b.low <= r["score"] < b.high or (b.high == 10 == r["score"])]
        assert b.organisation == len(inside), b


async def test_who_sees_whose_charts(site: Site) -> None:  # noqa: F811
    async with site.session("manager:S001") as client:
        page = await client.get("/employee/E1")
        assert page.status_code == 200 and {"trend", "distribution"} <= set(charts(page))
    async with site.session("hr:H001") as client:
        page = await client.get("/employee/E2")
        assert page.status_code == 200 and {"trend", "distribution"} <= set(charts(page))
        # E3 has no metrics: no trend, and the page says when one comes.
        page = await client.get("/employee/E3")
        assert page.status_code == 200 and "trend" not in charts(page)
        assert "the trend appears with the first monthly import" in page.text
    async with site.session("employee:E2") as client:
        assert (await client.get("/employee/E1")).status_code in (403, 404)
    rep = Principal(person_id="E2", role=AccessRole.employee)
    reads = PersonCharts(site.api.services.read_pool)
    with pytest.raises(Exception, match="E1"):
        reads.metric_trend(rep, "E1")
    with pytest.raises(Exception, match="E1"):
        reads.score_distribution(rep, "E1")
