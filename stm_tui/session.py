"""One connected profile: its API client, the store and the poller that feeds it.

The dashboard is given a `Session`; it never builds clients or polls by itself. Everything
here is plain asyncio so it runs on the UI's event loop without knowing Textual exists.
"""

from __future__ import annotations

import ctypes
import gc
import getpass
import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from stm_tui.api.errors import BadResponse, StmError
from stm_tui.api.resources import RESOURCES as API_RESOURCES
from stm_tui.api.writes.permissions import ROLE_NAMES
from stm_tui.config import DEFAULT_POLL_INTERVALS
from stm_tui.store.history import History, HistoryFetcher
from stm_tui.store.poller import Backoff, FetchResult, Poller, PollSpec
from stm_tui.store.store import RESOURCES, Store

log = logging.getLogger(__name__)

# Logs that only grow: a first load takes this much recent history; later polls fetch what
# is new by id (see `stm_tui.store.history`); older history loads on request.
APPEND_ONLY: Mapping[str, timedelta] = {
    "signatures": timedelta(days=30),
    "audit": timedelta(days=30),
}


# Inventories that can be large (100,000 certificates): most polls ask only for items
# modified since the newest one held (`modified_since`) plus the collection's size, and a
# complete listing is fetched only this often (seconds), when the size shows that something
# was removed, or when the server turns out to ignore `modified_since`. Removals and the
# ACTIVE -> EXPIRED change (computed from `valid_to`, so `modified_on` does not move) are
# learnt there.
CHANGE_ONLY: Mapping[str, float] = {
    "certificates": 600.0,
    "keypairs": 600.0,
}

# `modified_since` is strict and has one-second precision, and an item's `modified_on` is
# stamped before its transaction commits: ask again for a little of the past so that an item
# modified in the same second as the newest one held is not missed. Items already held come
# back equal and the store ignores them.
CHANGE_OVERLAP = timedelta(seconds=2)


class Client(Protocol):
    host: str

    async def me(self) -> Any: ...

    async def list_all(self, resource: str, **filters: Any) -> list[Any]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Identity:
    """Who and where the dashboard is acting, shown at all times."""

    profile: str
    host: str
    account_name: str
    account_id: str
    user_name: str
    roles: tuple[str, ...]
    local: str
    is_production: bool


def local_identity() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "?"
    return f"{user}@{socket.gethostname()}"


def is_production_host(host: str) -> bool:
    """DigiCert ONE production hosts; demo, staging and loopback hosts are not."""
    name = (urlsplit(host).hostname or host).lower()
    if name in {"localhost", "::1"} or name.startswith("127."):
        return False
    labels = name.split(".")
    return "digicert" in name and "demo" not in labels and "stage" not in labels


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Session:
    def __init__(
        self,
        client: Client,
        *,
        profile_name: str = "default",
        read_only: bool = True,
        intervals: Mapping[str, float] | None = None,
        resources: Sequence[str] = RESOURCES,
        clock: Callable[[], datetime] = _utcnow,
        local: str | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.profile_name = profile_name
        self._read_only = read_only
        self._sync_client_mode()
        self.clock = clock
        self.local = local if local is not None else local_identity()
        merged = {**DEFAULT_POLL_INTERVALS, **(intervals or {})}
        self.store = Store(resources=resources, intervals=merged)
        self._histories: dict[str, HistoryFetcher] = {}
        self.poller = Poller(
            self.store,
            [
                PollSpec(name, self._fetcher(name), merged.get(name, 30.0), self._probe(name))
                for name in resources
            ],
            clock=clock,
            backoff=backoff,
        )
        self.identity: Identity | None = None
        self.me: Any = None
        self.start_error: StmError | None = None

    @property
    def read_only(self) -> bool:
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._read_only = value
        self._sync_client_mode()

    def _sync_client_mode(self) -> None:
        # The HTTP adapter refuses every non-GET in read-only mode: a second guard under the
        # UI's, so it must never disagree with what the identity bar shows.
        if hasattr(self.client, "read_only"):
            self.client.read_only = self._read_only

    @classmethod
    def from_profile(
        cls, profile: Any, credentials: Any, *, read_only: bool | None = None, **kw: Any
    ) -> Session:
        from stm_tui.api.client import STMClient

        if read_only is None:
            read_only = bool(getattr(profile, "read_only", True))
        client = STMClient.from_profile(profile, credentials, read_only=read_only)
        intervals = getattr(profile, "poll_intervals", None) or None
        return cls(
            client,
            profile_name=getattr(profile, "name", "default"),
            read_only=read_only,
            intervals=intervals,
            **kw,
        )

    # lifecycle ---------------------------------------------------------------------------

    async def connect(self) -> StmError | None:
        """Read who we are (one request); the error, if any, is also kept as `start_error`.

        Used before the dashboard opens, to tell a wrong key or a dead host from a working
        connection; `start` then does not ask again. Never raises for a misbehaving server:
        anything unexpected becomes a bad-response error."""
        try:
            self.me = await self.client.me()
        except StmError as exc:
            self.start_error = exc
            log.warning("could not read the current user: %s", exc.kind)
            return exc
        except Exception as exc:  # a bug or an exotic failure must not end the session
            log.exception("reading the current user failed unexpectedly")
            self.start_error = BadResponse(
                f"unexpected {type(exc).__name__} while reading the current user"
            )
            return self.start_error
        self.start_error = None
        return None

    async def start(self) -> None:
        """Learn who we are, then start polling. Never raises for a misbehaving server."""
        keep_page_bodies_out_of_the_heap()
        if self.me is None:
            # The identity bar says what went wrong; polling still starts so the areas show
            # their own errors and recover on their own once the server does.
            await self.connect()
        try:
            self.identity = self._identity()
        except Exception:
            log.exception("identity could not be worked out")
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
        await self.client.aclose()

    def refresh_identity(self) -> None:
        """Recompute the identity once the accounts have loaded (for the account name)."""
        self.identity = self._identity()

    def _identity(self) -> Identity:
        me = self.me
        account_id = str(getattr(me, "primary_account_id", None) or "")
        held = "accounts" in self.store.names
        account = self.store.collection("accounts").get(account_id) if account_id and held else None
        if account is None and me is not None:
            for ref in getattr(me, "accounts", []) or []:
                if getattr(ref, "id", None) == account_id:
                    account = ref
        roles = tuple(ROLE_NAMES.get(code, code) for code in getattr(me, "role_codes", []) or [])
        user_name = getattr(me, "display_name", None) if me is not None else None
        return Identity(
            profile=self.profile_name,
            host=self.client.host,
            account_name=str(getattr(account, "name", None) or account_id or "?"),
            account_id=account_id,
            user_name=str(user_name or "?"),
            roles=roles,
            local=self.local,
            is_production=is_production_host(self.client.host),
        )

    # fetchers ----------------------------------------------------------------------------

    def _probe(self, name: str) -> Callable[[], Any] | None:
        """A cheap request that succeeds once the service is back: a one-item page of the
        same collection (same endpoint, same permission), or the identity call for the
        Account Manager's unpaged lists."""
        spec = API_RESOURCES.get(name)
        count = getattr(self.client, "count", None)
        if spec is not None and spec.paged and count is not None:

            async def one_item_page() -> Any:
                return await count(name)

            return one_item_page
        if hasattr(self.client, "me"):
            return self.client.me
        return None

    def _fetcher(self, name: str) -> Callable[[], Any]:
        fetch = self._plain_fetcher(name)
        if name not in ("certificates", "keypairs"):
            return fetch

        async def fetch_shared() -> Any:
            result = await fetch()
            items = result.items if isinstance(result, FetchResult) else result
            share_certificates(self.store, name, items)
            complete = not isinstance(result, FetchResult) or result.complete
            if complete and len(items) >= LARGE_LISTING:
                settle_after_listing()
            return result

        return fetch_shared

    def _plain_fetcher(self, name: str) -> Callable[[], Any]:
        history = APPEND_ONLY.get(name)
        if history is not None:
            return self._append_only_fetcher(name, history)
        full_every = CHANGE_ONLY.get(name)
        if full_every is not None and hasattr(self.client, "list_changed"):
            return ChangeOnlyFetcher(self, name, full_every)

        async def fetch_all() -> list[Any]:
            return await self.client.list_all(name)

        return fetch_all

    def _append_only_fetcher(self, name: str, history: timedelta) -> Callable[[], Any]:
        if not hasattr(self.client, "list_page"):

            async def fetch_all() -> list[Any]:
                return await self.client.list_all(name)

            return fetch_all
        fetcher = HistoryFetcher(
            self.client,  # type: ignore[arg-type]
            self.store,
            name,
            window=history,
            clock=self.clock,
            page_size=int(getattr(self.client, "page_size", 100)),
        )
        self._histories[name] = fetcher
        return fetcher

    # history of the append-only logs -------------------------------------------------------

    def history(self, name: str) -> History | None:
        """What part of an append-only log (`audit`, `signatures`) the store holds: the
        oldest entry loaded, whether that is everything, the server's total."""
        fetcher = self._histories.get(name)
        return fetcher.history if fetcher is not None else None

    async def load_older(self, name: str, pages: int = 1) -> int:
        """Load up to `pages` pages of history older than what the store holds; returns the
        number of entries added (0 when everything is loaded already)."""
        fetcher = self._histories.get(name)
        if fetcher is None:
            raise KeyError(f"{name} has no history to load")
        return await fetcher.load_older(pages)


# glibc's `mallopt` parameter for the size from which allocations get their own mapping.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024


def _libc() -> Any:
    global _libc_handle
    if _libc_handle is None:
        try:
            _libc_handle = ctypes.CDLL("libc.so.6")
            _libc_handle.malloc_trim  # noqa: B018 (glibc, not musl or another libc)
            _libc_handle.mallopt  # noqa: B018
        except (OSError, AttributeError):
            _libc_handle = False
    return _libc_handle


_libc_handle: Any = None


def keep_page_bodies_out_of_the_heap() -> None:
    """Give every large block (a page body: 0.3-0.9 MB) its own mapping, returned to the OS
    when freed (glibc only). glibc otherwise raises that threshold after the first such free
    and carves later bodies out of the heap, where the models parsed in between pin the
    freed space: ~0.5 GB more resident memory after a sync of 100,000 certificates."""
    libc = _libc()
    if libc:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


# From this many items a complete listing is followed by `settle_after_listing`.
LARGE_LISTING = 10_000


def settle_after_listing() -> None:
    """After a complete listing of a large collection: take its millions of long-lived
    objects out of the cyclic collector's scans, and hand the heap's free pages back.

    The models are acyclic (reference counting frees them), but every full collection
    walked all of them: ~1 s each, triggered again and again by building a list's 100,000
    rows. `gc.freeze()` moves what is alive now to the permanent generation; a young-
    generation pass first clears recent cycles so that they are not frozen with it.
    """
    gc.collect(1)
    gc.freeze()
    libc = _libc()
    if libc:
        libc.malloc_trim(0)  # glibc only; elsewhere nothing happens


def share_certificates(store: Store, name: str, items: Sequence[Any]) -> None:
    """Make each keypair's embedded certificates and the certificates collection share one
    object per equal certificate (in place), so 100,000 certificates are held once, not twice.

    Only equal objects are shared: what each item says is unchanged. Whichever collection
    loads first provides the objects; the other reuses them (found via `keypair.id`).
    """
    if name == "keypairs" and "certificates" in store.names:
        held = store.collection("certificates")
        for kp in items:
            embedded = getattr(kp, "certificates", None)
            if not isinstance(embedded, list):
                continue
            for i, cert in enumerate(embedded):
                same = held.get(cert.id)
                if same is not None and same is not cert and same == cert:
                    embedded[i] = same
    elif name == "certificates" and "keypairs" in store.names and isinstance(items, list):
        keypairs = store.collection("keypairs")
        for i, cert in enumerate(items):
            ref = getattr(cert, "keypair", None)
            kp = keypairs.get(ref.id) if ref is not None and ref.id else None
            for other in getattr(kp, "certificates", None) or ():
                if other.id == cert.id and other is not cert and other == cert:
                    items[i] = other
                    break


def _newest_modified(items: Sequence[Any]) -> datetime | None:
    stamps = [s for s in (getattr(i, "modified_on", None) for i in items) if s is not None]
    return max(stamps) if stamps else None


class ChangeOnlyFetcher:
    """Refreshes one large collection mostly by asking only for what changed.

    A complete listing first; then, each poll, the items modified since the newest one held
    (merged into the store) and the collection's size. The size tells whether anything was
    removed: after the merge the store must hold exactly as many items as the server, or a
    complete listing follows at once. One also runs every `full_every` seconds.
    """

    def __init__(
        self,
        session: Session,
        name: str,
        full_every: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
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

    async def full(self) -> FetchResult:
        client: Any = self.session.client
        result = await client.list_changed(self.name)
        self.last_full = self.monotonic()
        self.newest = _newest_modified(result.items)
        return FetchResult(items=result.items, complete=True)

    async def changes(self, since: datetime) -> FetchResult:
        client: Any = self.session.client
        result = await client.list_changed(self.name, since=since)
        items: list[Any] = list(result.items)
        if result.full or any(
            getattr(i, "modified_on", None) is None or i.modified_on <= since for i in items
        ):
            # The server ignored `modified_since` and sent everything: a complete listing.
            self.last_full = self.monotonic()
            self.newest = _newest_modified(items)
            return FetchResult(items=items, complete=True)
        held = self.session.store.collection(self.name)
        expected = len(held) + sum(1 for i in items if held.get(i.id) is None)
        if await client.count(self.name) != expected:
            log.info("%s: the server's count differs; reloading the whole list", self.name)
            return await self.full()
        newest = _newest_modified(items)
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest
        return FetchResult(items=items, complete=False)
