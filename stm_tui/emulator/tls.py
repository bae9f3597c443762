"""The optional TLS listener's material: a local CA, a server certificate and one
password-protected PKCS#12 client certificate per credential role, kept in the data dir."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from stm_tui.emulator import crypto
from stm_tui.emulator.db import Database
from stm_tui.emulator.util import make_private_dirs


@dataclass
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path
    clients: dict[str, tuple[Path, str]]
    client_certs: dict[str, bytes]  # role -> DER of its client certificate


def write_private(path: Path, data: bytes) -> None:
    """Create (or replace) a file readable by its owner only, whole at once: it is written
    beside its name and then renamed, so whoever waits for it (a script polling for the
    credentials file) never reads it empty or half written."""
    make_private_dirs(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def tls_authority(db: Database, now: datetime) -> crypto.Authority:
    """The local CA for the listener and client certificates (created on first use)."""
    raw = db.meta_get("tls_ca")
    if raw is not None:
        data = json.loads(raw)
        return crypto.Authority(bytes.fromhex(data["cert"]), bytes.fromhex(data["key"]))
    ca = crypto.make_ca(
        "stm-tui emulator local CA", "stm-tui emulator", now - timedelta(days=1), 10
    )
    with db.tx() as c:
        if db.meta_get("tls_ca") is None:
            Database.meta_set(
                c, "tls_ca", json.dumps({"cert": ca.cert_der.hex(), "key": ca.key_der.hex()})
            )
    return tls_authority(db, now)


def ensure_tls(
    db: Database, directory: Path, now: datetime, hosts: list[str], roles: list[str]
) -> TlsFiles:
    make_private_dirs(directory)
    ca = tls_authority(db, now)
    ca_file = directory / "ca.pem"
    if not ca_file.exists():
        write_private(ca_file, crypto.der_to_pem(ca.cert_der).encode())
    cert_file, key_file = directory / "server.pem", directory / "server-key.pem"
    hosts_file = directory / "server-hosts.json"
    if not (
        cert_file.exists()
        and key_file.exists()
        and hosts_file.exists()
        and json.loads(hosts_file.read_text()) == hosts
    ):
        cert_pem, key_pem = crypto.issue_tls_server(ca, now, hosts)
        write_private(key_file, key_pem)
        write_private(cert_file, cert_pem)
        write_private(hosts_file, json.dumps(hosts).encode())
    passwords = json.loads(db.meta_get("tls_client_passwords") or "{}")
    clients: dict[str, tuple[Path, str]] = {}
    client_certs: dict[str, bytes] = {}
    for role in roles:
        path = directory / "clients" / f"{role}.p12"
        if role not in passwords or not path.exists():
            passwords[role] = secrets.token_urlsafe(18)
            p12, _ = crypto.issue_client_p12(
                ca,
                f"stm-tui {role}",
                passwords[role],
                now - timedelta(days=1),
                now + timedelta(days=365),
            )
            write_private(path, p12)
        clients[role] = (path, passwords[role])
        _key, cert, _chain = pkcs12.load_key_and_certificates(
            path.read_bytes(), passwords[role].encode()
        )
        assert cert is not None
        client_certs[role] = cert.public_bytes(serialization.Encoding.DER)
    with db.tx() as c:
        Database.meta_set(c, "tls_client_passwords", json.dumps(passwords))
    return TlsFiles(ca_file, cert_file, key_file, clients, client_certs)
