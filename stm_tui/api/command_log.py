"""Every API call of the session, kept in memory for the command-log view.

A record holds what a person needs to tell "the service is failing" from "I am doing something
wrong": when, which method and path, the status (or the error kind when no usable answer came
back), the latency and how often the client retried. It never holds a body, a header or a
query *value*: query strings can carry filters typed by the user and, on some endpoints,
tokens. Only the names of the query parameters are kept.

The log is bounded (a deque), so a dashboard left open for a week holds the last few thousand
calls, not all of them; `total` still counts every call. Subscribers are told about each new
record (the live view); a subscriber that raises is dropped from that notification, never
allowed to break the HTTP path that feeds the log.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stm_tui.api.routes import AM, STM

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 2000

# Error kinds (stm_tui.api.errors.ERROR_KINDS) that say the service, or the way to it, is at
# fault. `auth`, `permission`, `not_found` and `config` are about the caller; 400/409/422 too.
SERVICE_FAULT_KINDS = frozenset(
    {"offline", "transient", "server_error", "rate_limited", "bad_response", "outcome_unknown"}
)

# Path segments that are identifiers, folded so that stats group by endpoint, not by item.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_DIGITS = re.compile(r"[0-9]+")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def strip_query(target: str) -> tuple[str, tuple[str, ...]]:
    """(path, query parameter names) of a path or URL; values and fragments are dropped."""
    parts = urlsplit(target)
    keys = tuple(dict.fromkeys(k for k, _ in parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path or "/", keys


def endpoint_path(path: str) -> str:
    """`path` with identifier segments replaced by `{id}` (percent-encoded ids included)."""
    out = []
    for segment in path.split("/"):
        if segment and (
            _UUID.fullmatch(segment) or _LONG_HEX.fullmatch(segment) or _DIGITS.fullmatch(segment)
        ):
            out.append("{id}")
        elif "%" in segment:
            out.append("{id}")  # only ids are percent-encoded into our paths
        else:
            out.append(segment)
    return "/".join(out)


def short_path(path: str) -> str:
    """The path for a narrow terminal: the STM base dropped, Account Manager's shortened."""
    if path.startswith(STM + "/"):
        return path[len(STM) :]
    if path.startswith(AM + "/"):
        return "am:" + path[len(AM) :]
    return path


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One API call as the command log keeps it: no body, no headers, no query values."""

    at: datetime
    method: str
    path: str
    status: int | None
    error: str | None
    latency_ms: float
    retries: int = 0
    query_keys: tuple[str, ...] = ()
    request_id: str | None = None

    @classmethod
    def make(
        cls,
        method: str,
        target: str,
        *,
        status: int | None = None,
        error: str | None = None,
        latency_ms: float = 0.0,
        retries: int = 0,
        query: Mapping[str, object] | Iterable[str] | None = None,
        request_id: str | None = None,
        at: datetime | None = None,
    ) -> CallRecord:
        """Build a record from what the HTTP layer has; the query's values never get in."""
        path, keys = strip_query(target)
        if query is not None:
            keys = tuple(dict.fromkeys([*keys, *(str(k) for k in query)]))
        return cls(
            at=at or _utcnow(),
            method=method.upper(),
            path=path,
            status=status,
            error=error,
            latency_ms=max(0.0, float(latency_ms)),
            retries=max(0, int(retries)),
            query_keys=keys,
            request_id=request_id,
        )

    @property
    def endpoint(self) -> str:
        return f"{self.method} {endpoint_path(self.path)}"

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < 400

    @property
    def service_fault(self) -> bool:
        """Did this call fail because of the service (or the network), not the caller?"""
        if self.error in SERVICE_FAULT_KINDS:
            return True
        return self.status is not None and (self.status >= 500 or self.status == 429)

    @property
    def outcome(self) -> str:
        """"200", "503", "offline": the status when one came back, else the error kind."""
        if self.status is not None:
            return str(self.status)
        return self.error or "?"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for a JSONL export of the session's calls)."""
        out: dict[str, Any] = {
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 1),
            "retries": self.retries,
        }
        if self.query_keys:
            out["query_keys"] = list(self.query_keys)
        if self.request_id:
            out["request_id"] = self.request_id
        return out


@dataclass(frozen=True, slots=True)
class EndpointStats:
    endpoint: str
    count: int
    errors: int  # any call without a 2xx/3xx answer
    service_errors: int  # of those, the ones that were the service's (or network's) fault
    p50_ms: float
    p95_ms: float
    last_outcome: str
    last_at: datetime


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (sorted or not); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(records: Iterable[CallRecord]) -> list[EndpointStats]:
    """Per-endpoint stats, the endpoints with most service errors first, then the busiest."""
    groups: dict[str, list[CallRecord]] = {}
    for record in records:
        groups.setdefault(record.endpoint, []).append(record)
    out = []
    for endpoint, group in groups.items():
        latest = max(group, key=lambda r: r.at)
        latencies = [r.latency_ms for r in group]
        out.append(
            EndpointStats(
                endpoint=endpoint,
                count=len(group),
                errors=sum(not r.ok for r in group),
                service_errors=sum(r.service_fault for r in group),
                p50_ms=percentile(latencies, 50),
                p95_ms=percentile(latencies, 95),
                last_outcome=latest.outcome,
                last_at=latest.at,
            )
        )
    out.sort(key=lambda s: (-s.service_errors, -s.count, s.endpoint))
    return out


def verdict(records: list[CallRecord]) -> str:
    """One line answering "is it the service or me?" over `records` (the recent calls)."""
    if not records:
        return "no calls yet"
    n = len(records)
    faults = [r for r in records if r.service_fault]
    refused = [r for r in records if not r.ok and not r.service_fault]
    if faults and (len(faults) >= 3 or len(faults) * 2 >= n) and len(faults) * 10 >= 3 * n:
        worst = summarise(faults)[0]
        method, _, path = worst.endpoint.partition(" ")
        return (
            f"the service is failing: {len(faults)} of the last {n} calls failed on its side "
            f"(last: {worst.last_outcome} on {method} {short_path(path)})"
        )
    if refused and len(refused) * 2 >= n:
        codes = sorted({r.outcome for r in refused})
        return (
            f"the service answers but refuses {len(refused)} of the last {n} calls "
            f"({', '.join(codes)}): check credentials, permissions or input"
        )
    p95 = percentile([r.latency_ms for r in records], 95)
    note = f", {len(faults)} failed on its side" if faults else ""
    return f"the service is answering: {n} recent calls, p95 {p95:.0f} ms{note}"


class CommandLog:
    """A bounded, subscribable list of `CallRecord`s (oldest dropped first)."""

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        if capacity < 1:
            raise ValueError("a command log holds at least one record")
        self.capacity = capacity
        self._records: deque[CallRecord] = deque(maxlen=capacity)
        self._subscribers: list[Callable[[CallRecord], None]] = []
        self._lock = threading.Lock()
        self._clock = clock or _utcnow
        self.total = 0

    # feeding -------------------------------------------------------------------------------

    def add(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)
            self.total += 1
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(record)
            except Exception:  # a broken view must not break the HTTP path
                log.exception("command log subscriber failed")

    def record(
        self,
        method: str,
        target: str,
        *,
        status: int | None = None,
        error: str | None = None,
        latency_ms: float = 0.0,
        retries: int = 0,
        query: Mapping[str, object] | Iterable[str] | None = None,
        request_id: str | None = None,
    ) -> CallRecord:
        """Build a record stamped with the log's clock, add it and return it."""
        entry = CallRecord.make(
            method,
            target,
            status=status,
            error=error,
            latency_ms=latency_ms,
            retries=retries,
            query=query,
            request_id=request_id,
            at=self._clock(),
        )
        self.add(entry)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    # reading -------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[CallRecord], None]) -> Callable[[], None]:
        """Call `callback(record)` for each new record; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[CallRecord]:
        return iter(self.snapshot())

    @property
    def dropped(self) -> int:
        """Calls recorded but no longer held (past the capacity)."""
        return self.total - len(self._records)

    def snapshot(self) -> list[CallRecord]:
        """The held records, oldest first (a copy: safe to keep while the log grows)."""
        with self._lock:
            return list(self._records)

    def newest_first(self) -> list[CallRecord]:
        records = self.snapshot()
        records.reverse()
        return records

    def stats(self) -> list[EndpointStats]:
        """Per-endpoint count, errors and p50/p95 latency over the held records."""
        return summarise(self.snapshot())

    def verdict(self, window: int = 50) -> str:
        """"Is it the service or me?" over the last `window` calls."""
        return verdict(self.snapshot()[-window:])
