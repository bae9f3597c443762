"""The detail of one resource on its own screen (narrow terminals), kept live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult

from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.areas import Area
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from stm_tui.views.resources import ResourceView


class DetailScreen(AreaScreen):
    BINDINGS = [*keys.shown("back", "full_values"), *keys.bindings("copy_name", "copy_id")]

    HELP = "v shows every field in full (values are cut at a few kB here); Esc goes back."

    def __init__(
        self, area: Area, view: ResourceView, key: str, *, came_from: str | None = None
    ) -> None:
        super().__init__(area, id=f"detail-{area.mode}", view=view)
        self.view = view
        self.resource = view.resource
        self.key = key
        # The area a jump came from: Esc goes back there, not only to the list.
        self.came_from = came_from
        self._unsubscribe: Callable[[], None] | None = None

    def compose_body(self) -> ComposeResult:
        yield DetailPane(id="detail")

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.host.session.store.subscribe(
            self._on_diff, (self.resource, *self.view.detail_sources)
        )
        self.redraw()
        self.query_one(DetailPane).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _on_diff(self, diff: Diff) -> None:
        if diff.resource != self.resource or self.key in diff.touched | diff.removed:
            self.redraw()
            self.refresh_write_keys()  # a suspended keypair offers unsuspend now

    def selected_item(self) -> Any | None:
        return self.host.session.store.collection(self.resource).get(self.key)

    def redraw(self) -> None:
        renderable = self.host.detail_renderable(self.resource, self.key, self.redraw)
        self.query_one(DetailPane).show(renderable)

    def action_back(self) -> None:
        self.app.pop_screen()
        if self.came_from is not None:
            self.host.go_back(self.came_from)

    def action_view_full(self) -> None:
        self.host.show_full_values(self.resource, self.key)

    def action_copy_id(self) -> None:
        self.host.copy_text(self.key, "id")

    def action_copy_label(self) -> None:
        item = self.host.session.store.collection(self.resource).get(self.key)
        if item is not None:
            self.host.copy_text(self.view.label(item), "name")
