"""Coalescing store changes into passes of work: few items at once, large batches at most
once per interval, and now and then everything.

The Overview re-examines only the items a diff touched; at 100,000 certificates a burst of
diffs must still not cost a full pass each. `Batcher` collects the touched ids per
collection and decides when the owner's `work` runs: at once while the pending work is
small (a small account feels immediate), otherwise at the next free slot (never inside the
store write that marked it), and with
everything marked once every `full_every` seconds, so that what time alone changes
("in 3 d", a window that opened) stays right. It is pure: the clock and the timer are
injected (a screen passes Textual's `set_timer`, a test a fake), so the release monitor and
a headless `watch` can use it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol


class Timer(Protocol):
    def stop(self) -> None: ...


# (delay in seconds, callback) -> a handle that cancels it: Textual's `set_timer` is one.
Schedule = Callable[[float, Callable[[], None]], Timer]
# What to re-examine: collection -> ids, None for the whole collection.
Batch = dict[str, frozenset[str] | None]


class Batcher:
    def __init__(
        self,
        collections: Iterable[str],
        work: Callable[[Batch], None],
        *,
        size_of: Callable[[str], int],
        schedule: Schedule,
        clock: Callable[[], float] = time.monotonic,
        immediate_items: int = 2000,
        min_interval: float = 1.0,
        full_every: float = 60.0,
    ) -> None:
        self.collections = tuple(collections)
        self._work = work
        self._size_of = size_of
        self._schedule = schedule
        self._clock = clock
        self.immediate_items = immediate_items
        self.min_interval = min_interval
        self.full_every = full_every
        self._dirty: dict[str, set[str] | None] = {}
        self._timer: Timer | None = None
        self._last_pass = float("-inf")
        self._last_full = float("-inf")

    @property
    def waiting(self) -> bool:
        """A pass is scheduled and has not run yet."""
        return self._timer is not None

    def pending_items(self) -> int:
        return sum(
            self._size_of(name) if ids is None else len(ids) for name, ids in self._dirty.items()
        )

    def mark(self, collection: str, ids: Iterable[str] | None) -> None:
        """Items of `collection` changed (None: any of them may have); schedule a pass."""
        if collection not in self.collections:
            return
        pending = self._dirty.get(collection, set())
        if ids is None or pending is None:
            self._dirty[collection] = None
        elif collection in self._dirty:
            pending.update(ids)  # in place: a listing of 100,000 ids is not copied per diff
        else:
            self._dirty[collection] = set(ids)
        self._maybe_now()

    def rebuild(self) -> None:
        """Re-examine everything now."""
        self._dirty = dict.fromkeys(self.collections)
        self.flush()

    def flush(self) -> None:
        """Run the pending pass now (the timer calls this too)."""
        self._timer = None
        now = self._clock()
        if now - self._last_full >= self.full_every:
            self._dirty = dict.fromkeys(self.collections)
        if not self._dirty:
            return
        if len(self._dirty) == len(self.collections) and all(
            ids is None for ids in self._dirty.values()
        ):
            self._last_full = now
        batch: Batch = {
            name: None if ids is None else frozenset(ids) for name, ids in self._dirty.items()
        }
        self._dirty = {}
        self._work(batch)
        self._last_pass = self._clock()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _maybe_now(self) -> None:
        if self._timer is not None:
            return  # the scheduled pass takes these too
        if self.pending_items() <= self.immediate_items:
            self.flush()
            return
        # Large work never runs inside the store write that brought it (a listing of
        # 100,000 items: its commit held the UI for ~100 ms more), but on a later turn of the
        # loop, once the interval is over: a key pressed meanwhile is answered first.
        wait = self._last_pass + self.min_interval - self._clock()
        self._timer = self._schedule(max(wait, 0.0), self.flush)
