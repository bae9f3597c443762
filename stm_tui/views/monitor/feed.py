"""The live feed: polls the signature log and the watched windows into a `MonitorModel`.

Requests per poll interval when nothing changes: one (the signature log's newest page, shared
by every watched window). The windows' own records and scans are refreshed every
`meta_interval` seconds (30 by default; two requests per window), and with `watch_all` the
list of open windows too. The log is read through `LogCursor` (cursor.py): after a
disconnection the next good poll reads every entry missed in between.

While the service is unreachable the model keeps its data as of the last good poll and says
so (`Freshness`); polling goes on at the same interval. Nothing here knows Textual or httpx:
a `MonitorSource` (client_source.py adapts STMClient) is all it talks to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from stm_tui.views.monitor.alerts import Alert
from stm_tui.views.monitor.cursor import PAGE_SIZE, LogCursor
from stm_tui.views.monitor.model import MonitorModel, Related
from stm_tui.views.monitor.records import Attempt, ScanState, Window

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0
MIN_INTERVAL = 0.1
MAX_INTERVAL = 300.0
# With no watched window open, polls slow down to this (but wake for the next start).
IDLE_INTERVAL = 15.0
META_INTERVAL = 30.0
# A window's history is read up to this many attempts at start; beyond it the counts come
# from the server's `signature_count` (and the monitor says the history is partial).
HISTORY_LIMIT = 200_000


class SourceError(Exception):
    """A request the source could not answer. `kind`: unreachable (retry), refused (the
    credentials or permissions), not_found, bad_response."""

    def __init__(self, message: str, kind: str = "unreachable") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class MonitorSource(Protocol):
    """What the monitor reads. Attempts come in the log's own order (offset/limit paging);
    `since` asks for entries at or after a time (a server that ignores it still works)."""

    async def signatures_page(
        self,
        *,
        offset: int,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        release_id: str | None = None,
        keypair_id: str | None = None,
    ) -> tuple[int, list[Attempt]]: ...

    async def release(self, release_id: str) -> Window: ...

    async def scans(self, release_id: str) -> list[ScanState]: ...

    async def open_releases(self) -> list[Window]: ...


@dataclass
class PollResult:
    ok: bool
    attempts: int = 0  # new attempts that concern a watched window
    alerts: list[Alert] = field(default_factory=list)
    error: str | None = None
    kind: str | None = None


OnAttempts = Callable[[list[Related]], None]
OnPoll = Callable[[PollResult], None]


class MonitorFeed:
    def __init__(
        self,
        source: MonitorSource,
        model: MonitorModel,
        *,
        interval: float = DEFAULT_INTERVAL,
        meta_interval: float = META_INTERVAL,
        watch_all: bool = False,
        page_size: int = PAGE_SIZE,
        history_limit: int = HISTORY_LIMIT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.model = model
        self.meta_interval = meta_interval
        self.watch_all = watch_all
        self.page_size = page_size
        self.history_limit = history_limit
        self._monotonic = monotonic
        self._since: datetime | None = None
        self._cursor: LogCursor | None = None
        self._meta_due = 0.0
        self._wake = asyncio.Event()
        self._stopped = False
        self._new = 0
        self.polls = 0
        self.on_attempts: list[OnAttempts] = []
        self.on_poll: list[OnPoll] = []
        self.history_partial = False
        model.set_interval(self._clamp(interval))

    # ------------------------------------------------------------------ control

    @staticmethod
    def _clamp(seconds: float) -> float:
        return min(MAX_INTERVAL, max(MIN_INTERVAL, seconds))

    @property
    def interval(self) -> float:
        return self.model.freshness.interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        self.model.set_interval(self._clamp(seconds))
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def poll_now(self) -> None:
        self._wake.set()

    @property
    def requests(self) -> int:
        """Signature-log requests made so far (for tests and the bench)."""
        return self._cursor.requests if self._cursor else 0

    # ------------------------------------------------------------------ polling

    async def _read(self, offset: int, limit: int) -> tuple[int, list[Attempt]]:
        return await self.source.signatures_page(offset=offset, limit=limit, since=self._since)

    def _ingest(self, attempts: list[Attempt]) -> None:
        related = self.model.ingest(attempts)
        self._new += len(related)
        if related:
            for listener in self.on_attempts:
                listener(related)

    async def _refresh_windows(self) -> None:
        if self.watch_all:
            for window in await self.source.open_releases():
                self.model.set_window(window)
        for window_id in list(self.model.windows):
            self.model.set_window(await self.source.release(window_id))
            self.model.set_scans(window_id, await self.source.scans(window_id))

    async def poll_once(self) -> PollResult:
        self._new = 0
        try:
            if self._monotonic() >= self._meta_due:
                await self._refresh_windows()
                self._meta_due = self._monotonic() + self.meta_interval
            since = self.model.since()
            if self._cursor is None or since != self._since:
                if self._cursor is not None:
                    log.info("watched windows changed: reading their history again")
                    self.model.reset_history()
                self._since = since
                self._cursor = LogCursor(self._read, page_size=self.page_size)
                await self._cursor.load(self._ingest, since=since, limit=self.history_limit)
                self.history_partial = not self._cursor.complete
            await self._cursor.news(self._ingest)
        except SourceError as exc:
            self.model.poll_failed(exc.message, exc.kind)
            result = PollResult(False, self._new, self.model.evaluate(), exc.message, exc.kind)
        else:
            self.model.poll_ok()
            result = PollResult(True, self._new, self.model.evaluate())
        self.polls += 1
        for listener in self.on_poll:
            listener(result)
        return result

    def next_delay(self) -> float:
        """Seconds until the next poll: the interval while a watched window is open,
        otherwise slower, but never past the next window's start."""
        interval = self.interval
        now = self.model.clock()
        if self.model.any_open(now) or not self.model.windows:
            return interval
        delay = max(interval, IDLE_INTERVAL)
        wait = self.model.next_start(now)
        if wait is not None:
            delay = min(delay, max(interval, wait.total_seconds()))
        return delay

    async def run(self, polls: int | None = None) -> None:
        """Poll until `stop()` (or `polls` polls)."""
        done = 0
        while not self._stopped and (polls is None or done < polls):
            await self.poll_once()
            done += 1
            self._wake.clear()
            if self._stopped or (polls is not None and done >= polls):
                break
            delay = self.next_delay()
            self.model.freshness.cadence = delay
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)


async def watch_windows(source: MonitorSource, ids: Sequence[str]) -> list[Window]:
    """The windows to start a feed with (their current records)."""
    return [await source.release(i) for i in ids]


def deadline_passed(model: MonitorModel, started: datetime, deadline: timedelta) -> bool:
    """The service has been unreachable for longer than `deadline` (since the last good
    poll, or since the start when there never was one)."""
    fresh = model.freshness
    if fresh.connected:
        return False
    reference = fresh.last_ok or started
    return model.clock() - reference > deadline
