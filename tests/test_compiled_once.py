"""careerflow/compiled_once.py: a module imported again (as the workflow sandbox does for
every run) is compiled once, even where no bytecode may be written; an edited file is
compiled again; modules outside the roots load as before."""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from careerflow import compiled_once


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A directory under the finder's root and one outside it, both on sys.path, with
    bytecode writing off (as PYTHONDONTWRITEBYTECODE sets it)."""
    inside, outside = tmp_path / "project", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(outside))
    monkeypatch.syspath_prepend(str(inside))
    finder = compiled_once.install(str(inside))
    try:
        yield inside, outside
    finally:
        compiled_once.uninstall(finder)
        for name in [n for n in sys.modules if n.startswith(PREFIX)]:
            del sys.modules[name]


PREFIX = "cf_once_"  # the test modules, dropped from sys.modules after each test


def _module(root: Path, body: str) -> tuple[str, Path]:
    name = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    path = root / f"{name}.py"
    path.write_text(body)
    importlib.invalidate_caches()
    return name, path


def _import_again(name: str):  # type: ignore[no-untyped-def]
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_a_module_imported_again_is_compiled_once(roots: tuple[Path, Path]) -> None:
    inside, _ = roots
    name, path = _module(inside, "def answer():\n    return 1\n")
    first = _import_again(name)
    second = _import_again(name)
    assert first is not second  # executed twice, as the sandbox does
    assert first.answer.__code__ is second.answer.__code__  # compiled once
    assert compiled_once.LOADS[os.path.realpath(path)] == 1
    assert not (inside / "__pycache__").exists()  # and nothing written


def test_an_edited_module_is_compiled_again(roots: tuple[Path, Path]) -> None:
    inside, _ = roots
    name, path = _module(inside, "def answer():\n    return 1\n")
    before = _import_again(name)
    path.write_text("def answer():\n    return 22\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    after = _import_again(name)
    assert (before.answer(), after.answer()) == (1, 22)
    assert compiled_once.LOADS[os.path.realpath(path)] == 2


def test_modules_outside_the_roots_load_as_before(roots: tuple[Path, Path]) -> None:
    _, outside = roots
    name, path = _module(outside, "def answer():\n    return 3\n")
    first = _import_again(name)
    second = _import_again(name)
    assert type(first.__spec__.loader) is importlib.machinery.SourceFileLoader
    # Without the finder each import compiles again: what the finder saves.
    assert first.answer.__code__ is not second.answer.__code__
    assert os.path.realpath(path) not in compiled_once.LOADS


def test_installing_twice_keeps_one_finder(roots: tuple[Path, Path]) -> None:
    inside, _ = roots
    finders = [f for f in sys.meta_path if isinstance(f, compiled_once.CompiledOnceFinder)]
    again = compiled_once.install(str(inside))
    assert again in finders
    assert [f for f in sys.meta_path if isinstance(f, compiled_once.CompiledOnceFinder)] == (
        finders
    )
    # Ahead of the path finder, after the built-in and frozen importers.
    order = sys.meta_path
    assert order.index(again) < order.index(importlib.machinery.PathFinder)
    assert order.index(importlib.machinery.FrozenImporter) < order.index(again)


def test_the_worker_installs_it_for_the_project() -> None:
    import worker

    root = os.path.join(os.path.dirname(os.path.realpath(worker.__file__)), "")
    finder = next(
        f
        for f in sys.meta_path
        if isinstance(f, compiled_once.CompiledOnceFinder) and root in f.roots
    )
    import workflows

    # What the sandbox finds when it imports the promotion workflow's module for a run.
    spec = finder.find_spec("workflows.promotion", workflows.__path__)
    assert spec is not None
    assert isinstance(spec.loader, compiled_once._CompiledOnceLoader)
    # Not an installed package (the virtualenv may live inside the project).
    assert finder.find_spec("pydantic", None) is None
