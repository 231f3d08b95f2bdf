"""The person page's charts: twelve months of every metric the person has, a chart per
unit (percentages, amounts of money, counts, scores) with its own axis whose ticks and
figures say the unit in the page's language (a line per metric, month labels in the
page's language, the next role's threshold as a dashed target line), and the
potential-score distribution of their team and of the organisation (binned in SQL, two
datasets of shares, their own bin marked), each with its figures table; who sees whose
page as before; nothing of the other language on either page."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import httpx
import orjson
import pytest

from careerflow.api.pages.person_charts import month_label
from careerflow.principal import AccessRole, Principal
from projections.person_charts import PersonCharts
from tests.api.test_pages import Site, site  # noqa: F401
from tests.browser.support import HR, NAMES
from tests.language import other_language
from tests.workflows.promotion_support import ingest

pytestmark = pytest.mark.servers

SPEC = re.compile(r'<script type="application/json" id="chart-([a-z0-9-]+)">(.*?)</script>', re.S)


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
    trend, spread = found["trend-percent"], found["distribution"]

    assert trend["kind"] == "line" and len(trend["labels"]) == 12
    if lang == "zh":
        assert all(re.fullmatch(r"\d{4}年\d{1,2}月", m) for m in trend["labels"]), trend
    else:
        assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", m) for m in trend["labels"]), trend
    lines = {d["label"]: d for d in trend["datasets"]}
    completion = "sales completion" if lang == "en" else "销售完成率"
    assert lines[completion]["data"] == [130.0] * 12  # the fixture's GOOD months
    assert lines[completion]["shown"] == ["130%"] * 12
    assert trend["axis"]["labels"] == ["0%", "50%", "100%", "150%"]
    targets = [d for d in trend["datasets"] if d.get("dashed")]
    needs = "next role needs 120%" if lang == "en" else "下一职级要求 120%"
    # E1 is a senior rep: the supervisor's criteria set sales completion ≥ 120.
    assert any(needs in d["label"] and d["data"] == [120.0] * 12 for d in targets), targets

    # Not only percentages: E1's counts (two months with a new hire mentored, two with a
    # course completed) and collaboration scores out of 10 have charts of their own.
    counts = {d["label"]: d for d in found["trend-count"]["datasets"]}
    mentored = "new hires mentored" if lang == "en" else "带教新人数"
    assert counts[mentored]["data"] == [1.0, 1.0] + [None] * 10
    courses = counts["courses completed" if lang == "en" else "已完成课程"]["data"]
    assert courses[2] == courses[5] == 1.0 and sum(v or 0 for v in courses) == 2
    assert all(float(t).is_integer() for t in found["trend-count"]["axis"]["ticks"])
    scores = found["trend-score10"]
    assert scores["axis"]["max"] == 10 and scores["datasets"][0]["data"] == [9.0] * 12
    assert "trend-currency" not in found  # E1 has no amounts of money
    titles = ("Percentages by month", "Counts by month", "Scores out of 10 by month")
    if lang == "zh":
        titles = ("百分比指标（按月）", "计数指标（按月）", "10分制评分（按月）")
    assert all(f"<h3>{t}</h3>" in page.text for t in titles), titles

    assert spread["kind"] == "histogram" and len(spread["labels"]) == 10
    assert len(spread["datasets"]) == 2
    team, everyone = (d["data"] for d in spread["datasets"])
    assert round(sum(team)) == 100 and round(sum(everyone)) == 100
    reads = PersonCharts(site.api.services.read_pool)
    scores = reads.score_distribution(HR, "E1")
    assert scores is not None and spread["marker"]["index"] == scores.own_bin
    assert scores.bins[scores.own_bin].low <= scores.score <= scores.bins[scores.own_bin].high
    assert scores.bins[scores.own_bin].team >= 1

    # week, indicators, three trend charts, the distribution
    assert page.text.count('<details class="figures">') >= 6
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
        assert page.status_code == 200 and {"trend-percent", "distribution"} <= set(charts(page))
    async with site.session("hr:H001") as client:
        page = await client.get("/employee/E2")
        assert page.status_code == 200 and {"trend-percent", "distribution"} <= set(charts(page))
        # E3 has no metrics: no trend, and the page says when one comes.
        page = await client.get("/employee/E3")
        assert page.status_code == 200
        assert not [name for name in charts(page) if name.startswith("trend")]
        assert "the trend appears with the first monthly import" in page.text
    async with site.session("employee:E2") as client:
        assert (await client.get("/employee/E1")).status_code in (403, 404)
    rep = Principal(person_id="E2", role=AccessRole.employee)
    reads = PersonCharts(site.api.services.read_pool)
    with pytest.raises(Exception, match="E1"):
        reads.metric_trend(rep, "E1")
    with pytest.raises(Exception, match="E1"):
        reads.score_distribution(rep, "E1")


def _week_inside(month: str, day: int) -> str:
    iso = date(int(month[:4]), int(month[5:7]), day).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_amounts_of_money_have_their_own_chart_in_the_pages_money(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    # Runs last: E2's sales come in, one month as a monthly total, the month before as two
    # weeks (summed into their month, as the reports do), and 4 big deals in the last month.
    reads = PersonCharts(site.api.services.read_pool)
    months = reads.metric_trend(HR, "E2").months
    last, before = months[-1], months[-2]
    ingest(
        site.api.services,
        [
            ("E2", last, "sales_amount", 1_250_000.0, ""),
            ("E2", _week_inside(before, 10), "sales_amount", 300_000.0, ""),
            ("E2", _week_inside(before, 17), "sales_amount", 200_000.5, ""),
            ("E2", last, "big_deals", 4.0, ""),
        ],
    )
    await asyncio.to_thread(site.api.caught_up)
    async with site.session("hr:H001", lang) as client:
        page = await client.get("/employee/E2")
    assert page.status_code == 200, page.text
    found = charts(page)

    money = found["trend-currency"]
    assert len(money["labels"]) == 12 and money["labels"][-1] == month_label(last, lang)
    (sales,) = money["datasets"]
    assert sales["label"] == ("sales amount" if lang == "en" else "销售额")
    assert sales["data"] == [None] * 10 + [500_000.5, 1_250_000.0]
    sign = "¥" if lang == "zh" else "CN¥"
    assert sales["shown"][-2:] == [f"{sign}500,000.50", f"{sign}1,250,000"]
    assert money["axis"]["labels"] == [
        f"{sign}0",
        f"{sign}500,000",
        f"{sign}1,000,000",
        f"{sign}1,500,000",
    ]
    deals = next(
        d for d in found["trend-count"]["datasets"] if d["label"] in ("big deals", "大单数")
    )
    assert deals["data"][-1] == 4.0 and deals["shown"][-1] == "4"
    # The figures table says the amounts as the page does.
    assert f"<td>{sign}1,250,000</td>" in page.text
    title = "Amounts of money by month" if lang == "en" else "金额指标（按月）"
    assert f"<h3>{title}</h3>" in page.text
    assert other_language(page.text, lang, NAMES.values()) == []
