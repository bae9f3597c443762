"""TOTP: RFC 6238 Appendix B, +-1 step only, no replay (full-width digits included), skew."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from stm_tui.totp import (
    TotpSigner,
    TotpVerifier,
    clock_skew,
    grouped,
    normalise_code,
    provisioning_uri,
)

# RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the digest's length.
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def _secret(algorithm: str) -> SecretStr:
    return SecretStr(base64.b32encode(SEEDS[algorithm]).decode())


@pytest.mark.parametrize(("t", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_appendix_b(t: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, code in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        signer = TotpSigner(
            _secret(algorithm), clock=lambda: float(t), digits=8, algorithm=algorithm
        )
        assert signer.next_code() == code
        assert TotpVerifier(_secret(algorithm), digits=8, algorithm=algorithm).verify(code, t)


def _code_at(secret: SecretStr, t: float) -> str:
    return TotpSigner(secret, clock=lambda: t).next_code()


def test_one_step_either_side_and_no_further() -> None:
    secret = _secret("SHA1")
    now = 1_700_000_015.0
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        assert TotpVerifier(secret).verify(_code_at(secret, now + offset), now) is accepted


def test_a_used_time_step_is_never_accepted_twice() -> None:
    secret = _secret("SHA1")
    now = 1_700_000_015.0
    verifier = TotpVerifier(secret)
    code = _code_at(secret, now)
    assert verifier.verify(code, now)
    assert not verifier.verify(code, now)
    full_width = code.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    assert normalise_code(full_width) == code
    assert not verifier.verify(full_width, now + 5)
    # and an older step's code is spent as well once a newer one was accepted
    assert not verifier.verify(_code_at(secret, now - 30), now)


def test_garbage_codes_are_refused() -> None:
    verifier = TotpVerifier(_secret("SHA1"))
    for code in ("", "12345", "1234567", "12a456", "\u0661\u0662\u0663\u0664\u0665\u0666x"):
        assert not verifier.verify(code, 1_700_000_015.0)


def test_the_signer_never_submits_the_same_step_twice() -> None:
    now = [1_700_000_020.0]  # 10 s into a step
    signer = TotpSigner(_secret("SHA1"), clock=lambda: now[0])
    signer.next_code()
    assert signer.wait_needed() == pytest.approx(20.0)
    with pytest.raises(RuntimeError, match="already used"):
        signer.next_code()
    now[0] += 20.0
    assert signer.wait_needed() == 0.0
    signer.next_code()


def test_clock_skew_from_the_date_header() -> None:
    local = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert clock_skew("Tue, 01 Dec 2026 12:00:14 GMT", local) == 14.0
    assert clock_skew("garbage", local) is None
    assert clock_skew(None, local) is None


def test_secret_presentation() -> None:
    secret = SecretStr("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert grouped(secret) == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    uri = provisioning_uri(secret, "lena@example.com")
    assert uri.startswith("otpauth://totp/DigiCert%20ONE:lena%40example.com?secret=JBSW")
