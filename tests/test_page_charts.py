"""The charts' data: distributions rather than one bar per item, and a table of the
figures beside every chart (no server needed)."""

from __future__ import annotations

from careerflow.api import i18n
from careerflow.api.pages.hr import _cycle_time_distribution
from careerflow.api.pages.person_charts import axis, unit_text
from careerflow.api.pages.rendering import TEMPLATE_SETS


def test_cycle_times_are_a_distribution_with_the_ones_past_the_target_apart() -> None:
    spec = _cycle_time_distribution([0.2, 0.4, 1.1, 4.9, 5.5, 30.0], 5, "en", lambda s: s)
    assert len(spec["labels"]) == 21  # half days up to twice the target, then the rest
    assert spec["labels"][0] == "0–0.5" and spec["labels"][-1] == "10 or more"
    within, past = (d["data"] for d in spec["datasets"])
    assert within[0] == 2 and within[2] == 1 and within[9] == 1
    assert past[11] == 1 and past[-1] == 1
    assert sum(within) + sum(past) == 6
    zh = _cycle_time_distribution([1.0], 5, "zh", i18n.gettext_for("zh"))
    assert "目标" in zh["datasets"][0]["label"] and "及以上" in zh["labels"][-1]


def test_every_chart_has_its_figures_in_a_table() -> None:
    env = TEMPLATE_SETS["en"].env
    spec = {"labels": ["Mon", "Tue"], "datasets": [{"label": "visits", "data": [3, 4.5]}]}
    html = env.from_string(
        '{% from "macros.html" import chart %}{{ chart("c", spec, "Visits") }}'
    ).render(spec=spec)
    assert "<summary>The figures</summary>" in html
    assert '<th scope="row">Tue</th><td>4.5</td>' in html


def test_a_trend_axis_says_its_unit_in_the_pages_language() -> None:
    money = axis([1_250_000.0, 980_000.0], "currency", "zh")
    assert money["ticks"] == [0, 500_000, 1_000_000, 1_500_000]
    assert money["labels"] == ["¥0", "¥500,000", "¥1,000,000", "¥1,500,000"]
    assert axis([1_250_000.0], "currency", "en")["labels"][-1] == "CN¥1,500,000"
    counts = axis([1.0, 2.0, 7.0], "count", "en")
    assert all(float(t).is_integer() for t in counts["ticks"]) and counts["max"] >= 7
    assert counts["labels"][:2] == ["0", "2"]  # whole steps: no "0.5 visits"
    assert axis([-5.0, 12.0], "percent", "zh")["labels"] == ["-5%", "0%", "5%", "10%", "15%"]
    assert axis([6.5], "score10", "en")["max"] == 10  # a score runs to its scale's top
    assert axis([], "count", "en")["ticks"] == [0, 1]  # nothing measured: still an axis
    assert unit_text(1_250_000.0, "currency", "zh") == "¥1,250,000"
    assert unit_text(85.5, "percent", "en") == "85.5%" and unit_text(None, "count", "en") == ""


def test_a_trend_table_says_each_figure_in_its_unit() -> None:
    env = TEMPLATE_SETS["zh"].env
    spec = {
        "labels": ["2026年1月", "2026年2月"],
        "datasets": [{"label": "销售额", "data": [1_250_000.0, None], "shown": ["¥1,250,000", ""]}],
    }
    html = env.from_string(
        '{% from "macros.html" import chart %}{{ chart("c", spec, "金额") }}'
    ).render(spec=spec)
    assert '<th scope="row">2026年1月</th><td>¥1,250,000</td>' in html
    assert '<th scope="row">2026年2月</th><td></td>' in html
