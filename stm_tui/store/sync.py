"""How each collection is kept in sync with the service: the fetch strategies the poller runs.

- Most collections: a complete listing each poll (`ListAll`).
- Large inventories (certificates, keypairs): mostly only what changed (`ChangeOnlyFetcher`).
- Append-only logs (signatures, audit): a recent window, then what is new by id
  (`stm_tui.store.history.HistoryFetcher`), the signature log bounded.
- Scan reports: the full scans (with findings) the dashboard needs, read one by one
  (`ScanReportFetcher`), a few per poll.

`fetcher_for` picks the strategy for a collection. Nothing here knows about the UI.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from stm_tui.api import models as m
from stm_tui.api.errors import NotFound, StmError
from stm_tui.api.reads import ChangeResult
from stm_tui.api.resources import ResourceName
from stm_tui.store.history import HistoryFetcher, PageSource
from stm_tui.store.poller import Fetch, FetchResult
from stm_tui.store.store import Store

log = logging.getLogger(__name__)

# Logs that only grow: a first load takes this much recent history; later polls fetch what
# is new by id (see `stm_tui.store.history`); older history loads on request.
APPEND_ONLY: Mapping[ResourceName, timedelta] = {
    "signatures": timedelta(days=30),
    "audit": timedelta(days=30),
}

# The signature log grows with every signature of every build: a dashboard left open holds
# the newest this many (a profile's `signature_log_limit`), the oldest evicted as news come.
SIGNATURE_LOG_LIMIT = 50_000

# Inventories that can be large (100,000 certificates): most polls ask only for items
# modified since the newest one held (`modified_since`) plus the collection's size, and a
# complete listing is fetched only this often (seconds), when the size shows that something
# was removed, or when the server turns out to ignore `modified_since`. Removals and the
# ACTIVE -> EXPIRED change (computed from `valid_to`, so `modified_on` does not move) are
# learnt there.
CHANGE_ONLY: Mapping[ResourceName, float] = {
    "certificates": 600.0,
    "keypairs": 600.0,
}

# `modified_since` is strict and has one-second precision, and an item's `modified_on` is
# stamped before its transaction commits: ask again for a little of the past so that an item
# modified in the same second as the newest one held is not missed. Items already held come
# back equal and the store ignores them.
CHANGE_OVERLAP = timedelta(seconds=2)

# Scan reports read per poll at most: a first load of an account with many failed scans
# spreads over a few polls instead of one burst.
REPORTS_PER_POLL = 20


class ListSource(Protocol):
    async def list_all(self, resource: str) -> list[m.Resource]: ...


class ChangeSource(Protocol):
    async def list_changed(
        self, resource: str, *, since: datetime | None = None
    ) -> ChangeResult: ...

    async def count(self, resource: str) -> int: ...


class ItemSource(Protocol):
    async def get_item(self, resource: str, item_id: str) -> m.Resource: ...


class SyncSource(ListSource, ChangeSource, ItemSource, PageSource, Protocol):
    """Everything the strategies read (an `STMClient` is one)."""

    @property
    def page_size(self) -> int: ...


class ListAll:
    """A complete listing each poll."""

    def __init__(self, source: ListSource, name: ResourceName) -> None:
        self.source = source
        self.name = name

    async def __call__(self) -> list[m.Resource]:
        return await self.source.list_all(self.name)


def _newest_modified(items: Iterable[m.Resource]) -> datetime | None:
    stamps = [s for s in (_modified_on(i) for i in items) if s is not None]
    return max(stamps) if stamps else None


# From this many items the newest stamp is found on a thread: 100,000 of them took ~110 ms,
# and on the event loop a key pressed then waited as long.
OFF_LOOP = 5000


async def _newest_off_loop(items: Sequence[m.Resource]) -> datetime | None:
    if len(items) >= OFF_LOOP:
        return await asyncio.to_thread(_newest_modified, items)
    return _newest_modified(items)


def _modified_on(item: m.Resource) -> datetime | None:
    # Only the two inventories are synced by change, and both carry `modified_on`.
    return item.modified_on if isinstance(item, m.Certificate | m.Keypair) else None


class ChangeOnlyFetcher:
    """Refreshes one large collection mostly by asking only for what changed.

    A complete listing first; then, each poll, the items modified since the newest one held
    (merged into the store) and the collection's size. The size tells whether anything was
    removed: after the merge the store must hold exactly as many items as the server, or a
    complete listing follows at once. One also runs every `full_every` seconds.
    """

    def __init__(
        self,
        source: ChangeSource,
        store: Store,
        name: ResourceName,
        full_every: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.store = store
        self.name = name
        self.full_every = full_every
        self.monotonic = monotonic
        self.newest: datetime | None = None
        self.last_full: float | None = None

    async def __call__(self) -> FetchResult:
        due = self.last_full is None or self.monotonic() - self.last_full >= self.full_every
        if due or self.newest is None:
            return await self.full()
        return await self.changes(self.newest - CHANGE_OVERLAP)

    async def resume(self) -> None:
        """The store holds a complete listing from elsewhere (the local cache): refresh it by
        change from now on, with the next complete listing `full_every` from now."""
        self.newest = await _newest_off_loop(list(self.store.collection(self.name).items.values()))
        self.last_full = self.monotonic()

    async def full(self) -> FetchResult:
        result = await self.source.list_changed(self.name)
        self.last_full = self.monotonic()
        self.newest = await _newest_off_loop(result.items)
        return FetchResult(items=result.items, complete=True)

    async def changes(self, since: datetime) -> FetchResult:
        result = await self.source.list_changed(self.name, since=since)
        items = list(result.items)
        if result.full or any(
            (stamp := _modified_on(i)) is None or stamp <= since for i in items
        ):
            # The server ignored `modified_since` and sent everything: a complete listing.
            self.last_full = self.monotonic()
            self.newest = await _newest_off_loop(items)
            return FetchResult(items=items, complete=True)
        held = self.store.collection(self.name)
        expected = len(held) + sum(1 for i in items if held.get(i.id) is None)
        if await self.source.count(self.name) != expected:
            log.info("%s: the server's count differs; reloading the whole list", self.name)
            return await self.full()
        newest = _newest_modified(items)
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest
        return FetchResult(items=items, complete=False)


def needs_attention(scan: m.Scan) -> bool:
    """The scans whose findings the Overview shows (the worst one of each failed scan)."""
    return scan.status == "FAIL"


def _report_key(scan: m.Scan) -> tuple[object, ...]:
    """What a listed scan and its report share: when these differ the report is stale."""
    counts = tuple(sorted(scan.finding_counts.items()))
    return scan.status, scan.risk_level, scan.completed_on, counts


class ScanReportFetcher:
    """Keeps `scan_reports` holding the full scans (findings included) that are wanted.

    The scan list leaves findings out; a report is one `GET /scans/{id}`. A report is read
    for every scan that `needs_report` picks (failed ones) and for every scan a view asked
    for (`want`, the detail of one scan), when it is missing or the listed scan no longer
    matches it; at most `per_poll` a poll, the asked-for ones first. Reports of scans that are
    gone from the list go too.
    """

    def __init__(
        self,
        source: ItemSource,
        store: Store,
        *,
        needs_report: Callable[[m.Scan], bool] = needs_attention,
        per_poll: int = REPORTS_PER_POLL,
    ) -> None:
        self.source = source
        self.store = store
        self.needs_report = needs_report
        self.per_poll = max(1, per_poll)
        self.wanted: dict[str, None] = {}  # ordered: the latest request last

    def want(self, scan_id: str) -> None:
        self.wanted.pop(scan_id, None)
        self.wanted[scan_id] = None

    def due(self) -> list[str]:
        """Scan ids whose report is missing or stale, the asked-for ones first."""
        scans = self.store.collection("scans")
        reports = self.store.collection("scan_reports")
        out: list[str] = []
        picked = [i for i in reversed(self.wanted) if i in scans.items]
        picked += [i for i, s in scans.items.items() if i not in self.wanted and
                   self.needs_report(s)]
        for scan_id in picked:
            report = reports.get(scan_id)
            if report is None or _report_key(report) != _report_key(scans.items[scan_id]):
                out.append(scan_id)
        return out

    async def __call__(self) -> FetchResult:
        scans = self.store.collection("scans")
        reports = self.store.collection("scan_reports")
        gone = [i for i in reports.items if i not in scans.items]
        fetched: list[m.Resource] = []
        for scan_id in self.due()[: self.per_poll]:
            try:
                report = await self.source.get_item("scans", scan_id)
            except NotFound:
                self.wanted.pop(scan_id, None)
                continue
            except StmError:
                if not fetched:
                    raise
                break  # keep what arrived; the rest next poll
            if isinstance(report, m.Scan):
                fetched.append(report)
            self.wanted.pop(scan_id, None)
        return FetchResult(items=fetched, complete=False, removed=gone)


def fetcher_for(
    name: ResourceName,
    source: SyncSource,
    store: Store,
    *,
    clock: Callable[[], datetime],
    signature_log_limit: int = SIGNATURE_LOG_LIMIT,
) -> Fetch:
    """The fetch strategy for one collection."""
    if name == "scan_reports":
        return ScanReportFetcher(source, store)
    window = APPEND_ONLY.get(name)
    if window is not None:
        return HistoryFetcher(
            source,
            store,
            name,
            window=window,
            clock=clock,
            page_size=source.page_size,
            limit=signature_log_limit if name == "signatures" else None,
        )
    full_every = CHANGE_ONLY.get(name)
    if full_every is not None:
        return ChangeOnlyFetcher(source, store, name, full_every)
    return ListAll(source, name)


def share_certificates(store: Store, name: str, items: Sequence[m.Resource]) -> None:
    """Make each keypair's embedded certificates and the certificates collection share one
    object per equal certificate (in place), so 100,000 certificates are held once, not twice.

    Only equal objects are shared: what each item says is unchanged. Whichever collection
    loads first provides the objects; the other reuses them (found via `keypair.id`).
    """
    if name == "keypairs" and "certificates" in store.names:
        held = store.collection("certificates")
        for kp in items:
            if not isinstance(kp, m.Keypair):
                continue
            embedded = kp.certificates
            for i, cert in enumerate(embedded):
                same = held.get(cert.id)
                if same is not None and same is not cert and same == cert:
                    embedded[i] = same
    elif name == "certificates" and "keypairs" in store.names and isinstance(items, list):
        keypairs = store.collection("keypairs")
        for i, cert in enumerate(items):
            ref = cert.keypair if isinstance(cert, m.Certificate) else None
            owner = keypairs.get(ref.id) if ref is not None and ref.id else None
            for other in owner.certificates if owner is not None else ():
                if other.id == cert.id and other is not cert and other == cert:
                    items[i] = other
                    break
