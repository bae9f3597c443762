"""Signing-rate sparklines: overall, then per keypair and per signer (the busiest first).

Each row: a label, the last hour as a sparkline (one minute per cell, or two in braille),
and the count of the last hour. Rows of one kind share a scale so they compare by eye.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from stm_tui.tui.widgets.monitor_text import middle, same_text
from stm_tui.views.monitor.rates import MINUTES
from stm_tui.views.monitor.spark import sparkline

LABEL = 18  # at 80 columns; wider terminals give labels more room
WIDE_LABEL = 30
TAIL = 12


@dataclass(frozen=True)
class SparkRow:
    label: str
    values: tuple[int, ...]
    group: str  # rows of one group share a scale
    style: str = ""


class RateSparks(Widget):
    DEFAULT_CSS = """
    RateSparks {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: tuple[SparkRow, ...] = ()
        self._glyphs = "blocks"
        self._text = Text("")
        self._width = -1
        self.repaints = 0

    def show(self, rows: Sequence[SparkRow], glyphs: str) -> bool:
        rows = tuple(rows)
        if rows == self._rows and glyphs == self._glyphs:
            return False
        self._rows, self._glyphs = rows, glyphs
        self.styles.height = max(1, len(rows))
        return self._rebuild()

    def _rebuild(self) -> bool:
        width = self.content_size.width
        self._width = width
        peaks: dict[str, int] = {}
        for row in self._rows:
            peaks[row.group] = max(peaks.get(row.group, 0), max(row.values, default=0))
        per_cell = 2 if self._glyphs == "braille" else 1
        label_width = WIDE_LABEL if width >= 100 else LABEL
        # An hour at most: wider rows would only pad the left with empty minutes.
        spark_width = max(0, min(width - label_width - TAIL - 2, -(-MINUTES // per_cell)))
        text = Text()
        for number, row in enumerate(self._rows):
            if number:
                text.append("\n")
            shown = middle(row.label, label_width - 1)
            label = shown + " " * (label_width - cell_len(shown))
            text.append(label, "dim" if row.group != "overall" else "bold")
            text.append(
                sparkline(row.values, spark_width, self._glyphs, peaks.get(row.group)),
                row.style or ("bold" if row.group == "overall" else ""),
            )
            text.append(f"  {sum(row.values):>5} in 1 h"[:TAIL + 2], "dim")
        if same_text(text, self._text):
            return False
        self._text = text
        self.repaints += 1
        self.refresh()
        return True

    def on_resize(self) -> None:
        if self.content_size.width != self._width:
            self._rebuild()

    def render(self) -> Text:
        return self._text
