"""The emulator's TOTP check against RFC 6238 Appendix B (SHA-1): a 6-digit code is the
last six digits of the RFC's 8-digit value."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from stm_tui.emulator import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
VECTORS = [  # (Unix time, 8-digit TOTP from RFC 6238 Appendix B, SHA-1)
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("when", "code"), VECTORS)
def test_rfc_6238_vectors_are_accepted_at_their_time(when: int, code: str) -> None:
    now = datetime.fromtimestamp(when, UTC)
    verdict, step = totp.check(RFC_SECRET, code[-6:], now, None)
    assert (verdict, step) == (totp.ACCEPTED, when // 30)


def test_the_step_either_side_counts_and_a_used_step_never_again() -> None:
    at = datetime.fromtimestamp(1111111111, UTC)  # step 37037037
    earlier = datetime.fromtimestamp(1111111111 - 30, UTC)
    assert totp.check(RFC_SECRET, "050471", earlier, None)[0] == totp.ACCEPTED  # one step late
    assert totp.check(RFC_SECRET, "050471", at, 37037037) == (totp.REPLAYED, 37037037)
    wide = "".join(chr(0xFF10 + int(d)) for d in "050471")  # full-width digits
    assert totp.check(RFC_SECRET, wide, at, 37037037)[0] == totp.REPLAYED
    assert totp.check(RFC_SECRET, "050472", at, None) == (totp.WRONG, None)
    assert totp.check(RFC_SECRET, "05047", at, None) == (totp.WRONG, None)


def test_secrets_and_uris_have_the_documented_shape() -> None:
    secret = totp.new_secret()
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    uri = totp.otpauth_uri(secret, "dana@acme.example")
    assert uri.startswith("otpauth://totp/") and "period=30" in uri and "digits=6" in uri
