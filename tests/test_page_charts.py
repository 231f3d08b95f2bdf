"""The charts' data: distributions rather than one bar per item, and a table of the
figures beside every chart (no server needed)."""

from __future__ import annotations

from careerflow.api import i18n
from careerflow.api.pages.hr import _cycle_time_distribution
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
