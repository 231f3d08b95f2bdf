"""The garbage collector told to leave a long-running process's start-up heap alone.

A worker, API or projection process holds ~170,000 objects once it has imported and
built everything (modules, classes, pydantic schemas), and they live as long as the
process. CPython's full collections walk all of them: ~240 ms on the 2-core machine
of bench/README.md, holding the GIL, so every activity, workflow task and request of
the process waits. `gc.freeze()` moves them out of the collector's generations once
start-up is done; later objects are collected as before."""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collects once (start-up garbage is not kept for good), then freezes every object
    alive now; returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects the collector no longer walks", frozen)
    return frozen
