"""Overview: what needs attention now. Each row jumps to its resource.

At 100,000 certificates the triage must not redo everything on each change: a diff
re-examines only the items it touched, and `views.batching.Batcher` coalesces large batches
of work so that the expensive passes run at most once a second, with a full pass now and
then so relative times ("in 3 d") and windows that time crosses stay right. A large pass
(the first one over 100,000 certificates decodes every certificate) runs at most `SLICE`
items and `SLICE_SECONDS` per turn of the event loop, so keys are answered while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Static

from stm_tui import priority
from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.areas import Area
from stm_tui.tui.monitor_launch import open_monitor
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.widgets.resource_table import ResourceTable
from stm_tui.views import triage
from stm_tui.views.batching import Batch, Batcher
from stm_tui.views.table_model import Row

# What the Overview re-examines per turn of the event loop: at most this many items, and no
# longer than this. A certificate's first look decodes it (30-70 us on a loaded machine), so
# 2,000 of them held the loop for up to 150 ms, and a key pressed then waited as long.
SLICE = 2000
SLICE_SECONDS = 0.015
CHUNK = 100  # items between looks at the clock
# The shortest wait handed to Textual's timers: one of 0 s divides by its interval (the
# timer task dies before its callback runs, and the batcher would wait for it for ever).
NEXT_TURN = 0.001


class OverviewScreen(AreaScreen):
    BINDINGS = keys.bindings("release.monitor")

    HELP = (
        "Enter jumps to the selected item in its area; m on a release window's row opens "
        "its live monitor (Esc comes back)."
    )

    def __init__(self, area: Area) -> None:
        super().__init__(area)
        self._rows: dict[str, Row] = {}
        self._triage = triage.Triage()
        self._batcher = Batcher(
            triage.TRIAGED,
            self._apply,
            size_of=lambda name: len(self.host.session.store.collection(name)),
            schedule=lambda delay, callback: self.set_timer(max(delay, NEXT_TURN), callback),
        )
        # While the cursor sits on the first row it stays on the first row as items arrive,
        # so the most urgent item is what the user sees selected.
        self._pinned = True
        self._unsubscribe: list[Callable[[], None]] = []
        self._missing: dict[str, str] | None = None
        self._pending: dict[str, set[str]] = {}
        self._slice_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary", markup=False)
        yield ResourceTable(list(triage.COLUMNS), id="table")

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#table", ResourceTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.table.sort_by("urgency")
        self.rebuild()
        store = self.host.session.store
        self._unsubscribe = [
            store.subscribe(self._on_diff, self.area.resources),
            # A failed scan's worst finding comes with its report (one per scan id).
            store.subscribe(self._on_reports, ("scan_reports",)),
        ]
        self.table.focus()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._batcher.stop()
        if self._slice_timer is not None:
            self._slice_timer.stop()
            self._slice_timer = None

    def _on_reports(self, diff: Diff) -> None:
        self._batcher.mark("scans", diff.touched | diff.removed)

    def _on_diff(self, diff: Diff) -> None:
        self._batcher.mark(diff.resource, diff.touched | diff.removed)

    def rebuild(self) -> None:
        """Re-examine everything now (mount, and once a minute)."""
        self._batcher.rebuild()

    def _apply(self, dirty: Batch) -> None:
        """Take what changed; re-examine it now when it is little, else slice by slice."""
        store = self.host.session.store
        for resource, ids in dirty.items():
            if ids is None:
                # Everything: what is held now, and what was shown before (it may be gone).
                held = store.collection(resource).items if resource in store.names else {}
                ids = frozenset(held) | frozenset(self._triage.ids(resource))
            self._pending.setdefault(resource, set()).update(ids)
        if self._slice_timer is None:
            self._examine()
        # else a pass is under way: its next slice takes these too (examining now as well
        # would start a second chain of slices, one the unmount could not stop)

    def _examine(self) -> None:
        """Re-examine pending items (up to `SLICE` of them, for up to `SLICE_SECONDS`) and hand
        the table only the rows that differ; what is left waits for the next turn of the loop.
        A first pass over 100,000 certificates decodes each one: in one go it held the UI for
        3 s."""
        self._slice_timer = None
        app = self.host
        store, now = app.session.store, app.now()
        reports = dict(store.collection("scan_reports").items)
        touched: set[str] = set()
        budget = SLICE
        deadline = time.perf_counter() + SLICE_SECONDS
        for resource in list(self._pending):
            pending = self._pending[resource]
            while pending and budget > 0:
                take = min(CHUNK, budget)
                if len(pending) <= take:
                    ids, pending = pending, set()
                else:
                    ids = {pending.pop() for _ in range(take)}
                budget -= len(ids)
                touched |= self._triage.refresh(store, now, reports, resource, ids)
                if time.perf_counter() > deadline:
                    budget = 0
            if not pending:
                del self._pending[resource]
            if budget <= 0:
                break
        upserts: list[Row] = []
        removed: list[str] = []
        for key in touched:
            found = self._triage.get(key)
            if found is None:
                if self._rows.pop(key, None) is not None:
                    removed.append(key)
                continue
            row = found.row()
            if self._rows.get(key) != row:
                self._rows[key] = row
                upserts.append(row)
        if upserts or removed:
            self.table.apply_diff(upserts, removed)
            shown = self.table.visible_keys()
            if self._pinned and shown:
                self.table.move_cursor_to_key(shown[0])
        self._show_summary(force=True)
        if self._pending:
            # A key being answered gets the loop first (`stm_tui.priority`).
            pause = 0.02 if priority.input_recent() else NEXT_TURN
            self._slice_timer = self.set_timer(pause, self._examine)

    @property
    def examining(self) -> bool:
        """Items are still waiting to be re-examined (a large pass is under way)."""
        return bool(self._pending)

    def _show_summary(self, force: bool = False) -> None:
        store = self.host.session.store
        missing = triage.unloaded(
            store.collection(name).status for name in triage.TRIAGED if name in store.names
        )
        if not force and missing == self._missing:
            return
        self._missing = missing
        summary = triage.summary_of(self._triage.counts(), missing)
        self.query_one("#summary", Static).update(summary)

    def update_freshness(self) -> None:
        super().update_freshness()
        # A collection that failed or finished its first load changes what the summary must
        # say: "not loaded: ..." is never replaced by an all-clear until the data is here.
        if self.is_mounted:
            self._show_summary()

    @on(ResourceTable.RowHighlighted)
    def _highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        shown = self.table.visible_keys()
        self._pinned = bool(shown) and event.key == shown[0]

    def _selected_release(self) -> str | None:
        key = self.table.cursor_key
        if key is None:
            return None
        resource, ident = triage.split_key(key)
        return ident if resource == "releases" else None

    def action_monitor_selected(self) -> None:
        # Always enabled, so that pressing it on another row says what it is for (a dimmed
        # key would swallow the press without a word).
        release_id = self._selected_release()
        if release_id is None:
            self.notify("m monitors a release window: select an OPEN or SOON row",
                        severity="warning", timeout=3)
            return
        open_monitor(self.app, [release_id])

    @on(ResourceTable.RowSelected)
    async def _jump(self, event: ResourceTable.RowSelected) -> None:
        if event.key is None:
            return
        resource, ident = triage.split_key(event.key)
        await self.host.jump_to(resource, ident, detail=True)
