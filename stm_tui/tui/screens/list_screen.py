"""A list area: the store collection in a ResourceTable, with filter, detail, copy, export."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from stm_tui.sanitize import clean_cell
from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.areas import Area
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from stm_tui.tui.widgets.filter_input import FilterInput
from stm_tui.tui.widgets.resource_table import ResourceTable
from stm_tui.views import export
from stm_tui.views.resources import ResourceView
from stm_tui.views.table_model import Row

log = logging.getLogger(__name__)

# From this width on, the detail opens beside the list instead of on its own screen.
SIDE_BY_SIDE_WIDTH = 110


class ListScreen(AreaScreen):
    BINDINGS = keys.bindings(
        "filter", "back", "copy_name", "copy_id", "export_csv", "export_json", "full_values"
    )

    HELP = "Enter opens the detail; v shows every field in full; Esc goes back."

    def __init__(self, area: Area, view: ResourceView) -> None:
        super().__init__(area, view=view)
        self.view = view
        self.detail_key: str | None = None
        # The area a jump came from (Overview, palette): Esc goes back there.
        self.came_from: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_rows: Callable[[], None] | None = None
        # A new item to select once its row arrives (a keypair just generated).
        self._focus_when_listed: str | None = None

    # composition -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ResourceTable(list(self.view.columns), id="table")
            pane = DetailPane(id="detail")
            pane.display = False
            yield pane
        filter_input = FilterInput()
        filter_input.display = False
        yield filter_input

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#table", ResourceTable)

    def on_mount(self) -> None:
        super().on_mount()
        # Always a defined order: some lists arrive in an order the server does not promise.
        column, reverse = self.view.default_sort or (self.view.columns[0].key, False)
        self.table.sort_by(column, reverse)
        # Rows come prebuilt from the app's cache: the ones built so far now, the rest (and
        # every later change) as batches.
        cache = self.host.row_caches[self.view.resource]
        self._unsubscribe_rows = cache.subscribe(self._on_rows)
        self.table.set_rows(cache.rows)  # by key: taken without rebuilding the dict
        self._unsubscribe = self.host.session.store.subscribe(
            self._on_diff, (self.view.resource, *self.view.depends_on, *self.detail_sources())
        )
        self.table.focus()
        self._update_view_info()

    def on_unmount(self) -> None:
        for unsubscribe in (self._unsubscribe_rows, self._unsubscribe):
            if unsubscribe is not None:
                unsubscribe()

    def detail_sources(self) -> tuple[str, ...]:
        """Collections shown in the detail besides our own (signature logs)."""
        return self.view.detail_sources

    # rows and detail updates -------------------------------------------------------------

    def _on_rows(self, upserts: list[Row], removed: set[str]) -> None:
        self.table.apply_diff(upserts, removed)
        wanted = self._focus_when_listed
        if wanted is not None and any(row.key == wanted for row in upserts):
            self._focus_when_listed = None
            self.focus_key(wanted)

    def _on_diff(self, diff: Diff) -> None:
        # The rows follow the cache; the detail shows the store's item and its sources.
        if self.detail_key is not None:
            self._show_detail(self.detail_key)
        # The selected item's new state may change which write keys fit it (disabled: Enable).
        self.refresh_write_keys()

    # messages from the table -------------------------------------------------------------

    @on(ResourceTable.ViewChanged)
    def _view_changed(self, event: ResourceTable.ViewChanged) -> None:
        self._update_view_info()

    @on(ResourceTable.RowHighlighted)
    def _highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        if self.detail_key is not None and event.key is not None:
            self._show_detail(event.key)
        self.refresh_write_keys()

    @on(ResourceTable.RowSelected)
    def _selected(self, event: ResourceTable.RowSelected) -> None:
        if event.key is not None:
            self.open_detail(event.key)

    def _update_view_info(self) -> None:
        table = self.table
        info = Text()
        info.append(self.area.title, style="bold")
        info.append(f"  {table.row_count}/{table.total_count}")
        if table.filter_query:
            info.append("  /", style="dim")
            info.append(clean_cell(table.filter_query))  # pasted text can hold anything
            error = table.filter_error
            if error:
                info.append(f"  {clean_cell(error)}", style="red")
        self.set_view_info(info)

    # detail ------------------------------------------------------------------------------

    def open_detail(self, key: str) -> None:
        if self.size.width >= SIDE_BY_SIDE_WIDTH:
            self.query_one("#detail", DetailPane).display = True
            self._show_detail(key)
        else:
            came_from, self.came_from = self.came_from, None
            self.app.push_screen(self.detail_screen(key, came_from))

    def detail_screen(self, key: str, came_from: str | None) -> DetailScreen:
        """The screen of one item, below the side-by-side width."""
        return DetailScreen(self.area, self.view, key, came_from=came_from)

    def _show_detail(self, key: str) -> None:
        self.detail_key = key
        self.query_one("#detail", DetailPane).show(self.render_detail(key))

    def render_detail(self, key: str) -> RenderableType:
        return self.host.detail_renderable(
            self.view.resource, key, lambda: self._redraw_detail(key)
        )

    def _redraw_detail(self, key: str) -> None:
        if self.detail_key == key:
            self._show_detail(key)

    def close_detail(self) -> bool:
        pane = self.query_one("#detail", DetailPane)
        if not pane.display:
            return False
        pane.display = False
        self.detail_key = None
        self.table.focus()
        return True

    # actions -----------------------------------------------------------------------------

    def action_open_filter(self) -> None:
        box = self.query_one(FilterInput)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._update_view_info()

    @on(FilterInput.Closed)
    def _filter_closed(self) -> None:
        box = self.query_one(FilterInput)
        if not box.value:
            box.display = False
        self.table.focus()

    def action_back(self) -> None:
        if self.came_from is not None:
            target, self.came_from = self.came_from, None
            self.close_detail()
            self.host.go_back(target)
            return
        if self.close_detail():
            return
        box = self.query_one(FilterInput)
        if box.value:
            box.value = ""
            box.display = False

    def on_screen_suspend(self) -> None:
        # Leaving the area by its own key forgets the jump: Esc later stays here.
        self.came_from = None

    def action_view_full(self) -> None:
        key = self.detail_key or self.table.cursor_key
        if key is not None:
            self.host.show_full_values(self.view.resource, key)

    def focus_key(self, key: str) -> bool:
        """Put the cursor on `key`, clearing a filter that hides it."""
        table = self.table
        if not table.move_cursor_to_key(key):
            self.query_one(FilterInput).value = ""
            table.set_filter("")
            if not table.move_cursor_to_key(key):
                return False
        table.focus()
        return True

    def focus_key_when_listed(self, key: str) -> None:
        """Select `key` now, or as soon as its row arrives from the store."""
        if self.table.move_cursor_to_key(key):
            self.table.focus()
            return
        self._focus_when_listed = key

    def selected_item(self) -> Any | None:
        key = self.table.cursor_key
        if key is None:
            return None
        return self.host.session.store.collection(self.view.resource).get(key)

    def action_copy_id(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.host.copy_text(item.id, "id")

    def action_copy_label(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.host.copy_text(self.view.label(item), "name")

    def action_export(self, fmt: str) -> None:
        keys = self.table.visible_keys()
        collection = self.host.session.store.collection(self.view.resource)
        items = [collection.items[k] for k in keys if k in collection.items]
        try:
            if fmt == "json":
                path = export.write_json(self.view.resource, items, self.host.now())
            else:
                rows = [self.table_row(k) for k in keys]
                path = export.write_csv(
                    self.view.resource, [c.title for c in self.view.columns], rows, self.host.now()
                )
        except OSError as exc:
            self.notify(f"export failed: {exc.strerror or exc}", severity="error", markup=False)
            return
        count = len(items)
        self.notify(f"{count} {'row' if count == 1 else 'rows'} written to {path}",
                    title="Exported", markup=False)

    def table_row(self, key: str) -> list[str]:
        item = self.host.session.store.collection(self.view.resource).get(key)
        if item is None or self.view.row is None:
            return []
        row = self.view.row(item, self.host.context())
        return [c if isinstance(c, str) else c.plain for c in row.cells]
