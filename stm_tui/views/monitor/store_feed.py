"""The monitor inside the dashboard: fed by the session's store, not by polls of its own.

The dashboard already polls the signature log (newest pages, every 2 s), the release windows
(2 s) and the scans (15 s) into its store. A monitor opened there that polled the same log
again would double the requests for nothing, so this feed makes none while it runs: it
takes the signatures the store adds (a diff names them), the watched windows' records and
their scans from the store, and its freshness from the store's signature-log status (the
dashboard's "disconnected" is the monitor's). After a disconnection the store's own log
fetcher reads every entry missed (`stm_tui.store.history`), so the monitor misses none.

One read of its own at most, once: when the store's history does not reach back to a
watched window's start (the dashboard loads 30 days, at most `signature_log_limit`
entries), the part before it is read from the log once, page by page, and never again.

`+`/`-` change the store's signature and release poll intervals while the monitor is open
(both set back when it closes), so the interval shown is the one in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from stm_tui.api.errors import NOT_TRANSIENT
from stm_tui.views.monitor.client_source import ClientSource, Reads
from stm_tui.views.monitor.feed import (
    HISTORY_LIMIT,
    MAX_INTERVAL,
    MIN_INTERVAL,
    MonitorSource,
    OnAttempts,
    OnPoll,
    PollResult,
    SourceError,
)
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.records import Attempt, Window, attempts_from, scan_from, window_from

log = logging.getLogger(__name__)

# Ids of attempts already handed to the model, newest kept: the store can evict an entry and
# read it back (a restore, a history reload), and the model must count each once.
SEEN_LIMIT = 50_000
POLLED = ("signatures", "releases")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class SessionLike(Protocol):
    """What the feed needs of `stm_tui.session.Session`."""

    @property
    def store(self) -> Any: ...

    @property
    def poller(self) -> Any: ...

    @property
    def client(self) -> Any: ...

    def history(self, name: str) -> Any: ...


def _order(attempt: Attempt) -> tuple[datetime, int, str]:
    # The log's order: time, then the server's sequence where it sends one, then id.
    return (attempt.created_on or _EARLIEST, attempt.sequence or 0, attempt.id)


class StoreFeed:
    """Duck-compatible with `MonitorFeed` where the monitor screen uses it."""

    def __init__(
        self,
        session: SessionLike,
        model: MonitorModel,
        *,
        history_source: MonitorSource | None = None,
        watch_all: bool = False,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        self.session = session
        self.store = session.store
        self.model = model
        self.history_source = history_source
        self.watch_all = watch_all
        self.history_limit = history_limit
        self.history_partial = False
        self.polls = 0
        self.requests = 0  # reads of its own (the history before the store's)
        self.on_attempts: list[OnAttempts] = []
        self.on_poll: list[OnPoll] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._new_ids: set[str] = set()
        self._windows_dirty = True
        self._scans_dirty = True
        self._status: Any | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        self._since: datetime | None = None
        self._loaded = False
        self._unsubscribe: list[Callable[[], None]] = []
        self._intervals: dict[str, float] = {}
        status = self.store.collection("signatures").status
        model.set_interval(status.interval)

    # ------------------------------------------------------------------ control

    @property
    def interval(self) -> float:
        return self.model.freshness.interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        seconds = min(MAX_INTERVAL, max(MIN_INTERVAL, seconds))
        for name in POLLED:
            if name in self.store.names:
                self._intervals.setdefault(name, self.store.collection(name).status.interval)
                self.session.poller.set_interval(name, seconds)
        self.model.set_interval(seconds)

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def poll_now(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------------ store events

    def _on_diff(self, diff: Any) -> None:
        if diff.resource == "signatures":
            self._new_ids |= diff.added
        elif diff.resource == "releases":
            self._windows_dirty = True
        else:
            self._scans_dirty = True
        self._wake.set()

    def _on_status(self, status: Any) -> None:
        if status.resource == "signatures":
            self._status = status
            self._wake.set()

    # ------------------------------------------------------------------ running

    async def run(self, polls: int | None = None) -> None:
        """Follow the store until `stop()` (or `polls` store polls)."""
        self._unsubscribe = [
            self.store.subscribe(self._on_diff, ("signatures", "releases", "scans")),
            self.store.subscribe_status(self._on_status),
        ]
        self._wake.set()  # what the store holds already, at once
        done = 0
        try:
            while not self._stopped and (polls is None or done < polls):
                # The state-driven alerts (closing, spikes) need a look now and then even
                # while the store says nothing (polling paused).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=max(1.0, self.interval))
                self._wake.clear()
                if self._stopped:
                    break
                if await self.step():
                    done += 1
        finally:
            self.close()

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        for name, seconds in self._intervals.items():
            self.session.poller.set_interval(name, seconds)
        self._intervals = {}

    async def step(self) -> bool:
        """Apply what the store has now; True when the store finished a signature poll
        since the last step (a PollResult went to the listeners)."""
        if self._windows_dirty:
            self._windows_dirty = False
            self._refresh_windows()
        if self._scans_dirty:
            self._scans_dirty = False
            self._refresh_scans()
        history = self.session.history("signatures")
        if history is None or not history.loaded:
            self._report_status()
            return self._finish()
        new: list[Attempt]
        if not self._loaded or self.model.since() != self._since:
            new = []
            if self._loaded:
                log.info("watched windows changed: taking their history again")
                self.model.reset_history()
                self._seen.clear()
            self._since = self.model.since()
            self._loaded = True
            self._new_ids.clear()
            await self._history_before(history)
            new = self._held_since(self._since)
        else:
            ids, self._new_ids = self._new_ids, set()
            held = self.store.collection("signatures").items
            new = attempts_from(held[i] for i in ids if i in held)
        self._ingest(sorted(new, key=_order))
        self._report_status()
        return self._finish()

    def _finish(self) -> bool:
        status, self._status = self._status, None
        if status is None:
            return False
        alerts = self.model.evaluate()
        ok = status.error_kind is None
        result = PollResult(ok, 0, alerts, None if ok else status.error_message,
                            None if ok else _kind(status.error_kind))
        self.polls += 1
        for listener in self.on_poll:
            listener(result)
        return True

    def _report_status(self) -> None:
        status = self._status
        if status is None:
            return
        if status.error_kind is None:
            self.model.poll_ok()
        else:
            self.model.poll_failed(status.error_message or status.error_kind,
                                   _kind(status.error_kind))

    # ------------------------------------------------------------------ reading the store

    def _refresh_windows(self) -> None:
        releases = self.store.collection("releases").items
        for window_id in list(self.model.windows):
            item = releases.get(window_id)
            window = window_from(item) if item is not None else None
            if window is not None:
                self.model.set_window(window)
        if self.watch_all:
            now = self.model.clock()
            for item in releases.values():
                window = window_from(item)
                if window is not None and window.status_at(now) == "OPEN":
                    self.model.set_window(window)
        self._scans_dirty = True

    def _refresh_scans(self) -> None:
        if "scans" not in self.store.names:
            return
        by_window: dict[str, list[Any]] = {wid: [] for wid in self.model.windows}
        for item in self.store.collection("scans").items.values():
            release = getattr(item, "release", None)
            wid = getattr(release, "id", None) or getattr(item, "release_id", None)
            if wid in by_window:
                by_window[wid].append(item)
        for wid, items in by_window.items():
            self.model.set_scans(wid, [s for s in (scan_from(i) for i in items) if s])

    def _held_since(self, since: datetime | None) -> list[Attempt]:
        held = self.store.collection("signatures").items.values()
        attempts = attempts_from(held)
        if since is None:
            return attempts
        return [a for a in attempts if a.created_on is not None and a.created_on >= since]

    async def _history_before(self, history: Any) -> None:
        """The watched windows' attempts older than anything the store holds, read once."""
        since, until = self._since, history.loaded_from
        self.history_partial = False
        if history.complete or until is None or (since is not None and since >= until):
            return
        if self.history_source is None:
            self.history_partial = True
            return
        offset, read = 0, 0
        try:
            while read < self.history_limit:
                total, page = await self.history_source.signatures_page(
                    offset=offset, limit=100, since=since, until=until)
                self.requests += 1
                if not page:
                    break
                offset += len(page)
                read += len(page)
                self._ingest(sorted(page, key=_order))
                if offset >= total:
                    return
        except SourceError as exc:
            log.info("the history before the dashboard's could not be read: %s", exc.message)
        self.history_partial = True

    def _ingest(self, attempts: Sequence[Attempt]) -> None:
        fresh = [a for a in attempts if a.id not in self._seen]
        for attempt in fresh:
            self._seen[attempt.id] = None
        while len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        related = self.model.ingest(fresh)
        if related:
            for listener in self.on_attempts:
                listener(related)


def _kind(error_kind: str | None) -> str:
    return "refused" if error_kind in NOT_TRANSIENT or error_kind == "config" else "unreachable"


def one_off_reads(session: SessionLike) -> ClientSource:
    """Reads the store does not hold, made on request only (the history before the store's,
    the month's budget): GETs through the session's own client, never polled."""
    # The session's client is an STMClient, whose list_page takes the log's filters (the
    # session's protocol names only what the store needs).
    return ClientSource(cast(Reads, session.client))


def windows_in_store(store: Any, ids: Sequence[str]) -> list[Window]:
    """The windows with these ids as the store holds them (unknown ids are left out)."""
    releases = store.collection("releases").items
    found = [window_from(releases[i]) for i in ids if i in releases]
    return [w for w in found if w is not None]


def open_windows_in_store(store: Any, now: datetime) -> list[Window]:
    found = [window_from(r) for r in store.collection("releases").items.values()]
    return sorted((w for w in found if w is not None and w.status_at(now) == "OPEN"),
                  key=lambda w: (w.end_time or _EARLIEST, w.name))
