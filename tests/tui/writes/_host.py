"""A small host app for the write-side screens, and whether a widget is fully on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.tui.app import THEMES, _css_paths

SIZES = [(80, 24), (120, 40)]


class Host(App[None]):
    """Pushes one screen at start and keeps what it dismissed with."""

    CSS_PATH = _css_paths()

    def __init__(self, make: Callable[[], Screen[Any]], *, theme: str | None = None) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []
        if theme:
            self.theme = THEMES[theme]

    def compose(self) -> Any:
        yield Static("host screen", id="host")

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.results.append)


def fully_visible(app: App[Any], selector: str) -> bool:
    """Is the widget inside the terminal (not cut off at 80x24)?"""
    widget = app.screen.query_one(selector)
    region = widget.region
    width, height = app.size
    return (
        region.height > 0 and region.y >= 0 and region.bottom <= height and (region.right <= width)
    )
