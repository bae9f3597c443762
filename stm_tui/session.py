"""One connected profile: its API client, the store and the poller that feeds it, the clock,
the command log and the local audit file.

The dashboard is given a `Session`; it never builds clients, polls or sends by itself: reads
arrive in the store, writes go through `Session.write`. Everything here is plain asyncio so
it runs on the UI's event loop without knowing Textual exists.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from stm_tui import memory
from stm_tui.api import models as m
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.command_log import CommandLog
from stm_tui.api.errors import BadResponse, OutcomeUnknown, StmError
from stm_tui.api.reads import ChangeResult
from stm_tui.api.resources import RESOURCES as API_RESOURCES
from stm_tui.api.resources import ResourceName
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.permissions import ROLE_NAMES
from stm_tui.audit_file import Actor, AuditFile
from stm_tui.cache.codec import CACHED
from stm_tui.cache.file import CacheFile, Owner
from stm_tui.cache.keeper import CacheKeeper
from stm_tui.config import DEFAULT_POLL_INTERVALS, app_paths
from stm_tui.store.history import History, HistoryFetcher
from stm_tui.store.poller import Backoff, Fetch, FetchResult, Poller, PollSpec, Probe
from stm_tui.store.store import RESOURCES, Diff, Store
from stm_tui.store.sync import (
    SIGNATURE_LOG_LIMIT,
    ChangeOnlyFetcher,
    ScanReportFetcher,
    fetcher_for,
    share_certificates,
)

if TYPE_CHECKING:
    from stm_tui.provenance import Provenance

log = logging.getLogger(__name__)

AUDIT_FILE_NAME = "audit.jsonl"

# From this many items a complete listing is followed by `memory.settle`.
LARGE_LISTING = 10_000


class Client(Protocol):
    """What a session needs of its client (`STMClient` is the one; tests wrap it)."""

    host: str
    read_only: bool

    @property
    def page_size(self) -> int: ...

    @property
    def command_log(self) -> CommandLog: ...

    async def me(self) -> m.User: ...

    async def list_all(self, resource: str) -> list[m.Resource]: ...

    async def list_changed(
        self, resource: str, *, since: datetime | None = None
    ) -> ChangeResult: ...

    async def list_page(
        self, resource: str, *, offset: int, limit: int
    ) -> tuple[int, list[m.Resource]]: ...

    async def count(self, resource: str) -> int: ...

    async def get_item(self, resource: str, item_id: str) -> m.Resource: ...

    async def execute(self, call: WriteCall) -> WriteOutcome: ...

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


def default_audit_path() -> Path:
    """`<user data dir>/stm-tui/audit.jsonl`: the user's own record of this tool's writes."""
    return app_paths().data_dir / AUDIT_FILE_NAME


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Session:
    def __init__(
        self,
        client: Client,
        *,
        profile_name: str = "default",
        read_only: bool = True,
        intervals: Mapping[ResourceName, float] | None = None,
        resources: Sequence[ResourceName] = RESOURCES,
        clock: Callable[[], datetime] = _utcnow,
        local: str | None = None,
        backoff: Backoff | None = None,
        audit_path: Path | None = None,
        signature_log_limit: int = SIGNATURE_LOG_LIMIT,
        cache_dir: Path | None = None,
        provenance: Provenance | None = None,
    ) -> None:
        self.client = client
        self.profile_name = profile_name
        # Where the credentials and settings came from (words, no values), for the status
        # view; None when whoever made the session did not say (a test's bare session).
        self.provenance = provenance
        self._read_only = read_only
        self._sync_client_mode()
        self._clock = clock
        self.local = local if local is not None else local_identity()
        self.audit_path = audit_path if audit_path is not None else default_audit_path()
        self._audit: AuditFile | None = None
        merged: dict[ResourceName, float] = {**DEFAULT_POLL_INTERVALS, **(intervals or {})}
        self.store = Store(resources=resources, intervals=merged)
        self._fetchers: dict[str, Fetch] = {
            name: fetcher_for(
                name, client, self.store, clock=clock, signature_log_limit=signature_log_limit
            )
            for name in resources
        }
        self.poller = Poller(
            self.store,
            [
                PollSpec(name, self._settled(name), merged.get(name, 30.0), self._probe(name))
                for name in resources
            ],
            clock=clock,
            backoff=backoff,
        )
        self._unsubscribe = self.store.subscribe(self._scans_changed, ("scans",))
        self.identity: Identity | None = None
        self.me: m.User | None = None
        self.start_error: StmError | None = None
        # The local inventory cache (None: off); the large collections' first fetch waits
        # for it to be read, so a refresh by change follows what it held.
        self.cache_dir = cache_dir
        self.cache: CacheKeeper | None = None
        self._cache_loading: asyncio.Task[None] | None = None

    # the clock, the mode, the logs ------------------------------------------------------------

    def now(self) -> datetime:
        """The one clock of the session (UTC): freshness, relative times and history windows
        all read it, so a test that freezes it freezes everything."""
        return self._clock()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

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
        self.client.read_only = self._read_only

    @property
    def command_log(self) -> CommandLog:
        """Every API call of this session (bounded): method, path, status, latency, retries."""
        return self.client.command_log

    @property
    def audit_file(self) -> AuditFile:
        if self._audit is None:
            self._audit = AuditFile(self.audit_path, clock=self._clock)
        return self._audit

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
        memory.tune_heap()
        if self.me is None:
            # The identity bar says what went wrong; polling still starts so the areas show
            # their own errors and recover on their own once the server does.
            await self.connect()
        try:
            self.identity = self._identity()
        except Exception:
            log.exception("identity could not be worked out")
        self._start_cache()
        self.poller.start()

    async def stop(self) -> None:
        self._unsubscribe()
        await self.poller.stop()
        if self._cache_loading is not None:
            self._cache_loading.cancel()
        if self.cache is not None:
            try:
                await self.cache.close()
            except Exception:
                log.exception("the inventory cache could not be closed")
        await self.client.aclose()

    # the local inventory cache -------------------------------------------------------------

    def start_cache(self) -> None:
        """Start reading the cache file of this profile, host and user on its thread, as
        soon as `connect` has answered: the read then overlaps the app's own start. `start`
        puts what it holds into the store (in the app's context: the store's listeners are
        the app's widgets)."""
        keeper = self._cache_keeper()
        if keeper is not None:
            keeper.begin()

    def _start_cache(self) -> None:
        keeper = self._cache_keeper()
        if keeper is not None and self._cache_loading is None:
            self._cache_loading = asyncio.create_task(self._load_cache(keeper))

    def _cache_keeper(self) -> CacheKeeper | None:
        """The keeper of this session's cache, made the first time. Only with a known user:
        a cache is never shown to anyone but the user it was saved for."""
        if self.cache is not None:
            return self.cache
        user_id = self.me.id if self.me is not None else ""
        names = [n for n in CACHED if n in self.store.names]
        if self.cache_dir is None or not user_id or not names:
            return None
        memory.tune_heap()  # before the read's first large block
        owner = Owner(profile=self.profile_name, host=self.client.host, user_id=user_id)
        self.cache = CacheKeeper(CacheFile(self.cache_dir, owner), self.store, names)
        return self.cache

    async def _load_cache(self, keeper: CacheKeeper) -> None:
        try:
            loaded = await keeper.load()
            for name in loaded.items:
                fetcher = self._fetchers.get(name)
                cached = self.store.collection(name).status.cached
                if isinstance(fetcher, ChangeOnlyFetcher) and cached:
                    await fetcher.resume()
            if sum(len(items) for items in loaded.items.values()) >= LARGE_LISTING:
                memory.settle()
            keeper.follow()
        except Exception:
            log.exception("the inventory cache could not be loaded")

    async def _cache_loaded(self) -> None:
        task = self._cache_loading
        if task is not None and not task.done():
            # Shielded: a fetch cancelled while it waits must not cancel the load.
            await asyncio.shield(task)

    def refresh_identity(self) -> None:
        """Recompute the identity once the accounts have loaded (for the account name)."""
        self.identity = self._identity()

    def _identity(self) -> Identity:
        me = self.me
        account_id = (me.primary_account_id or "") if me is not None else ""
        account_name: str | None = None
        if account_id and "accounts" in self.store.names:
            held = self.store.collection("accounts").get(account_id)
            account_name = held.name if held is not None else None
        if account_name is None and me is not None:
            ref = next((r for r in me.accounts if r.id == account_id), None)
            account_name = ref.name if ref is not None else None
        codes = me.role_codes if me is not None else []
        return Identity(
            profile=self.profile_name,
            host=self.client.host,
            account_name=account_name or account_id or "?",
            account_id=account_id,
            user_name=me.display_name if me is not None else "?",
            roles=tuple(ROLE_NAMES.get(code, code) for code in codes),
            local=self.local,
            is_production=is_production_host(self.client.host),
        )

    # fetching ----------------------------------------------------------------------------

    def _probe(self, name: ResourceName) -> Probe | None:
        """A cheap request that succeeds once the service is back: a one-item page of the
        same collection (same endpoint, same permission), or the identity call otherwise."""
        spec = API_RESOURCES.get(name)
        if spec is not None and spec.paged:

            async def one_item_page() -> int:
                return await self.client.count(name)

            return one_item_page
        return self.client.me

    def _settled(self, name: ResourceName) -> Fetch:
        """The collection's fetch, plus the memory policy for the two large inventories:
        their certificates shared, and a settle after a complete large listing."""
        fetch = self._fetchers[name]
        if name not in ("certificates", "keypairs"):
            return fetch

        async def fetch_shared() -> FetchResult | Sequence[m.Resource]:
            await self._cache_loaded()
            result = await fetch()
            items = result.items if isinstance(result, FetchResult) else result
            if len(items) >= LARGE_LISTING:
                # It reads the store and only puts equal objects in place of equal ones: on a
                # thread, keys and frames go on meanwhile.
                await asyncio.to_thread(share_certificates, self.store, name, items)
            else:
                share_certificates(self.store, name, items)
            complete = not isinstance(result, FetchResult) or result.complete
            if complete and len(items) >= LARGE_LISTING:
                memory.settle()
            return result

        return fetch_shared

    def _scans_changed(self, diff: Diff) -> None:
        # New or changed scans may need their report: ask for it now, not a poll later.
        if "scan_reports" in self.store.names:
            self.poller.poke("scan_reports")

    def want_scan_report(self, scan_id: str) -> None:
        """Load the full scan (its findings) into `scan_reports` soon: a view shows it."""
        fetcher = self._fetchers.get("scan_reports")
        if isinstance(fetcher, ScanReportFetcher):
            fetcher.want(scan_id)
            self.poller.poke("scan_reports")

    # history of the append-only logs -------------------------------------------------------

    def history(self, name: str) -> History | None:
        """What part of an append-only log (`audit`, `signatures`) the store holds: the
        oldest entry loaded, whether that is everything, the server's total."""
        fetcher = self._fetchers.get(name)
        return fetcher.history if isinstance(fetcher, HistoryFetcher) else None

    async def load_older(self, name: str, pages: int = 1) -> int:
        """Load up to `pages` pages of history older than what the store holds; returns the
        number of entries added (0 when everything is loaded already)."""
        fetcher = self._fetchers.get(name)
        if not isinstance(fetcher, HistoryFetcher):
            raise KeyError(f"{name} has no history to load")
        return await fetcher.load_older(pages)

    async def load_item(self, resource: str, item_id: str) -> m.Resource | None:
        """Read one item now and put it in the store (what a confirmation is about must be
        shown as the server has it, not as the last poll left it); None when the server
        does not answer it. Never raises: a confirmation then shows what it has."""
        if resource not in self.store.names:
            return None
        try:
            item = await self.client.get_item(resource, item_id)
        except StmError as exc:
            log.info("%s %s not loaded: %s", resource, item_id, exc.message)
            return None
        self.store.upsert(resource, [item])
        return item

    # writes ------------------------------------------------------------------------------

    def actor(self) -> Actor:
        identity = self.identity
        return Actor(
            user=identity.user_name if identity is not None else "?",
            profile=self.profile_name,
            host=self.client.host,
            local=self.local,
        )

    async def write(self, call: WriteCall, *, audit: AuditFile | None = None) -> WriteOutcome:
        """Send one write the way every write goes: the intent recorded in the local audit
        file (if that fails, `AuditUnavailable` and nothing is sent), the call sent once, its
        outcome recorded ("ok", "failed" or "unknown"), the answer put in the store, and the
        collections it touches polled at once.

        `audit` overrides the session's own audit file (`audit_path`). Raises what the client
        raises: `OutcomeUnknown` (with what a re-read showed, also put in the store), or the
        error the server answered with; `ReadOnlyError` in read-only mode (nothing sent or
        recorded)."""
        if self.read_only:
            raise ReadOnlyError(
                f"read-only mode: {call.request_line} was not sent (enter write mode first)",
                method=call.method,
                path=call.path,
            )
        record = audit if audit is not None else self.audit_file
        intent = record.intent(self.actor(), call.record())
        try:
            outcome = await self.client.execute(call)
        except OutcomeUnknown as exc:
            record.outcome(intent, "unknown", error=exc.message)
            if exc.current is not None:
                self._put(call, exc.current)
            self._refresh(call)
            raise
        except StmError as exc:
            record.outcome(intent, "failed", status=exc.status, error=exc.message)
            if exc.status is not None:
                self._refresh(call)  # the server answered: what is shown may be out of date
            raise
        resource_id = outcome.resource.id if outcome.resource is not None else None
        audited = record.outcome(intent, "ok", status=outcome.status, resource_id=resource_id)
        if not audited:
            log.warning("%s: the outcome could not be added to %s", call.action, record.path)
        if outcome.resource is not None:
            self._put(call, outcome.resource)
        elif call.method == "DELETE":
            self._drop(call)
        self._refresh(call)
        return replace(outcome, audited=audited)

    def _put(self, call: WriteCall, resource: m.Resource) -> None:
        """Put the answer where it belongs: the target's collection, when it is of its kind
        (a sign answers with a signature receipt, not a keypair)."""
        target = call.target
        if target is None or target.resource not in self.store.names:
            return
        spec = API_RESOURCES.get(target.resource)
        if spec is not None and isinstance(resource, spec.model):
            if call.returns_secret:
                # A value shown once (a token, a p12 password) is for the one dialog that
                # shows it, never for the store (and so never for a list, export or detail).
                secrets = {k: None for k, v in resource if isinstance(v, SecretStr)}
                resource = resource.model_copy(update=secrets)
            self.store.upsert(target.resource, [resource])

    def _drop(self, call: WriteCall) -> None:
        """A delete the server accepted: the item leaves the store now (the refresh that
        follows puts it back if the server still lists it)."""
        target = call.target
        if target is not None and target.item_id and target.resource in self.store.names:
            self.store.remove(target.resource, [target.item_id])

    def _refresh(self, call: WriteCall) -> None:
        for name in call.touches:
            if name in self.poller.resources:
                self.poller.refresh(name)
