"""Outcomes: success, failure and "outcome unknown" are said distinctly."""

from __future__ import annotations

import pytest
from textual.screen import Screen

from stm_tui.api.errors import OutcomeUnknown, PermissionDenied, RequestRejected
from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair, suspend_keypair
from stm_tui.tui.writes.outcome import Outcome, OutcomeKind, OutcomeScreen, show_outcome
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host, fully_visible

CALL = generate_keypair(GenerateKeypair(alias="build-key", key_alg="RSA", key_size=3072))


def test_the_three_outcomes_read_differently() -> None:
    done = Outcome.success(CALL)
    assert (done.kind, done.headline) == (OutcomeKind.SUCCESS, "keypair build-key generated")
    assert Outcome.success(suspend_keypair("k-1", "build-key")).headline == (
        "keypair build-key suspended (OFFLINE)"
    )

    refused = Outcome.from_error(
        CALL, RequestRejected("request rejected (409 duplicate_error): alias in use", status=409)
    )
    assert refused.kind is OutcomeKind.FAILURE
    assert refused.headline == f"failed: {CALL.summary}"
    assert refused.details == ("request rejected (409 duplicate_error): alias in use",)

    denied = Outcome.from_error(CALL, PermissionDenied("permission denied (403): no"))
    assert denied.details[-1] == "your role does not allow this; ask a Lead"

    lost = Outcome.from_error(
        CALL, OutcomeUnknown("timed out", call=CALL), reread="keypair build-key exists, OFFLINE"
    )
    assert lost.kind is OutcomeKind.UNKNOWN
    assert lost.headline == f"outcome unknown: {CALL.summary}"
    assert lost.details == (
        "the service did not answer: it may or may not have happened (not retried)",
        "re-read shows: keypair build-key exists, OFFLINE",
    )
    assert Outcome.unknown(CALL).details[-1] == (
        "the re-read failed too: check the resource before trying again"
    )


async def test_success_is_a_toast_and_the_others_wait_for_acknowledgement() -> None:
    app = Host(Screen)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        show_outcome(app, Outcome.success(CALL))
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["keypair build-key generated"]
        assert not isinstance(app.screen, OutcomeScreen)
        show_outcome(app, Outcome.unknown(CALL, "keypair build-key exists, OFFLINE"))
        await pilot.pause()
        assert isinstance(app.screen, OutcomeScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, OutcomeScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_a_hostile_server_message_is_shown_as_text(size: tuple[int, int]) -> None:
    error = RequestRejected("request rejected (422): \x1b[2J\x1b]0;pwned\x07 [bold]x[/bold]")
    app = Host(lambda: OutcomeScreen(Outcome.failure(CALL, error)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert fully_visible(app, "#ok")
    assert "Failed" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "␛[2J␛]0;pwned␇ [bold]x[/bold]" in text  # visible, not acted on, not markup
