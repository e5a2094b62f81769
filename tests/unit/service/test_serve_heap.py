"""``gateway serve`` prepares the garbage collector before it serves (gateway.cli.serve).

The collector's state is process-wide: each test restores the thresholds and unfreezes.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from gateway.cli.serve import GC_YOUNG_THRESHOLD, settle_heap


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _in_generations() -> set[int]:
    return {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}


@pytest.mark.usefixtures("collector")
def test_start_up_objects_are_frozen_out_of_later_collections() -> None:
    built_at_start_up = [{"n": [n]} for n in range(1000)]
    ids = {id(x) for x in built_at_start_up}
    assert ids <= _in_generations()
    settle_heap()
    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert not ids & _in_generations()


@pytest.mark.usefixtures("collector")
def test_the_young_generation_is_collected_less_often_and_the_older_ones_as_before() -> None:
    _, middle, old = gc.get_threshold()
    settle_heap()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, middle, old)
    assert GC_YOUNG_THRESHOLD > 700  # CPython's default


@pytest.mark.usefixtures("collector")
def test_garbage_made_before_serving_is_collected_not_frozen() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    cycle = weakref.ref(Node())  # a reference cycle: only the collector frees it
    settle_heap()
    assert cycle() is None
