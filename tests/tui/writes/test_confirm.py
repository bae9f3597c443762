"""Preview and confirmation tiers, built from the real `WriteCall` builders."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from textual.widgets import Button, Input

from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
from stm_tui.api.writes.keypairs import (
    GenerateKeypair,
    delete_keypair,
    generate_keypair,
    suspend_keypair,
)
from stm_tui.sanitize import clean_block
from stm_tui.tui.writes.confirm import (
    ApprovalInfo,
    ApprovalScreen,
    ConfirmScreen,
    IrreversibleScreen,
    confirmation_for,
)
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host, fully_visible

KP_ID = "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a01"
IMPACT = [
    "3 active certificates will be revoked: build-cert, build-cert-2, build-cert-3",
    "listed by open release desktop-4.3.0",
    "last signature 2026-11-27 11:58 UTC; 1,204 signatures this month",
]


def generate_call() -> WriteCall:
    return generate_keypair(
        GenerateKeypair(
            alias="build-key",
            key_alg="RSA",
            key_size=3072,
            users=("u1", "u2"),
            generate_cert=True,
            cert_alias="build-cert",
            cert_profile_id="cp-1",
        )
    )


def approval_call() -> WriteCall:
    return WriteCall(
        action="release.approve",
        summary="Approve offline release desktop-4.3.0",
        method="POST",
        path="/signingmanager/api/v1/release-windows/3f2a/approve",
        tier=Tier.APPROVAL,
    )


APPROVAL = ApprovalInfo(
    what="offline release desktop-4.3.0: keypair release-key, max 500 signatures",
    requested_by="Dana Developer",
    requested_at="2026-11-27 09:12 UTC",
    window="2026-11-28 08:00 UTC to 2026-11-28 20:00 UTC (12 h)",
)


def enabled(app: Any) -> bool:
    return not app.screen.query_one("#confirm", Button).disabled


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("make", "key", "result"),
    [
        (lambda: ConfirmScreen(suspend_keypair(KP_ID, "build-key")), "y", True),
        (lambda: ConfirmScreen(suspend_keypair(KP_ID, "build-key")), "n", False),
        (lambda: ConfirmScreen(suspend_keypair(KP_ID, "build-key")), "escape", False),
        # Enter acts on the focused button, which is Cancel.
        (lambda: ConfirmScreen(suspend_keypair(KP_ID, "build-key")), "enter", False),
        (lambda: ApprovalScreen(approval_call(), APPROVAL), "y", True),
        (lambda: ApprovalScreen(approval_call(), APPROVAL), "enter", False),
        (lambda: ApprovalScreen(approval_call(), APPROVAL), "escape", False),
    ],
    ids=["y", "n", "esc", "enter-on-cancel", "approve-y", "approve-enter", "approve-esc"],
)
async def test_focus_starts_on_cancel_and_the_keys_answer(
    size: tuple[int, int], make: Any, key: str, result: bool
) -> None:
    app = Host(make)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#cancel", Button)
        assert fully_visible(app, "#confirm") and fully_visible(app, "#cancel")
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [result]


@pytest.mark.parametrize("size", SIZES)
async def test_the_preview_is_the_exact_request_and_what_it_affects(
    size: tuple[int, int],
) -> None:
    call = generate_call()
    app = Host(lambda: ConfirmScreen(call, where="https://stm.demo.test · account Acme"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        request = app.screen.query_one("#request")
        assert str(request.render()) == clean_block(call.preview())
        text = screen_text(app)
        assert "Generate keypair build-key (RSA 3072 HSM ONLINE TEST)" in text
        assert "• keypair build-key (new)" in text
        assert "• then refreshes: keypairs, certificates" in text
        assert "POST /signingmanager/api/v1/keypairs" in text
        # A long body scrolls inside the box; the buttons stay on the screen.
        assert fully_visible(app, "#confirm")


async def test_an_approval_says_what_who_when_and_the_window() -> None:
    app = Host(lambda: ApprovalScreen(approval_call(), APPROVAL))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        label = str(app.screen.query_one("#confirm", Button).label)
    assert "what: offline release desktop-4.3.0: keypair release-key, max 500" in text
    assert "asked by Dana Developer at 2026-11-27 09:12 UTC" in text
    assert "window: 2026-11-28 08:00 UTC to 2026-11-28 20:00 UTC (12 h)" in text
    assert "POST /signingmanager/api/v1/release-windows/3f2a/approve" in text
    assert label == "Approve"


async def test_secrets_in_the_body_are_never_previewed_and_server_text_is_sanitised() -> None:
    call = WriteCall(
        action="certcentral.setup",
        summary="Set up CertCentral for \x1b]52;c;ZXZpbA==\x07 acme",
        method="PUT",
        path="/signingmanager/api/v1/account-settings/certcentral",
        body={"region": "GLOBAL", "api_key": SecretStr("canary-cc-key-4417")},
    )
    app = Host(lambda: confirmation_for(call))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
    assert "canary" not in text
    assert '"api_key": "***"' in text
    assert "\x1b" not in text and "\x07" not in text
    assert "␛]52;c;ZXZpbA==␇ acme" in text


@pytest.mark.parametrize("size", SIZES)
async def test_the_typed_name_modal_ignores_enter_until_the_name_matches_exactly(
    size: tuple[int, int],
) -> None:
    app = Host(lambda: IrreversibleScreen(delete_keypair(KP_ID, "build-key"), IMPACT))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        typed = app.screen.query_one("#typed", Input)
        assert app.focused is typed
        assert not enabled(app)
        assert fully_visible(app, "#typed") and fully_visible(app, "#confirm")
        # `y` is just a letter here; no single key confirms.
        await pilot.press("y", "enter")
        await pilot.pause()
        assert app.results == [] and not enabled(app)
        for wrong in ("build", "Build-key", "build-key "):
            typed.value = wrong
            await pilot.press("enter")
            await pilot.pause()
            assert app.results == [], wrong
            assert not enabled(app), wrong
        typed.value = ""
        await pilot.press(*"build-key")
        await pilot.pause()
        assert enabled(app)
        assert "matches: Enter or the button confirms" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [True]


@pytest.mark.parametrize("size", SIZES)
async def test_esc_cancels_the_irreversible_modal_even_with_the_name_typed(
    size: tuple[int, int],
) -> None:
    app = Host(lambda: IrreversibleScreen(delete_keypair(KP_ID, "build-key"), IMPACT))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.query_one("#typed", Input).value = "build-key"
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]


async def test_the_impact_list_comes_first_then_the_request_then_the_typed_line() -> None:
    call = revoke_certificate("c-1", "build-cert", RevokeCertificate(reason="key_compromise"))
    impact = [
        "keypair build-key is left without an active certificate",
        "open release desktop-4.3.0 uses it",
    ]
    app = Host(lambda: confirmation_for(call, impact=impact))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, IrreversibleScreen)
        text = screen_text(app)
        label = str(app.screen.query_one("#confirm", Button).label)
    positions = [
        text.index("Impact"),
        text.index("• keypair build-key is left without an active certificate"),
        text.index("• open release desktop-4.3.0 uses it"),
        text.index("POST /signingmanager/api/v1/certificates/c-1/revoke"),
        text.index("Type build-cert to confirm"),
    ]
    assert positions == sorted(positions)
    assert label == "Revoke"


def test_each_tier_gets_its_own_modal() -> None:
    assert type(confirmation_for(suspend_keypair(KP_ID, "k"))) is ConfirmScreen
    assert type(confirmation_for(approval_call(), approval=APPROVAL)) is ApprovalScreen
    assert type(confirmation_for(delete_keypair(KP_ID, "k"))) is IrreversibleScreen
    with pytest.raises(ValueError, match="who asked"):
        confirmation_for(approval_call())
    with pytest.raises(ValueError, match="not an irreversible write"):
        IrreversibleScreen(suspend_keypair(KP_ID, "k"))


@pytest.mark.parametrize("theme", ["dark", "light", "ansi"])
async def test_the_irreversible_modal_fits_80x24_in_every_theme(theme: str) -> None:
    app = Host(
        lambda: IrreversibleScreen(delete_keypair(KP_ID, "build-key"), IMPACT * 3), theme=theme
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for selector in ("#typed", "#confirm", "#cancel", "#typed-state"):
            assert fully_visible(app, selector), (theme, selector)
        assert "3 active certificates will be revoked" in screen_text(app)
