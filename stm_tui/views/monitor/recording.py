"""Recordings of a watch (JSON lines) and their replay, for post-mortems.

A recording is what the monitor saw, in order, one JSON object per line, each with `t` (the
monitor's clock, ISO-8601 UTC) and `type`:

    header    format, version, started, the alert thresholds in force, the stream size
    window    a window's record as refreshed            scans     a window's scans
    attempts  new attempts that concern a watched window (the log's own fields)
    poll      a poll's outcome: ok, or the error and its kind; the interval
    evaluate  the rules ran                               ack       an alert acknowledged
    alert     an alert that fired                         counters  a window's counters
    reset     the history is read again                   unwatch   a window is dropped

`window`, `scans`, `attempts`, `poll`, `evaluate`, `ack`, `reset` and `unwatch` are the
model's inputs: replaying them in order at their times rebuilds the same states, alerts
included (`alert` and `counters` are there for people and for checking a replay). Lines are
written with every character a terminal acts on escaped, and the file is private (0600).
"""

from __future__ import annotations

import contextlib
import json
import os
from array import array
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from stm_tui.sanitize import escape_json
from stm_tui.views.monitor.alerts import Alert, AlertConfig
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.records import attempts_from, iso, scan_from, timestamp, window_from
from stm_tui.views.monitor.stream import STREAM_LIMIT

FORMAT = "stm-tui-monitor"
VERSION = 1
# A line longer than this is not one the monitor wrote.
MAX_LINE = 16 * 1024 * 1024


class RecordingError(Exception):
    pass


class Recorder:
    """Writes a model's events to a file; use as the model's `recorder`."""

    def __init__(self, path: Path, *, config: AlertConfig, started: datetime,
                 stream_limit: int = STREAM_LIMIT) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        self.events = 0
        self._write({"t": iso(started), "type": "header", "format": FORMAT, "version": VERSION,
                     "started": iso(started), "config": config.as_mapping(),
                     "stream_limit": stream_limit})

    def _write(self, event: dict[str, Any]) -> None:
        self._file.write(escape_json(json.dumps(event, ensure_ascii=False)) + "\n")
        self.events += 1

    def __call__(self, event: dict[str, Any]) -> None:
        self._write(event)
        if event.get("type") in ("poll", "ack", "evaluate"):
            self._file.flush()  # a recording cut short by a kill still holds every poll

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


class Recording:
    """An index over a recording: each event's time and where its line starts. The events
    themselves are read from the file when replayed, so a long recording costs 16 bytes
    an event in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offsets = array("q")
        self._times = array("d")
        try:
            with path.open("rb") as handle:
                header_line = handle.readline(MAX_LINE)
                self.header = self._parse(header_line, 1)
                if self.header.get("format") != FORMAT or self.header.get("type") != "header":
                    raise RecordingError(f"{path}: not a stm-tui monitor recording")
                if self.header.get("version") != VERSION:
                    raise RecordingError(
                        f"{path}: recording version {self.header.get('version')!r}; "
                        f"this stm-tui reads version {VERSION}")
                offset = handle.tell()
                number = 1
                for line in iter(lambda: handle.readline(MAX_LINE), b""):
                    number += 1
                    event = self._parse(line, number)
                    when = timestamp(event.get("t"))
                    if when is None:
                        raise RecordingError(f"{path}, line {number}: no time")
                    self._offsets.append(offset)
                    self._times.append(when.timestamp())
                    offset += len(line)
        except OSError as exc:
            raise RecordingError(f"{path}: {exc.strerror or exc}") from None
        started = timestamp(self.header.get("started"))
        if started is None:
            raise RecordingError(f"{path}: the header has no start time")
        self.started = started
        try:
            self.config = AlertConfig.from_mapping(self.header.get("config") or {})
        except ValueError as exc:
            raise RecordingError(f"{path}: {exc}") from None
        limit = self.header.get("stream_limit")
        self.stream_limit = limit if isinstance(limit, int) and 0 < limit <= 100_000 else (
            STREAM_LIMIT)

    def _parse(self, line: bytes, number: int) -> dict[str, Any]:
        if not line.endswith(b"\n") and len(line) >= MAX_LINE:
            raise RecordingError(f"{self.path}, line {number}: too long")
        try:
            event = json.loads(line)
        except ValueError:
            raise RecordingError(f"{self.path}, line {number}: not JSON") from None
        if not isinstance(event, dict):
            raise RecordingError(f"{self.path}, line {number}: not an event")
        return event

    def __len__(self) -> int:
        return len(self._offsets)

    @property
    def start(self) -> datetime:
        return self._time(0) if len(self) else self.started

    @property
    def end(self) -> datetime:
        return self._time(len(self) - 1) if len(self) else self.started

    def _time(self, index: int) -> datetime:
        return datetime.fromtimestamp(self._times[index], tz=self.started.tzinfo)

    def time_of(self, index: int) -> float:
        return self._times[index]

    def events(self, start: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open("rb") as handle:
            if start < len(self):
                handle.seek(self._offsets[start])
            for index in range(start, len(self)):
                line = handle.readline(MAX_LINE)
                yield index, self._parse(line, index + 2)


def apply_event(model: MonitorModel, event: dict[str, Any]) -> list[Alert]:
    """One recorded input, applied as the live monitor applied it; new alerts."""
    kind = event.get("type")
    if kind == "window":
        window = window_from(event.get("window"))
        if window is not None:
            model.set_window(window)
    elif kind == "unwatch":
        model.unwatch(str(event.get("window_id")))
    elif kind == "scans":
        scans = [s for s in (scan_from(i) for i in event.get("scans") or []) if s is not None]
        model.set_scans(str(event.get("window_id")), scans)
    elif kind == "attempts":
        model.ingest(attempts_from(event.get("items") or []))
    elif kind == "poll":
        interval = event.get("interval")
        if isinstance(interval, int | float) and interval > 0:
            model.set_interval(float(interval))
        if event.get("ok"):
            model.poll_ok()
        else:
            model.poll_failed(str(event.get("error") or "unreachable"),
                              str(event.get("kind") or "unreachable"))
    elif kind == "evaluate":
        return model.evaluate()
    elif kind == "ack":
        key = event.get("key")
        model.acknowledge(key if isinstance(key, str) else None)
    elif kind == "reset":
        model.reset_history()
    return []


SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)


class Replay:
    """A recording played into a fresh model at a chosen speed, with pause and seek.

    `position` is the replayed clock; `advance(real_seconds)` moves it on by
    `real_seconds * speed` (unless paused) and applies the events up to it."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.speed = 1.0
        self.paused = False
        self._rebuild()

    def _rebuild(self) -> None:
        self._now = self.recording.start
        self.model = MonitorModel(clock=lambda: self._now, config=self.recording.config,
                                  stream_limit=self.recording.stream_limit)
        self._next = 0
        self.position = self.recording.start

    @property
    def done(self) -> bool:
        return self._next >= len(self.recording)

    def _apply_until(self, target: float) -> list[Alert]:
        fired: list[Alert] = []
        if self.done or self.recording.time_of(self._next) > target:
            return fired
        for index, event in self.recording.events(self._next):
            if self.recording.time_of(index) > target:
                break
            self._now = timestamp(event.get("t")) or self._now
            fired += apply_event(self.model, event)
            self._next = index + 1
        return fired

    def advance(self, real_seconds: float) -> list[Alert]:
        if self.paused or self.done:
            return []
        target = self.position + timedelta(seconds=real_seconds * self.speed)
        fired = self._apply_until(target.timestamp())
        self.position = min(target, self.recording.end)
        self._now = self.position
        return fired

    def seek(self, to: datetime) -> None:
        """Jump to a time (alerts on the way are not toasted again)."""
        to = max(self.recording.start, min(to, self.recording.end))
        if to < self.position:
            self._rebuild()
        self._apply_until(to.timestamp())
        self.position = to
        self._now = to

    def seek_by(self, seconds: float) -> None:
        self.seek(self.position + timedelta(seconds=seconds))

    def play_to_end(self) -> list[Alert]:
        fired = self._apply_until(float("inf"))
        self.position = self._now = self.recording.end
        return fired

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    def faster(self) -> float:
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])
        return self.speed

    def slower(self) -> float:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])
        return self.speed
