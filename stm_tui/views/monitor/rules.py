"""The alert rules. Each one names its condition in the alert key, so it fires once.

- attempt-driven (`on_attempt`, as attempts arrive): a signer not listed in the window, a
  signature on a keypair of the window not attributed to it while it is open, a refused
  attempt (one alert per window, reason and user; repeats count up);
- state-driven (`on_state`, once per poll): 80% and 100% of the maximum, a rate spike (one
  per episode: it re-arms when the rate falls back), the window closing with signatures still
  arriving, a failed or blocking scan (per scan), and signing that goes on after the scan
  failed (an error when the scan blocks signing, a warning when the window does not block).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Protocol

from stm_tui.views.monitor.alerts import AlertConfig
from stm_tui.views.monitor.classify import Relation, failure_label
from stm_tui.views.monitor.rates import RateBook, minute_of
from stm_tui.views.monitor.records import Attempt, Window
from stm_tui.views.monitor.scan import ScanSummary
from stm_tui.views.monitor.timing import clock_time, span


# What the rules read of the model and of one watched window (model.py's MonitorModel and
# WindowMonitor; named here as protocols so that model.py can import this module).
class WindowMonitor(Protocol):
    window: Window
    signer_ids: frozenset[str]
    rates: RateBook
    spike_since: int | None

    @property
    def used(self) -> int: ...

    @property
    def last_success(self) -> datetime | None: ...

    def scan(self) -> ScanSummary: ...


class MonitorModel(Protocol):
    config: AlertConfig

    def fire(self, alert_key: str, kind: str, severity: str, wm: Any,
             message: str, *, repeat: bool = True) -> None: ...


def _who(attempt: Attempt) -> str:
    return attempt.user_name or attempt.user_id or "an unknown user"


def _keypair(attempt: Attempt) -> str:
    return attempt.keypair_alias or attempt.keypair_id or "an unknown keypair"


def on_attempt(model: MonitorModel, wm: WindowMonitor, attempt: Attempt, rel: Relation) -> None:
    window = wm.window
    listed = attempt.user_id is not None and attempt.user_id in wm.signer_ids
    if rel == "in" and listed:
        return  # the common case, thousands a burst: nothing to look at
    name = window.name
    at = clock_time(attempt.created_on)
    if rel == "in":
        model.fire(
            f"{window.id}:unlisted:{attempt.user_id}", "unlisted_signer", "error", wm,
            f"{name}: {_who(attempt)} is not a listed signer but signed with "
            f"{_keypair(attempt)} at {at}",
        )
    elif rel == "outside":
        model.fire(
            f"{window.id}:outside:{attempt.keypair_id}:{attempt.user_id}", "outside_window",
            "error", wm,
            f"{name}: {_who(attempt)} signed with {_keypair(attempt)} at {at} outside the "
            f"window (not counted in it{'' if listed else '; not a listed signer'})",
        )
    elif rel == "failed":
        label = failure_label(attempt)
        severity = "error" if attempt.failure_reason == "QUOTA_EXCEEDED" else "warning"
        model.fire(
            f"{window.id}:failed:{attempt.failure_reason}:{attempt.user_id}", "failed_attempts",
            severity, wm,
            f"{name}: attempt refused ({label}) for {_who(attempt)} on {_keypair(attempt)} "
            f"at {at}",
        )


def on_state(model: MonitorModel, wm: WindowMonitor, now: datetime) -> None:
    _quota(model, wm)
    _spike(model, wm, now)
    _closing(model, wm, now)
    _scan(model, wm)


def _quota(model: MonitorModel, wm: WindowMonitor) -> None:
    window, config = wm.window, model.config
    maximum = window.max_signatures
    if maximum is None or maximum <= 0:
        return
    used = wm.used
    fraction = used / maximum
    if fraction >= config.quota_warn:
        model.fire(
            f"{window.id}:quota:warn", "quota_warn", "warning", wm,
            f"{window.name}: {used} of {maximum} signatures used "
            f"({math.floor(fraction * 100)}%)", repeat=False,
        )
    if fraction >= config.quota_full:
        model.fire(
            f"{window.id}:quota:full", "quota_full", "error", wm,
            f"{window.name}: the maximum is reached: {used} of {maximum} signatures",
            repeat=False,
        )


def _spike(model: MonitorModel, wm: WindowMonitor, now: datetime) -> None:
    config = model.config
    recent_minutes = config.spike_minutes
    series = wm.rates.overall.series(now)
    recent = sum(series[-recent_minutes:])
    # The hour before the recent minutes, only the part the window was open for.
    history = series[:-recent_minutes]
    start = wm.window.start_time
    if start is not None:
        open_minutes = minute_of(now) - minute_of(start) + 1 - recent_minutes
        history = history[len(history) - max(0, min(len(history), open_minutes)):]
    if len(history) < config.spike_history_minutes:
        wm.spike_since = None
        return
    base = sum(history) / len(history)
    rate = recent / recent_minutes
    spiking = rate >= config.spike_min_per_minute and rate >= config.spike_factor * base
    if not spiking:
        wm.spike_since = None
        return
    if wm.spike_since is None:
        wm.spike_since = minute_of(now)
    factor = f"{rate / base:.0f} times " if base > 0 else ""
    model.fire(
        f"{wm.window.id}:spike:{wm.spike_since}", "rate_spike", "warning", wm,
        f"{wm.window.name}: {rate:.1f} signatures/min over the last {recent_minutes} min, "
        f"{factor}the hour's {base:.1f}/min",
        repeat=False,
    )


def _closing(model: MonitorModel, wm: WindowMonitor, now: datetime) -> None:
    config, window = model.config, wm.window
    if window.end_time is None or window.status_at(now) != "OPEN":
        return
    left = window.end_time - now
    if left > timedelta(minutes=config.closing_minutes):
        return
    last = wm.last_success
    if last is None or now - last > timedelta(minutes=config.closing_recent_minutes):
        return
    model.fire(
        f"{window.id}:closing", "closing", "warning", wm,
        f"{window.name}: ends in {span(left, precise=True)} and signatures are still arriving "
        f"(last at {clock_time(last)})", repeat=False,
    )


def _scan(model: MonitorModel, wm: WindowMonitor) -> None:
    summary = wm.scan()
    scan = summary.scan
    if scan is None or not summary.failing:
        return
    window = wm.window
    model.fire(
        f"{window.id}:scan:{scan.id}:{scan.status}", "scan",
        "error" if summary.blocks else "warning", wm, f"{window.name}: {summary.text}",
        repeat=False,
    )
    # Signing after the scan failed is the case to call out, blocking or not: a window
    # that blocks should not sign at all (the server let it), one that does not block is
    # shipping what the scan flagged.
    last = wm.last_success
    if last is None or (scan.created_on is not None and last < scan.created_on):
        return
    what = f"scan {scan.alias or scan.id} {scan.status}"
    why = (f"although {what} blocks it" if summary.blocks
           else f"after {what}, which the window does not block on")
    model.fire(
        f"{window.id}:scan-signing:{scan.id}", "scan",
        "error" if summary.blocks else "warning", wm,
        f"{window.name}: signing goes on {why} (last signature at {clock_time(last)})",
        repeat=False,
    )
