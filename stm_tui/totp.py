"""Time-based one-time passwords (RFC 6238) as this tool needs them.

- `TotpVerifier` checks a code typed during enrolment: within one step either side, and never
  the same time step twice (a code seen on a shoulder-surfed screen or a recording cannot be
  replayed). Digits are normalised first, so the full-width variant of a used code
  (U+FF11 U+FF12 ...) is the same code and is refused too.
- `TotpSigner` produces codes for step-up (`SM_TOTP_SECRET`) and never submits two codes of
  the same step: when the current step was used, it says how long to wait for the next one.
- `clock_skew` compares the server's `Date` header with the local clock: TOTP fails silently
  when they differ, so the UI warns past `SKEW_WARNING`.

The secret is held as `SecretStr` and never logged or shown after enrolment.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pyotp
from pydantic import SecretStr

STEP = 30
DIGITS = 6
SKEW_WARNING = 10.0  # seconds
_DIGESTS: dict[str, Any] = {
    "SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512
}


def normalise_code(code: str) -> str | None:
    """The ASCII digits of a typed code (NFKC folds full-width and other digit forms), or
    None when it is not all digits once spaces are removed."""
    folded = unicodedata.normalize("NFKC", code).replace(" ", "")
    digits = "".join(str(unicodedata.digit(ch, -1)) if not ch.isascii() else ch for ch in folded)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def _totp(secret: SecretStr, digits: int, algorithm: str) -> pyotp.TOTP:
    return pyotp.TOTP(
        secret.get_secret_value(), digits=digits, digest=_DIGESTS[algorithm], interval=STEP
    )


@dataclass
class TotpVerifier:
    secret: SecretStr
    digits: int = DIGITS
    algorithm: str = "SHA1"
    window: int = 1
    used_steps: set[int] = field(default_factory=set)

    def verify(self, code: str, now: float) -> bool:
        """True once for a code valid at `now` (unix time) within +-`window` steps."""
        digits = normalise_code(code)
        if digits is None or len(digits) != self.digits:
            return False
        totp = _totp(self.secret, self.digits, self.algorithm)
        current = int(now // STEP)
        for step in range(current - self.window, current + self.window + 1):
            if step in self.used_steps:
                continue
            if pyotp.utils.strings_equal(totp.at(step * STEP), digits):
                # Every step up to this one is spent: an older code must not work afterwards.
                self.used_steps.update(range(current - self.window, step + 1))
                return True
        return False


@dataclass
class TotpSigner:
    secret: SecretStr
    clock: Callable[[], float] = time.time
    digits: int = DIGITS
    algorithm: str = "SHA1"
    last_step: int | None = None

    def wait_needed(self) -> float:
        """Seconds until a code of an unused step can be made (0 when one can be now)."""
        now = self.clock()
        step = int(now // STEP)
        if self.last_step is None or step > self.last_step:
            return 0.0
        return (self.last_step + 1) * STEP - now

    def next_code(self) -> str:
        """A code for the current step; raises if that step was already submitted."""
        now = self.clock()
        step = int(now // STEP)
        if self.last_step is not None and step <= self.last_step:
            raise RuntimeError("this time step was already used; wait for the next one")
        self.last_step = step
        return str(_totp(self.secret, self.digits, self.algorithm).at(step * STEP))


def provisioning_uri(secret: SecretStr, account: str, issuer: str = "DigiCert ONE") -> str:
    return pyotp.TOTP(secret.get_secret_value(), interval=STEP).provisioning_uri(
        name=account, issuer_name=issuer
    )


def grouped(secret: SecretStr) -> str:
    """The base32 secret in groups of four, as it is typed into an authenticator by hand."""
    raw = secret.get_secret_value().replace(" ", "").upper()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def clock_skew(date_header: str | None, local: datetime) -> float | None:
    """Server time minus local time, in seconds, from an HTTP `Date` header."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    return (server - local).total_seconds()
