"""`python -m bench [NAME ...] [--SIZE-FLAGS]`: runs the benchmarks and prints tables.

Every benchmark's sizes are flags named `--<benchmark>-<parameter>` (see `--help`);
`--smoke` runs each at the tiny size the CI smoke test uses."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import (
    api,
    appends,
    assessments,
    cycles,
    idle,
    lag,
    promotions,
    rebuild,
    snapshots,
    week,
)
from bench.common import Lab, Report, machine, render

BENCHMARKS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (promotions, appends, rebuild, lag, api, cycles, week, snapshots, assessments, idle)
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    p.add_argument("--smoke", action="store_true", help="tiny sizes (seconds, not minutes)")
    p.add_argument("--json", type=Path, help="also write the reports as JSON here")
    p.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where the embedded PostgreSQL lives (default: a temporary dir)",
    )
    p.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    for name, module in BENCHMARKS.items():
        for param, default in module.DEFAULTS.items():
            p.add_argument(
                f"--{name}-{param}",
                type=type(default),
                default=None,
                help=f"{name}: {param} (default {default})",
            )
    return p


def sizes(args: argparse.Namespace, name: str) -> dict[str, Any]:
    module = BENCHMARKS[name]
    chosen = dict(module.SMOKE if args.smoke else module.DEFAULTS)
    for param in module.DEFAULTS:
        value = getattr(args, f"{name}_{param}".replace("-", "_"))
        if value is not None:
            chosen[param] = value
    return chosen


async def run_all(names: list[str], args: argparse.Namespace, work_dir: Path) -> list[Report]:
    lab = Lab(work_dir, keep=args.keep)
    lab.start()
    reports = []
    try:
        for name in names:
            started = time.perf_counter()
            report: Report = await BENCHMARKS[name].run(lab, **sizes(args, name))
            report.seconds = time.perf_counter() - started
            print(render(report), end="\n\n", flush=True)
            reports.append(report)
    finally:
        await lab.close()
    return reports


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        cli.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    logging.basicConfig(level=logging.WARNING)
    names = args.names or list(BENCHMARKS)
    info = machine()
    print("# careerflow benchmarks\n")
    print(" | ".join(f"{k}: {v}" for k, v in info.items()), end="\n\n", flush=True)
    if args.work_dir is not None:
        reports = asyncio.run(run_all(names, args, args.work_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="careerflow-bench-") as tmp:
            reports = asyncio.run(run_all(names, args, Path(tmp)))
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "reports": [asdict(r) for r in reports]}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
