"""Work on background threads that keeps the GIL instead of letting go of it per small step
(a page item's digest, the cache's inserts): the same results as the plain calls."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from stm_tui.api import item_pages
from stm_tui.cache import file as cache_file


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 2049, 4094, 4095, 10_000])
def test_an_items_digest_is_its_sha256_whatever_its_size(size: int) -> None:
    raw = os.urandom(size)
    assert item_pages._digest(raw) == hashlib.sha256(raw).digest()[:16]


@pytest.mark.parametrize("count", [0, 1, 499, 500, 501, 1234])
def test_many_rows_per_statement_insert_exactly_the_rows(count: int) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB, n INTEGER)")
    rows: list[tuple[object, ...]] = [(f"k{i}", os.urandom(8), i) for i in range(count)]
    cache_file._insert(db, "INSERT OR IGNORE INTO t(k, v, n)", rows)
    # A second write of some of them changes nothing (OR IGNORE), as with executemany.
    again: list[tuple[object, ...]] = [(k, b"x", -1) for k, _, _ in rows[:3]]
    cache_file._insert(db, "INSERT OR IGNORE INTO t(k, v, n)", again)
    assert db.execute("SELECT k, v, n FROM t ORDER BY n").fetchall() == rows


def test_rows_per_statement_stay_within_sqlites_parameter_limit() -> None:
    db = sqlite3.connect(":memory:")
    db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)  # an old SQLite's small limit
    db.execute("CREATE TABLE t(a, b, c, d)")
    rows: list[tuple[object, ...]] = [(i, i, i, i) for i in range(25)]
    cache_file._insert(db, "INSERT INTO t(a, b, c, d)", rows)
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 25
