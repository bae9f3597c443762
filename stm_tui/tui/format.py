"""Small formatting helpers shared by rows, details and the identity bar.

Everything here returns plain `str` or `rich.text.Text` built with `Text(...)`, never markup,
because most of what is shown comes from the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from rich.text import Text

DASH = "-"


def dt(value: datetime | None) -> str:
    """A timestamp as `2026-11-27 12:00` (UTC; every API time is UTC)."""
    if value is None:
        return DASH
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


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
    """A short comma list of the `name`/`alias` of nested references."""
    values = [str(v) for v in (getattr(r, attr, None) or getattr(r, "id", None) for r in refs) if v]
    if len(values) > limit:
        return ", ".join(values[:limit]) + f" +{len(values) - limit}"
    return ", ".join(values) if values else DASH


def text(value: object, style: str = "") -> Text:
    """Server text as a `Text` (never parsed as markup)."""
    return Text(DASH if value is None or value == "" else str(value), style=style)


# Style names, not colours: they resolve against the theme (see styles/global.tcss for the
# palette in use) so light, dark and ANSI themes stay legible.
SEVERITY_STYLE = {
    "CRITICAL": "bold red",
    "HIGH": "red",
    "MEDIUM": "yellow",
    "LOW": "cyan",
    "NONE": "green",
}

STATUS_STYLE = {
    "ACTIVE": "green",
    "ONLINE": "green",
    "OPEN": "bold green",
    "PASS": "green",
    "SUCCESS": "green",
    "APPROVED": "cyan",
    "PENDING_APPROVAL": "yellow",
    "IN_PROGRESS": "yellow",
    "OFFLINE": "cyan",
    "SUSPENDED": "yellow",
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
    return Text(value, style=STATUS_STYLE.get(value.upper(), ""))


def severity(value: str | None) -> Text:
    if not value:
        return Text(DASH)
    return Text(value, style=SEVERITY_STYLE.get(value.upper(), ""))


def days_left(days: int | None) -> Text:
    if days is None:
        return Text(DASH)
    style = "bold red" if days < 0 else "red" if days <= 7 else "yellow" if days <= 30 else ""
    label = f"{days} d" if days >= 0 else f"{-days} d ago"
    return Text(label, style=style)


def cn(dn: str | None) -> str:
    """The CN of an RFC 4514 name, or the whole name when it has none."""
    if not dn:
        return DASH
    for part in dn.split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value:
            return value.strip()
    return dn
