"""The quota of a window: how full it is (the gauge) and when it would run out (the projection).

The projection's rate is the window's successful signatures in the current UTC minute and the
59 before it, divided by the number of those minutes the window has been open (at least 1,
at most 60): "the last hour's rate", and an honest one in a window's first minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from stm_tui.views.monitor.rates import MINUTES, MinuteBuckets, minute_of
from stm_tui.views.monitor.timing import short_time


class Level(StrEnum):
    NORMAL = "normal"
    AMBER = "amber"
    RED = "red"
    UNLIMITED = "unlimited"


@dataclass(frozen=True, slots=True)
class Gauge:
    used: int
    maximum: int | None
    fraction: float | None  # used / maximum, None without a maximum
    level: Level
    text: str


def gauge(used: int, maximum: int | None, *, amber: float = 0.8, red: float = 1.0) -> Gauge:
    if maximum is None:
        return Gauge(used, None, None, Level.UNLIMITED, f"{used} signed (no maximum)")
    fraction = used / maximum if maximum > 0 else 1.0
    if fraction >= red:
        level = Level.RED
    elif fraction >= amber:
        level = Level.AMBER
    else:
        level = Level.NORMAL
    percent = math.floor(fraction * 100)
    return Gauge(used, maximum, fraction, level, f"{used}/{maximum} ({percent}%)")


@dataclass(frozen=True, slots=True)
class Projection:
    rate_per_minute: float
    runs_out_at: datetime | None  # when the quota would be used up at this rate
    before_end: bool | None  # ... and whether that is before the window ends
    text: str


def recent_rate(
    buckets: MinuteBuckets, now: datetime, start: datetime | None, minutes: int = MINUTES
) -> tuple[int, int]:
    """(signatures, minutes) of the last hour's rate, as the module docstring defines it."""
    last = minute_of(now)
    first = last - minutes + 1
    if start is not None:
        first = max(first, min(minute_of(start), last))
    span = last - first + 1
    return buckets.total(now, span), span


def project(
    used: int,
    maximum: int | None,
    count: int,
    minutes: int,
    now: datetime,
    end: datetime | None,
    tz: tzinfo = UTC,
) -> Projection:
    rate = count / minutes if minutes > 0 else 0.0
    per_min = f"{rate:.1f}/min"
    if maximum is None:
        return Projection(rate, None, None, f"{per_min} over the last hour; no maximum set")
    left = maximum - used
    if left <= 0:
        return Projection(rate, now, True, f"quota reached: {used} of {maximum} used")
    if rate <= 0:
        return Projection(rate, None, None, "no signatures in the last hour")
    runs_out = now + timedelta(minutes=left / rate)
    when = short_time(runs_out, now, tz)
    if end is None:
        return Projection(rate, runs_out, None, f"at this rate the quota runs out at {when}")
    if runs_out < end:
        return Projection(
            rate, runs_out, True,
            f"at this rate the quota runs out at {when}, before the window ends",
        )
    remaining_minutes = max(0.0, (end - now).total_seconds() / 60)
    expected = min(maximum, used + math.floor(rate * remaining_minutes))
    return Projection(
        rate, runs_out, False,
        f"at this rate {expected} of {maximum} are used when the window ends at "
        f"{short_time(end, now, tz)}",
    )
