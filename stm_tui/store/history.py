"""Append-only logs (audit, signatures): a window of recent history, kept current by ids.

A log can hold years of entries, so a first load takes only the most recent `window` of it
(30 days) and says so; older history is loaded page by page on request. Later polls fetch
what is new without trusting timestamps: one entry stamped two days in the future (a seed,
or a server with a skewed clock) used to make "newer than the newest held" match nothing
for two days. Instead the newest pages are read in the server's own order, newest end
first, until a page holds only ids already known (and at least as many new ids were seen
as the log's total grew by). Only `limit` and `offset`, which STM documents, are sent.

The server's order is not documented. It is learnt from the first page (mostly ascending or
mostly descending `created_on`); the emulator lists oldest first, so the newest end is the
last page there.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, Protocol

from stm_tui.store.poller import FetchResult
from stm_tui.store.store import Store

log = logging.getLogger(__name__)

Order = Literal["oldest_first", "newest_first"]

# Pages one poll may read looking for new entries; a poll after a long pause that finds
# more than this many pages of news leaves the rest to the next polls.
MAX_SCAN_PAGES = 20


class PageSource(Protocol):
    async def list_page(
        self, resource: str, *, offset: int, limit: int, **filters: Any
    ) -> tuple[int, list[Any]]: ...


@dataclass(frozen=True)
class History:
    """What part of a log the store holds.

    `loaded_from`: the oldest entry held (None before the first load, or for an empty log);
    `complete`: every entry the server has is held; `window`: how much the first load asks
    for; `older_loaded`: `load_older` has reached past it; `total`: the server's count at
    the last look; `held`: entries in the store."""

    resource: str
    window: timedelta
    loaded_from: datetime | None = None
    complete: bool = False
    loaded: bool = False
    older_loaded: bool = False
    total: int | None = None
    held: int = 0


def _stamp(item: Any) -> datetime | None:
    value = getattr(item, "created_on", None)
    return value if isinstance(value, datetime) else None


def detect_order(items: Sequence[Any]) -> Order:
    """Mostly ascending `created_on` means oldest first; ties and unknowns count for that
    (the emulator's and most databases' natural order)."""
    stamps = [s for s in (_stamp(i) for i in items) if s is not None]
    up = sum(1 for a, b in pairwise(stamps) if b > a)
    down = sum(1 for a, b in pairwise(stamps) if b < a)
    return "newest_first" if down > up else "oldest_first"


class HistoryFetcher:
    """The poll fetch for one append-only log, plus `load_older`."""

    def __init__(
        self,
        client: PageSource,
        store: Store,
        resource: str,
        *,
        window: timedelta,
        clock: Callable[[], datetime],
        page_size: int = 100,
        on_change: Callable[[History], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.resource = resource
        self.clock = clock
        self.page_size = max(1, page_size)
        self.order: Order | None = None
        self.history = History(resource=resource, window=window)
        self._on_change = on_change
        self._last_total = 0

    # -------------------------------------------------------------------------- reading

    async def _page(self, offset: int, limit: int) -> tuple[int, list[Any]]:
        return await self.client.list_page(self.resource, offset=offset, limit=limit)

    async def _page_from_newest(
        self, skip: int, total: int | None = None
    ) -> tuple[int, list[Any]]:
        """(total, up to a page of entries newest first) after the `skip` newest entries.
        Oldest-first servers need the total to find their newest end: pass it when known."""
        limit = self.page_size
        if self.order == "newest_first":
            return await self._page(skip, limit)
        if total is None:
            total, _ = await self._page(0, 1)
        end = total - skip
        if end <= 0:
            return total, []
        start = max(0, end - limit)
        total, items = await self._page(start, end - start)
        return total, list(reversed(items))

    async def _newest_pages(self) -> AsyncIterator[tuple[int, list[Any]]]:
        """(total, items newest first) per page, from the newest end of the log."""
        skip = 0
        total: int | None = None
        while True:
            total, items = await self._page_from_newest(skip, total)
            yield total, items
            skip += len(items)
            if not items or skip >= total:
                return

    def _held_ids(self) -> set[str]:
        return set(self.store.collection(self.resource).items)

    def _set(self, **changes: Any) -> None:
        held = len(self.store.collection(self.resource))
        self.history = replace(self.history, held=held, **changes)
        if self._on_change is not None:
            self._on_change(self.history)

    # -------------------------------------------------------------------------- polling

    async def __call__(self) -> FetchResult:
        if not self.history.loaded:
            return await self.first_load()
        return await self.news()

    async def first_load(self) -> FetchResult:
        total, first = await self._page(0, self.page_size)
        if self.order is None:
            self.order = detect_order(first)
        cutoff = self.clock() - self.history.window
        if total <= len(first):
            items, complete = first, True
        else:
            items = []
            async for latest_total, page in self._newest_pages():
                total = latest_total
                items.extend(page)
                stamps = [s for s in (_stamp(i) for i in page) if s is not None]
                if stamps and min(stamps) < cutoff:
                    break  # this page crosses the window: enough history for now
            complete = len({i.id for i in items}) >= total
        self._last_total = total
        result = FetchResult(items=items, complete=True)
        self._after_load(items, total, complete)
        return result

    def _after_load(self, items: Sequence[Any], total: int, complete: bool) -> None:
        stamps = [s for s in (_stamp(i) for i in items) if s is not None]
        # The store applies the result after this returns; count what it will hold.
        self.history = replace(
            self.history,
            loaded=True,
            complete=complete,
            total=total,
            loaded_from=min(stamps) if stamps else None,
            held=len({getattr(i, "id", None) for i in items}),
        )
        if self._on_change is not None:
            self._on_change(self.history)

    async def news(self) -> FetchResult:
        known = self._held_ids()
        new: list[Any] = []
        seen: set[str] = set()
        total = self._last_total
        pages = 0
        async for total, page in self._newest_pages():
            pages += 1
            unknown = [i for i in page if i.id not in known and i.id not in seen]
            seen.update(i.id for i in unknown)
            new.extend(unknown)
            grown = total - self._last_total
            if not unknown and len(new) >= grown:
                break
            if pages >= MAX_SCAN_PAGES:
                log.info("%s: more news than %d pages; the rest next poll", self.resource, pages)
                break
        self._last_total = total
        if new or total != self.history.total:
            held = len(known) + len(new)
            self.history = replace(self.history, total=total, held=held)
            if self.history.complete and held < total:
                # Entries older than the ones held appeared (a restore?): no longer complete.
                self.history = replace(self.history, complete=False)
            if self._on_change is not None:
                self._on_change(self.history)
        return FetchResult(items=new, complete=False)

    # -------------------------------------------------------------------------- older

    async def load_older(self, pages: int = 1) -> int:
        """Load up to `pages` pages of entries older than the oldest held; the number of
        entries added. Sets `complete` when the oldest end of the log is reached."""
        if not self.history.loaded or self.order is None or self.history.complete:
            return 0
        known = self._held_ids()
        skip = len(known)  # the held entries are the newest ones, without gaps
        added: list[Any] = []
        reached_end = False
        loaded_pages = 0
        total = self.history.total or 0
        # Entries that arrived since the last poll shift offsets a little: a page of ids
        # already held just means "look one page further" (a bounded number of times).
        for _attempt in range(pages + MAX_SCAN_PAGES):
            total, page = await self._page_from_newest(skip)
            unknown = [i for i in page if i.id not in known]
            known.update(i.id for i in unknown)
            added.extend(unknown)
            skip += len(page)
            if unknown:
                loaded_pages += 1
            if not page or skip >= total:
                reached_end = True
                break
            if loaded_pages >= pages:
                break
        if added:
            self.store.upsert(self.resource, added)
        stamps = [s for s in (_stamp(i) for i in added) if s is not None]
        if self.history.loaded_from is not None:
            stamps.append(self.history.loaded_from)
        self._set(
            loaded_from=min(stamps, default=None),
            complete=reached_end,
            total=total,
            older_loaded=self.history.older_loaded or bool(added),
        )
        return len(added)
