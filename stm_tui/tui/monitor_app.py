"""A small app around the monitor screen, for `stm-tui watch` on a terminal and `replay`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from textual.app import App

from stm_tui.tui.screens.monitor import MonitorScreen


def _styles() -> list[str | PurePath]:
    here = Path(__file__).resolve().parent.parent
    folder = here / "styles" if (here / "styles").is_dir() else here.parent / "styles"
    return [folder / "global.tcss", folder / "monitor.tcss"]


class MonitorApp(App[None]):
    TITLE = "stm-tui monitor"
    ENABLE_COMMAND_PALETTE = False  # nothing to search here; the footer keeps its room
    CSS_PATH = _styles()

    def __init__(self, make_screen: Callable[[], MonitorScreen], *,
                 theme: str | None = None) -> None:
        super().__init__()
        self._make_screen = make_screen
        if theme:
            self.theme = theme

    def on_mount(self) -> None:
        self.push_screen(self._make_screen(), callback=lambda _result: self.exit())
