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

A `limit` bounds how many entries are held (the signature log of a busy account grows without
end): a first load keeps the newest `limit`, news evict the oldest held (the poller applies
that as a diff with `removed`), and `load_older` stops there.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, Protocol

from stm_tui.api import models as m
from stm_tui.api.resources import ResourceName
from stm_tui.store.poller import FetchResult
from stm_tui.store.store import Store

log = logging.getLogger(__name__)

Order = Literal["oldest_first", "newest_first"]

# Pages one poll may read looking for new entries; a poll after a long pause that finds
# more than this many pages of news leaves the rest to the next polls.
MAX_SCAN_PAGES = 20


class PageSource(Protocol):
    async def list_page(
        self, resource: str, *, offset: int, limit: int
    ) -> tuple[int, list[m.Resource]]: ...


@dataclass(frozen=True)
class History:
    """What part of a log the store holds.

    `loaded_from`: the oldest entry held (None before the first load, or for an empty log);
    `complete`: every entry the server has is held; `window`: how much the first load asks
    for; `older_loaded`: `load_older` has reached past it; `total`: the server's count at
    the last look; `held`: entries in the store; `limit`: the most it holds (None: no bound),
    the oldest evicted beyond it."""

    resource: ResourceName
    window: timedelta
    loaded_from: datetime | None = None
    complete: bool = False
    loaded: bool = False
    older_loaded: bool = False
    total: int | None = None
    held: int = 0
    limit: int | None = None

    @property
    def at_limit(self) -> bool:
        return self.limit is not None and self.held >= self.limit


def _stamp(item: m.Resource) -> datetime | None:
    return item.created_on if isinstance(item, m.Signature | m.AuditEvent) else None


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _age(item: m.Resource) -> datetime:
    """Sort key, oldest first; an entry without a time counts as the oldest."""
    return _stamp(item) or _EARLIEST


def oldest(items: Iterable[m.Resource], count: int) -> list[m.Resource]:
    """The `count` oldest entries (by `created_on`), oldest first."""
    return heapq.nsmallest(count, items, key=_age) if count > 0 else []


def detect_order(items: Sequence[m.Resource]) -> Order:
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
        resource: ResourceName,
        *,
        window: timedelta,
        clock: Callable[[], datetime],
        page_size: int = 100,
        on_change: Callable[[History], None] | None = None,
        limit: int | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.resource = resource
        self.clock = clock
        self.page_size = max(1, page_size)
        self.limit = max(1, limit) if limit is not None else None
        self.order: Order | None = None
        self.history = History(resource=resource, window=window, limit=self.limit)
        # Once the limit has cut entries off, ones older than this are not news: they are
        # the cut-off ones, seen again on the newest pages.
        self._floor: datetime | None = None
        self._on_change = on_change
        self._last_total = 0

    # -------------------------------------------------------------------------- reading

    async def _page(self, offset: int, limit: int) -> tuple[int, list[m.Resource]]:
        return await self.client.list_page(self.resource, offset=offset, limit=limit)

    async def _page_from_newest(
        self, skip: int, total: int | None = None
    ) -> tuple[int, list[m.Resource]]:
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

    async def _newest_pages(self) -> AsyncIterator[tuple[int, list[m.Resource]]]:
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
                if self.limit is not None and len(items) >= self.limit:
                    break
            complete = len({i.id for i in items}) >= total
        if self.limit is not None and len(items) > self.limit:
            dropped = {i.id for i in oldest(items, len(items) - self.limit)}
            items = [i for i in items if i.id not in dropped]
            complete = False
            self._floor = min((s for s in map(_stamp, items) if s is not None), default=None)
        self._last_total = total
        result = FetchResult(items=items, complete=True)
        self._after_load(items, total, complete)
        return result

    def _after_load(self, items: Sequence[m.Resource], total: int, complete: bool) -> None:
        stamps = [s for s in (_stamp(i) for i in items) if s is not None]
        # The store applies the result after this returns; count what it will hold.
        self.history = replace(
            self.history,
            loaded=True,
            complete=complete,
            total=total,
            loaded_from=min(stamps) if stamps else None,
            held=len({i.id for i in items}),
        )
        if self._on_change is not None:
            self._on_change(self.history)

    async def news(self) -> FetchResult:
        known = self._held_ids()
        new: list[m.Resource] = []
        seen: set[str] = set()
        total = self._last_total
        pages = 0
        async for total, page in self._newest_pages():
            pages += 1
            unknown = [
                i for i in page
                if i.id not in known and i.id not in seen and not self._cut_off(i)
            ]
            seen.update(i.id for i in unknown)
            new.extend(unknown)
            grown = total - self._last_total
            if not unknown and len(new) >= grown:
                break
            if pages >= MAX_SCAN_PAGES:
                log.info("%s: more news than %d pages; the rest next poll", self.resource, pages)
                break
        self._last_total = total
        new, evicted = self._bounded(new)
        if new or evicted or total != self.history.total:
            held = len(known) + len(new) - len(evicted)
            self.history = replace(self.history, total=total, held=held)
            if self.history.complete and held < total:
                # Older entries than the ones held exist now (evicted, or a restore).
                self.history = replace(self.history, complete=False)
            if self._on_change is not None:
                self._on_change(self.history)
        return FetchResult(items=new, complete=False, removed=evicted)

    def _cut_off(self, item: m.Resource) -> bool:
        stamp = _stamp(item)
        return self._floor is not None and stamp is not None and stamp < self._floor

    def _bounded(self, new: list[m.Resource]) -> tuple[list[m.Resource], list[str]]:
        """(the news to add, ids of held entries to evict) so that at most `limit` are held.
        News are newer than everything held, so the oldest held go first."""
        held = self.store.collection(self.resource).items
        if self.limit is None or len(held) + len(new) <= self.limit:
            return new, []
        if len(new) >= self.limit:
            kept = sorted(new, key=_age)[-self.limit :]
            self._floor = _stamp(kept[0])
            self.history = replace(self.history, loaded_from=self._floor)
            return kept, list(held)
        excess = len(held) + len(new) - self.limit
        drop = oldest(held.values(), excess + 1)
        first_kept = drop.pop() if len(drop) > excess else None
        stamps = [_stamp(first_kept)] if first_kept is not None else [_stamp(i) for i in new]
        known = [s for s in stamps if s is not None]
        self._floor = min(known) if known else self._floor
        self.history = replace(self.history, loaded_from=self._floor)
        return new, [i.id for i in drop]

    # -------------------------------------------------------------------------- older

    async def load_older(self, pages: int = 1) -> int:
        """Load up to `pages` pages of entries older than the oldest held; the number of
        entries added. Sets `complete` when the oldest end of the log is reached."""
        if not self.history.loaded or self.order is None or self.history.complete:
            return 0
        known = self._held_ids()
        room = None if self.limit is None else self.limit - len(known)
        if room is not None and room <= 0:
            return 0
        skip = len(known)  # the held entries are the newest ones, without gaps
        added: list[m.Resource] = []
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
            if loaded_pages >= pages or (room is not None and len(added) >= room):
                break
        if room is not None and len(added) > room:
            added = added[:room]  # newest first: the ones nearest to what is held
            reached_end = False
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
