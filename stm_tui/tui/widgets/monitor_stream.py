"""The live stream of signature attempts on the Line API, newest first.

Line 0 is the column header; line `y >= 1` is attempt `scroll_y + y - 1`. Rows are rendered
once per width and cached by attempt id, so a new attempt costs one row's rendering and the
repaint of the visible lines; a poll that brings nothing repaints nothing. Reading further
down, the view stays on the rows being read while new ones arrive at the top.

A row: time (to the second), keypair, signer, algorithm, hash, client IP, status. A refused
attempt shows its reason where the hash and IP would be, marked FAILED; a signature on the
window's keypair not counted in it is marked OUTSIDE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from stm_tui.tui.widgets.monitor_text import middle
from stm_tui.views.monitor.classify import failure_label, relation
from stm_tui.views.monitor.records import Attempt, Window
from stm_tui.views.monitor.timing import clock_time

_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Columns:
    time: int
    keypair: int
    signer: int
    alg: int
    hash: int
    ip: int
    status: int


def columns_for(width: int) -> Columns:
    """Column widths that fill `width` (80 columns is the floor): the time, algorithm and
    status fixed, then the names first (they are what people read), then the IP and hash."""
    time, status, alg = 8, 7, 12
    rest = max(0, width - 1 - time - status - alg - 6)  # one leading, six gaps
    ip = 15 if rest >= 60 else 12
    hash_ = max(8, min(24, rest - ip - 40))
    names = max(16, rest - ip - hash_)
    keypair = names * 55 // 100
    return Columns(time, keypair, names - keypair, alg, hash_, ip, status)


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    return text + " " * (width - length)


def _name(text: str, width: int) -> str:
    """A name cut in the middle (aliases of one release share their start)."""
    shown = middle(text, width)
    return shown + " " * max(0, width - cell_len(shown))


def short_alg(sig_alg: str) -> str:
    """`SHA256withECDSA` as `SHA256/ECDSA`: every algorithm fits 80 columns whole."""
    lowered = sig_alg.lower()
    at = lowered.find("with")
    return sig_alg if at <= 0 else f"{sig_alg[:at]}/{sig_alg[at + 4:]}"


class AttemptStreamView(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "attempt-stream--header",
        "attempt-stream--failed",
        "attempt-stream--outside",
        "attempt-stream--ok",
    }
    DEFAULT_CSS = """
    AttemptStreamView {
        height: 1fr;
        width: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .attempt-stream--header { text-style: bold; background: $boost; }
        & > .attempt-stream--failed { color: $error; }
        & > .attempt-stream--outside { color: $warning; }
        & > .attempt-stream--ok { color: $success; }
    }
    """

    def __init__(self, *, id: str | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._attempts: Sequence[Attempt] = ()
        self._first: str | None = None  # the newest attempt at the last `show`
        self._window: Window | None = None
        self._key: tuple[object, ...] = ()
        self._strips: dict[tuple[str, int], Strip] = {}
        self._header: tuple[int, Strip] | None = None
        self.repaints = 0

    def show(self, attempts: Sequence[Attempt], window: Window | None, version: object) -> bool:
        """Show `attempts` (newest first); `version` changes when they do."""
        key = (version, window, len(attempts))
        if key == self._key:
            return False
        self._key = key
        if window != self._window:
            self._strips.clear()
        self._window = window
        self._attempts = attempts
        first_before, self._first = self._first, attempts[0].id if attempts else None
        if self.scroll_y > 0 and first_before is not None:
            # Keep the rows being read in place as new ones arrive on top.
            arrived = next((i for i, a in enumerate(attempts) if a.id == first_before), 0)
            if arrived:
                self.scroll_to(y=self.scroll_y + arrived, animate=False, immediate=True)
        self._update_virtual_size()
        self.repaints += 1
        self.refresh()
        return True

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._attempts) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        if y == 0:
            return self._render_header(width)
        index = round(self.scroll_y) + y - 1
        if index >= len(self._attempts):
            return Strip.blank(width, self.rich_style)
        attempt = self._attempts[index]
        cache_key = (attempt.id, width)
        strip = self._strips.get(cache_key)
        if strip is None:
            if len(self._strips) >= _CACHE:
                self._strips.clear()
            strip = self._strips[cache_key] = self._render_row(attempt, width)
        return strip

    def _render_header(self, width: int) -> Strip:
        if self._header is not None and self._header[0] == width:
            return self._header[1]
        c = columns_for(width)
        zone = "UTC" if self.tz is UTC else "local"
        cells = [("time " + zone, c.time), ("keypair", c.keypair), ("signer", c.signer),
                 ("algorithm", c.alg), ("hash", c.hash), ("client IP", c.ip),
                 ("status", c.status)]
        line = " " + " ".join(_fit(t, w) for t, w in cells)
        style = self.rich_style + self.get_component_rich_style("attempt-stream--header")
        strip = Strip([Segment(_fit(line, width), style)], width)
        self._header = (width, strip)
        return strip

    def _render_row(self, attempt: Attempt, width: int) -> Strip:
        c = columns_for(width)
        rel = relation(attempt, self._window) if self._window else None
        base = self.rich_style
        if not attempt.ok:
            status, kind = "FAILED", "failed"
        elif rel == "outside":
            status, kind = "OUTSIDE", "outside"
        else:
            status, kind = "OK", "ok"
        marked = base + self.get_component_rich_style(f"attempt-stream--{kind}")
        line = " ".join([
            _fit(clock_time(attempt.created_on, self.tz), c.time),
            _name(attempt.keypair_alias or attempt.keypair_id or "?", c.keypair),
            _fit(attempt.user_name or attempt.user_id or "?", c.signer),
            _fit(short_alg(attempt.sig_alg), c.alg),
        ])
        segments = [Segment(f" {line} ", base)]
        if attempt.ok:
            segments.append(Segment(_fit(attempt.hash, c.hash) + " " + _fit(attempt.client_ip,
                                                                             c.ip) + " ", base))
        else:
            reason = f"✗ {failure_label(attempt)}"
            segments.append(Segment(_fit(reason, c.hash + 1 + c.ip) + " ", marked))
        segments.append(Segment(_fit(status, c.status), marked + Style(bold=kind != "ok")))
        return Strip(segments).extend_cell_length(width, base).crop(0, width).simplify()

    @property
    def shown(self) -> Sequence[Attempt]:
        return self._attempts
