"""Each of the project's modules compiled once per process, however often it is imported.

The workflow sandbox imports a workflow's module again for every run (so runs share no
module state). Python reads a module's bytecode from `__pycache__` when it can, but where
it may not write it there (PYTHONDONTWRITEBYTECODE, which the Dockerfile sets as container
images do, or a read-only install) it compiles the source again on every import: about
5 ms for `workflows/promotion.py`, a tenth of the worker's Python per promotion in a
profile of `bench promotions`. This finder keeps each compiled module in memory, keyed by
the file's modification time and size as `__pycache__` is, so an edited file is compiled
again; it applies to modules under the given roots only (not the standard library's
frozen modules, nor installed packages, whose bytecode pip wrote)."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Sequence
from types import CodeType, ModuleType

# path -> ((mtime, size), code); shared by every loader in the process.
_CODES: dict[str, tuple[tuple[float, int], CodeType]] = {}
# How often each path was compiled (or read from __pycache__): what the tests check.
LOADS: dict[str, int] = {}
_LOCK = threading.Lock()


class _CompiledOnceLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        stats = self.path_stats(self.path)
        key = (float(stats["mtime"]), int(stats["size"]))
        cached = _CODES.get(self.path)
        if cached is not None and cached[0] == key:
            return cached[1]
        code = super().get_code(fullname)
        assert code is not None
        with _LOCK:
            _CODES[self.path] = (key, code)
            LOADS[self.path] = LOADS.get(self.path, 0) + 1
        return code


class CompiledOnceFinder(importlib.abc.MetaPathFinder):
    """Finds what the path finder finds; a source module under one of `roots` (and not
    under the interpreter's prefix, such as a virtualenv inside the project) gets the
    caching loader."""

    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)
        self.skip = tuple(
            os.path.join(os.path.realpath(p), "") for p in {sys.prefix, sys.base_prefix}
        )

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None and not any(
            os.path.join(os.path.realpath(p), "").startswith(self.roots) for p in path
        ):
            return None  # a submodule of a package elsewhere: no second path search
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return None  # not ours: the rest of sys.meta_path decides, as before
        origin = os.path.realpath(spec.origin or "")
        if not origin.startswith(self.roots) or origin.startswith(self.skip):
            return None
        spec.loader = _CompiledOnceLoader(fullname, spec.origin or "")
        return spec


def install(*roots: str) -> CompiledOnceFinder:
    """Puts the finder for `roots` ahead of the path finder (after the built-in and frozen
    importers), once per set of roots; returns it."""
    finder = CompiledOnceFinder(roots)
    for installed in sys.meta_path:
        if isinstance(installed, CompiledOnceFinder) and installed.roots == finder.roots:
            return installed
    at = next(
        (i for i, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder),
        len(sys.meta_path),
    )
    sys.meta_path.insert(at, finder)
    return finder


def uninstall(finder: CompiledOnceFinder) -> None:
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
