"""The emulator's cache of rendered list items (see fragments.py), bounded by bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

# Rendered bytes kept at most, with each entry's overhead (its objects, its key, the ids
# it splices from: about 1 KB, measured with sys.getsizeof). A certificate is about 1.9 KB
# without the values spliced in, a keypair about 0.8 KB: the 100,000 certificates and 50,000
# keypairs of the scale seed take about 380 MB, and fit.
BUDGET_BYTES = 400 * 1024 * 1024
_ENTRY_OVERHEAD = 1000


class Entry:
    __slots__ = ("data_hash", "inputs", "pieces", "size")

    def __init__(self, data_hash: int, inputs: Any, pieces: list[bytes]) -> None:
        self.data_hash = data_hash  # of the stored row the pieces were rendered from
        self.inputs = inputs  # what of that row the spliced-in values are rendered from
        self.pieces = pieces
        self.size = sum(map(len, pieces)) + _ENTRY_OVERHEAD


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
