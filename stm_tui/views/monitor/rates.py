"""Signing rates as per-minute counts over the last hour: the sparklines' series.

A bucket is one UTC minute. The series for "now" is the current minute and the 59 before it,
oldest first. Memory is a dict of at most a few hundred small ints per series however long
the watch runs, and the number of series per dimension is capped (the rest are "other").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from stm_tui.views.monitor.records import Attempt

MINUTES = 60
# Per dimension (keypairs, signers) of one window; a release lists a handful of each.
MAX_SERIES = 32
OTHER = "(other)"


def minute_of(when: datetime) -> int:
    """Minutes since the epoch (the bucket a time falls in)."""
    return int(when.timestamp() // 60)


class MinuteBuckets:
    """Counts per minute; `series(now)` gives the last `minutes` of them."""

    __slots__ = ("_counts", "minutes")

    def __init__(self, minutes: int = MINUTES) -> None:
        self.minutes = minutes
        self._counts: dict[int, int] = {}

    def add(self, when: datetime, n: int = 1) -> None:
        key = minute_of(when)
        self._counts[key] = self._counts.get(key, 0) + n
        if len(self._counts) > 3 * self.minutes:
            # Bounded whatever the stamps: keep the newest minutes (a skewed or hostile
            # clock can make old or future ones, which the series never shows anyway).
            for old in sorted(self._counts)[: len(self._counts) - 2 * self.minutes]:
                del self._counts[old]

    def series(self, now: datetime, minutes: int | None = None) -> list[int]:
        span = self.minutes if minutes is None else minutes
        last = minute_of(now)
        return [self._counts.get(m, 0) for m in range(last - span + 1, last + 1)]

    def total(self, now: datetime, minutes: int | None = None) -> int:
        return sum(self.series(now, minutes))

    def clear(self) -> None:
        self._counts.clear()


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


class RateBook:
    """Overall, per-keypair and per-signer minute counts for one window."""

    def __init__(self, minutes: int = MINUTES, max_series: int = MAX_SERIES) -> None:
        self.minutes = minutes
        self.max_series = max_series
        self.overall = MinuteBuckets(minutes)
        self._keypairs: dict[str, MinuteBuckets] = {}
        self._signers: dict[str, MinuteBuckets] = {}
        self._labels: dict[str, str] = {}

    def _bucket(self, table: dict[str, MinuteBuckets], key: str, label: str) -> MinuteBuckets:
        found = table.get(key)
        if found is None:
            if len(table) >= self.max_series:
                key, label = OTHER, OTHER
                found = table.get(key)
            if found is None:
                found = table[key] = MinuteBuckets(self.minutes)
            self._labels[key] = label
        return found

    def add(self, attempt: Attempt) -> None:
        when = attempt.created_on
        if when is None:
            return
        self.overall.add(when)
        kp = attempt.keypair_id or OTHER
        self._bucket(self._keypairs, kp, attempt.keypair_alias or kp).add(when)
        user = attempt.user_id or OTHER
        self._bucket(self._signers, user, attempt.user_name or user).add(when)

    def add_all(self, attempts: Iterable[Attempt]) -> None:
        for attempt in attempts:
            self.add(attempt)

    def _ranked(self, table: dict[str, MinuteBuckets], now: datetime) -> list[Series]:
        out = [Series(k, self._labels.get(k, k), b.series(now)) for k, b in table.items()]
        # Busiest first; the label breaks ties so the order does not flicker.
        out.sort(key=lambda s: (-s.total, s.label, s.key))
        return out

    def keypairs(self, now: datetime) -> list[Series]:
        return self._ranked(self._keypairs, now)

    def signers(self, now: datetime) -> list[Series]:
        return self._ranked(self._signers, now)

    def clear(self) -> None:
        self.overall.clear()
        self._keypairs.clear()
        self._signers.clear()
        self._labels.clear()
