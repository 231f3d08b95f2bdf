"""What every benchmark shares: the real parts (an embedded PostgreSQL, the Temporal dev
server), a fresh database per benchmark, timing statistics and the report tables.

A figure is never printed alone: each has a baseline measured in the same run, on the
same machine, against the same parts, and the ratio of the two."""

from __future__ import annotations

import math
import os
import platform
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from temporalio.testing import WorkflowEnvironment

from careerflow.codec import CodecKeys, EncryptionCodec, data_converter
from careerflow.config import PostgresSettings
from careerflow.embedded import EmbeddedPostgres


# -- figures and reports -----------------------------------------------------------------
@dataclass
class Figure:
    """One measured figure beside its same-run baseline."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    # For rates higher is better; for latencies and durations lower is.
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        if self.baseline == 0:
            return math.inf if self.value else 1.0
        return self.value / self.baseline


@dataclass
class Report:
    bench: str
    title: str
    params: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        baseline_name: str,
        baseline: float,
        *,
        higher_is_better: bool = True,
    ) -> Figure:
        figure = Figure(name, value, unit, baseline_name, baseline, higher_is_better)
        self.figures.append(figure)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)


def fmt(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render(report: Report) -> str:
    """A plain-text table (also valid Markdown)."""
    params = ", ".join(f"{k}={v}" for k, v in report.params.items())
    lines = [
        f"## {report.bench}: {report.title}",
        f"({params}; {report.seconds:.0f} s)",
        "",
        "| figure | value | baseline (same run) | baseline value | ratio |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for f in report.figures:
        better = "higher is better" if f.higher_is_better else "lower is better"
        lines.append(
            f"| {f.name} | {fmt(f.value)} {f.unit} | {f.baseline_name} | "
            f"{fmt(f.baseline)} {f.unit} | {f.ratio:.2f}× ({better}) |"
        )
    lines += [f"- {n}" for n in report.notes]
    return "\n".join(lines)


# -- statistics ------------------------------------------------------------------------
def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def p50(samples: list[float]) -> float:
    return statistics.median(samples) if samples else math.nan


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed: ...; elapsed()` seconds (frozen on exit)."""
    start = time.perf_counter()
    end: list[float] = []

    def elapsed() -> float:
        return (end[0] if end else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end.append(time.perf_counter())


def machine() -> dict[str, str]:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


# -- the real parts ----------------------------------------------------------------------
def venv_binary(name: str) -> str:
    path = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(path).exists():
        raise RuntimeError(f"`{name}` is not installed next to {sys.executable}")
    return path


class Lab:
    """The embedded PostgreSQL (or the one POSTGRES_HOST names) and, on first use, a
    Temporal dev server; a fresh database per benchmark, dropped at the end."""

    def __init__(
        self,
        work_dir: Path,
        *,
        keep: bool = False,
        server: PostgresSettings | None = None,
        temporal: WorkflowEnvironment | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.keep = keep
        self._embedded: EmbeddedPostgres | None = None
        self.server: PostgresSettings | None = server
        self._databases: list[str] = []
        # A given Temporal environment is the caller's to shut down.
        self._given_temporal = temporal
        self._temporal: WorkflowEnvironment | None = None
        self.cache: dict[str, Any] = {}

    def start(self) -> PostgresSettings:
        if self.server is not None:
            return self.server
        external = PostgresSettings.from_env()
        if external is not None:
            self.server = external
        else:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self._embedded = EmbeddedPostgres(
                self.work_dir / f"pg-{uuid.uuid4().hex[:8]}", delete_on_stop=True
            )
            self.server = self._embedded.start()
        # The library reads os.environ too: keep it on the databases given explicitly.
        for key in list(os.environ):
            if key.startswith(("POSTGRES_", "CIPHER_", "PERSISTENCE_")):
                del os.environ[key]
        return self.server

    def database(self, label: str) -> PostgresSettings:
        assert self.server is not None, "Lab.start() first"
        name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.server.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.server.model_copy(update={"dbname": name})

    def drop(self, pg: PostgresSettings) -> None:
        if self.keep or self.server is None:
            return
        with psycopg.connect(self.server.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg.dbname}" WITH (FORCE)')
        if pg.dbname in self._databases:
            self._databases.remove(pg.dbname)

    async def temporal(self) -> WorkflowEnvironment:
        """The Temporal dev server (in memory, as `start_local` runs it), with the
        engine's search attributes; one per run."""
        if self._given_temporal is not None:
            return self._given_temporal
        if self._temporal is None:
            from workflows.promotion import KIND, STAGE, STAGE_SINCE

            self._temporal = await WorkflowEnvironment.start_local(
                dev_server_existing_path=venv_binary("temporal"),
                # Encrypted as the engine runs, so the figures include the codec.
                data_converter=data_converter(EncryptionCodec(CodecKeys.generate())),
                search_attributes=[STAGE, STAGE_SINCE, KIND],
                ui=False,
                dev_server_log_level="error",
            )
        return self._temporal

    async def close(self) -> None:
        if self._temporal is not None:
            await self._temporal.shutdown()
            self._temporal = None
        for name in list(self._databases):
            self.drop(self.server.model_copy(update={"dbname": name}))  # type: ignore[union-attr]
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


def count(pg: PostgresSettings, sql: str, params: tuple[Any, ...] = ()) -> int:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
