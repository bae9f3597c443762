"""`TextLine`: a line (or a few) of the monitor that repaints only when its text changes.

The monitor is left open for hours over SSH: a poll or a clock tick that leaves a line as it
was must write nothing to the terminal, so every line compares its new text with the one it
shows before asking for a repaint.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widget import Widget

from stm_tui.sanitize import clean


def middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle: two keypairs named
    `platform-firmware-update` and `platform-firmware-root` stay apart when cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if width < 5:
        return set_cell_size(text, width - 1) + "…"
    head = (width - 1) // 2
    tail = width - 1 - head
    return set_cell_size(text, head) + "…" + text[-tail:]


def same_text(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.spans == b.spans and a.style == b.style


def safe(text: Text) -> Text:
    """The last guard before the terminal: the monitor builds its lines from cleaned text,
    so this only acts if something raw slipped through (styles are then dropped)."""
    if all(part.isprintable() for part in text.plain.split("\n")):
        return text
    return Text(clean(text.plain, newlines=True, limit=20_000), style=text.style)


class TextLine(Widget):
    DEFAULT_CSS = """
    TextLine {
        height: 1;
        width: 1fr;
        overflow: hidden;
        text-wrap: nowrap;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = Text("")
        self.repaints = 0  # for tests and the bench: how often it asked to be redrawn

    @property
    def text(self) -> Text:
        return self._text

    def show(self, text: Text) -> bool:
        """Show `text`; False (and no repaint) when it is what is shown already."""
        text = safe(text)
        if same_text(text, self._text):
            return False
        self._text = text
        self.repaints += 1
        self.refresh()
        return True

    def render(self) -> Text:
        return self._text
