"""Ties one cache file to a session's store: loads it at start, then mirrors what changes.

All file work (decoding, encoding, SQLite) runs on one worker thread, so the UI loop keeps
answering keys while 100,000 certificates are read or written. What the keeper loads goes
into the store in one complete listing per collection, marked as cached with the age of the
data; the session's fetchers then refresh it by change. Writes follow the store's diffs,
coalesced (`FLUSH_DELAY`), so a burst of polls writes once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

from stm_tui import memory
from stm_tui.cache.codec import Memo
from stm_tui.cache.file import CacheFile, Loaded
from stm_tui.store.store import Diff, Status, Store

log = logging.getLogger(__name__)

R = TypeVar("R")


class CacheKeeper:
    # Seconds between a change in the store and its write: a first sync arrives page by
    # page in one diff, later polls a few at a time.
    FLUSH_DELAY = 2.0
    # How much younger a refresh that changed nothing must make the data before the file's
    # age is written again (a poll every 30 s need not write every 30 s).
    STAMP_EVERY = timedelta(minutes=1)

    def __init__(self, file: CacheFile, store: Store, resources: Iterable[str]) -> None:
        self.file = file
        self.store = store
        self.resources = tuple(r for r in resources if r in store.names)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stm-cache")
        self._dirty: dict[str, set[str]] = {r: set() for r in self.resources}
        self._removed: dict[str, set[str]] = {r: set() for r in self.resources}
        # Collections whose file copy may have missed a change (a failed write): rewritten
        # whole at the next flush.
        self._rewrite: set[str] = set()
        self._saved_at: dict[str, datetime] = {}
        self._memo = Memo()
        self._flush_task: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Future[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_status: Callable[[], None] | None = None
        self._closed = False
        self.loaded: Loaded | None = None
        self._reading: asyncio.Future[Loaded] | None = None

    async def _run(self, fn: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    # loading -------------------------------------------------------------------------------

    def begin(self) -> None:
        """Start opening and reading the file on the worker thread (`load` waits for it)."""
        if self._reading is None:
            self._reading = asyncio.get_running_loop().run_in_executor(
                self._pool, self._open_and_load
            )

    async def load(self) -> Loaded:
        """Open the file and put what it holds into the store (marked cached, with its age).
        Never raises: a file that cannot be used means a cold start."""
        self.begin()
        assert self._reading is not None
        try:
            loaded = await self._reading
        except Exception:  # a bug here must cost the cache, never the dashboard
            log.exception("the inventory cache could not be read")
            loaded = Loaded(note="cache could not be read")
        self.loaded = loaded
        for name in self.resources:
            items = loaded.items.get(name)
            when = loaded.saved_at.get(name)
            if items is None or when is None or self.store.collection(name).loaded:
                continue  # not saved, or the server answered first: its data wins
            # 100,000 items are diffed against the store on a thread (~0.2 s of the loop).
            replacement = self.store.prepare_replace(name, items)
            await self._run(replacement.compute)
            if self.store.collection(name).loaded:
                continue  # the server answered meanwhile
            self.store.commit_replacement(replacement)
            self.store.mark_cached(name, when)
            self._saved_at[name] = when
        return loaded

    def _open_and_load(self) -> Loaded:
        self.file.open()
        with memory.gc_paused_keeping():
            return self.file.load()

    # following the store ------------------------------------------------------------------

    def follow(self) -> None:
        """Mirror every later change of the cached collections into the file."""
        if self._unsubscribe is None and self.file.usable:
            self._unsubscribe = self.store.subscribe(self._on_diff, self.resources)
            self._unsubscribe_status = self.store.subscribe_status(self._on_status)

    def _on_diff(self, diff: Diff) -> None:
        name = diff.resource
        self._dirty[name] -= diff.removed
        self._dirty[name] |= diff.touched
        self._removed[name] |= diff.removed
        self._removed[name] -= diff.touched
        self._schedule()

    def _on_status(self, status: Status) -> None:
        # A refresh that changed nothing still makes the saved data younger.
        if status.resource in self._dirty and self._stale_stamp(status):
            self._schedule()

    def _stale_stamp(self, status: Status) -> bool:
        if status.cached or status.last_ok is None:
            return False
        saved = self._saved_at.get(status.resource)
        return saved is None or status.last_ok - saved >= self.STAMP_EVERY

    def _schedule(self) -> None:
        if self._flush_task is None and not self._closed:
            self._flush_task = asyncio.get_running_loop().create_task(
                self._delayed_flush(), name="inventory cache write"
            )

    async def _delayed_flush(self) -> None:
        try:
            await asyncio.sleep(self.FLUSH_DELAY)
        finally:
            self._flush_task = None
        # Shielded, and awaited by `close`: a flush has taken its changes off the dirty sets,
        # so cancelling it half-way would lose them.
        flush = asyncio.ensure_future(self.flush())
        self._flushes.add(flush)
        flush.add_done_callback(self._flushes.discard)
        await asyncio.shield(flush)

    async def flush(self) -> None:
        """Write what changed since the last flush (on the worker thread)."""
        memo = self._memo  # certificates first: the keypairs' embedded ones are then known
        for name in self.resources:
            status = self.store.collection(name).status
            if status.cached or status.last_ok is None:
                continue  # nothing newer than the file yet
            coll = self.store.collection(name)
            complete = name in self._rewrite
            if complete:
                items = list(coll.items.values())
                removed: list[str] = []
            else:
                items = [coll.items[k] for k in self._dirty[name] if k in coll.items]
                removed = list(self._removed[name])
            when = status.last_ok
            if not (items or removed or complete or self._stale_stamp(status)):
                continue
            self._dirty[name] = set()
            self._removed[name] = set()
            self._rewrite.discard(name)
            write = (
                (lambda n=name, i=items, r=removed, w=when, c=complete, mm=memo:
                 self.file.save(n, i, r, w, complete=c, memo=mm))
                if items or removed or complete
                else (lambda n=name, w=when: self.file.stamp(n, w))
            )
            try:
                await self._run(write)
                self._saved_at[name] = when
            except Exception as exc:
                # The file may now lack a change: write the whole collection next time.
                log.warning("inventory cache write of %s failed: %s", name, type(exc).__name__)
                self._rewrite.add(name)
                memo = self._memo = Memo()

        self._forget_unheld()

    def _forget_unheld(self) -> None:
        # Only certificates the store still holds stay in the memo: a replaced one would
        # otherwise be kept alive by it for the whole session.
        if "certificates" not in self.store.names:
            self._memo = Memo()
            return
        held = self.store.collection("certificates")
        # Amortised: walking the whole memo after every flush of a first sync (a flush every
        # 2 s, 100,000 entries) cost ~1.5 s; replaced certificates are few, so a walk once
        # the memo outgrows the store by a tenth bounds what it keeps alive the same way.
        if len(self._memo) <= len(held) + len(held) // 10 + 1000:
            return
        self._memo.retain(lambda cert: held.get(cert.id) is cert)

    async def close(self) -> None:
        """Write what is pending, then close the file (the worker thread ends)."""
        if self._closed:
            return
        for unsubscribe in (self._unsubscribe, self._unsubscribe_status):
            if unsubscribe is not None:
                unsubscribe()
        task, self._flush_task = self._flush_task, None
        if task is not None:
            task.cancel()  # still waiting: the flush below writes its changes
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        try:
            if self.file.usable:
                await self.flush()
        finally:
            self._closed = True
            try:
                await self._run(self.file.close)
            finally:
                self._pool.shutdown(wait=False)

