"""TOTP, as properties over random secrets and clocks (issue 16 item 10).

tests/unit/test_totp.py and test_emulator_totp.py hold the RFC 6238 vectors and one example
of each rule; here hypothesis looks for the counterexample: a code more than one step away
that is accepted, a time step accepted twice (in any digit form), a signer that submits two
codes of one step, for the client's verifier and signer and the emulator's check alike.
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from stm_tui.emulator import totp as emulator_totp
from stm_tui.totp import STEP, TotpSigner, TotpVerifier

# pyotp refuses secrets under 112 bits (NIST SP 800-63B); STM issues 160-bit ones.
secrets_ = st.binary(min_size=16, max_size=64).map(lambda b: base64.b32encode(b).decode())
times = st.integers(min_value=STEP * 10, max_value=4_000_000_000)
offsets = st.integers(min_value=-4, max_value=4)

FULL_WIDTH = {ord(d): chr(0xFF10 + int(d)) for d in "0123456789"}
ARABIC_INDIC = {ord(d): chr(0x0660 + int(d)) for d in "0123456789"}


def code_at(secret: str, t: float) -> str:
    return TotpSigner(SecretStr(secret), clock=lambda: float(t)).next_code()


def step_of(t: float) -> int:
    return int(t // STEP)


@settings(max_examples=150, deadline=None)
@given(secret=secrets_, now=times, offset=offsets)
def test_a_code_is_accepted_only_within_one_step_either_side(
    secret: str, now: int, offset: int
) -> None:
    code = code_at(secret, now + offset * STEP)
    window = {code_at(secret, now + k * STEP) for k in (-1, 0, 1)}
    client = TotpVerifier(SecretStr(secret)).verify(code, now)
    verdict, _ = emulator_totp.check(secret, code, datetime.fromtimestamp(now, UTC), None)
    # A code from further away is accepted only if it happens to equal one in the window
    # (six digits collide about once in a million).
    assert client is (code in window)
    assert (verdict == emulator_totp.ACCEPTED) is (code in window)
    if abs(offset) <= 1:
        assert client


@settings(max_examples=100, deadline=None)
@given(
    secret=secrets_,
    start=times,
    attempts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=45),  # seconds later than the previous try
            offsets,  # which step's code is typed, relative to now
            st.sampled_from(["ascii", "full-width", "arabic-indic", "spaced"]),
        ),
        min_size=2,
        max_size=12,
    ),
)
def test_no_time_step_is_ever_accepted_twice_in_any_digit_form(
    secret: str, start: int, attempts: list[tuple[int, int, str]]
) -> None:
    verifier = TotpVerifier(SecretStr(secret))
    last_step: int | None = None  # the emulator's record, as it keeps it per user
    accepted_client: list[int] = []
    accepted_emulator: list[int] = []
    now = start
    for later, offset, form in attempts:
        now += later
        plain = code_at(secret, now + offset * STEP)
        typed = {
            "ascii": plain,
            "full-width": plain.translate(FULL_WIDTH),
            "arabic-indic": plain.translate(ARABIC_INDIC),
            "spaced": f"{plain[:3]} {plain[3:]}",
        }[form]
        if verifier.verify(typed, now):
            accepted_client.append(step_of(now + offset * STEP))
        if form in ("ascii", "full-width"):  # what the emulator's body pattern admits
            verdict, step = emulator_totp.check(
                secret, typed, datetime.fromtimestamp(now, UTC), last_step
            )
            if verdict == emulator_totp.ACCEPTED:
                assert step is not None
                accepted_emulator.append(step)
                last_step = step
    for accepted in (accepted_client, accepted_emulator):
        # Strictly increasing: a step (or any earlier one) never works again.
        assert all(a < b for a, b in itertools.pairwise(accepted)), accepted


@settings(max_examples=100, deadline=None)
@given(
    secret=secrets_,
    start=times,
    gaps=st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), min_size=1, max_size=15),
)
def test_the_signer_never_submits_two_codes_of_one_step(
    secret: str, start: int, gaps: list[float]
) -> None:
    clock = [float(start)]
    signer = TotpSigner(SecretStr(secret), clock=lambda: clock[0])
    submitted: list[int] = []
    for gap in gaps:
        clock[0] += gap
        wait = signer.wait_needed()
        if wait > 0:
            # Waiting what it asks for is enough, and it asks for no more than the rest of
            # the step it already used.
            assert wait <= STEP
            assert step_of(clock[0] + wait) > step_of(clock[0])
            try:
                signer.next_code()
            except RuntimeError:
                pass
            else:
                raise AssertionError("a second code of a used step was made")
            continue
        signer.next_code()
        submitted.append(step_of(clock[0]))
    assert submitted and all(a < b for a, b in itertools.pairwise(submitted))
