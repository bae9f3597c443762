"""Retry policy for safe (GET) requests and the per-host pause after `Retry-After`.

Only GETs are retried. Writes are sent once: the client never guesses whether a create, sign
or revoke happened. The host gate makes a 429 seen by one request pause every request to that
host, so a poller of ten resources does not hammer a rate-limited server ten times over.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # first try + 3 retries
    base_delay: float = 0.25
    max_delay: float = 8.0
    retry_after_cap: float = 120.0
    # A Retry-After longer than this is not slept through inside one call: the call raises
    # RateLimited and the caller (poller, UI) decides when to come back.
    max_inline_wait: float = 10.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff for retry 1, 2, 3 ..."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return rng.uniform(ceiling / 2, ceiling)

    def cap(self, retry_after: float) -> float:
        return max(0.0, min(self.retry_after_cap, retry_after))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None if absent
    or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(slots=True)
class HostGate:
    """Earliest time (monotonic clock) at which the next request to a host may go out."""

    clock: Callable[[], float] = time.monotonic
    _until: float = field(default=0.0)

    def pause_for(self, seconds: float) -> None:
        self._until = max(self._until, self.clock() + seconds)

    def remaining(self) -> float:
        return max(0.0, self._until - self.clock())
