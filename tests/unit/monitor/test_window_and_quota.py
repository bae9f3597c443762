"""The countdown, the quota gauge and the projection, against hand-built windows and logs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stm_tui.views.monitor.quota import Level, gauge, project, recent_rate
from stm_tui.views.monitor.rates import MinuteBuckets
from stm_tui.views.monitor.timing import countdown
from tests.unit.monitor._log import T0, window

H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)


@pytest.mark.parametrize(
    ("start", "end", "status", "phase", "text", "precise"),
    [
        (-6 * H, 30 * H, "APPROVED", "open", "ends in 1 d 6 h", False),
        (-6 * H, 9 * H + 12 * M + 30 * S, "APPROVED", "open", "ends in 9 h 12 min", False),
        (-6 * H, H + S, "APPROVED", "open", "ends in 1 h", False),
        # The last hour: to the second.
        (-6 * H, H, "APPROVED", "open", "ends in 1:00:00", True),
        (-6 * H, 42 * M + 17 * S, "OPEN", "open", "ends in 42:17", True),
        (-6 * H, 9 * S, "APPROVED", "open", "ends in 00:09", True),
        # Upcoming: counting down to the start, to the second in its last hour.
        (2 * H + 5 * M, 30 * H, "APPROVED", "upcoming", "starts in 2 h 5 min", False),
        (59 * M + 59 * S, 30 * H, "APPROVED", "upcoming", "starts in 59:59", True),
        (-6 * H, -S, "APPROVED", "ended", "window ended", False),
        (-6 * H, H, "CLOSED", "closed", "closed", False),
        (H, 30 * H, "PENDING_APPROVAL", "pending", "waiting for approval", False),
        (H, 30 * H, "REJECTED", "rejected", "rejected", False),
    ],
)
def test_countdown(start: timedelta, end: timedelta, status: str, phase: str, text: str,
                   precise: bool) -> None:
    shown = countdown(window(start_time=T0 + start, end_time=T0 + end, status=status), T0)
    assert (shown.phase, shown.text, shown.precise) == (phase, text, precise)


@pytest.mark.parametrize(
    ("used", "maximum", "level", "text"),
    [
        (0, 500, Level.NORMAL, "0/500 (0%)"),
        (399, 500, Level.NORMAL, "399/500 (79%)"),
        (400, 500, Level.AMBER, "400/500 (80%)"),
        (499, 500, Level.AMBER, "499/500 (99%)"),
        (500, 500, Level.RED, "500/500 (100%)"),
        (512, 500, Level.RED, "512/500 (102%)"),
        (7, None, Level.UNLIMITED, "7 signed (no maximum)"),
        (0, 0, Level.RED, "0/0 (100%)"),
    ],
)
def test_gauge_levels(used: int, maximum: int | None, level: Level, text: str) -> None:
    shown = gauge(used, maximum)
    assert (shown.level, shown.text) == (level, text)


def test_gauge_thresholds_follow_the_profile() -> None:
    assert gauge(300, 500, amber=0.5, red=0.9).level is Level.AMBER
    assert gauge(450, 500, amber=0.5, red=0.9).level is Level.RED
    assert gauge(249, 500, amber=0.5, red=0.9).level is Level.NORMAL


def _log(stamps: list[datetime]) -> MinuteBuckets:
    buckets = MinuteBuckets()
    for stamp in stamps:
        buckets.add(stamp)
    return buckets


def test_the_rate_is_the_last_hour_over_the_minutes_the_window_was_open() -> None:
    now = T0 + 30 * S  # half-way through the 12:00 minute
    # 120 signatures over the last hour (2 a minute), 50 more before it (not counted).
    stamps = [now - timedelta(seconds=30 * i) for i in range(120)]
    stamps += [now - 2 * H - timedelta(seconds=i) for i in range(50)]
    count, minutes = recent_rate(_log(stamps), now, T0 - 6 * H)
    assert (count, minutes) == (120, 60)

    # A window open for the last 10 minutes (this one included): 10 minutes, not 60.
    opened = now - 9 * M - 30 * S
    recent = [opened + timedelta(seconds=20 * i) for i in range(29)]
    assert recent_rate(_log(recent), now, opened) == (29, 10)


def test_projection_before_the_end() -> None:
    now = T0
    # 400 of 500 used, 10 a minute over the last hour: 100 left last 10 minutes.
    shown = project(400, 500, 600, 60, now, now + 2 * H)
    assert shown.rate_per_minute == 10
    assert shown.runs_out_at == now + 10 * M
    assert shown.before_end is True
    assert shown.text == "at this rate the quota runs out at 12:10, before the window ends"


def test_projection_after_the_end_says_what_is_left() -> None:
    shown = project(100, 500, 60, 60, T0, T0 + 3 * H)  # 1 a minute, 180 more minutes
    assert shown.before_end is False
    assert shown.runs_out_at == T0 + 400 * M
    assert shown.text == "at this rate 280 of 500 are used when the window ends at 15:00"


def test_projection_on_another_day_names_the_day() -> None:
    shown = project(0, 500, 6, 60, T0, T0 + 200 * H)  # 0.1/min: 5000 minutes
    assert shown.text == (
        "at this rate the quota runs out at Nov 30 23:20, before the window ends")


@pytest.mark.parametrize(
    ("used", "maximum", "count", "text"),
    [
        (500, 500, 60, "quota reached: 500 of 500 used"),
        (10, 500, 0, "no signatures in the last hour"),
        (10, None, 30, "0.5/min over the last hour; no maximum set"),
    ],
)
def test_projection_without_one(used: int, maximum: int | None, count: int, text: str) -> None:
    assert project(used, maximum, count, 60, T0, T0 + H).text == text
