"""A scrollable pane showing one resource's detail renderable."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class DetailPane(VerticalScroll, can_focus=True):
    DEFAULT_CLASSES = "detail-pane"

    renderable: RenderableType = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body", markup=False)

    def show(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self.query_one("#detail-body", Static).update(renderable)
