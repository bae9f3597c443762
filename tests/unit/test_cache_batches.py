"""Cache tables read a batch of rows per SQLite step (`stm_tui.cache.batches`): every row
comes back once, in order, across batch boundaries, whatever an id holds; a batch that is
not what the codec wrote is refused."""

from __future__ import annotations

import sqlite3

import pytest

from stm_tui.cache import batches

ELEMENT = """'["' || hex(id) || '",' || CAST(body AS TEXT) || ']'"""


def table(rows: list[tuple[str, bytes]]) -> sqlite3.Connection:
    # As the cache file opens it: the next batch is read on another thread.
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE t(id TEXT PRIMARY KEY, body BLOB)")
    db.executemany("INSERT INTO t VALUES (?, ?)", rows)
    return db


@pytest.mark.parametrize("order", ["rowid", "id"])
def test_every_row_comes_back_once_and_in_order_across_batches(
    monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    monkeypatch.setattr(batches, "BATCH", 2)
    # Server text in ids: quotes, a backslash, a comma, non-ASCII, a control character.
    ids = ['k"1', "k\\2", "k,3", "ключ-4", "k\x075"]
    db = table([(i, f"[{n}]".encode()) for n, i in enumerate(reversed(ids))])
    got = list(batches.read(db, ELEMENT, "FROM t WHERE 1", (), str, tuple[int], order=order))
    back = [(bytes.fromhex(h).decode(), body) for h, body in got]
    expected = [(i, (n,)) for n, i in enumerate(reversed(ids))]
    assert back == (expected if order == "rowid" else sorted(expected))
    assert db.text_factory is str  # put back for everyone else


def test_an_empty_table_reads_as_nothing() -> None:
    assert list(batches.read(table([]), ELEMENT, "FROM t WHERE 1", (), str, tuple[int])) == []


@pytest.mark.parametrize("body", [b"[1", b'["not an int"]', b'[1], ["x"'])
def test_a_batch_that_does_not_decode_as_its_type_is_refused(body: bytes) -> None:
    db = table([("a", b"[1]"), ("b", body)])
    with pytest.raises(batches.BatchCorrupt):
        list(batches.read(db, ELEMENT, "FROM t WHERE 1", (), str, tuple[int]))


def test_long_rows_come_in_smaller_batches_so_a_batch_stays_within_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batches, "BATCH_BYTES", 3000)
    db = table([(f"k{n:02}", b"[%d]" % n) for n in range(10)])
    steps: list[str] = []
    db.set_trace_callback(steps.append)

    def read(row_bytes: int) -> list[tuple[str, tuple[int]]]:
        steps.clear()
        got = list(batches.read(db, ELEMENT, "FROM t WHERE 1", (), str, tuple[int],
                                order="id", row_bytes=row_bytes))
        assert [body for _, body in got] == [(n,) for n in range(10)]
        return got

    read(row_bytes=100)  # 30 rows fit: one batch, and one step to find there is no more
    assert len(steps) == 2
    read(row_bytes=1000)  # 3 rows per batch: 4 batches, then the empty one
    assert len(steps) == 5


def test_a_read_stopped_early_leaves_the_connection_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The next batch is already being read on another thread when the caller stops (a row
    # that does not read back, say): the connection must be the caller's again afterwards.
    monkeypatch.setattr(batches, "BATCH", 2)
    db = table([(f"k{n}", b"[%d]" % n) for n in range(6)] + [("k9", b'["bad"]')])
    rows = batches.read(db, ELEMENT, "FROM t WHERE 1", (), str, tuple[int])
    assert next(rows)[1] == (0,)
    rows.close()
    assert db.text_factory is str
    assert db.execute("SELECT count(*) FROM t").fetchone() == (7,)
    with pytest.raises(batches.BatchCorrupt):
        list(batches.read(db, ELEMENT, "FROM t WHERE 1", (), str, tuple[int]))
    assert db.text_factory is str
    assert db.execute("SELECT id FROM t WHERE id = 'k9'").fetchone() == ("k9",)
