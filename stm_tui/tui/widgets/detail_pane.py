"""A scrollable pane showing one resource's detail renderable."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from stm_tui.tui import keys


class DetailPane(VerticalScroll, can_focus=True):
    DEFAULT_CLASSES = "detail-pane"
    # The scrollbar's room is kept even while the content fits: a detail that grows past the
    # pane's height (a signature arrives) must not reflow every line two columns narrower.
    DEFAULT_CSS = """
    DetailPane { scrollbar-gutter: stable; }
    """
    BINDINGS = keys.bindings("pane.up", "pane.down", "pane.top", "pane.bottom")

    renderable: RenderableType = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body", markup=False)

    def show(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self.query_one("#detail-body", Static).update(renderable)
