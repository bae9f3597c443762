"""What the PKCS#12 file itself says: whether the password opens it, whose certificate it
holds, and when that certificate ends. Read with the same permission checks as the client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr

from stm_tui.api.errors import ClientCertPasswordError, ConfigError
from stm_tui.api.tls import read_private_file
from stm_tui.sanitize import clean_message


@dataclass(frozen=True, slots=True)
class P12Facts:
    subject: str
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime


def read_p12(path: Path, password: SecretStr | None) -> P12Facts:
    """Raises ConfigError (missing, unreadable, readable by others, empty) or
    ClientCertPasswordError (the password does not open it)."""
    data = read_private_file(path, "client certificate")
    secret = password.get_secret_value().encode() if password is not None else None
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        raise ClientCertPasswordError(
            f"client certificate {path.name}: wrong password or not a PKCS#12 file"
        ) from None
    if key is None or cert is None:
        raise ConfigError(f"client certificate {path.name} holds no private key or certificate")
    return P12Facts(
        subject=clean_message(cert.subject.rfc4514_string(), limit=200),
        issuer=clean_message(cert.issuer.rfc4514_string(), limit=200),
        serial_number=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )
