"""The cyclic collector's policy (stm_tui/memory.py): what a large listing or a cache read leaves
for a later collection to walk, which is what the UI waits for while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from stm_tui import memory


class Item:
    """Stands for a model: a tracked object that lives on after the listing."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.values = [n]


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable() if was else gc.disable()


def _in_generation(generation: int, objs: list[Item]) -> int:
    ids = {id(o) for o in objs}
    return sum(1 for o in gc.get_objects(generation) if id(o) in ids)


def test_a_page_s_survivors_leave_both_young_generations() -> None:
    kept: list[Item] = []
    with memory.gc_paused():
        assert not gc.isenabled()
        for page in range(3):
            kept.extend(Item(page * 100 + i) for i in range(100))
            memory.collect_young()
    assert gc.isenabled()
    # What `settle` collects before freezing is then only what came after the last page.
    assert _in_generation(0, kept) == 0 and _in_generation(1, kept) == 0
    assert _in_generation(2, kept) == len(kept)


def test_a_page_s_garbage_cycles_are_freed_page_by_page() -> None:
    freed: list[int] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            freed.append(1)

    with memory.gc_paused():
        Cycle()
        memory.collect_young()
        assert freed == [1]


def test_what_a_cache_read_builds_is_frozen_not_left_for_a_pass_over_it() -> None:
    before = gc.get_freeze_count()
    with memory.gc_paused_keeping():
        kept = [Item(i) for i in range(5000)]
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(kept)
    assert all(_in_generation(g, kept) == 0 for g in range(3))


def test_a_failed_cache_read_freezes_nothing_and_resumes_the_collector() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(ValueError), memory.gc_paused_keeping():
        [Item(i) for i in range(100)]
        raise ValueError("unreadable")
    assert gc.isenabled()
    assert gc.get_freeze_count() == before
