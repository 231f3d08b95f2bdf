"""Every benchmark of `python -m bench` runs at a tiny size on the real parts and
produces its figures, each beside a same-run baseline. Speed is measured by the
benchmarks, never asserted here."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from bench.__main__ import BENCHMARKS, parser, sizes
from bench.common import Lab, Report, percentile, render
from careerflow.config import PostgresSettings


@pytest.fixture(scope="module")
async def lab(
    pg_server: PostgresSettings,
    dev_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("bench"), server=pg_server, temporal=dev_env)
    lab.start()
    try:
        yield lab
    finally:
        await lab.close()


@pytest.mark.parametrize("name", list(BENCHMARKS))
async def test_each_benchmark_produces_its_figures_and_baselines(lab: Lab, name: str) -> None:
    module = BENCHMARKS[name]
    report: Report = await module.run(lab, **module.SMOKE)
    assert report.bench == name
    assert report.figures, f"{name} produced no figure"
    for figure in report.figures:
        # A cost (lower is better), or its baseline, may measure zero at smoke sizes,
        # e.g. a server that idles below the CPU clock's tick (10 ms in 2 s); then the
        # ratio is 1 (both zero) or unbounded. A rate and its baseline must be positive.
        assert math.isfinite(figure.baseline) and math.isfinite(figure.value), figure
        if figure.higher_is_better:
            assert figure.value > 0 and figure.baseline > 0, figure
            assert math.isfinite(figure.ratio), figure
        else:
            assert figure.value >= 0 and figure.baseline >= 0, figure
            assert figure.baseline == 0 or math.isfinite(figure.ratio), figure
        assert figure.baseline_name and figure.unit
    table = render(report)
    assert all(f.name in table for f in report.figures)


def test_the_command_line_takes_every_size_as_a_flag() -> None:
    args = parser().parse_args(["appends", "--appends-events", "10", "--smoke"])
    assert args.names == ["appends"]
    assert sizes(args, "appends") == {**BENCHMARKS["appends"].SMOKE, "events": 10}
    defaults = parser().parse_args([])
    assert defaults.names == []
    assert sizes(defaults, "api") == BENCHMARKS["api"].DEFAULTS
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


async def test_promotions_runs_with_each_sides_worker_in_the_driving_process_too(
    lab: Lab,
) -> None:
    module = BENCHMARKS["promotions"]
    report: Report = await module.run(lab, **{**module.SMOKE, "rounds": 1, "layout": "together"})
    assert report.params["layout"] == "together"
    assert [f.baseline_name for f in report.figures] == [
        "bare workflows, same steps as regular activities, no events",
        "bare workflows, same steps as local activities, no events",
    ]
    assert all(f.value > 0 and f.baseline > 0 for f in report.figures)
    assert "in the driving process" in report.notes[0]


async def test_promotions_refuses_an_unknown_layout_before_loading_anything(lab: Lab) -> None:
    module = BENCHMARKS["promotions"]
    with pytest.raises(ValueError, match="--promotions-layout 'shared': choose one of apart"):
        await module.run(lab, **{**module.SMOKE, "layout": "shared"})
