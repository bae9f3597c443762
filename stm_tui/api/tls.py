"""TLS for the client: verification always on, optional CA file, optional PKCS#12 client cert.

The client's private key is never written to disk unencrypted. The standard library can load
a key only from a path, so on Linux the PEM goes into an anonymous memory file (memfd) read via
/proc/self/fd; elsewhere it goes into a temp file encrypted under a random one-time passphrase
that is never stored, so a leftover file is useless.
"""

from __future__ import annotations

import os
import secrets
import ssl
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr

from stm_tui.api.errors import ClientCertPasswordError, ConfigError

_PEM = serialization.Encoding.PEM


def read_private_file(path: Path, what: str) -> bytes:
    """Read a secret-bearing file, refusing one others can read or that is not ours.

    OpenSSH applies the same rule to private keys; a world-readable key file is a leak that
    already happened, and the user should hear about it rather than have it silently used.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"{what} cannot be read: {path} ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} is not a regular file: {path}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError(f"{what} is not owned by the current user: {path}")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{what} is readable by other users (mode {stat.S_IMODE(info.st_mode):o}): {path}; "
            f"run: chmod 600 {path}"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} cannot be read: {path} ({exc.strerror})") from None


def build_ssl_context(
    *,
    ca_file: Path | None = None,
    client_cert_file: Path | None = None,
    client_cert_password: SecretStr | None = None,
) -> ssl.SSLContext:
    """A verifying client context; raises ConfigError / ClientCertPasswordError."""
    try:
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"CA file could not be loaded: {ca_file} ({type(exc).__name__})"
        ) from None
    if client_cert_file is not None:
        load_client_certificate(ctx, client_cert_file, client_cert_password)
    return ctx


def load_client_certificate(
    ctx: ssl.SSLContext, p12_path: Path, password: SecretStr | None
) -> None:
    data = read_private_file(p12_path, "client certificate")
    secret = password.get_secret_value().encode() if password is not None else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        # cryptography says "Invalid password or PKCS12 data" for both cases.
        raise ClientCertPasswordError(
            f"client certificate {p12_path.name}: wrong password or not a PKCS#12 file"
        ) from None
    if key is None or cert is None:
        raise ConfigError(f"client certificate {p12_path.name} holds no private key or certificate")
    chain_pem = cert.public_bytes(_PEM) + b"".join(c.public_bytes(_PEM) for c in extra or [])
    if hasattr(os, "memfd_create"):
        _load_via_memfd(ctx, key, chain_pem)
    else:  # pragma: no cover - non-Linux path
        _load_via_encrypted_tempfile(ctx, key, chain_pem)


def _load_via_memfd(ctx: ssl.SSLContext, key: PrivateKeyTypes, chain: bytes) -> None:
    fd = os.memfd_create("stm-client-cert", os.MFD_CLOEXEC)
    try:
        pem = key.private_bytes(
            _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        os.write(fd, pem + chain)
        ctx.load_cert_chain(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


def _load_via_encrypted_tempfile(
    ctx: ssl.SSLContext, key: PrivateKeyTypes, chain: bytes
) -> None:  # pragma: no cover - exercised on non-Linux platforms
    one_time = secrets.token_bytes(32)
    pem = key.private_bytes(
        _PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(one_time)
    )
    fd, name = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem + chain)
        ctx.load_cert_chain(name, password=one_time)
    finally:
        os.unlink(name)
