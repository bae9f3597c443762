"""The detail of one resource on its own screen (narrow terminals), kept live."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding

from stm_tui.store.store import Diff
from stm_tui.tui.areas import Area
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.widgets.detail_pane import DetailPane


class DetailScreen(AreaScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("v", "view_full", "Full values"),
        Binding("y", "copy_label", "Copy name", show=False),
        Binding("i", "copy_id", "Copy id", show=False),
    ]

    HELP = "v shows every field in full (values are cut at a few kB here); Esc goes back."

    def __init__(
        self, area: Area, resource: str, key: str, *, came_from: str | None = None
    ) -> None:
        super().__init__(area, id=f"detail-{area.mode}")
        self.resource = resource
        self.key = key
        # The area a jump came from: Esc goes back there, not only to the list.
        self.came_from = came_from
        self._unsubscribe: Callable[[], None] | None = None

    def compose_body(self) -> ComposeResult:
        yield DetailPane(id="detail")

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.stm.session.store.subscribe(
            self._on_diff, (self.resource, "signatures")
        )
        self.redraw()
        self.query_one(DetailPane).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _on_diff(self, diff: Diff) -> None:
        if diff.resource != self.resource or self.key in diff.touched | diff.removed:
            self.redraw()

    def redraw(self) -> None:
        renderable = self.stm.detail_renderable(self.resource, self.key, self.redraw)
        self.query_one(DetailPane).show(renderable)

    def action_back(self) -> None:
        self.app.pop_screen()
        if self.came_from is not None:
            self.stm.go_back(self.came_from)

    def action_view_full(self) -> None:
        self.stm.show_full_values(self.resource, self.key)

    def action_copy_id(self) -> None:
        self.stm.copy_text(self.key, "id")

    def action_copy_label(self) -> None:
        item = self.stm.session.store.collection(self.resource).get(self.key)
        if item is not None:
            self.stm.copy_text(self.stm.label_of(self.resource, item), "name")
