"""EmulatorServer: the emulator on a loopback port, in-process (uvicorn in a daemon thread).

with EmulatorServer(seed="demo") as emu:
    httpx.get(emu.url + "/account/api/v1/user/me",
              headers={"x-api-key": emu.credentials["users"]["lead"]["api_key"]})
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import sqlite3
import ssl
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from stm_tui.emulator.context import EmulatorState
from stm_tui.emulator.db import Database
from stm_tui.emulator.faults import FaultSpec
from stm_tui.emulator.rbac import CREDENTIAL_ROLES
from stm_tui.emulator.util import Clock, iso, make_private_dirs, utc_now

DB_NAME = "emulator.sqlite3"

# Seeding the same (seed, rng_seed, clock) twice in one process gives the same data except
# key material; tests start many fresh emulators, so later ones copy the first one's pages.
_TEMPLATES: dict[tuple[str, int, str], sqlite3.Connection] = {}
_TEMPLATES_LOCK = threading.Lock()


def _tracking_protocol(registry: dict[tuple[str, int], Any]) -> type:
    """uvicorn's h11 protocol, remembering each connection's transport so the fault
    injector can cut a connection for real."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TrackingH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                # Without this, a small body written after its headers waits for the
                # client's delayed ACK: ~40 ms on every small response.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)
            if self.client:
                registry[(self.client[0], self.client[1])] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                registry.pop((self.client[0], self.client[1]), None)
            super().connection_lost(exc)

    return TrackingH11Protocol


class EmulatorServer:
    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        seed: str = "demo",
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        faults: str | None = None,
        activity: bool = False,
        clock: Clock | None = None,
        rng_seed: int = 1,
        journal_mode: str | None = None,
        admin_token: str | None = None,
        activity_rate: float = 15.0,
        scan_delay: float = 1.0,
    ) -> None:
        if seed not in ("demo", "empty") and not _is_scale(seed):
            raise ValueError(f"seed: must be demo, empty or scale:N, not {seed!r}")
        self.fault_spec = FaultSpec.parse(faults)  # validate early: bad specs fail fast
        self._given_dir = data_dir
        self.data_dir: Path | None = data_dir
        self.seed = seed
        self.host = host
        self.port = port
        self.tls = tls
        self.activity = activity
        self.activity_rate = activity_rate  # signatures per minute of the simulator
        self.scan_delay = scan_delay  # seconds a submitted scan stays IN_PROGRESS
        self.clock: Clock = clock or utc_now
        self.rng_seed = rng_seed
        self.journal_mode = journal_mode
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.url = ""
        self.credentials: dict[str, Any] = {}
        self.ca_file: Path | None = None
        self.state: EmulatorState | None = None
        self._clients: dict[str, tuple[Path, str]] = {}
        self._db: Database | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._activity: Any = None

    def __repr__(self) -> str:  # never show credentials
        return f"EmulatorServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="stm-emulator-"))
        make_private_dirs(self.data_dir)
        self._db = db = Database(self.data_dir / DB_NAME, journal_mode=self.journal_mode)
        if db.meta_get("seed") is None:
            self._seed(db)
        state = EmulatorState(
            db, self.clock, self.admin_token, self.fault_spec, self.rng_seed, tls=self.tls
        )
        state.scan_delay = self.scan_delay
        self.state = state
        from stm_tui.emulator.activity import ActivitySimulator
        from stm_tui.emulator.routes_scans import finish_pending_scans

        finish_pending_scans(state)
        state.activity = ActivitySimulator(state, self.rng_seed, self.activity_rate)
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        scheme = "https" if self.tls else "http"
        shown_host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"{scheme}://{shown_host}:{self.port}"
        ssl_kwargs: dict[str, Any] = {}
        if self.tls:
            from stm_tui.emulator.tls import ensure_tls

            hosts = sorted({self.host, "127.0.0.1", "localhost"})
            files = ensure_tls(
                db, self.data_dir / "tls", self.clock(), hosts, list(CREDENTIAL_ROLES)
            )
            self.ca_file, self._clients = files.ca_file, files.clients
            users = json.loads(db.meta_get("credentials") or "{}")
            register_role_certificates(db, users, files.client_certs)
            # The listener asks for a client certificate and checks any it gets against the
            # local CA, but does not insist: the application answers a missing second factor
            # with 403 where it matters (C: N5, N8), and reads work with the API key alone.
            ssl_kwargs = {
                "ssl_certfile": str(files.cert_file),
                "ssl_keyfile": str(files.key_file),
                "ssl_ca_certs": str(files.ca_file),
                "ssl_cert_reqs": ssl.CERT_OPTIONAL,
            }
        users = json.loads(db.meta_get("credentials") or "{}")
        self.credentials = {"url": self.url, "users": users}
        self._serve(sock, state, ssl_kwargs)
        if self.activity:
            state.activity.start()
        self._activity = state.activity

    def _seed(self, db: Database) -> None:
        from stm_tui.emulator.seed import seed_database

        now = self.clock()
        key = (self.seed, self.rng_seed, iso(now))
        with _TEMPLATES_LOCK:
            template = _TEMPLATES.get(key)
            if template is not None:
                with db.read() as conn:
                    template.backup(conn)
                    conn.execute(f"PRAGMA journal_mode={db.journal_mode}")
                db.version += 1
                return
        seed_database(db, self.seed, now, self.rng_seed)
        if _is_scale(self.seed):
            return  # big; not worth keeping in memory
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        with db.read() as conn:
            conn.backup(copy)
        with _TEMPLATES_LOCK:
            _TEMPLATES.setdefault(key, copy)

    def _serve(self, sock: socket.socket, state: EmulatorState, ssl_kwargs: dict[str, Any]) -> None:
        import uvicorn

        from stm_tui.emulator.app import create_app

        config = uvicorn.Config(
            create_app(state),
            log_config=None,
            log_level="warning",
            access_log=False,
            http=_tracking_protocol(state.transports),
            # The Date header comes from the emulator's clock (EdgeMiddleware), so a client
            # comparing it with its own clock sees the skew a frozen or shifted clock makes.
            date_header=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            **ssl_kwargs,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="stm-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._activity is not None:
            self._activity.stop()
            self._activity = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._server = None
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._given_dir is None and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def client_p12(self, role: str) -> tuple[Path, str]:
        """(PKCS#12 path, password) of a role's client certificate; needs tls=True."""
        if not self.tls:
            raise RuntimeError("client certificates exist only with tls=True")
        return self._clients[role]

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def credentials_document(self) -> dict[str, Any]:
        """What `--credentials-file` holds: the URL, the admin token (faults, stats), and per
        role the user id and API key, plus under TLS the CA file and each role's `.p12` path
        and password (the second factor)."""
        users: dict[str, Any] = {}
        for role, entry in self.credentials.get("users", {}).items():
            users[role] = dict(entry)
            if self.tls and role in self._clients:
                p12, password = self._clients[role]
                users[role].update(p12=str(p12), p12_password=password)
        doc: dict[str, Any] = {"url": self.url, "admin_token": self.admin_token, "users": users}
        if self.ca_file is not None:
            doc["ca_file"] = str(self.ca_file)
        return doc

    def write_credentials(self, path: Path) -> None:
        """The credentials JSON, mode 0600 (created that way, never widened)."""
        from stm_tui.emulator.tls import write_private

        write_private(path, (json.dumps(self.credentials_document(), indent=2) + "\n").encode())


def register_role_certificates(
    db: Database, users: dict[str, Any], certs: dict[str, bytes]
) -> None:
    """Each role's TLS client certificate is a client authentication certificate of that
    role user's API token (so the application can tell whose second factor it is)."""
    import hashlib

    from cryptography import x509

    from stm_tui.emulator.records import client_cert_record

    with db.tx() as c:
        for role, der in certs.items():
            entry = users.get(role)
            fingerprint = hashlib.sha256(der).hexdigest()
            if (
                entry is None
                or c.execute(
                    "SELECT 1 FROM client_certs WHERE fingerprint=?", (fingerprint,)
                ).fetchone()
            ):
                continue
            digest = hashlib.sha256(entry["api_key"].encode()).hexdigest()
            token = c.execute("SELECT id FROM api_tokens WHERE key_hash=?", (digest,)).fetchone()
            user = db_row(c, "users", entry["id"])
            if token is None or user is None:
                continue
            cert = x509.load_der_x509_certificate(der)
            Database.insert(
                c,
                "client_certs",
                client_cert_record(
                    cert_id=str(uuid.uuid4()),
                    account_id=user["primary_account_id"],
                    name=f"emulator {role.replace('_', ' ')} certificate",
                    user_id=user["id"],
                    token_id=token[0],
                    cert_der=der,
                    serial=cert.serial_number,
                    subject=cert.subject.rfc4514_string(),
                    valid_from=iso(cert.not_valid_before_utc),
                    valid_to=iso(cert.not_valid_after_utc),
                ),
            )


def db_row(c: sqlite3.Connection, table: str, item_id: str) -> dict[str, Any] | None:
    row = c.execute(f"SELECT data FROM {table} WHERE id=?", (item_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def _is_scale(seed: str) -> bool:
    prefix, _, count = seed.partition(":")
    with contextlib.suppress(ValueError):
        return prefix == "scale" and int(count) > 0
    return False
