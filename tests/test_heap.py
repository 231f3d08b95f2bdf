"""careerflow/heap.py in a process of its own (freezing the test runner's heap would
change every later test's collections)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, weakref
import careerflow.api.app, worker  # a process's start-up: the engine imported
from careerflow.heap import freeze_startup_heap

before = gc.get_freeze_count()
frozen = freeze_startup_heap()

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up: only the collector frees it
gone = weakref.ref(a)
del a, b
gc.collect()
print(before, frozen, gone() is None, len(gc.get_objects()))
"""


def test_the_start_up_heap_is_frozen_and_later_garbage_still_collected() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    before, frozen, collected, tracked = done.stdout.split()
    assert int(before) == 0
    # The engine's modules, classes and schemas: far more than the collector still walks.
    assert int(frozen) > 50_000
    assert int(tracked) < int(frozen) // 10
    assert collected == "True"
