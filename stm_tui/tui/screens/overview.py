"""Overview: what needs attention now. Each row jumps to its resource."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from stm_tui.store.store import Diff
from stm_tui.tui import triage
from stm_tui.tui.areas import Area
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.widgets.resource_table import ResourceTable
from stm_tui.tui.widgets.table_model import Row


class OverviewScreen(AreaScreen):
    HELP = "Enter jumps to the selected item in its area."

    def __init__(self, area: Area) -> None:
        super().__init__(area)
        self._rows: dict[str, Row] = {}
        # While the cursor sits on the first row it stays on the first row as items arrive,
        # so the most urgent item is what the user sees selected.
        self._pinned = True
        self._unsubscribe: Callable[[], None] | None = None

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
        self._unsubscribe = self.stm.session.store.subscribe(
            self._on_diff, self.area.resources
        )
        self.stm.reports_loaded.append(self.rebuild)
        self.table.focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.rebuild in self.stm.reports_loaded:
            self.stm.reports_loaded.remove(self.rebuild)

    def _on_diff(self, diff: Diff) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute the triage list and hand the table only what changed."""
        app = self.stm
        found = triage.triage(app.session.store, app.now(), app.scan_reports)
        app.load_scan_reports([f.id for f in found if f.resource == "scans"])
        rows = {item.key: item.row() for item in found}
        upserts = [row for key, row in rows.items() if self._rows.get(key) != row]
        removed = [key for key in self._rows if key not in rows]
        if upserts or removed:
            self.table.apply_diff(upserts, removed)
            shown = self.table.visible_keys()
            if self._pinned and shown:
                self.table.move_cursor_to_key(shown[0])
        self._rows = rows
        self.query_one("#summary", Static).update(triage.summary(found))

    @on(ResourceTable.RowHighlighted)
    def _highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        shown = self.table.visible_keys()
        self._pinned = bool(shown) and event.key == shown[0]

    @on(ResourceTable.RowSelected)
    async def _jump(self, event: ResourceTable.RowSelected) -> None:
        if event.key is None:
            return
        resource, ident = triage.split_key(event.key)
        await self.stm.jump_to(resource, ident)
