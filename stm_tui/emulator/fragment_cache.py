"""The emulator's cache of rendered list items (see fragments.py), bounded by bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

# Rendered bytes kept at most (plus the per-entry overhead counted below). A certificate is
# about 2 KB without its chain, a keypair about 1.3 KB without its certificates: the
# 100,000 certificates and 50,000 keypairs of the scale seed fit (about 300 MB).
BUDGET_BYTES = 320 * 1024 * 1024
_ENTRY_OVERHEAD = 400  # the entry, its key and its inputs, roughly


class Entry:
    __slots__ = ("data_hash", "inputs", "pieces", "seen", "size")

    def __init__(
        self, data_hash: int, inputs: Any, seen: tuple[Any, ...], pieces: list[bytes]
    ) -> None:
        self.data_hash = data_hash
        self.inputs = inputs  # what the record says the item depends on
        self.seen = seen  # what those dependencies rendered as
        self.pieces = pieces
        self.size = sum(len(p) for p in pieces) + _ENTRY_OVERHEAD


class FragmentCache:
    """Entries by (kind, id), bounded by bytes; the least recently used go first, so a
    listing larger than the budget still keeps most of itself."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Entry | None]:
        with self._lock:
            found: list[Entry | None] = []
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                found.append(entry)
            return found

    def put_many(self, entries: Sequence[tuple[tuple[str, str], Entry]]) -> None:
        with self._lock:
            for key, entry in entries:
                old = self._entries.pop(key, None)
                if old is not None:
                    self.size -= old.size
                self._entries[key] = entry
                self.size += entry.size
            while self.size > self.budget and self._entries:
                _, old = self._entries.popitem(last=False)
                self.size -= old.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0
