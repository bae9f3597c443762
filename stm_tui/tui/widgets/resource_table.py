"""`ResourceTable`: the one list widget of the dashboard, built for 100,000 rows.

A Line-API `ScrollView`: Textual asks for one line at a time (`render_line`) and only for the
lines on screen, so the cost of a frame does not depend on the number of rows. Line 0 is a
fixed header; line `y >= 1` shows view row `scroll_y + y - 1`, so the virtual height is the row
count plus one. Rendered row strips are cached by row key and dropped by key when a diff
changes that row; a diff that changes nothing calls no `refresh()` at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from stm_tui.sanitize import clean_cell
from stm_tui.tui import keys
from stm_tui.views.format import zone_label
from stm_tui.views.table_model import (
    Cell,
    Column,
    DiffResult,
    Placed,
    Row,
    TableModel,
    layout_columns,
    plain,
)

__all__ = ["Column", "ResourceTable", "Row"]

_GAP = 1  # blank cells between columns
_PAD = 1  # blank cells before the first column
_SAMPLE = 400  # rows sampled to size `width=0` columns to their content
_UNIFORM_MIN_ROWS = 5  # rows sampled before a column with one value is called uniform
_CACHE_ROWS = 2048  # cached row keys before the strip cache is emptied
_ELLIPSIS = "…"
def _printable(text: str) -> str:
    """The last guard before the terminal, for a caller that handed the table raw server
    text (rows are built from cleaned text already). Printable text passes unchanged."""
    return text if text.isprintable() else clean_cell(text)


def _fit(text: str, width: int, align: str) -> str:
    """Plain text cut (with an ellipsis) or padded to exactly `width` cells."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + _ELLIPSIS if width > 1 else _ELLIPSIS[:width]
    if align == "right":
        return " " * (width - length) + text
    return text + " " * (width - length)


class ResourceTable(ScrollView, can_focus=True):
    """A virtualised, keyed, filterable and sortable table of resources."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header",
        "resource-table--cursor",
        "resource-table--row-odd",
        "resource-table--row-even",
    }

    DEFAULT_CSS = """
    ResourceTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        & > .resource-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .resource-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .resource-table--row-odd {
        }
        & > .resource-table--row-even {
            background: $surface-lighten-1 50%;
        }
        & > .resource-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .resource-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "table.up", "table.down", "table.page_up", "table.page_down", "table.half_page_up",
        "table.half_page_down", "table.first", "table.last", "table.open", "sort", "sort_reverse",
    )

    class RowHighlighted(Message):
        """The cursor moved to another row (`key` is None when the view is empty)."""

        def __init__(self, table: ResourceTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> ResourceTable:
            return self.table

    class RowSelected(Message):
        """Enter, or a click on the highlighted row."""

        def __init__(self, table: ResourceTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> ResourceTable:
            return self.table

    class ViewChanged(Message):
        """The filter, the sort or the row counts changed (for a "123/4567" label)."""

        def __init__(self, table: ResourceTable, row_count: int, total_count: int) -> None:
            super().__init__()
            self.table = table
            self.row_count = row_count
            self.total_count = total_count

        @property
        def control(self) -> ResourceTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._model = TableModel(columns)
        self._content_widths = [cell_len(c.title) + 2 for c in self._model.columns]
        self._uniform: frozenset[int] = frozenset()
        self._sampled_rows = 0
        self._cursor_key: str | None = None
        self._cursor_index = -1
        self._layout_width = -1
        self._layout: list[Placed] = []
        self._strips: dict[str, dict[tuple[int, bool, bool, bool], Strip]] = {}
        self._header: tuple[tuple[object, ...], Strip] | None = None
        self._last_counts = (-1, -1)

    # -- public state ----------------------------------------------------------------------

    @property
    def model(self) -> TableModel:
        return self._model

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._model.columns

    @property
    def filter_query(self) -> str:
        return self._model.query

    @property
    def filter_error(self) -> str | None:
        """Why the filter matches nothing (an unknown field), for the UI to show."""
        return self._model.query_error

    @property
    def sort_column(self) -> str | None:
        return self._model.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._model.sort_reverse

    @property
    def row_count(self) -> int:
        return self._model.row_count

    @property
    def total_count(self) -> int:
        return self._model.total_count

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> int:
        """Index of the cursor in the view (-1 when the view is empty)."""
        return self._cursor_index

    def visible_keys(self) -> list[str]:
        """The filtered and sorted keys, in screen order (for export)."""
        return list(self._model.view)

    def get_row(self, key: str) -> Row:
        return self._model.row(key)

    # -- data ------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Row] | Mapping[str, Row]) -> None:
        """Replace every row (or rows by key); the cursor stays on its key if that key is
        still shown."""
        self._model.set_rows(rows)
        self._sample_widths()
        self._strips.clear()
        self._view_changed(follow_cursor=True)
        self.refresh()
        self.call_after_refresh(self._model.prepare_search)

    def apply_diff(self, upserts: Iterable[Row], removed: Iterable[str]) -> None:
        """Keyed update. Refreshes only the screen lines whose row changed or moved."""
        before = self._screen_keys()
        result = self._model.apply_diff(upserts, removed)
        if not result.changed:
            return  # nothing to draw: not a single byte to the terminal
        for key in result.changed:
            self._strips.pop(key, None)
        if self._sampled_rows < _SAMPLE:
            self._sample_widths()
        if result.view_changed:
            self._keep_cursor_in_place()
        self._refresh_changed_lines(before, result)
        self._post_counts()

    def set_filter(self, query: str) -> None:
        if query == self._model.query:
            return
        self._model.set_filter(query)
        self._view_changed(follow_cursor=True)
        self.refresh()

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort by a column key (None: the order rows were given in)."""
        self._model.sort_by(column_key, reverse)
        self._header = None
        self._view_changed(follow_cursor=True)
        self.refresh()

    def move_cursor_to_key(self, key: str) -> bool:
        """Put the cursor on `key` and scroll to it; False if the key is not in the view."""
        index = self._model.index_of(key, self._cursor_index)
        if index is None:
            return False
        self._move_cursor(index)
        return True

    # -- cursor and view bookkeeping -------------------------------------------------------

    def _sample_widths(self) -> None:
        """Size `width=0` columns to their content from an even sample of rows."""
        rows = list(self._model.rows())
        step = max(1, len(rows) // _SAMPLE)
        sample = rows[::step][:_SAMPLE]
        self._sampled_rows = len(sample)
        widths = [cell_len(c.title) + 2 for c in self._model.columns]
        first: list[str] | None = None
        varies = [False] * len(widths)
        for row in sample:
            texts = [plain(cell) for cell in row.cells]
            if first is None:
                first = texts
            for index, text in enumerate(texts):
                length = cell_len(text)
                if length > widths[index]:
                    widths[index] = length
                if not varies[index] and text != first[index]:
                    varies[index] = True
        # With a handful of rows every column may look constant: judge from a few at least.
        uniform = frozenset(
            i for i, v in enumerate(varies) if not v and len(sample) >= _UNIFORM_MIN_ROWS
        )
        if widths != self._content_widths or uniform != self._uniform:
            self._content_widths = widths
            self._uniform = uniform
            self._layout_width = -1
            self._strips.clear()
            self._header = None

    def _line_width(self) -> int:
        """Cells per line: the widget less its vertical scrollbar."""
        return self.scrollable_content_region.width

    def _rows_height(self) -> int:
        """Lines available for rows (the header takes one)."""
        return max(1, self.scrollable_content_region.height - 1)

    def _update_virtual_size(self) -> None:
        size = Size(self._line_width(), self._model.row_count + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def _set_cursor(self, index: int) -> None:
        """Set the cursor index (clamped) and post RowHighlighted if the key changed."""
        view = self._model.view
        if not view:
            index, key = -1, None
        else:
            index = min(max(index, 0), len(view) - 1)
            key = view[index]
        self._cursor_index = index
        if key != self._cursor_key:
            self._cursor_key = key
            self.post_message(self.RowHighlighted(self, key))

    def _view_changed(self, follow_cursor: bool) -> None:
        """After a filter, sort or full replace: find the cursor's key again, show it."""
        index = -1
        if self._cursor_key is not None:
            found = self._model.index_of(self._cursor_key, self._cursor_index)
            # A key filtered out: the cursor goes to the nearest row (same position).
            index = found if found is not None else self._cursor_index
        self._set_cursor(max(index, 0))
        self._update_virtual_size()
        if follow_cursor:
            self._scroll_cursor_into_view()
        self._post_counts()

    def _keep_cursor_in_place(self) -> None:
        """After a diff: the cursor keeps its key and its line on screen when it can."""
        old_index = self._cursor_index
        self._view_changed(follow_cursor=False)
        delta = self._cursor_index - old_index
        top = round(self.scroll_y)
        if delta and old_index >= 0 and top <= old_index < top + self._rows_height():
            self._scroll_to_row(top + delta)
        else:
            self._scroll_cursor_into_view()

    def _post_counts(self) -> None:
        counts = (self._model.row_count, self._model.total_count)
        if counts != self._last_counts:
            self._last_counts = counts
            self.post_message(self.ViewChanged(self, *counts))

    def _scroll_to_row(self, top: int) -> None:
        top = max(0, min(top, self._model.row_count - self._rows_height()))
        if top != round(self.scroll_y):
            self.scroll_to(y=top, animate=False, force=True)

    def _scroll_cursor_into_view(self) -> None:
        if self._cursor_index < 0:
            self._scroll_to_row(0)
            return
        top, height = round(self.scroll_y), self._rows_height()
        if self._cursor_index < top:
            self._scroll_to_row(self._cursor_index)
        elif self._cursor_index >= top + height:
            self._scroll_to_row(self._cursor_index - height + 1)

    def _move_cursor(self, index: int) -> None:
        old = self._cursor_index
        self._set_cursor(index)
        if self._cursor_index != old:
            self._refresh_row(old)
            self._refresh_row(self._cursor_index)
        self._scroll_cursor_into_view()

    def _screen_keys(self) -> list[str]:
        top = round(self.scroll_y)
        return self._model.view[top : top + self._rows_height()]

    def _refresh_row(self, index: int) -> None:
        line = index - round(self.scroll_y) + 1
        if index >= 0 and 1 <= line <= self._rows_height():
            self.refresh(Region(0, line, self._line_width(), 1))

    def _refresh_changed_lines(self, before: list[str], result: DiffResult) -> None:
        after = self._screen_keys()
        for offset in range(max(len(before), len(after))):
            old = before[offset] if offset < len(before) else None
            new = after[offset] if offset < len(after) else None
            if old != new or new in result.changed:
                self.refresh(Region(0, offset + 1, self._line_width(), 1))

    # -- actions ---------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor_index + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor_index - self._rows_height())

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor_index + self._rows_height())

    def action_half_page_up(self) -> None:
        self._move_cursor(self._cursor_index - max(1, self._rows_height() // 2))

    def action_half_page_down(self) -> None:
        self._move_cursor(self._cursor_index + max(1, self._rows_height() // 2))

    def action_cursor_home(self) -> None:
        self._move_cursor(0)

    def action_cursor_end(self) -> None:
        self._move_cursor(self._model.row_count - 1)

    def action_select(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowSelected(self, self._cursor_key))

    def action_sort_next(self) -> None:
        """Sort by the next column (cycling through the columns on screen)."""
        shown = [self.columns[p.index].key for p in self._layout] or [c.key for c in self.columns]
        current = self.sort_column
        nxt = shown[(shown.index(current) + 1) % len(shown)] if current in shown else shown[0]
        self.sort_by(nxt)

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column or self.columns[0].key, not self.sort_reverse)

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                reverse = column.key == self.sort_column and not self.sort_reverse
                self.sort_by(column.key, reverse)
            return
        index = round(self.scroll_y) + offset.y - 1
        if index >= self._model.row_count:
            return
        if index == self._cursor_index:
            self.action_select()
        else:
            self._move_cursor(index)

    def _column_at(self, x: int) -> Column | None:
        left = _PAD
        for placed in self._layout:
            if left <= x < left + placed.width + _GAP:
                return self.columns[placed.index]
            left += placed.width + _GAP
        return None

    # -- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._header = None

    def on_focus(self, event: events.Focus) -> None:
        self._refresh_row(self._cursor_index)  # the cursor has a focused and a blurred look

    def on_blur(self, event: events.Blur) -> None:
        self._refresh_row(self._cursor_index)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def _ensure_layout(self, width: int) -> list[Placed]:
        if width != self._layout_width:
            self._layout_width = width
            available = max(1, width - _PAD)
            self._layout = layout_columns(
                self._model.columns, self._content_widths, available, _GAP, self._uniform
            )
        return self._layout

    def render_line(self, y: int) -> Strip:
        width = self._line_width()
        layout = self._ensure_layout(width)
        if y == 0:
            return self._render_header(width, layout)
        index = round(self.scroll_y) + y - 1
        view = self._model.view
        if index >= len(view):
            return Strip.blank(width, self.rich_style)
        key = view[index]
        state = (width, index == self._cursor_index, index % 2 == 1, self.has_focus)
        cached = self._strips.get(key)
        if cached is not None:
            strip = cached.get(state)
            if strip is not None:
                return strip
        else:
            if len(self._strips) >= _CACHE_ROWS:
                self._strips.clear()
            cached = self._strips[key] = {}
        strip = self._render_row(self._model.row(key), width, layout, state[1], state[2])
        cached[state] = strip
        return strip

    def _row_style(self, cursor: bool, odd: bool) -> Style:
        name = (
            "resource-table--cursor"
            if cursor
            else ("resource-table--row-odd" if odd else "resource-table--row-even")
        )
        return self.rich_style + self.get_component_rich_style(name)

    def _render_row(
        self, row: Row, width: int, layout: list[Placed], cursor: bool, odd: bool
    ) -> Strip:
        base = self._row_style(cursor, odd)
        if row.style:
            base = base + Style.parse(row.style)
            if cursor:  # the cursor's colours win over the row's own
                base = base + self.get_component_rich_style("resource-table--cursor")
        segments = [Segment(" " * _PAD, base)]
        for number, placed in enumerate(layout):
            if number:
                segments.append(Segment(" " * _GAP, base))
            column = self.columns[placed.index]
            cell: Cell = row.cells[placed.index]
            if isinstance(cell, str):
                segments.append(Segment(_fit(_printable(cell), placed.width, column.align), base))
            else:
                segments.extend(self._text_segments(cell, placed.width, column.align, base))
        used = _PAD + sum(p.width for p in layout) + _GAP * max(0, len(layout) - 1)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments).crop(0, width).simplify()

    def _text_segments(self, cell: Text, width: int, align: str, base: Style) -> list[Segment]:
        if cell.plain.isprintable():
            text = cell.copy()
        else:
            # Cleaning can change the length (a bidi control becomes `<U+202E>`), so the
            # spans would no longer line up: keep only the cell's own style.
            text = Text(_printable(cell.plain), style=cell.style)
        text.end = ""
        text.truncate(width, overflow="ellipsis")
        if text.style:
            # `Text.render` draws spans only; the cell's own style (a status colour) would be
            # lost. As a span it covers the text, not the padding `align` adds.
            text.stylize(text.style, 0, len(text.plain))
            text.style = ""
        text.align("right" if align == "right" else "left", width)
        return list(Segment.apply_style(text.render(self.app.console), base))

    def _render_header(self, width: int, layout: list[Placed]) -> Strip:
        zone = zone_label()
        state = (width, self.sort_column, self.sort_reverse, tuple(layout), zone)
        if self._header is not None and self._header[0] == state:
            return self._header[1]
        style = self.rich_style + self.get_component_rich_style("resource-table--header")
        parts = [" " * _PAD]
        for number, placed in enumerate(layout):
            column = self.columns[placed.index]
            title = _printable(column.title)
            if column.zone:
                title += f" {zone}"
            if column.key == self.sort_column:
                title += " ▼" if self.sort_reverse else " ▲"
            if number:
                parts.append(" " * _GAP)
            parts.append(_fit(title, placed.width, column.align))
        line = "".join(parts)
        strip = Strip([Segment(_fit(line, width, "left"), style)], width)
        self._header = (state, strip)
        return strip
