"""A cache table read many rows at a time: SQLite joins a batch of rows into one JSON array
and msgspec splits it in one call (each row's body stays raw, decoded when its item is built).

Read row by row, 250,000 rows took a `sqlite3` step each, and each step lets go of the GIL
and waits to get it back: with the UI thread busy building the dashboard meanwhile, the
cache's thread spent most of a warm start waiting (~3.6 s of its samples in the loop over
rows). Here a batch of `BATCH` rows (at most `BATCH_BYTES`) is one step, and the next batch
is read on another thread while this one is used: SQLite's own work then runs on the second
core (scale read 2.84 -> 2.30 s). (Decoding every body with its batch held
all the rows' values at once until the models were built: ~170 MB more RSS after a warm
start, in freed blocks the heap could not give back.) What goes into the JSON is our own text:
bodies are JSON the codec wrote, keys and references are hex digests, and an item's id (the
server's text) goes in as hex. A row that is not what we wrote makes the batch fail to decode,
and the caller quarantines the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import msgspec

BATCH = 20_000
# And at most about this many bytes of JSON: SQLite builds a batch's text and Python gets a
# copy, both alive while it is split, and every raw body points into the copy until its item
# is built. 20,000 certificates (~1.7 kB each) were ~70 MB at once.
BATCH_BYTES = 8_000_000


class BatchCorrupt(ValueError):
    """A batch of rows that does not decode as its type."""


def read(
    db: sqlite3.Connection,
    element: str,
    source: str,
    params: tuple[Any, ...],
    *parts: Any,
    order: str = "rowid",
    row_bytes: int = 200,
) -> Generator[tuple[Any, ...], None, None]:
    """Every row of `source` (a table with a filter, `FROM ... WHERE ...`) as the JSON
    array `element` builds from its columns, decoded as a tuple of `parts` (msgspec types),
    in the order of the unique column `order` (rowid, or an indexed key). `row_bytes` is
    about how long one row's JSON is, for `BATCH_BYTES`. `db` must allow use from another
    thread (`check_same_thread=False`), and nobody else may use it until the rows are read."""
    limit = max(1, min(BATCH, BATCH_BYTES // max(1, row_bytes)))
    decoder = msgspec.json.Decoder(list.__class_getitem__(tuple.__class_getitem__(parts)))
    # Our own SQL: `element` and `source` are constants of the callers, values are bound.
    query = (
        f"SELECT '[' || group_concat(x, ',') || ']', max(k) FROM "
        f"(SELECT {order} AS k, {element} AS x {source} AND {order} > ?"
        f" ORDER BY {order} LIMIT ?)"
    )
    after: Any = -(1 << 63) if order == "rowid" else ""
    previous = db.text_factory
    # The JSON stays bytes for msgspec (no 100 MB str per batch); so does a text key, which
    # must go back as text (bound as bytes it is a BLOB, which sorts after every text).
    db.text_factory = bytes

    def fetch(after: Any) -> tuple[bytes | None, Any]:
        text, last = db.execute(query, (*params, after, limit)).fetchone()
        return text, last.decode() if isinstance(last, bytes) else last

    # The next batch is read on a thread of its own while this one's rows are used: SQLite
    # lets go of the GIL while it steps, so on a second core its share of a scale read
    # (~0.85 s of ~2.7) runs beside the models being built. Only that thread touches `db`
    # meanwhile; the caller uses the connection again only once this generator is done.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stm-cache-read")
    ahead: Future[tuple[bytes | None, Any]] | None = None
    try:
        text, last = fetch(after)
        while text is not None:
            ahead = pool.submit(fetch, last)
            try:
                rows = decoder.decode(text)
            except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
                raise BatchCorrupt(f"cache rows do not read back: {exc}") from None
            del text  # the raw bodies of `rows` keep what they point into
            yield from rows  # each a tuple of `parts`
            del rows
            text, last = ahead.result()
            ahead = None
    finally:
        if ahead is not None:
            ahead.cancel()
            with contextlib.suppress(Exception):
                ahead.result()  # an early stop: the connection is the caller's again after
        pool.shutdown(wait=True)
        db.text_factory = previous
