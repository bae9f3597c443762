"""The live stream of attempts: newest first, bounded.

Attempts usually arrive in time order, but not always (a catch-up after a disconnection reads
the log newest page first; entries of one second are ordered by id on the server), so each is
placed by its time. When full, the oldest falls off: a stream that runs for days holds
`limit` attempts, no more.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from stm_tui.views.monitor.records import Attempt

STREAM_LIMIT = 500


class AttemptStream(Sequence[Attempt]):
    """A sequence, newest first: views index it directly, without a copy."""

    def __init__(self, limit: int = STREAM_LIMIT) -> None:
        self.limit = max(1, limit)
        # Oldest first, sorted by (time, arrival): appending is the common case.
        self._items: list[tuple[float, int, Attempt]] = []
        self._arrivals = 0
        self.version = 0  # bumped on every change, for views that redraw only on change

    def add(self, attempts: Iterable[Attempt]) -> int:
        """Add attempts; the number that were kept."""
        kept = 0
        for attempt in attempts:
            self._arrivals += 1
            stamp = attempt.created_on.timestamp() if attempt.created_on else float("inf")
            entry = (stamp, self._arrivals, attempt)
            if len(self._items) >= self.limit and entry[:2] < self._items[0][:2]:
                continue  # older than everything held in a full stream
            if not self._items or entry[:2] > self._items[-1][:2]:
                self._items.append(entry)
            else:
                insort(self._items, entry)  # arrival numbers differ: attempts never compared
            kept += 1
        if kept:
            if len(self._items) > self.limit:
                del self._items[: len(self._items) - self.limit]
            self.version += 1
        return kept

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Attempt: ...

    @overload
    def __getitem__(self, index: slice) -> list[Attempt]: ...

    def __getitem__(self, index: int | slice) -> Attempt | list[Attempt]:
        """The `index`-th newest attempt (0 is the newest)."""
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self._items)
        if not 0 <= index < len(self._items):
            raise IndexError(index)
        return self._items[len(self._items) - 1 - index][2]

    def __iter__(self) -> Iterator[Attempt]:
        """Newest first."""
        return (entry[2] for entry in reversed(self._items))

    def newest(self, count: int) -> list[Attempt]:
        return [entry[2] for entry in self._items[: -count - 1 : -1]] if count > 0 else []

    def clear(self) -> None:
        self._items.clear()
        self.version += 1
