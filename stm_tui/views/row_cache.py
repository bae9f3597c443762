"""Table rows for one list view, kept up to date from the store in the background.

A certificate row decodes the certificate's summary, so 100,000 of them take seconds (the
README's Performance notes have the figures). Building them when a list opens froze the
dashboard; the cache builds them as the store changes instead, in chunks that give the event
loop back in between, and a list screen that opens only hands the rows built so far to its
table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from typing import Protocol

from stm_tui import memory, priority
from stm_tui.store.store import Diff, Store
from stm_tui.views.rows.base import Context, RowFn
from stm_tui.views.table_model import Row, gc_paused

log = logging.getLogger(__name__)

# Seconds between background slices while a key is being answered (`stm_tui.priority`).
INPUT_PAUSE = 0.02

# A background build of at least this many rows keeps the cyclic collector paused from its
# first slice to its last, and its rows are then frozen out of the collector's scans
# (`memory.settle`), as a complete listing's models are. Paused only slice by slice, the
# collector ran full passes over every row built so far between slices: at 100,000
# certificates eight of them during a cold start, 48-285 ms each with the UI waiting.
SETTLE_ROWS = 10_000

# (rows built or rebuilt, keys removed): what a listener applies to its table.
Listener = Callable[[list[Row], set[str]], None]


class ListSource(Protocol):
    """What the cache needs of a view (`views.resources.ResourceView` is one)."""

    @property
    def resource(self) -> str: ...

    @property
    def depends_on(self) -> tuple[str, ...]: ...

    @property
    def row(self) -> RowFn | None: ...


class RowCache:
    # Rows built between two yields to the event loop: small enough that each step stays
    # well under a frame budget (see the README's Performance notes), so keys and redraws go
    # on while a 100,000-item listing is built.
    CHUNK = 1000
    # A background slice also ends after this long: a row costs 15-200 us (a certificate's
    # first decode included), so 1,000 of them held the UI for up to 220 ms during a sync.
    SLICE_SECONDS = 0.015

    def __init__(
        self, view: ListSource, store: Store, context: Callable[[], Context]
    ) -> None:
        if view.row is None:
            raise ValueError(f"{view.resource} has no list rows to cache")
        self.view = view
        self._row: RowFn = view.row
        self.rows: dict[str, Row] = {}
        self._store = store
        self._context = context
        self._listeners: list[Listener] = []
        # Keys waiting for a build: the set coalesces (a key changed twice is built once, a
        # removed one not at all); the deque keeps arrival order and may hold stale entries.
        self._pending: set[str] = set()
        self._order: deque[str] = deque()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._built_day: date | None = None

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Follow the store, starting with whatever it holds already."""
        if self._unsubscribe is None:
            self._unsubscribe = self._store.subscribe(
                self._on_diff, (self.view.resource, *self.view.depends_on)
            )
        self._queue_all()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def pending(self) -> int:
        """How many keys still wait for their row."""
        return len(self._pending)

    @property
    def building(self) -> bool:
        return self._task is not None

    # listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Get every later batch of built or removed rows; `rows` holds the ones so far."""
        self._listeners.append(listener)
        self._refresh_for_viewer()

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _refresh_for_viewer(self) -> None:
        # Cells may depend on the clock ("ends in 2 h", days left). A list used to be rebuilt
        # each time it opened; a small one still is (a few ms), a large one when the day
        # changed since its last full build (in the background, like any large change).
        size = len(self._store.collection(self.view.resource))
        if size <= self.CHUNK or self._context().now.date() != self._built_day:
            self._queue_all()

    def _notify(self, upserts: list[Row], removed: set[str]) -> None:
        for listener in list(self._listeners):
            try:
                listener(upserts, removed)
            except Exception:
                log.exception("a %s row listener failed", self.view.resource)

    # store changes -----------------------------------------------------------------------

    def _on_diff(self, diff: Diff) -> None:
        if diff.resource == self.view.resource:
            self._drop(diff.removed)
            self._queue(diff.touched)
        else:
            # A collection our cells look up by id changed: any row may show it.
            self._queue_all()

    def _drop(self, keys: Iterable[str]) -> None:
        gone = set()
        for key in keys:
            self._pending.discard(key)  # a removal cancels its pending build
            if self.rows.pop(key, None) is not None:
                gone.add(key)
        if gone:
            self._notify([], gone)

    def _queue_all(self) -> None:
        self._built_day = self._context().now.date()
        self._queue(self._store.collection(self.view.resource).items.keys())

    def _queue(self, keys: Iterable[str]) -> None:
        # A diff's ids come as a set: a listing of 100,000 is queued in set operations.
        if isinstance(keys, (set, frozenset)):
            new: Iterable[str] = keys - self._pending
        else:
            new = [key for key in keys if key not in self._pending]
        self._pending.update(new)
        self._order.extend(new)
        if not self._pending or self._task is not None:
            return  # nothing to do, or the running build will get to them
        if len(self._pending) <= self.CHUNK:
            # A poll's few changes: built at once, so the table shows them in the same turn.
            self._build_chunk()
        else:
            self._task = asyncio.get_running_loop().create_task(
                self._build_in_background(), name=f"{self.view.resource} rows"
            )

    # building ----------------------------------------------------------------------------

    async def _build_in_background(self) -> None:
        large = len(self._pending) >= SETTLE_ROWS
        try:
            with memory.gc_paused() if large else contextlib.nullcontext():
                while self._pending:
                    self._build_chunk(budget=self.SLICE_SECONDS)
                    if large:
                        # Cycles made meanwhile (by anyone) go now, each looked at once.
                        memory.collect_young()
                    # A key being answered gets the loop to itself for a moment.
                    await asyncio.sleep(INPUT_PAUSE if priority.input_recent() else 0)
            if large:
                memory.settle()
        finally:
            self._task = None

    def _build_chunk(self, budget: float | None = None) -> None:
        """Build up to `CHUNK` pending rows; with `budget`, stop once that many seconds
        have gone (what is left stays pending)."""
        deadline = time.perf_counter() + budget if budget is not None else None
        items = self._store.collection(self.view.resource).items
        ctx = self._context()  # the clock at build time, as when the list built its own rows
        built: list[Row] = []
        count = 0
        with gc_paused():
            while self._order and count < self.CHUNK:
                key = self._order.popleft()
                if key not in self._pending:
                    continue
                self._pending.discard(key)
                count += 1
                if deadline is not None and count % 32 == 0 and time.perf_counter() > deadline:
                    count = self.CHUNK  # this one is built, then the slice ends
                item = items.get(key)
                if item is None:
                    continue  # gone from the store: its removal diff drops the row
                try:
                    row = self._row(item, ctx)
                except Exception:
                    # One odd item must not take the whole list down; it is logged, not shown.
                    log.exception("could not build a %s row", self.view.resource)
                    continue
                if self.rows.get(key) != row:
                    self.rows[key] = row
                    built.append(row)
        if built:
            self._notify(built, set())
