"""The alerts pane: every alert stays here until acknowledged.

Unacknowledged alerts first (newest on top), then the most recent acknowledged ones, dimmed.
Each alert is wrapped onto up to three lines; the highlighted one is what `a` acknowledges.
Line API, like the stream: line 0 is the pane's title.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from stm_tui.tui import keys
from stm_tui.views.monitor.alerts import Alert
from stm_tui.views.monitor.timing import clock_time

MAX_LINES = 3


def _fit(text: str, width: int) -> str:
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    return text + " " * (width - length)


class AlertsView(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.bindings("monitor.prev_alert", "monitor.next_alert"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alerts--title",
        "alerts--error",
        "alerts--warning",
        "alerts--done",
        "alerts--cursor",
    }
    DEFAULT_CSS = """
    AlertsView {
        height: 1fr;
        width: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .alerts--title { text-style: bold; background: $boost; }
        & > .alerts--error { color: $error; }
        & > .alerts--warning { color: $warning; }
        & > .alerts--done { color: $foreground-muted; }
        & > .alerts--cursor { background: $accent 30%; }
    }
    """

    def __init__(self, *, id: str | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._pending: list[Alert] = []
        self._done: list[Alert] = []
        self._key: object = None
        self._lines: list[tuple[int, str]] = []  # (alert index, text)
        self._width = -1
        self.cursor = 0
        self.repaints = 0

    @property
    def alerts(self) -> list[Alert]:
        return [*self._pending, *self._done]

    @property
    def selected(self) -> Alert | None:
        if not self._pending:
            return None
        return self._pending[min(self.cursor, len(self._pending) - 1)]

    def show(self, pending: Sequence[Alert], done: Sequence[Alert], version: object) -> bool:
        key = (version, len(pending), len(done))
        if key == self._key:
            return False
        previous = self.selected
        self._key = key
        self._pending, self._done = list(pending), list(done)
        keys = [a.key for a in self._pending]
        if previous is not None and previous.key in keys:
            self.cursor = keys.index(previous.key)
        else:
            self.cursor = 0
        self._layout(force=True)
        self.repaints += 1
        self.refresh()
        return True

    def _layout(self, force: bool = False) -> None:
        width = max(1, (self.scrollable_content_region.width or self.size.width) - 1)
        if width == self._width and not force:
            return
        self._width = width
        lines: list[tuple[int, str]] = []
        for index, alert in enumerate(self.alerts):
            mark = "✓" if alert.acknowledged else ("!" if alert.severity == "warning" else "‼")
            count = f" (seen {alert.count} times)" if alert.count > 1 else ""
            text = Text(f"{clock_time(alert.at, self.tz)} {mark} {alert.message}{count}")
            wrapped = text.wrap(self.app.console, width)[:MAX_LINES]
            for number, line in enumerate(wrapped):
                plain = line.plain.rstrip()
                lines.append((index, ("  " if number else "") + plain))
        self._lines = lines
        self.virtual_size = Size(self.size.width, len(lines) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._layout()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        if y == 0:
            count = len(self._pending)
            title = f" Alerts: {count} to acknowledge" if count else " Alerts: none new"
            style = self.rich_style + self.get_component_rich_style("alerts--title")
            return Strip([Segment(_fit(title, width), style)], width)
        index = round(self.scroll_y) + y - 1
        if index >= len(self._lines):
            if not self._lines and y == 1:
                return Strip([Segment(_fit(" nothing so far", width), self.rich_style)], width)
            return Strip.blank(width, self.rich_style)
        alert_index, text = self._lines[index]
        alert = self.alerts[alert_index]
        kind = "done" if alert.acknowledged else alert.severity
        style = self.rich_style + self.get_component_rich_style(f"alerts--{kind}")
        if alert_index == self.cursor and not alert.acknowledged and self.has_focus:
            style += self.get_component_rich_style("alerts--cursor")
        return Strip([Segment(_fit(" " + text, width), style)], width)

    def action_move(self, step: int) -> None:
        if not self._pending:
            return
        self.cursor = max(0, min(len(self._pending) - 1, self.cursor + step))
        first = next(i for i, (a, _) in enumerate(self._lines) if a == self.cursor)
        self.scroll_to_region_line(first)
        self.refresh()

    def scroll_to_region_line(self, line: int) -> None:
        height = max(1, self.size.height - 1)
        if line < self.scroll_y:
            self.scroll_to(y=line, animate=False)
        elif line >= self.scroll_y + height:
            self.scroll_to(y=line - height + 1, animate=False)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
