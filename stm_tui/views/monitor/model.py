"""The monitor's state for one or several release windows, fed by the feed or a replay.

`MonitorModel` is pure and synchronous: the feed (live) or the replayer (a recording) calls
`set_window`, `set_scans`, `ingest`, `poll_ok`/`poll_failed` and, once per poll, `evaluate`.
Each of those inputs is also handed to `recorder` (when set) as one JSON-ready event, which is
what `--record` writes and what the replayer feeds back in the same order, at the same clock
times, to reach the same states. Memory is bounded: per window a capped stream, per-minute
buckets, and counters per keypair and signer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stm_tui.views.monitor import rules
from stm_tui.views.monitor.alerts import Alert, AlertConfig, AlertLedger
from stm_tui.views.monitor.classify import Relation, failure_label, relation
from stm_tui.views.monitor.quota import Gauge, Projection, gauge, project, recent_rate
from stm_tui.views.monitor.rates import RateBook
from stm_tui.views.monitor.records import Attempt, ScanState, Window, iso
from stm_tui.views.monitor.scan import ScanSummary, summarize
from stm_tui.views.monitor.stream import STREAM_LIMIT, AttemptStream
from stm_tui.views.monitor.timing import Countdown, ago, clock_time, countdown

Clock = Callable[[], datetime]
Recorder = Callable[[dict[str, Any]], None]

# Distinct keypairs or signers counted one by one per window; beyond, "(other)".
MAX_TALLIES = 500
OTHER = "(other)"


@dataclass
class Tally:
    label: str
    success: int = 0
    failed: int = 0
    outside: int = 0


@dataclass(frozen=True, slots=True)
class Related:
    """An attempt that concerns a watched window, and how."""

    window_id: str
    attempt: Attempt
    relation: Relation


class WindowMonitor:
    """Everything the monitor knows about one window."""

    def __init__(self, window: Window, stream_limit: int = STREAM_LIMIT) -> None:
        self._window = window
        self.signer_ids = window.signer_ids
        self.keypair_ids = window.keypair_ids
        self.scans: tuple[ScanState, ...] = ()
        self.stream = AttemptStream(stream_limit)
        self.version = 0
        self._clear_counts()

    @property
    def window(self) -> Window:
        return self._window

    @window.setter
    def window(self, window: Window) -> None:
        # Sets of ids asked for on every attempt: computed once per window record.
        self._window = window
        self.signer_ids = window.signer_ids
        self.keypair_ids = window.keypair_ids

    def _clear_counts(self) -> None:
        self.rates = RateBook()  # successful signatures attributed to the window
        self.success = 0
        self.outside = 0
        self.failed = 0
        self.by_keypair: dict[str, Tally] = {}
        self.by_signer: dict[str, Tally] = {}
        self.failures: dict[str, int] = {}  # by reason, in words
        self.first_success: datetime | None = None
        self.last_success: datetime | None = None
        self.spike_since: int | None = None  # minute a rate spike began (rules.py)

    def _tally(self, table: dict[str, Tally], key: str | None, label: str) -> Tally:
        ident = key or OTHER
        found = table.get(ident)
        if found is None:
            if len(table) >= MAX_TALLIES:
                ident, label = OTHER, OTHER
                found = table.get(ident)
            if found is None:
                found = table[ident] = Tally(label or ident)
        return found

    def add(self, attempt: Attempt, rel: Relation) -> None:
        kp = self._tally(self.by_keypair, attempt.keypair_id, attempt.keypair_alias)
        user = self._tally(self.by_signer, attempt.user_id, attempt.user_name)
        if rel == "in":
            self.success += 1
            kp.success += 1
            user.success += 1
            self.rates.add(attempt)
            when = attempt.created_on
            if when is not None:
                if self.first_success is None or when < self.first_success:
                    self.first_success = when
                if self.last_success is None or when > self.last_success:
                    self.last_success = when
        elif rel == "outside":
            self.outside += 1
            kp.outside += 1
            user.outside += 1
        else:
            self.failed += 1
            kp.failed += 1
            user.failed += 1
            label = failure_label(attempt)
            if label in self.failures or len(self.failures) < MAX_TALLIES:
                self.failures[label] = self.failures.get(label, 0) + 1
        self.version += 1

    def reset(self) -> None:
        self._clear_counts()
        self.stream.clear()
        self.version += 1

    # ------------------------------------------------------------------ derived views

    @property
    def used(self) -> int:
        """Signatures counted against the maximum: the server's count at the last refresh
        or the attributed signatures seen since the window opened, whichever is higher
        (the count lags between refreshes; the log may hold less than the whole window)."""
        return max(self.success, self.window.signature_count or 0)

    def countdown(self, now: datetime) -> Countdown:
        return countdown(self.window, now)

    def gauge(self, config: AlertConfig) -> Gauge:
        return gauge(self.used, self.window.max_signatures, amber=config.quota_warn,
                     red=config.quota_full)

    def projection(self, now: datetime, tz: Any = None) -> Projection:
        count, minutes = recent_rate(self.rates.overall, now, self.window.start_time)
        kwargs = {"tz": tz} if tz is not None else {}
        return project(self.used, self.window.max_signatures, count, minutes, now,
                       self.window.end_time, **kwargs)

    def scan(self) -> ScanSummary:
        return summarize(self.scans, self.window)


@dataclass
class Freshness:
    """How current the monitor's data is."""

    interval: float = 2.0
    last_ok: datetime | None = None
    failing_since: datetime | None = None
    error: str | None = None
    error_kind: str | None = None
    # Seconds to the next poll when that is not `interval` (no watched window open).
    cadence: float | None = None

    @property
    def connected(self) -> bool:
        return self.failing_since is None

    def text(self, now: datetime) -> str:
        every = f"every {self.interval:g} s"
        if self.cadence is not None and self.cadence > self.interval:
            every = f"every {self.cadence:g} s (no window open)"
        if self.failing_since is not None:
            held = "no data yet" if self.last_ok is None else (
                f"showing data as of {clock_time(self.last_ok)}")
            return (f"DISCONNECTED since {clock_time(self.failing_since)}: {self.error} · "
                    f"{held} · retrying {every}")
        if self.last_ok is None:
            return f"connecting… · {every}"
        return f"updated {ago(self.last_ok, now)} · {every}"


class MonitorModel:
    def __init__(
        self,
        windows: Iterable[Window] = (),
        *,
        clock: Clock,
        config: AlertConfig | None = None,
        stream_limit: int = STREAM_LIMIT,
        interval: float = 2.0,
        recorder: Recorder | None = None,
    ) -> None:
        self.clock = clock
        self.config = config or AlertConfig()
        self.stream_limit = stream_limit
        self.windows: dict[str, WindowMonitor] = {}
        self.alerts = AlertLedger()
        self.freshness = Freshness(interval)
        self.recorder = recorder
        self._new_alerts: list[Alert] = []
        self._counted: dict[str, int] = {}
        self.version = 0
        for window in windows:
            self.set_window(window)

    def _emit(self, event: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder({"t": iso(self.clock()), **event})

    def _changed(self) -> None:
        self.version += 1

    # ------------------------------------------------------------------ inputs

    def set_window(self, window: Window) -> WindowMonitor:
        """Watch a window, or take a fresher copy of one watched."""
        self._emit({"type": "window", "window": window.as_dict()})
        found = self.windows.get(window.id)
        if found is None:
            found = self.windows[window.id] = WindowMonitor(window, self.stream_limit)
        elif found.window != window:
            found.window = window
            found.version += 1
        self._changed()
        return found

    def unwatch(self, window_id: str) -> None:
        if self.windows.pop(window_id, None) is not None:
            self._emit({"type": "unwatch", "window_id": window_id})
            self._changed()

    def set_scans(self, window_id: str, scans: Sequence[ScanState]) -> None:
        found = self.windows.get(window_id)
        if found is None:
            return
        self._emit({"type": "scans", "window_id": window_id,
                    "scans": [s.as_dict() for s in scans]})
        new = tuple(scans)
        if new != found.scans:
            found.scans = new
            found.version += 1
            self._changed()

    def ingest(self, attempts: Iterable[Attempt]) -> list[Related]:
        """Take new attempts from the log (each id once; the feed de-duplicates) and return
        those that concern a watched window."""
        related: list[Related] = []
        streamed: dict[str, list[Attempt]] = {}
        for attempt in attempts:
            for wm in self.windows.values():
                rel = relation(attempt, wm.window, wm.keypair_ids)
                if rel is None:
                    continue
                wm.add(attempt, rel)
                streamed.setdefault(wm.window.id, []).append(attempt)
                related.append(Related(wm.window.id, attempt, rel))
                rules.on_attempt(self, wm, attempt, rel)
        for window_id, batch in streamed.items():
            self.windows[window_id].stream.add(batch)
        if related:
            if self.recorder is not None:
                # One attempt may concern two windows; it is recorded once.
                unique = {r.attempt.id: r.attempt for r in related}
                self._emit({"type": "attempts",
                            "items": [a.as_dict() for a in unique.values()]})
            self._changed()
        return related

    def poll_ok(self) -> None:
        now = self.clock()
        self._emit({"type": "poll", "ok": True, "interval": self.freshness.interval})
        fresh = self.freshness
        fresh.last_ok, fresh.failing_since, fresh.error, fresh.error_kind = now, None, None, None
        self._changed()

    def poll_failed(self, message: str, kind: str = "unreachable") -> None:
        now = self.clock()
        self._emit({"type": "poll", "ok": False, "error": message, "kind": kind,
                    "interval": self.freshness.interval})
        fresh = self.freshness
        if fresh.failing_since is None:
            fresh.failing_since = now
        fresh.error, fresh.error_kind = message, kind
        self._changed()

    def set_interval(self, seconds: float) -> None:
        if seconds != self.freshness.interval:
            self.freshness.interval = seconds
            self._changed()

    def evaluate(self) -> list[Alert]:
        """Run the time- and state-driven rules (once per poll) and return every alert that
        fired since the last call, attempt-driven ones included."""
        self._emit({"type": "evaluate"})
        now = self.clock()
        for wm in self.windows.values():
            rules.on_state(self, wm, now)
        fired, self._new_alerts = self._new_alerts, []
        for alert in fired:
            self._emit({"type": "alert", "alert": alert.as_dict()})
        if self.recorder is not None:
            self._emit_counters()
        if fired:
            self._changed()
        return fired

    def _emit_counters(self) -> None:
        """What the counters read, for someone reading a recording (the replayer derives
        them again from the attempts)."""
        for wm in self.windows.values():
            if self._counted.get(wm.window.id) == wm.version:
                continue
            self._counted[wm.window.id] = wm.version
            self._emit({"type": "counters", "window_id": wm.window.id, "used": wm.used,
                        "maximum": wm.window.max_signatures, "success": wm.success,
                        "failed": wm.failed, "outside": wm.outside})

    def acknowledge(self, key: str | None = None) -> int:
        """Acknowledge one alert (by key) or, without a key, all of them."""
        done = int(self.alerts.acknowledge(key)) if key else self.alerts.acknowledge_all()
        if done:
            self._emit({"type": "ack", "key": key})
            self._changed()
        return done

    def reset_history(self) -> None:
        """Forget counts and streams (before the feed reads the history again); alerts
        that fired stay fired."""
        self._emit({"type": "reset"})
        for wm in self.windows.values():
            wm.reset()
        self._changed()

    # ------------------------------------------------------------------ for rules.py

    def fire(self, alert_key: str, kind: str, severity: str, wm: WindowMonitor,
             message: str, *, repeat: bool = True) -> None:
        if not self.config.on(kind):
            return
        alert = self.alerts.fire(alert_key, kind, "error" if severity == "error" else "warning",
                                 wm.window.id, wm.window.name, message, self.clock(),
                                 repeat=repeat)
        if alert is not None:
            self._new_alerts.append(alert)
            self._changed()

    # ------------------------------------------------------------------ queries

    def since(self) -> datetime | None:
        """Where the watched windows' history starts (the earliest start)."""
        starts = [wm.window.start_time for wm in self.windows.values()]
        known = [s for s in starts if s is not None]
        if len(known) < len(starts):
            return None
        return min(known) if known else None

    def any_open(self, now: datetime | None = None) -> bool:
        at = now or self.clock()
        return any(wm.window.status_at(at) == "OPEN" for wm in self.windows.values())

    def next_start(self, now: datetime) -> timedelta | None:
        """Time until the next watched window opens (None: none is upcoming)."""
        waits = [
            wm.window.start_time - now
            for wm in self.windows.values()
            if wm.window.start_time is not None and wm.window.start_time > now
            and wm.window.status_at(now) == "APPROVED"
        ]
        return min(waits) if waits else None
