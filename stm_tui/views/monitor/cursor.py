"""Reading a signature log incrementally: every new entry once, none skipped, few requests.

The log is read through `read(offset, limit) -> (total, entries)` in the server's own order,
which is learnt from the first page (the contract says oldest first; a server that lists
newest first works too). The cursor remembers the newest entry it has seen (the *anchor*)
and how many entries the log held then:

- oldest first: a poll reads the last `overlap` known entries and what follows them, in one
  request when nothing changed. Where the anchor now sits tells how many entries appeared
  before it (one second's entries are ordered by id, so a new one can land among the last
  few); any that appeared earlier than the page read are looked for page by page backwards.
- newest first: a poll reads from the front until it reaches the anchor (and `overlap`
  entries past it).

After a disconnection the next poll simply reads on from the anchor: whatever arrived in
between is read then, however much it is (page by page, handed on as it is read, so memory
stays bounded). Known ids are kept for the newest `known_limit` entries; older ones are
never looked at again except by a backward search, which stops at that horizon.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Literal

from stm_tui.views.monitor.records import Attempt

Order = Literal["oldest_first", "newest_first"]
Read = Callable[[int, int], Awaitable[tuple[int, list[Attempt]]]]
OnPage = Callable[[list[Attempt]], None]

PAGE_SIZE = 100
OVERLAP = 20
KNOWN_LIMIT = 20_000
# One poll reads at most this many pages forward; the rest follows in the next poll, from
# where this one stopped (nothing is skipped).
MAX_PAGES_PER_POLL = 200


def detect_order(items: Sequence[Attempt]) -> Order:
    """Mostly descending `created_on` means newest first; ties and unknowns mean the
    documented order, oldest first."""
    stamps = [a.created_on for a in items if a.created_on is not None]
    up = sum(1 for a, b in pairwise(stamps) if b > a)
    down = sum(1 for a, b in pairwise(stamps) if b < a)
    return "newest_first" if down > up else "oldest_first"


class RecentIds:
    """Ids of the newest entries seen (by their time), at most about `limit` of them."""

    def __init__(self, limit: int = KNOWN_LIMIT) -> None:
        self.limit = max(OVERLAP * 4, limit)
        self._stamps: dict[str, float] = {}
        self.horizon = float("-inf")  # entries older than this may have been forgotten

    def __contains__(self, ident: object) -> bool:
        return ident in self._stamps

    def __len__(self) -> int:
        return len(self._stamps)

    def add(self, attempt: Attempt) -> None:
        stamp = attempt.created_on.timestamp() if attempt.created_on else float("inf")
        self._stamps[attempt.id] = stamp
        if len(self._stamps) > self.limit + self.limit // 4:
            keep = sorted(self._stamps.items(), key=lambda kv: kv[1])[-self.limit:]
            self.horizon = max(self.horizon, keep[0][1])
            self._stamps = dict(keep)

    def beyond_horizon(self, items: Sequence[Attempt]) -> bool:
        """Every entry of `items` is older than what is remembered."""
        return bool(items) and all(
            a.created_on is not None and a.created_on.timestamp() < self.horizon for a in items
        )


class LogCursor:
    def __init__(
        self,
        read: Read,
        *,
        page_size: int = PAGE_SIZE,
        overlap: int = OVERLAP,
        known_limit: int = KNOWN_LIMIT,
    ) -> None:
        self.read = read
        self.page_size = max(2, page_size)
        self.overlap = max(1, min(overlap, self.page_size - 1))
        self.known = RecentIds(known_limit)
        self.order: Order | None = None
        self.total = 0  # entries in the log as of the anchor
        self.anchor: str | None = None  # the newest entry seen
        self.loaded = False
        self.complete = True  # the history read reached its start (or `since`)
        self.requests = 0

    async def _read(self, offset: int, limit: int) -> tuple[int, list[Attempt]]:
        self.requests += 1
        total, items = await self.read(offset, limit)
        if total < 0:
            total = 0
        return total, items

    def _fresh(self, items: Sequence[Attempt], on_page: OnPage) -> int:
        """Hand on the entries not seen before; how many there were."""
        new = [a for a in items if a.id not in self.known]
        for attempt in new:
            self.known.add(attempt)
        if new:
            on_page(new)
        return len(new)

    # ------------------------------------------------------------------ history

    async def load(
        self, on_page: OnPage, *, since: datetime | None = None, limit: int | None = None
    ) -> int:
        """Read the log's history, newest end first, back to `since` (or its start), at
        most `limit` entries; returns how many were read. Sets the anchor."""
        total, first = await self._read(0, self.page_size)
        self.order = detect_order(first)
        self.loaded = True
        if total <= len(first):
            ordered = first if self.order == "oldest_first" else list(reversed(first))
            self._set_anchor(total, ordered[-1] if ordered else None)
            return self._fresh(first, on_page)
        read = 0
        if self.order == "newest_first":
            self._set_anchor(total, first[0] if first else None)
            read += self._fresh(first, on_page)
            skip = len(first)
            page = first
            while skip < total and page and not _crosses(page, since):
                if limit is not None and read >= limit:
                    self.complete = False
                    break
                _total, page = await self._read(skip, self.page_size)
                read += self._fresh(page, on_page)
                skip += len(page)
            return read
        # Oldest first: the newest end is the last page; walk back from there.
        end = total
        anchored = False
        while end > 0:
            if limit is not None and read >= limit:
                self.complete = False
                break
            start = max(0, end - self.page_size)
            _total, page = await self._read(start, end - start)
            if not anchored:
                self._set_anchor(total, page[-1] if page else None)
                anchored = True
            read += self._fresh(page, on_page)
            end = start
            if not page or _crosses(page, since):
                break
        return read

    def _set_anchor(self, total: int, newest: Attempt | None) -> None:
        self.total = total
        self.anchor = newest.id if newest is not None else None

    # ------------------------------------------------------------------ news

    async def news(self, on_page: OnPage) -> int:
        """Read what is new since the last call; returns how many new entries."""
        if not self.loaded:
            return await self.load(on_page)
        if self.order == "newest_first":
            return await self._news_newest_first(on_page)
        return await self._news_oldest_first(on_page)

    async def _news_oldest_first(self, on_page: OnPage) -> int:
        start = max(0, self.total - self.overlap)
        total, page = await self._read(start, self.page_size)
        ids = [a.id for a in page]
        anchor_at = ids.index(self.anchor) if self.anchor in ids else None
        # Entries that appeared before the anchor but after `start` are in this page.
        before_in_page = 0 if anchor_at is None else sum(
            1 for a in page[:anchor_at] if a.id not in self.known)
        found = self._fresh(page, on_page)
        newest = page[-1] if page else None
        pos = start + len(page)
        pages = 1
        while pos < total and page and pages < MAX_PAGES_PER_POLL:
            total, page = await self._read(pos, self.page_size)
            found += self._fresh(page, on_page)
            pos += len(page)
            pages += 1
            if page:
                newest = page[-1]
        if self.anchor is not None:
            if anchor_at is None:
                # The anchor is not where it was (many entries inserted before it, or
                # entries removed): look back until a page holds nothing new.
                found += await self._search_back(start, None, on_page)
            else:
                missing = (start + anchor_at - (self.total - 1)) - before_in_page
                if missing > 0:
                    found += await self._search_back(start, missing, on_page)
        if newest is not None:
            self._set_anchor(min(pos, total), newest)
        return found

    async def _search_back(self, end: int, wanted: int | None, on_page: OnPage) -> int:
        """Entries inserted before `end` (oldest-first order): `wanted` of them, or (None)
        until a page holds nothing new. Stops at the known-id horizon."""
        found = 0
        while end > 0 and (wanted is None or found < wanted):
            start = max(0, end - self.page_size)
            _total, page = await self._read(start, end - start)
            fresh = self._fresh(page, on_page)
            found += fresh
            end = start
            if not page or self.known.beyond_horizon(page) or (wanted is None and not fresh):
                break
        return found

    async def _news_newest_first(self, on_page: OnPage) -> int:
        skip, found = 0, 0
        newest: Attempt | None = None
        anchor_at: int | None = None
        total = self.total
        while True:
            total, page = await self._read(skip, self.page_size)
            if not page:
                break
            if newest is None:
                newest = page[0]
            found += self._fresh(page, on_page)
            ids = [a.id for a in page]
            if anchor_at is None and self.anchor in ids:
                anchor_at = skip + ids.index(self.anchor)
            skip += len(page)
            if skip >= total:
                break
            if anchor_at is not None:
                # A few entries past the anchor too: one second's entries are ordered by
                # id, so a new one can sort just after it.
                if skip >= anchor_at + 1 + self.overlap:
                    break
            elif self.anchor is not None and self.known.beyond_horizon(page):
                break  # the anchor is gone and everything here is older than remembered
        if newest is not None:
            self._set_anchor(total, newest)
        return found


def _crosses(page: Sequence[Attempt], since: datetime | None) -> bool:
    """The page holds an entry older than `since`: the history before it is not needed."""
    if since is None:
        return False
    return any(a.created_on is not None and a.created_on < since for a in page)
