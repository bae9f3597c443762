"""SQLite storage for the emulator.

Every resource is one row: indexed columns for filtering and ordering, plus the full record
as JSON in `data`. One connection guarded by a lock serves all threads (uvicorn's worker
threads and the activity simulator); every write runs in one transaction, so bad input or a
crash never leaves half a change behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from stm_tui.emulator.util import dumps, make_private_dirs

# 2: client certificates carry their fingerprint and token; suspend is key_status OFFLINE
# (no `suspended` flag); account 2FA lives on the account; Leads hold Account Administrator.
# 3: signatures carry an insertion `sequence` (a cursor monitors poll from); approval requests.
SCHEMA_VERSION = 3

# table -> extra indexed columns copied from the record (besides id/account_id/created_on/
# modified_on). The record itself is stored whole in `data`.
TABLES: dict[str, tuple[str, ...]] = {
    "accounts": (),
    "users": ("user_type", "status", "email", "friendly_name"),
    "api_tokens": ("user_id", "key_hash", "status"),
    "client_certs": ("user_id", "fingerprint", "token_id"),
    "teams": ("name",),
    "keypair_profiles": ("name",),
    "certificate_profiles": ("name",),
    "keypairs": ("alias", "key_alg", "key_size", "curve", "key_status", "key_type", "key_storage"),
    "certificates": (
        "alias",
        "keypair_id",
        "status",
        "valid_to",
        "hierarchy",
        "certificate_profile_id",
    ),
    "releases": ("name", "team_id", "release_type"),
    "signatures": ("keypair_id", "release_id", "user_id", "sequence"),
    "scans": ("status", "release_id", "project_alias"),
    "audit": ("resource_type", "resource_id", "status", "client_ip", "user_id"),
    "approval_requests": ("kind", "status", "keypair_id", "certificate_id"),
}

# Tables whose records count their updates (see `Database.update`).
REVISIONED = frozenset({"keypairs", "certificates"})

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS {t}_order ON {t}(account_id, created_on, id)",
    "CREATE INDEX IF NOT EXISTS {t}_modified ON {t}(account_id, modified_on)",
)
_EXTRA_INDEXES = (
    "CREATE INDEX IF NOT EXISTS certificates_keypair ON certificates(keypair_id)",
    "CREATE INDEX IF NOT EXISTS certificates_alias"
    " ON certificates(account_id, alias, created_on, id)",
    "CREATE INDEX IF NOT EXISTS certificates_status"
    " ON certificates(account_id, status, created_on, id)",
    "CREATE INDEX IF NOT EXISTS keypairs_alias ON keypairs(account_id, alias, created_on, id)",
    "CREATE INDEX IF NOT EXISTS api_tokens_hash ON api_tokens(key_hash)",
    "CREATE INDEX IF NOT EXISTS signatures_keypair ON signatures(keypair_id, created_on)",
    "CREATE INDEX IF NOT EXISTS signatures_release ON signatures(release_id)",
    "CREATE INDEX IF NOT EXISTS signatures_sequence ON signatures(sequence)",
    "CREATE INDEX IF NOT EXISTS audit_resource ON audit(resource_id)",
    "CREATE INDEX IF NOT EXISTS keypair_groups_team ON keypair_groups(team_id)",
    "CREATE INDEX IF NOT EXISTS client_certs_fingerprint ON client_certs(fingerprint)",
)

_LINK_TABLES = (
    "CREATE TABLE IF NOT EXISTS keypair_groups (keypair_id TEXT, team_id TEXT,"
    " PRIMARY KEY (keypair_id, team_id))",
    "CREATE TABLE IF NOT EXISTS user_accounts (user_id TEXT, account_id TEXT,"
    " PRIMARY KEY (user_id, account_id))",
    "CREATE TABLE IF NOT EXISTS key_material (id TEXT PRIMARY KEY, private_der BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS settings (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
)

# Filesystems on which SQLite's WAL is unsafe (shared memory across hosts does not work).
_NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "fuse.sshfs",
    "lustre",
    "gpfs",
    "9p",
    "vboxsf",
}


def filesystem_type(path: Path) -> str | None:
    """The mount type holding `path`, from /proc/self/mounts (None where unavailable)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3 or len(parts[1]) < len(best):
            continue
        if target == parts[1] or target.startswith(parts[1].rstrip("/") + "/"):
            best, best_type = parts[1], parts[2]
    return best_type


def choose_journal_mode(directory: Path, requested: str | None) -> str:
    """WAL on local disks, the rollback journal (DELETE) on network filesystems."""
    if requested:
        return requested.upper()
    env = os.environ.get("STM_EMULATOR_JOURNAL_MODE")
    if env:
        return env.upper()
    return "DELETE" if filesystem_type(directory) in _NETWORK_FS else "WAL"


class Database:
    def __init__(self, path: Path, *, journal_mode: str | None = None) -> None:
        self.path = path
        make_private_dirs(path.parent)
        os.chmod(path.parent, 0o700)
        # Pre-create with 0600 so the -wal/-shm files SQLite adds inherit that mode.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        mode = choose_journal_mode(path.parent, journal_mode)
        got = self._conn.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
        self.journal_mode = str(got).upper()
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self.version = 0  # bumped on every committed write; keys derived caches
        self._create_schema()

    def _create_schema(self) -> None:
        with self.tx() as c:
            found = int(c.execute("PRAGMA user_version").fetchone()[0])
            if 0 < found < 2:
                _upgrade_to_2(c)
            if 0 < found < 3:
                _upgrade_to_3(c)
            for table, cols in TABLES.items():
                extra = "".join(f", {col}" for col in cols)
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, account_id TEXT,"
                    f" created_on TEXT, modified_on TEXT{extra}, data TEXT NOT NULL)"
                )
                for stmt in _INDEXES:
                    c.execute(stmt.format(t=table))
            for stmt in _LINK_TABLES + _EXTRA_INDEXES:
                c.execute(stmt)
            c.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: commits on success, rolls back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self.version += 1

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def analyze(self) -> None:
        """Refresh the planner's statistics (after bulk loads, so filters use their index)."""
        with self._lock:
            self._conn.execute("ANALYZE")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---- generic record access -------------------------------------------------------

    @staticmethod
    def _row_values(table: str, rec: dict[str, Any]) -> list[Any]:
        cols = TABLES[table]
        return [
            rec["id"],
            rec.get("account_id"),
            rec.get("created_on"),
            rec.get("modified_on"),
            *[rec.get(col) for col in cols],
            dumps(rec),
        ]

    @staticmethod
    def insert(c: sqlite3.Connection, table: str, rec: dict[str, Any]) -> None:
        cols = ("id", "account_id", "created_on", "modified_on", *TABLES[table], "data")
        marks = ",".join("?" * len(cols))
        c.execute(
            f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})",
            Database._row_values(table, rec),
        )

    @staticmethod
    def insert_many(c: sqlite3.Connection, table: str, recs: Sequence[dict[str, Any]]) -> None:
        cols = ("id", "account_id", "created_on", "modified_on", *TABLES[table], "data")
        marks = ",".join("?" * len(cols))
        c.executemany(
            f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})",
            [Database._row_values(table, r) for r in recs],
        )

    @staticmethod
    def update(c: sqlite3.Connection, table: str, rec: dict[str, Any]) -> None:
        if table in REVISIONED:
            # Counts updates, which modified_on (one-second steps, none under a frozen clock)
            # cannot; never rendered. The rendered-item cache (fragments.py) checks the whole
            # stored row, so it does not depend on this.
            rec["revision"] = int(rec.get("revision", 0)) + 1
        cols = ("account_id", "created_on", "modified_on", *TABLES[table], "data")
        sets = ",".join(f"{col}=?" for col in cols)
        values = Database._row_values(table, rec)
        c.execute(f"UPDATE {table} SET {sets} WHERE id=?", [*values[1:], values[0]])

    def get(self, table: str, item_id: str) -> dict[str, Any] | None:
        with self.read() as c:
            row = c.execute(f"SELECT data FROM {table} WHERE id=?", (item_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def select(
        self,
        table: str,
        where: str = "1=1",
        params: Sequence[Any] = (),
        order: str = "created_on, id",
        limit: int = -1,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        sql = f"SELECT data FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        with self.read() as c:
            rows = c.execute(sql, (*params, limit, offset)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def select_rowids(
        self,
        table: str,
        where: str = "1=1",
        params: Sequence[Any] = (),
        order: str = "created_on, id",
    ) -> list[int]:
        with self.read() as c:
            rows = c.execute(f"SELECT rowid FROM {table} WHERE {where} ORDER BY {order}", params)
            return [int(r[0]) for r in rows.fetchall()]

    def select_by_rowids(self, table: str, rowids: Sequence[int]) -> list[dict[str, Any]]:
        """Rows by rowid, in the order given (rows deleted meanwhile are skipped)."""
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        with self.read() as c:
            found = dict(
                c.execute(f"SELECT rowid, data FROM {table} WHERE rowid IN ({marks})", rowids)
            )
        return [json.loads(found[r]) for r in rowids if r in found]

    def select_raw(
        self,
        table: str,
        columns: str,
        where: str = "1=1",
        params: Sequence[Any] = (),
        order: str = "created_on, id",
        limit: int = -1,
        offset: int = 0,
    ) -> list[tuple[Any, ...]]:
        """Rows as stored (`columns`, `data` undecoded): for callers that decode only
        what they must."""
        sql = f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        with self.read() as c:
            return [tuple(r) for r in c.execute(sql, (*params, limit, offset)).fetchall()]

    def select_raw_by_rowids(
        self, table: str, columns: str, rowids: Sequence[int]
    ) -> list[tuple[Any, ...]]:
        """`select_raw` by rowid, in the order given (rows deleted meanwhile are skipped)."""
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        with self.read() as c:
            found = {
                r[0]: r
                for r in c.execute(
                    f"SELECT rowid, {columns} FROM {table} WHERE rowid IN ({marks})", rowids
                ).fetchall()
            }
        return [tuple(found[r])[1:] for r in rowids if r in found]

    def count(self, table: str, where: str = "1=1", params: Sequence[Any] = ()) -> int:
        with self.read() as c:
            return int(
                c.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()[0]
            )

    def meta_get(self, key: str) -> str | None:
        with self.read() as c:
            row = c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def meta_set(c: sqlite3.Connection, key: str, value: str) -> None:
        c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def key_material(self, key_ref: str) -> bytes:
        with self.read() as c:
            row = c.execute(
                "SELECT private_der FROM key_material WHERE id=?", (key_ref,)
            ).fetchone()
        if row is None:
            raise KeyError(key_ref)
        return bytes(row[0])


def _upgrade_to_2(c: sqlite3.Connection) -> None:
    """A data dir written by schema 1 keeps its data: see SCHEMA_VERSION."""
    have = {row[1] for row in c.execute("PRAGMA table_info(client_certs)")}
    for col in ("fingerprint", "token_id"):
        if col not in have:
            c.execute(f"ALTER TABLE client_certs ADD COLUMN {col}")
    c.execute(
        "UPDATE keypairs SET key_status='OFFLINE', data=json_set(json_remove(data,"
        " '$.suspended'), '$.key_status', 'OFFLINE') WHERE json_extract(data, '$.suspended')=1"
    )
    c.execute("UPDATE keypairs SET data=json_remove(data, '$.suspended')")
    c.execute("UPDATE settings SET data=json_remove(data, '$.two_factor_required')")
    c.execute(
        "UPDATE users SET data=json_insert(data, '$.roles[#]', 'AM_ACCOUNT_ADMINISTRATOR')"
        " WHERE EXISTS (SELECT 1 FROM json_each(users.data, '$.roles') WHERE value='SSM_LEAD')"
    )


def _upgrade_to_3(c: sqlite3.Connection) -> None:
    """Signatures get their `sequence` in (created_on, id) order; the approval_requests
    table is created with the others."""
    have = {row[1] for row in c.execute("PRAGMA table_info(signatures)")}
    if "sequence" not in have:
        c.execute("ALTER TABLE signatures ADD COLUMN sequence INTEGER")
    rows = c.execute("SELECT id FROM signatures ORDER BY created_on, id").fetchall()
    for n, (sig_id,) in enumerate(rows, start=1):
        c.execute(
            "UPDATE signatures SET sequence=?, data=json_set(data, '$.sequence', ?) WHERE id=?",
            (n, n, sig_id),
        )


def next_sequence(c: sqlite3.Connection) -> int:
    """The next signature `sequence`: strictly increasing in commit order, because it is
    taken inside the writing transaction (a monitor polling `after_sequence` never skips a
    signature made in the same second as the last one it saw)."""
    row = c.execute("SELECT MAX(sequence) FROM signatures").fetchone()
    return int(row[0] or 0) + 1
