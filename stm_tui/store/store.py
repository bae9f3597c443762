"""Collections of API resources keyed by id, with diffs and freshness.

The store is the single source of truth for the screens: they keep views (filter, sort,
cursor) over it, never their own copies. Callbacks run synchronously on the event-loop thread
that calls the writer methods (the poller runs on the UI's loop), so subscribers may touch the
UI directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar, overload

from stm_tui.api import models as m
from stm_tui.api.resources import ResourceName

log = logging.getLogger(__name__)

# The collections a session keeps (the dashboard's); `roles` is read on demand, not held.
# `api_tokens` and `client_certificates` are the caller's own (the credentials screen).
RESOURCES: tuple[ResourceName, ...] = (
    "accounts",
    "account_settings",
    "users",
    "teams",
    "keypair_profiles",
    "keypairs",
    "certificate_profiles",
    "certificates",
    "releases",
    "signatures",
    "scans",
    "scan_reports",
    "audit",
    "api_tokens",
    "client_certificates",
    "approvals",
)

T = TypeVar("T", bound=m.Resource, covariant=True)


class Freshness(StrEnum):
    LOADING = "loading"
    FRESH = "fresh"
    STALE = "stale"
    ERROR = "error"
    PAUSED = "paused"


@dataclass(frozen=True)
class Diff:
    """What one write changed in one collection."""

    resource: ResourceName
    version: int
    added: frozenset[str]
    changed: frozenset[str]
    removed: frozenset[str]

    @property
    def touched(self) -> frozenset[str]:
        return self.added | self.changed


@dataclass(frozen=True)
class Status:
    """How fresh one collection is. Times are UTC wall-clock."""

    resource: ResourceName
    state: Freshness
    interval: float
    last_ok: datetime | None = None
    error_kind: str | None = None
    error_message: str | None = None
    next_try: datetime | None = None
    # The items are from the local inventory cache (`last_ok` is when they were current)
    # and this session has not refreshed them yet.
    cached: bool = False


DiffCallback = Callable[[Diff], None]
StatusCallback = Callable[[Status], None]


def _key_of(item: m.Resource) -> str:
    key = item.id
    if not isinstance(key, str) or not key:
        raise ValueError(f"{type(item).__name__} has no string id")
    return key


class Collection(Generic[T]):
    """One resource's items. Read through `items`; write only through the `Store`."""

    def __init__(self, name: ResourceName, interval: float) -> None:
        self.name = name
        self.version = 0
        self._items: dict[str, T] = {}
        self.items: Mapping[str, T] = MappingProxyType(self._items)
        self.status = Status(resource=name, state=Freshness.LOADING, interval=interval)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def loaded(self) -> bool:
        return self.status.last_ok is not None


class Replacement:
    """A complete listing diffed against what a collection held (see `Store.prepare_replace`).
    `compute` reads only its own snapshot, so it may run off the event loop: at 100,000
    certificates the diff took 150-250 ms, and much more when equal items are distinct
    objects (each comparison is pydantic's, ~16 us)."""

    __slots__ = ("added", "changed", "held", "items", "name", "new", "removed", "version")

    def __init__(
        self, name: str, version: int, items: list[m.Resource], held: dict[str, m.Resource]
    ) -> None:
        self.name = name
        self.version = version
        self.items = items
        self.held = held
        self.new: dict[str, m.Resource] | None = None
        self.added: set[str] = set()
        self.changed: set[str] = set()
        self.removed: set[str] = set()

    def compute(self) -> None:
        new = {_key_of(item): item for item in self.items}
        old = self.held
        get = old.get
        self.added = new.keys() - old.keys()
        self.removed = old.keys() - new.keys()
        # Most items of a listing are the very objects held (`api.item_pages`): `is` first.
        self.changed = {
            k for k, v in new.items() if (o := get(k)) is not None and o is not v and o != v
        }
        self.new = new
        self.held = {}


class Store:
    """All collections, plus the subscriber lists for diffs and status changes."""

    DEFAULT_INTERVAL = 30.0

    def __init__(
        self,
        resources: Iterable[ResourceName] = RESOURCES,
        intervals: Mapping[ResourceName, float] | None = None,
    ) -> None:
        intervals = intervals or {}
        self._collections: dict[str, Collection[m.Resource]] = {
            name: Collection(name, intervals.get(name, self.DEFAULT_INTERVAL))
            for name in resources
        }
        self._diff_subscribers: list[tuple[frozenset[str] | None, DiffCallback]] = []
        self._status_subscribers: list[StatusCallback] = []

    # reading -----------------------------------------------------------------------------

    # One overload per collection, so `store.collection("keypairs").get(key)` is a Keypair.
    @overload
    def collection(self, name: Literal["accounts"]) -> Collection[m.Account]: ...
    @overload
    def collection(self, name: Literal["account_settings"]) -> Collection[m.AccountSettings]: ...
    @overload
    def collection(self, name: Literal["users"]) -> Collection[m.User]: ...
    @overload
    def collection(self, name: Literal["roles"]) -> Collection[m.Role]: ...
    @overload
    def collection(self, name: Literal["teams"]) -> Collection[m.Team]: ...
    @overload
    def collection(self, name: Literal["keypair_profiles"]) -> Collection[m.KeypairProfile]: ...
    @overload
    def collection(self, name: Literal["keypairs"]) -> Collection[m.Keypair]: ...
    @overload
    def collection(
        self, name: Literal["certificate_profiles"]
    ) -> Collection[m.CertificateProfile]: ...
    @overload
    def collection(self, name: Literal["certificates"]) -> Collection[m.Certificate]: ...
    @overload
    def collection(self, name: Literal["releases"]) -> Collection[m.ReleaseWindow]: ...
    @overload
    def collection(self, name: Literal["signatures"]) -> Collection[m.Signature]: ...
    @overload
    def collection(self, name: Literal["scans", "scan_reports"]) -> Collection[m.Scan]: ...
    @overload
    def collection(self, name: Literal["audit"]) -> Collection[m.AuditEvent]: ...
    @overload
    def collection(self, name: Literal["approvals"]) -> Collection[m.ApprovalRequest]: ...
    @overload
    def collection(self, name: Literal["api_tokens"]) -> Collection[m.ApiToken]: ...
    @overload
    def collection(
        self, name: Literal["client_certificates"]
    ) -> Collection[m.ClientCertificate]: ...
    @overload
    def collection(self, name: str) -> Collection[m.Resource]: ...

    def collection(self, name: str) -> Collection[Any]:
        try:
            return self._collections[name]
        except KeyError:
            raise KeyError(f"unknown resource {name!r}") from None

    @property
    def names(self) -> tuple[ResourceName, ...]:
        return tuple(coll.name for coll in self._collections.values())

    # subscriptions -----------------------------------------------------------------------

    def subscribe(
        self, on_diff: DiffCallback, resources: Iterable[str] | None = None
    ) -> Callable[[], None]:
        entry = (frozenset(resources) if resources is not None else None, on_diff)
        self._diff_subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._diff_subscribers:
                self._diff_subscribers.remove(entry)

        return unsubscribe

    def subscribe_status(self, on_status: StatusCallback) -> Callable[[], None]:
        self._status_subscribers.append(on_status)

        def unsubscribe() -> None:
            if on_status in self._status_subscribers:
                self._status_subscribers.remove(on_status)

        return unsubscribe

    # writing items -----------------------------------------------------------------------

    def replace_all(self, name: str, items: Iterable[m.Resource]) -> Diff | None:
        """Make the collection exactly `items` (a complete listing)."""
        replacement = self.prepare_replace(name, items, snapshot=False)
        replacement.compute()
        return self.commit_replacement(replacement)

    def prepare_replace(
        self, name: str, items: Iterable[m.Resource], snapshot: bool = True
    ) -> Replacement:
        """A complete listing to diff against the collection as it is now. With `snapshot`
        the diff (`Replacement.compute`) may run on another thread while the loop goes on;
        `commit_replacement` then applies it, or diffs again if the collection changed."""
        coll = self.collection(name)
        held = dict(coll._items) if snapshot else coll._items
        return Replacement(name, coll.version, list(items), held)

    def commit_replacement(self, replacement: Replacement) -> Diff | None:
        coll = self.collection(replacement.name)
        if replacement.new is None or coll.version != replacement.version:
            replacement = Replacement(
                replacement.name, coll.version, replacement.items, coll._items
            )
            replacement.compute()
        new, old = replacement.new, coll._items
        assert new is not None
        added, changed, removed = replacement.added, replacement.changed, replacement.removed
        if not (added or removed or changed):
            return None
        # Keep unchanged model objects: views may hold references keyed by identity.
        for key in removed:
            del old[key]
        for key in added | changed:
            old[key] = new[key]
        return self._commit(coll, added, changed, removed)

    def upsert(self, name: str, items: Iterable[m.Resource]) -> Diff | None:
        """Add or update `items`, leaving the others alone (a change-only listing)."""
        coll = self.collection(name)
        added: set[str] = set()
        changed: set[str] = set()
        for item in items:
            key = _key_of(item)
            current = coll._items.get(key)
            if current is None:
                added.add(key)
            elif current is item or current == item:
                continue
            else:
                changed.add(key)
            coll._items[key] = item
        if not (added or changed):
            return None
        return self._commit(coll, added, changed, set())

    def remove(self, name: str, keys: Iterable[str]) -> Diff | None:
        coll = self.collection(name)
        removed = {key for key in keys if key in coll._items}
        if not removed:
            return None
        for key in removed:
            del coll._items[key]
        return self._commit(coll, set(), set(), removed)

    def _commit(
        self,
        coll: Collection[m.Resource],
        added: Iterable[str],
        changed: Iterable[str],
        removed: Iterable[str],
    ) -> Diff:
        coll.version += 1
        diff = Diff(
            resource=coll.name,
            version=coll.version,
            added=frozenset(added),
            changed=frozenset(changed),
            removed=frozenset(removed),
        )
        for resources, callback in list(self._diff_subscribers):
            if resources is None or coll.name in resources:
                self._safe_call(callback, diff)
        return diff

    # writing status ----------------------------------------------------------------------

    def mark_ok(self, name: str, now: datetime, next_try: datetime | None = None) -> None:
        coll = self.collection(name)
        state = Freshness.PAUSED if coll.status.state is Freshness.PAUSED else Freshness.FRESH
        self._set_status(
            coll,
            replace(
                coll.status,
                state=state,
                last_ok=now,
                error_kind=None,
                error_message=None,
                next_try=next_try,
                cached=False,
            ),
        )

    def mark_cached(self, name: str, saved_at: datetime) -> None:
        """The collection holds what the local cache saved at `saved_at`: shown at once, as
        stale data of that age, until the first refresh (`mark_ok`)."""
        coll = self.collection(name)
        state = Freshness.PAUSED if coll.status.state is Freshness.PAUSED else Freshness.STALE
        self._set_status(coll, replace(coll.status, state=state, last_ok=saved_at, cached=True))

    def mark_error(
        self, name: str, kind: str, message: str, next_try: datetime | None = None
    ) -> None:
        """Record a failed refresh. The last good items stay in place."""
        coll = self.collection(name)
        state = Freshness.PAUSED if coll.status.state is Freshness.PAUSED else Freshness.ERROR
        self._set_status(
            coll,
            replace(
                coll.status, state=state, error_kind=kind, error_message=message, next_try=next_try
            ),
        )

    def set_paused(self, name: str, paused: bool) -> None:
        coll = self.collection(name)
        status = coll.status
        if paused:
            new = replace(status, state=Freshness.PAUSED, next_try=None)
        elif status.state is not Freshness.PAUSED:
            return
        else:
            new = replace(status, state=self._state_after_pause(status))
        self._set_status(coll, new)

    def set_interval(self, name: str, seconds: float) -> None:
        coll = self.collection(name)
        self._set_status(coll, replace(coll.status, interval=seconds))

    def set_next_try(self, name: str, when: datetime | None) -> None:
        coll = self.collection(name)
        self._set_status(coll, replace(coll.status, next_try=when))

    def tick(self, now: datetime) -> None:
        """Turn fresh collections stale once their data is older than twice the interval."""
        for coll in self._collections.values():
            status = coll.status
            if status.state is Freshness.FRESH and self._is_stale(status, now):
                self._set_status(coll, replace(status, state=Freshness.STALE))

    @staticmethod
    def _is_stale(status: Status, now: datetime) -> bool:
        if status.last_ok is None:
            return False
        return now - status.last_ok > timedelta(seconds=2 * status.interval)

    @staticmethod
    def _state_after_pause(status: Status) -> Freshness:
        if status.error_kind is not None:
            return Freshness.ERROR
        if status.last_ok is None:
            return Freshness.LOADING
        return Freshness.STALE if status.cached else Freshness.FRESH

    def _set_status(self, coll: Collection[m.Resource], status: Status) -> None:
        if status == coll.status:
            return
        coll.status = status
        for callback in list(self._status_subscribers):
            self._safe_call(callback, status)

    @staticmethod
    def _safe_call(callback: Callable[[Any], None], arg: Any) -> None:
        # One misbehaving subscriber must not starve the others or kill the poller.
        try:
            callback(arg)
        except Exception:
            log.exception("store subscriber %r failed", callback)
