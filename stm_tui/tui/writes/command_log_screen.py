"""The command log: every API call of the session, newest first, with per-endpoint stats.

The top line answers "is the service failing, or is it me?" over the recent calls; the stats
table shows each endpoint's calls, errors and p50/p95 latency; below, one line per call (time
in UTC, method, status or error kind, latency, retries, path). The list is a Line-API view:
only the visible lines are drawn, and bursts of calls are folded into one redraw.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from stm_tui.api.command_log import CallRecord, CommandLog, short_path
from stm_tui.sanitize import clean_cell
from stm_tui.tui import keys
from stm_tui.tui.widgets.key_footer import KeyFooter

REDRAW_DELAY = 0.25  # seconds: a burst of calls (a sync of 100 pages) costs one redraw
STATS_ROWS = 8

_FAULT = Style(color="red", bold=True)
_REFUSED = Style(color="yellow")


def call_line(record: CallRecord) -> Text:
    """One call as a line of text: `12:00:03 GET    200    45 ms    /keypairs ?limit,offset`."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(record.at.strftime("%H:%M:%S"), style="dim")
    line.append(f" {record.method:<6} ")
    style = _FAULT if record.service_fault else (None if record.ok else _REFUSED)
    line.append(f"{clean_cell(record.outcome)[:14]:<14}", style=style)
    line.append(f"{record.latency_ms:>7.0f} ms")
    line.append(f" r{record.retries}" if record.retries else "   ")
    line.append(" " + clean_cell(short_path(record.path)))
    if record.query_keys:
        line.append(" ?" + ",".join(clean_cell(k) for k in record.query_keys), style="dim")
    return line


class CallList(ScrollView, can_focus=True):
    """The calls, newest first, drawn a line at a time."""

    DEFAULT_CSS = """
    CallList {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "log.up", "log.down", "log.page_up", "log.page_down", "log.newest", "log.oldest"
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.records: list[CallRecord] = []

    def set_records(self, records: list[CallRecord]) -> None:
        self.records = records
        size = Size(self.size.width, len(records))
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        index = round(self.scroll_y) + y
        if index >= len(self.records):
            if not self.records and y == 0:
                empty = Text("no calls yet", style="dim")
                strip = Strip(list(empty.render(self.app.console)), empty.cell_len)
                return strip.extend_cell_length(width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        text = call_line(self.records[index])
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = list(Segment.apply_style(text.render(self.app.console), self.rich_style))
        return Strip(segments).crop(0, width)


def stats_table(log: CommandLog) -> Table:
    table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, header_style="bold")
    table.add_column("endpoint", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("calls", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("p50", justify="right")
    table.add_column("p95", justify="right")
    table.add_column("last", justify="right")
    stats = log.stats()
    for row in stats[:STATS_ROWS]:
        method, _, path = row.endpoint.partition(" ")
        errors = Text(str(row.errors))
        if row.service_errors:
            errors = Text(f"{row.errors} ({row.service_errors} service)", style=_FAULT)
        elif row.errors:
            errors.stylize(_REFUSED)
        table.add_row(
            Text(f"{method} {clean_cell(short_path(path))}"),
            str(row.count),
            errors,
            f"{row.p50_ms:.0f} ms",
            f"{row.p95_ms:.0f} ms",
            Text(clean_cell(row.last_outcome)),
        )
    if len(stats) > STATS_ROWS:
        table.add_row(Text(f"… {len(stats) - STATS_ROWS} more endpoints", style="dim"))
    return table


class CommandLogScreen(Screen[None]):
    """The session's calls, live. Feed `log` from the HTTP adapter; this screen only reads."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("log.close", "log.errors_only")

    def __init__(self, log: CommandLog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.command_log = log
        self.errors_only = False
        self._unsubscribe: Callable[[], None] | None = None
        self._pending = False
        self._thread = threading.get_ident()

    def compose(self) -> ComposeResult:
        yield Static("", id="log-title", markup=False)
        yield Static("", id="log-verdict", markup=False)
        yield Static("", id="log-stats", markup=False)
        yield CallList(id="log-calls")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._unsubscribe = self.command_log.subscribe(self._on_record)
        self.refresh_view()
        self.query_one(CallList).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_record(self, record: CallRecord) -> None:
        if threading.get_ident() != self._thread:
            self.app.call_from_thread(self._on_record, record)
            return
        if not self._pending:
            self._pending = True
            self.set_timer(REDRAW_DELAY, self._flush)

    def _flush(self) -> None:
        self._pending = False
        self.refresh_view()

    def refresh_view(self) -> None:
        log = self.command_log
        records = log.newest_first()
        if self.errors_only:
            records = [r for r in records if not r.ok]
        title = Text("Command log", style="bold")
        title.append(f" · {log.total} calls, {len(log)} kept (max {log.capacity})")
        if self.errors_only:
            title.append(" · errors only", style="bold")
        title.append(" · UTC · no bodies, no secrets", style="dim")
        self.query_one("#log-title", Static).update(title)
        verdict = log.verdict()
        line = self.query_one("#log-verdict", Static)
        line.update(Text(verdict))
        line.set_class(verdict.startswith("the service is failing"), "-failing")
        self.query_one("#log-stats", Static).update(stats_table(log))
        self.query_one(CallList).set_records(records)

    def action_toggle_errors(self) -> None:
        self.errors_only = not self.errors_only
        self.refresh_view()

    def action_close(self) -> None:
        self.dismiss(None)
