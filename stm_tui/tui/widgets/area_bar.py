"""The strip of areas and their keys; the current one is highlighted. Clicking switches."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Static

from stm_tui.tui.areas import AREAS, Area

LEVELS = ("title", "short", "smallest", "brief", "keys")


def _label(area: Area, level: str, chosen: bool) -> str:
    if level == "title":
        return area.title
    if level == "short":
        return area.short
    if chosen or level == "smallest":
        return area.smallest
    return area.briefest if level == "brief" else ""


class AreaBar(Static):
    DEFAULT_CLASSES = "area-bar"

    def __init__(self, current: str) -> None:
        super().__init__("", markup=False)
        self.current = current
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self._render_bar()

    def on_resize(self, event: events.Resize) -> None:
        self._render_bar()

    def _render_bar(self) -> None:
        width = self.size.width or 80
        # Widest labels that fit: full titles, short ones, tiny ones packed tight, then the
        # current area's tiny label among brief ones (80 columns), and last the keys alone
        # beside the current area's label. Every area keeps its key whatever the width.
        for level in LEVELS:
            line = self._build(level)
            if line.cell_len <= width:
                break
        self.update(line)

    def _build(self, level: str) -> Text:
        line = Text()
        self._spans = []
        pad = " " if level in ("title", "short") else ""
        for area in AREAS:
            start = line.cell_len
            chosen = area.mode == self.current
            line.append(f" {area.key}", style="bold reverse" if chosen else "bold")
            label = _label(area, level, chosen)
            if label:
                line.append(f" {label}{pad}", style="reverse" if chosen else "dim")
            self._spans.append((start, line.cell_len, area.mode))
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, mode in self._spans:
            if start <= event.x < end:
                self.app.switch_mode(mode)
                return
