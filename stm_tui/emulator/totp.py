"""Authenticator codes (RFC 6238 TOTP, SHA-1, 6 digits, 30 s) for enrolment and step-up.

A code is accepted for the current time step and one on either side, and only for a step
later than the last one accepted for that user: a code (or another code of an earlier
step) is never accepted twice. Codes are compared after NFKC normalisation, so the
full-width digits of a used code are the same used code."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import pyotp

PERIOD = 30
DIGITS = 6
ISSUER = "DigiCert ONE (stm-tui emulator)"
# What the body may hold: ASCII or full-width digits (NFKC maps the latter to the former).
CODE_PATTERN = r"^[0-9\uff10-\uff19]{6}$"
_ASCII_CODE = re.compile(r"[0-9]{6}")

ACCEPTED = "accepted"
REPLAYED = "replayed"
WRONG = "wrong"


def new_secret() -> str:
    """A 160-bit base32 secret (RFC 4226's recommended length), unpadded."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def otpauth_uri(secret: str, account_name: str) -> str:
    label = quote(f"{ISSUER}:{account_name}", safe="")
    query = urlencode(
        {
            "secret": secret,
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def normalise(code: str) -> str | None:
    """The code as six ASCII digits, or None if it is not one."""
    text = unicodedata.normalize("NFKC", code).strip()
    return text if _ASCII_CODE.fullmatch(text) else None


def check(secret: str, code: str, now: datetime, last_step: int | None) -> tuple[str, int | None]:
    """(verdict, step): ACCEPTED with the matching step, REPLAYED, or WRONG."""
    plain = normalise(code)
    if plain is None:
        return WRONG, None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(now.timestamp()) // PERIOD
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), plain):
            if last_step is not None and step <= last_step:
                return REPLAYED, step
            return ACCEPTED, step
    return WRONG, None


def enrolled(user: dict[str, Any]) -> bool:
    auth = user.get("authenticator") or {}
    return auth.get("status") == "ENROLLED"
