"""Projections own the read side (issue 17, step 4): every read-model table (`rm_<name>`)
is named in projections/ (its handlers, its schema and its view's queries) and nowhere
else in the engine. Commands, faces and activities call a projection's query instead.
bench/ is exempt (the benchmarks measure the read side directly), and so are the tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("aggregates", "words", "careerflow", "activities", "workflows", "worker.py")
READ_MODEL_TABLE = re.compile(r"\brm_\w*")
# The audit index's SQL moves into projections with the audit package (issue 17, step 2e);
# until then it is the one module outside projections/ that names read-model tables.
EXEMPT: frozenset[str] = frozenset()


def engine_modules(root: Path) -> list[Path]:
    found: list[Path] = []
    for name in ENGINE:
        path = root / name
        found.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return found


def tables_named(path: Path) -> list[str]:
    """`path:line: rm_name` for every read-model table name in one module."""
    return [
        f"{path}:{n}: {match.group()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in READ_MODEL_TABLE.finditer(line)
    ]


def named_outside_projections(root: Path) -> list[str]:
    return [
        hit
        for path in engine_modules(root)
        if path.relative_to(root).as_posix() not in EXEMPT
        for hit in tables_named(path)
    ]


def test_read_model_tables_named_only_in_projections() -> None:
    modules = engine_modules(ROOT)
    assert len(modules) > 150, f"scanned only {len(modules)} engine modules"
    assert ROOT / "worker.py" in modules
    hits = named_outside_projections(ROOT)
    assert not hits, (
        "read-model tables named outside projections/ (move the SQL into a projection's "
        "queries and call those):\n" + "\n".join(hits)
    )


def test_exemptions_are_still_needed() -> None:
    """An exempt module that no longer names a table loses its exemption."""
    for name in EXEMPT:
        path = ROOT / name
        if path.exists():
            assert tables_named(path), f"{name} names no rm_ table: drop it from EXEMPT"


def test_the_scan_finds_a_table_name(tmp_path: Path) -> None:
    """The scan is real: a table named in a command, a face or a comment fails it, and the
    projections' own SQL is what it looks for."""
    (tmp_path / "careerflow" / "api").mkdir(parents=True)
    (tmp_path / "careerflow" / "api" / "routes.py").write_text(
        'SQL = "SELECT name FROM rm_employee WHERE active"\n', encoding="utf-8"
    )
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "metrics.py").write_text(
        "def confirm_milestone() -> None:  # reads rm_plan\n    pass\n", encoding="utf-8"
    )
    (tmp_path / "worker.py").write_text("perform_step = 1\n", encoding="utf-8")
    hits = named_outside_projections(tmp_path)
    assert sorted(hit.rsplit(": ", 1)[1] for hit in hits) == ["rm_employee", "rm_plan"]
    assert tables_named(ROOT / "projections" / "cycle_reads.py")
    assert tables_named(ROOT / "projections" / "schema.py")
