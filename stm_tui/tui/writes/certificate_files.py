"""A certificate as a file or as the identifiers CI pipelines paste: no request, no Textual.

Everything comes from the certificate the store holds (`cert` and `chain[].blob`, base64
DER as STM sends them). Formats: PEM (the leaf, or the leaf then its chain as the service
orders it) and DER (the leaf as `.cer`; with its chain a PKCS#7 bundle, `.p7b`, the one
binary form that holds several certificates). A file is public material: mode 0644, and an
existing file is replaced only when the caller says the user agreed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from stm_tui.api.models import Certificate

Format = Literal["PEM", "DER"]
FILE_MODE = 0o644
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CertificateUnusable(ValueError):
    """The certificate (or its chain) the service sent does not decode."""


def _der(b64: str | None, what: str) -> bytes:
    if not b64:
        raise CertificateUnusable(f"the service sent no {what}")
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateUnusable(f"the {what} is not valid base64") from exc


def leaf_der(cert: Certificate) -> bytes:
    return _der(cert.cert, "certificate body")


def chain_der(cert: Certificate) -> list[bytes]:
    return [_der(entry.blob, "chain certificate") for entry in cert.chain]


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def encode(cert: Certificate, fmt: Format, with_chain: bool) -> bytes:
    """The file's bytes. Raises `CertificateUnusable` for a body or chain that does not
    decode, or a chain asked for that the service did not send."""
    blobs = [leaf_der(cert)]
    if with_chain:
        chain = chain_der(cert)
        if not chain:
            raise CertificateUnusable("the service sent no chain for this certificate")
        blobs.extend(chain)
    if fmt == "PEM":
        return "".join(_pem(der) for der in blobs).encode("ascii")
    if not with_chain:
        return blobs[0]
    try:
        certs = [x509.load_der_x509_certificate(der) for der in blobs]
    except ValueError as exc:
        raise CertificateUnusable("a certificate of the chain does not decode") from exc
    return pkcs7.serialize_certificates(certs, Encoding.DER)


def suffix(fmt: Format, with_chain: bool) -> str:
    if fmt == "PEM":
        return "-chain.pem" if with_chain else ".pem"
    return ".p7b" if with_chain else ".cer"


def file_stem(cert: Certificate) -> str:
    """A file name from the alias: server text, so only safe characters are kept."""
    stem = _UNSAFE.sub("_", cert.alias or cert.id or "certificate").strip("._") or "certificate"
    return stem[:64]


def default_path(cert: Certificate, fmt: Format, with_chain: bool, folder: Path) -> Path:
    return folder / f"{file_stem(cert)}{suffix(fmt, with_chain)}"


def with_suffix(path: str, fmt: Format, with_chain: bool) -> str:
    """`path` with the suffix of the chosen format in place of a known one."""
    for known in ("-chain.pem", ".pem", ".p7b", ".cer", ".der", ".crt"):
        if path.endswith(known):
            return path[: -len(known)] + suffix(fmt, with_chain)
    return path


def save(path: Path, data: bytes, *, replace: bool) -> None:
    """Write `data` to `path`, mode 0644. Without `replace` an existing file is never
    touched (`FileExistsError`, also when one appears after the user was asked)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away; it is public
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class CopyChoice:
    label: str  # what the menu shows: "SHA-1 fingerprint (hex)"
    value: str  # what is copied


def fingerprints(cert: Certificate) -> tuple[str, str]:
    """(SHA-1, SHA-256) of the DER certificate, lower-case hex without separators: the
    thumbprint form signtool's /sha1 and smctl's environment variable take."""
    der = leaf_der(cert)
    return hashlib.sha1(der).hexdigest(), hashlib.sha256(der).hexdigest()  # noqa: S324


def copy_choices(cert: Certificate) -> list[CopyChoice]:
    out = []
    if cert.alias:
        out.append(CopyChoice("alias", cert.alias))
    out.append(CopyChoice("id", cert.id))
    try:
        sha1, sha256 = fingerprints(cert)
    except CertificateUnusable:
        return out  # no fingerprint from a body that does not decode
    out.append(CopyChoice("SHA-1 fingerprint (hex)", sha1))
    out.append(CopyChoice("SHA-256 fingerprint (hex)", sha256))
    keypair = cert.keypair.alias if cert.keypair is not None else None
    env = [f"SM_CODE_SIGNING_CERT_SHA1_HASH={sha1}"]
    if keypair:
        env.insert(0, f"SM_KEYPAIR_ALIAS={keypair}")
    out.append(CopyChoice("environment lines for CI", "\n".join(env)))
    return out
