"""Small formatting helpers shared by rows, details and the identity bar.

Everything here returns plain `str` or `rich.text.Text` built with `Text(...)`, never markup,
because most of what is shown comes from the server. Server text goes through
`stm_tui.sanitize` on its way in: nothing a terminal would act on, and bounded in size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from rich.text import Text

from stm_tui.sanitize import CELL_LIMIT, clean, clean_block, clean_cell
from stm_tui.views.severity import SEVERITIES

DASH = "-"
# A value in a detail pane: long enough for any real name, DN or note, short enough that a
# hostile 6 MB string costs nothing to lay out. The pager (`v`) shows the whole value.
DETAIL_LIMIT = 2048


# Every API time is UTC and so is what we show, unless the user asked for local time
# (`--local-time`, or `time_zone = "local"` in the profile).
_local_time = False


def set_time_zone(zone: str | None) -> None:
    """`"local"` shows times in the machine's zone; anything else (the default) UTC."""
    global _local_time
    _local_time = (zone or "utc").strip().lower() == "local"


def time_zone() -> str:
    """What `set_time_zone` was last given, normalised: `"local"` or `"utc"`."""
    return "local" if _local_time else "utc"


def zone_label(moment: datetime | None = None) -> str:
    """What the times shown are in: `UTC`, or the local zone's abbreviation."""
    if not _local_time:
        return "UTC"
    return (moment or datetime.now(UTC)).astimezone().strftime("%Z") or "local"


def dt(value: datetime | None, *, zone: bool = False) -> str:
    """A timestamp as `2026-11-27 12:00` (in UTC unless local time was asked for); with
    `zone`, the zone follows (`2026-11-27 12:00 UTC`)."""
    if value is None:
        return DASH
    if _local_time:
        shown = value.astimezone()
    elif value.tzinfo is UTC:
        shown = value  # every API time: no new datetime for it
    else:
        shown = value.astimezone(UTC)
    if shown.year >= 1000:
        # `strftime` goes through `time.strftime` and a format string built per call: 6 us
        # of a certificate row's ~40 (two dates a row, 100,000 rows a list).
        text = (
            f"{shown.year}-{shown.month:02d}-{shown.day:02d} {shown.hour:02d}:{shown.minute:02d}"
        )
    else:
        text = shown.strftime("%Y-%m-%d %H:%M")  # the platform's way with a short year
    return f"{text} {zone_label(value)}" if zone else text


def short_span(delta: timedelta) -> str:
    """A duration in its largest sensible unit: `45 s`, `12 m`, `5 h`, `3 d`."""
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    delta = now - moment
    if delta.total_seconds() < 0:
        return "just now"
    return f"{short_span(delta)} ago"


def relative(moment: datetime | None, now: datetime) -> str:
    """`in 3 d` or `2 h ago`."""
    if moment is None:
        return DASH
    delta = moment - now
    if delta.total_seconds() >= 0:
        return f"in {short_span(delta)}"
    return f"{short_span(delta)} ago"


def names(refs: Iterable[object], attr: str = "name", limit: int = 3) -> str:
    """A short comma list of the `name`/`alias` of nested references (cleaned)."""
    values = [
        clean_cell(v) for v in (getattr(r, attr, None) or getattr(r, "id", None) for r in refs) if v
    ]
    if len(values) > limit:
        return ", ".join(values[:limit]) + f" +{len(values) - limit}"
    return ", ".join(values) if values else DASH


def text(value: object, style: str = "", *, limit: int = CELL_LIMIT) -> Text:
    """Server text as a one-line `Text`: cleaned, bounded, never parsed as markup."""
    if value is None or value == "":
        return Text(DASH, style=style)
    return Text(clean(value, limit=limit), style=style)


def block(value: object, style: str = "", *, limit: int = DETAIL_LIMIT) -> Text:
    """Multi-line server text (notes, descriptions): newlines kept, cleaned, bounded."""
    if value is None or value == "":
        return Text(DASH, style=style)
    return Text(clean_block(value, limit=limit), style=style)


# Style names, not colours: they resolve against the theme (see styles/global.tcss for the
# palette in use) so light, dark and ANSI themes stay legible.
SEVERITY_STYLE = dict(
    zip(SEVERITIES, ("bold red", "red", "yellow", "cyan", "green"), strict=True)
)

STATUS_STYLE = {
    "ACTIVE": "green",
    "ONLINE": "green",
    "OPEN": "bold green",
    "PASS": "green",
    "SUCCESS": "green",
    "APPROVED": "cyan",
    "PENDING_APPROVAL": "yellow",
    "IN_PROGRESS": "yellow",
    "OFFLINE": "yellow",
    "DISABLED": "dim",
    "CLOSED": "dim",
    "EXPIRED": "red",
    "REVOKED": "red",
    "FAIL": "bold red",
    "FAILED": "red",
    "FAILURE": "red",
    "ERROR": "red",
}


def status(value: str | None) -> Text:
    if not value:
        return Text(DASH)
    return Text(clean_cell(value), style=STATUS_STYLE.get(value.upper(), ""))


def severity(value: str | None) -> Text:
    if not value:
        return Text(DASH)
    return Text(clean_cell(value), style=SEVERITY_STYLE.get(value.upper(), ""))


def days_left(days: int | None) -> Text:
    if days is None:
        return Text(DASH)
    style = "bold red" if days < 0 else "red" if days <= 7 else "yellow" if days <= 30 else ""
    label = f"{days} d" if days >= 0 else f"{-days} d ago"
    return Text(label, style=style)


@lru_cache(maxsize=4096)
def cn(dn: str | None) -> str:
    """The CN of an RFC 4514 name, or the whole name when it has none. (Remembered: every
    certificate of an issuer names it, and a list of 100,000 asks for each.)"""
    if not dn:
        return DASH
    for part in dn.split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value:
            return value.strip()
    return dn
