"""The inventory cache file: one SQLite file per profile, host and STM user.

It lives in `<user cache dir>/stm-tui/inventory/` (0700), is 0600, and is named by a hash of
its owner, which is also written inside it and checked on open: a file that belongs to
someone else (another host, user or profile) is never read. A file that does not open, is
not ours, or fails while it is read is moved aside (`*.corrupt`, the last one kept) and a new
one is started; a file from another schema version is simply started again. Nothing in here
raises for what is in the file: the worst case is a cold start.

Not thread-safe: `keeper.CacheKeeper` calls it from one worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from stm_tui.api import models as m
from stm_tui.cache import batches
from stm_tui.cache.codec import (
    CACHED,
    CacheCorrupt,
    Decoder,
    Memo,
    digest,
    encode,
)

log = logging.getLogger(__name__)

# Bump when the tables or the row encoding change: an older file is then rebuilt.
# 2: certificates carry their decoded summary; 3: compact rows (`cache.rows`), shared values
SCHEMA_VERSION = 3
# "STMC": tells our files from any other SQLite file that ended up under the name.
APPLICATION_ID = 0x53544D43
SUFFIX = ".sqlite3"
QUARANTINE = ".corrupt"
# Items encoded and written per statement batch: bounds the bytes held while saving.
WRITE_BATCH = 2000
PAGE_SIZE = 16384

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE collections(resource TEXT PRIMARY KEY, saved_at TEXT NOT NULL);
CREATE TABLE shared(key TEXT PRIMARY KEY, kind TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE certs(key TEXT PRIMARY KEY, body BLOB NOT NULL, summary BLOB);
CREATE TABLE items(
    resource TEXT NOT NULL, id TEXT NOT NULL, body BLOB, refs TEXT NOT NULL,
    PRIMARY KEY (resource, id)
);
"""


@dataclass(frozen=True)
class Owner:
    """Whose inventory a file holds: never shown to anyone else."""

    profile: str
    host: str
    user_id: str

    @property
    def file_name(self) -> str:
        return digest(self.profile.encode(), self.host.encode(), self.user_id.encode()) + SUFFIX

    def as_meta(self) -> dict[str, str]:
        return {"profile": self.profile, "host": self.host, "user_id": self.user_id}


@dataclass
class Loaded:
    """What a file held: the items of each saved collection and when they were current."""

    items: dict[str, list[m.Resource]] = field(default_factory=dict)
    saved_at: dict[str, datetime] = field(default_factory=dict)
    # Why the file was started again, when it was ("quarantined: ...", "older schema").
    note: str | None = None


class CacheFile:
    def __init__(self, directory: Path, owner: Owner) -> None:
        self.directory = directory
        self.owner = owner
        self.path = directory / owner.file_name
        self._db: sqlite3.Connection | None = None
        self.note: str | None = None

    @property
    def usable(self) -> bool:
        return self._db is not None

    # opening -------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the file, or start a new one. Never raises: when even a new file cannot be
        made (a read-only home), the cache is off (`usable` is False) and says why."""
        try:
            _private_dir(self.directory)
            problem = self._open_existing()
            if problem is not None:
                self.note = problem
                self._restart(quarantine=not problem.startswith("schema"))
        except (OSError, sqlite3.Error) as exc:
            log.warning("inventory cache off: %s", type(exc).__name__)
            self.note = f"cache off: {type(exc).__name__}"
            self._close_db()

    def _open_existing(self) -> str | None:
        """None when the file is ours and current; else why it must be started again."""
        try:
            info = self.path.lstat()
        except FileNotFoundError:
            self._create()
            return None
        if not stat.S_ISREG(info.st_mode):
            return "quarantined: not a regular file"
        if info.st_mode & 0o077:
            os.chmod(self.path, 0o600)
        try:
            db = self._connect()
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if app_id != APPLICATION_ID:
                return "quarantined: not an stm-tui cache"
            if version != SCHEMA_VERSION:
                return f"schema {version} (this version reads {SCHEMA_VERSION}): started again"
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            return f"quarantined: {type(exc).__name__}"
        if meta != self.owner.as_meta():
            return "quarantined: it belongs to another profile, host or user"
        return None

    def _connect(self, *, fresh: bool = False) -> sqlite3.Connection:
        self._close_db()
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db = db
        if fresh:
            # Before WAL, which fixes it. Rows are ~2 kB: with 4 kB pages most took a page
            # of their own (a file 1.7x its data).
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _create(self) -> None:
        # Made 0600 before SQLite opens it (its journal files take the same mode).
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o600)
        os.close(fd)
        db = self._connect(fresh=True)
        # The owner before the version: a file cut short in between has no version, so it
        # is not taken for ours next time.
        db.executescript(_SCHEMA)
        with _transaction(db):
            db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)", self.owner.as_meta().items()
            )
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _restart(self, *, quarantine: bool) -> None:
        self._close_db()
        for companion in ("-wal", "-shm", "-journal"):
            Path(f"{self.path}{companion}").unlink(missing_ok=True)
        if quarantine:
            log.warning("inventory cache %s: %s", self.path.name, self.note)
            os.replace(self.path, self.path.with_suffix(QUARANTINE))
        else:
            self.path.unlink(missing_ok=True)
        self._create()

    def close(self) -> None:
        self._close_db()

    def _close_db(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    # reading -------------------------------------------------------------------------------

    def load(self) -> Loaded:
        """Every saved collection, decoded. A file that fails here is quarantined and started
        again (nothing is loaded): half an inventory is never shown as the whole."""
        out = Loaded(note=self.note)
        if self._db is None:
            return out
        try:
            return self._load(out)
        except (CacheCorrupt, sqlite3.Error, ValueError, UnicodeError) as exc:  # BatchCorrupt too
            self.note = f"quarantined: {exc}" if isinstance(exc, CacheCorrupt) else (
                f"quarantined: {type(exc).__name__}"
            )
            try:
                self._restart(quarantine=True)
            except (OSError, sqlite3.Error):
                self._close_db()
            return Loaded(note=self.note)

    def _load(self, out: Loaded) -> Loaded:
        db = self._db
        assert db is not None
        saved = {
            name: _parse_time(when)
            for name, when in db.execute("SELECT resource, saved_at FROM collections")
            if name in CACHED
        }
        if not saved:
            return out
        shared = {
            key: (kind, bytes(body))
            for key, kind, body in batches.read(
                db, """'["' || key || '","' || kind || '",' || CAST(body AS TEXT) || ']'""",
                "FROM shared WHERE 1", (), str, str, msgspec.Raw,
            )
        }
        decoder = Decoder(shared)
        for key, row, summary in batches.read(
            db,
            """'["' || key || '",' || CAST(body AS TEXT) || ','
               || coalesce(CAST(summary AS TEXT), 'null') || ']'""",
            "FROM certs WHERE 1", (), str, msgspec.Raw, msgspec.Raw, row_bytes=2000,
        ):
            decoder.add_cert(key, row, summary)
        used: set[str] = set()
        # Certificates first: the keypairs' embedded ones are then the same objects.
        for name in sorted(saved, key=CACHED.index):
            items: list[m.Resource] = []
            keys: list[str] = []  # a certificate item's key (`refs`), in the order of `items`
            body_type = msgspec.Raw if name == "keypairs" else None
            rows = batches.read(
                db,
                """'["' || hex(id) || '",' || coalesce(CAST(body AS TEXT), 'null') || ',"'
                   || refs || '"]'""",
                "FROM items WHERE resource = ?", (name,), str, body_type, str, order="id",
                row_bytes=800 if name == "keypairs" else 100,
            )
            for hex_id, body, refs in rows:
                item = decoder.item(name, body, refs)
                if item.id.encode().hex().upper() != hex_id:
                    raise CacheCorrupt("a row's id does not match its item")
                items.append(item)
                if name == "certificates":
                    keys.append(refs)
                if refs != "-":
                    used.update(refs.split(",") if refs else ())
            if name == "certificates":
                # In the order they were built, which is the file's: a pass over the list
                # then walks memory in order (100,000 certificate rows built from it in
                # 0.95 s standalone, 1.31 s in id order). The store takes a complete listing
                # in set order, though, so the dashboard does not get this: keeping the
                # store in listing order too made no difference end to end (README).
                built = {key: n for n, key in enumerate(decoder.cert_keys)}
                position = [built[key] for key in keys]
                items = [items[i] for i in sorted(range(len(items)), key=position.__getitem__)]
            out.items[name] = items
            out.saved_at[name] = saved[name]
        self._drop_unused(decoder.cert_keys, used, shared, decoder.shared_used)
        return out

    def _drop_unused(
        self, certs: Iterable[str], used: set[str], shared: Iterable[str], shared_used: set[str]
    ) -> None:
        # Certificates and shared values no item refers to any more (changed or removed
        # since): dropped here, where every reference has just been read, rather than
        # counted on every write. Every certificate row was decoded, so a shared value that
        # only dropped certificates refer to counts as in use this once: it goes at the next
        # read, when nothing refers to it any more.
        db = self._db
        assert db is not None
        unused = [(k,) for k in certs if k not in used]
        stale = [(k,) for k in shared if k not in shared_used]
        if not unused and not stale:
            return
        with _transaction(db):
            db.executemany("DELETE FROM certs WHERE key = ?", unused)
            db.executemany("DELETE FROM shared WHERE key = ?", stale)

    # writing -------------------------------------------------------------------------------

    def save(
        self,
        resource: str,
        items: Iterable[m.Resource],
        removed: Iterable[str],
        saved_at: datetime,
        *,
        complete: bool = False,
        memo: Memo | None = None,
    ) -> None:
        """Write `items` (added or changed) and drop `removed`, in one transaction; with
        `complete`, `items` is the whole collection and nothing else is kept. `memo`: the
        certificates an earlier save of the same flush wrote (see `codec.Memo`). Raises
        `sqlite3.Error` / `OSError` (the keeper then rewrites the collection next time)."""
        db = self._db
        if db is None:
            return
        memo = memo if memo is not None else Memo()
        with _transaction(db):
            if complete:
                db.execute("DELETE FROM items WHERE resource = ?", (resource,))
            for batch in _batches(items, WRITE_BATCH):
                encoded = encode(resource, batch, memo)
                _insert(
                    db, "INSERT OR IGNORE INTO shared(key, kind, body)",
                    [(k, kind, body) for k, (kind, body) in encoded.shared.items()],
                )
                _insert(
                    db, "INSERT OR IGNORE INTO certs(key, body, summary)",
                    [(r.key, r.body, r.summary) for r in encoded.certs.values()],
                )
                _insert(
                    db, "INSERT OR REPLACE INTO items(resource, id, body, refs)",
                    [(resource, i, body, refs) for i, body, refs in encoded.items],
                )
            db.executemany(
                "DELETE FROM items WHERE resource = ? AND id = ?",
                ((resource, key) for key in removed),
            )
            self._stamp(db, resource, saved_at)

    def stamp(self, resource: str, saved_at: datetime) -> None:
        """Record that the saved items still matched the server at `saved_at`."""
        db = self._db
        if db is None:
            return
        with _transaction(db):
            self._stamp(db, resource, saved_at)

    @staticmethod
    def _stamp(db: sqlite3.Connection, resource: str, saved_at: datetime) -> None:
        db.execute(
            "INSERT OR REPLACE INTO collections(resource, saved_at) VALUES (?, ?)",
            (resource, saved_at.astimezone(UTC).isoformat()),
        )


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK on any error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def __exit__(self, kind: object, *_: object) -> None:
        if not self.db.in_transaction:
            return
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")


# Rows per INSERT statement at most (fewer when the parameters would pass SQLite's limit).
ROWS_PER_STATEMENT = 500


def _insert(db: sqlite3.Connection, head: str, rows: list[tuple[object, ...]]) -> None:
    """`head VALUES (...), (...), ...`: many rows per statement.

    `executemany` makes a `sqlite3` step per row, and each step lets go of the GIL and waits
    to get it back: with the UI thread busy during a first sync, the cache's thread spent its
    time waiting rather than writing 350,000 rows. One statement of many rows is one step."""
    if not rows:
        return
    width = len(rows[0])
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // width))
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        values = [value for row in chunk for value in row]
        db.execute(f"{head} VALUES {', '.join([one] * len(chunk))}", values)


def _batches(items: Iterable[m.Resource], size: int) -> Iterator[list[m.Resource]]:
    batch: list[m.Resource] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _private_dir(path: Path) -> None:
    """`path` and the parents it needs, 0700 (the umask does not apply to what we chmod)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for created in missing:
        created.chmod(0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def cache_files(directory: Path) -> list[Path]:
    """Every cache file (and quarantined one) in `directory`, companions included."""
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.suffix in (SUFFIX, QUARANTINE) or p.name.endswith(("-wal", "-shm", "-journal"))
    )


def owner_of(path: Path) -> Owner | None:
    """Whose inventory a cache file holds, read without changing it; None if unreadable."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        finally:
            db.close()
        return Owner(meta["profile"], meta["host"], meta["user_id"])
    except (sqlite3.Error, KeyError):
        return None
