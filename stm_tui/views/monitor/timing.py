"""Time as the monitor shows it: the countdown of a window, clock times, short durations.

Times are shown in UTC (the API's own) unless a zone is given; the dashboard's `--local-time`
maps to passing the local zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from stm_tui.views.monitor.records import Window

Phase = Literal["upcoming", "open", "ended", "closed", "pending", "rejected", "unknown"]

# Inside this much of its end (or start) a countdown is shown to the second.
PRECISE_WITHIN = timedelta(hours=1)


def clock_time(when: datetime | None, tz: tzinfo = UTC) -> str:
    """HH:MM:SS, or "--:--:--" for an unknown time."""
    return "--:--:--" if when is None else when.astimezone(tz).strftime("%H:%M:%S")


def short_time(when: datetime, now: datetime, tz: tzinfo = UTC) -> str:
    """HH:MM on the same day as `now`, otherwise "Nov 28 14:20"."""
    local, today = when.astimezone(tz), now.astimezone(tz)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%b %d %H:%M")


def span(delta: timedelta, *, precise: bool) -> str:
    """`42:17` or `1:02:09` when precise; otherwise `9 h 12 min`, `2 d 3 h`, `12 min`."""
    seconds = max(0, int(delta.total_seconds()))
    if precise:
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@dataclass(frozen=True, slots=True)
class Countdown:
    phase: Phase
    remaining: timedelta | None  # to the start (upcoming) or the end (open)
    precise: bool  # shown to the second
    text: str


def countdown(window: Window, now: datetime) -> Countdown:
    status = window.status_at(now)
    if status == "OPEN":
        if window.end_time is None:
            return Countdown("open", None, False, "open, no end time")
        left = window.end_time - now
        precise = left <= PRECISE_WITHIN
        return Countdown("open", left, precise, f"ends in {span(left, precise=precise)}")
    if status == "APPROVED" and window.start_time is not None and now < window.start_time:
        wait = window.start_time - now
        precise = wait <= PRECISE_WITHIN
        return Countdown("upcoming", wait, precise, f"starts in {span(wait, precise=precise)}")
    if status == "EXPIRED":
        return Countdown("ended", None, False, "window ended")
    if status == "CLOSED":
        return Countdown("closed", None, False, "closed")
    if status == "PENDING_APPROVAL":
        return Countdown("pending", None, False, "waiting for approval")
    if status == "REJECTED":
        return Countdown("rejected", None, False, "rejected")
    return Countdown("unknown", None, False, status.lower() or "status unknown")


def ago(then: datetime | None, now: datetime) -> str:
    """`3 s ago`, `4 min ago`, `2 h ago`; "never" for None."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
