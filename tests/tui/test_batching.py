"""The Overview's batching, on a fake clock and a fake timer: small changes at once, large
ones coalesced into one pass per interval, everything once a minute."""

from __future__ import annotations

from collections.abc import Callable

from stm_tui.views.batching import Batch, Batcher


class FakeTimer:
    def __init__(self, delay: float, callback: Callable[[], None]) -> None:
        self.delay = delay
        self.callback = callback
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Harness:
    def __init__(self, sizes: dict[str, int]) -> None:
        self.now = 1000.0
        self.sizes = sizes
        self.passes: list[Batch] = []
        self.timers: list[FakeTimer] = []
        self.batcher = Batcher(
            sizes,
            self.passes.append,
            size_of=lambda name: self.sizes[name],
            schedule=self.schedule,
            clock=lambda: self.now,
            immediate_items=10,
            min_interval=1.0,
            full_every=60.0,
        )

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer

    def fire(self) -> None:
        timer = self.timers[-1]
        assert not timer.stopped
        self.now += timer.delay
        timer.callback()


def started(sizes: dict[str, int] | None = None) -> Harness:
    h = Harness(sizes or {"certificates": 100_000, "releases": 20})
    h.batcher.rebuild()  # the screen's mount: one full pass
    assert h.passes == [{"certificates": None, "releases": None}]
    h.passes.clear()
    return h


def test_a_few_changes_are_applied_at_once() -> None:
    h = started()
    h.now += 0.2  # well inside the interval: small work does not wait for it
    h.batcher.mark("releases", ["r1", "r2"])
    assert h.passes == [{"releases": frozenset({"r1", "r2"})}]
    assert not h.timers


def test_a_large_batch_waits_for_the_interval_and_later_changes_join_it() -> None:
    h = started()
    h.now += 0.25
    h.batcher.mark("certificates", [f"c{i}" for i in range(50)])
    assert h.passes == [] and h.batcher.waiting
    assert h.timers[-1].delay == 0.75  # one pass per second at most
    h.batcher.mark("certificates", ["c0", "c99"])
    h.batcher.mark("releases", ["r1"])
    assert len(h.timers) == 1  # the waiting pass takes them
    h.fire()
    assert h.passes == [
        {"certificates": frozenset({*(f"c{i}" for i in range(50)), "c99"}),
         "releases": frozenset({"r1"})}
    ]
    assert not h.batcher.waiting


def test_a_large_batch_never_runs_inside_the_change_that_brought_it() -> None:
    h = started()
    h.now += 5  # the interval is long over
    h.batcher.mark("certificates", [f"c{i}" for i in range(50)])
    assert h.passes == [] and h.timers[-1].delay == 0  # the next turn of the loop
    h.fire()
    assert h.passes == [{"certificates": frozenset(f"c{i}" for i in range(50))}]


def test_a_whole_collection_marked_counts_its_size_and_stays_whole() -> None:
    h = started()
    h.now += 0.5
    h.batcher.mark("certificates", None)  # 100,000 items: too many for now
    h.batcher.mark("certificates", ["c1"])  # still the whole collection
    assert h.batcher.pending_items() == 100_000
    h.fire()
    assert h.passes == [{"certificates": None}]


def test_once_a_minute_a_change_brings_a_pass_over_everything() -> None:
    h = started()
    h.now += 61
    h.batcher.mark("releases", ["r1"])
    assert h.passes == [{"certificates": None, "releases": None}]


def test_a_collection_it_does_not_watch_is_ignored() -> None:
    h = started()
    h.batcher.mark("audit", ["a1"])
    assert h.passes == [] and not h.timers


def test_stop_cancels_the_waiting_pass() -> None:
    h = started()
    h.batcher.mark("certificates", None)
    timer = h.timers[-1]
    h.batcher.stop()
    assert timer.stopped and not h.batcher.waiting
