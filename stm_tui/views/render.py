"""Rich renderables the detail panes are made of.

- `Sanitised` wraps any renderable and passes the text of every segment it produces through
  the sanitiser on its way to the terminal: the detail builders clean server text already,
  this is the guard that holds if one of them forgets.
- `Folded` shows a long unbroken token (a UUID, a colon-separated fingerprint) whole when it
  fits and otherwise breaks it only after a separator, never in the middle of a group.
- `Fields` lays out label/value pairs: labels in a column of fixed width (the longest label,
  so it does not move between refreshes), each value wrapped under its own column with
  continuation lines indented there rather than at column 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from stm_tui.sanitize import clean

# A segment's text is cut by the widget's own bound long before this; it only keeps the
# guard itself from being a way to allocate without limit.
_SEGMENT_LIMIT = 1 << 20


class Sanitised:
    """`renderable`, with nothing a terminal would act on in the text it renders."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            text, style, control = segment
            if control:
                continue  # cursor movement or similar from a renderable: never from data
            if text == "\n" or text.isprintable():
                yield segment
            else:
                yield Segment(clean(text, limit=_SEGMENT_LIMIT, newlines=True), style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


class Folded:
    """A token shown whole, or broken after one of `separators` when it does not fit."""

    def __init__(self, token: str, separators: str = ":-", style: str = "") -> None:
        self.token = token
        self.separators = separators
        self.style = style

    def _pieces(self) -> list[str]:
        pieces: list[str] = []
        start = 0
        for index, char in enumerate(self.token):
            if char in self.separators:
                pieces.append(self.token[start : index + 1])
                start = index + 1
        if start < len(self.token):
            pieces.append(self.token[start:])
        return pieces

    def lines(self, width: int) -> list[str]:
        if len(self.token) <= width:
            return [self.token]
        out: list[str] = []
        line = ""
        for piece in self._pieces():
            if line and len(line) + len(piece) > width:
                out.append(line)
                line = ""
            line += piece
            while len(line) > width:  # one group wider than the pane: fold it, as a last resort
                out.append(line[:width])
                line = line[width:]
        if line:
            out.append(line)
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(max(1, options.max_width)):
            yield Text(line, style=self.style, end="\n")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest_piece = max((len(p) for p in self._pieces()), default=1)
        return Measurement(min(widest_piece, len(self.token)), len(self.token))

    @property
    def plain(self) -> str:
        return self.token


Value = Text | Folded | RenderableType


class Fields:
    """Label/value rows; the label column is as wide as the longest label, always."""

    def __init__(self, rows: Sequence[tuple[str, Value]]) -> None:
        self.rows = list(rows)
        self.label_width = max((Text(label).cell_len for label, _ in self.rows), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(style="bold", no_wrap=True, width=self.label_width)
        grid.add_column(overflow="fold", ratio=1)
        for label, value in self.rows:
            grid.add_row(Text(label), value)
        yield grid

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(options.max_width, self.label_width + 2), options.max_width)
