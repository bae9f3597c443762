"""SVG snapshots of each write-side form and modal at 80x24 and 120x40 (and two themes).

Refresh on purpose with `--snapshot-update`. Deterministic: fixed data and clock, no cursor
blink (every Input of the kit turns it off), animations off (tests/tui/conftest.py). The
token in the shown-once snapshot is a made-up example, not a credential of any run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select

from stm_tui.api import models as m
from stm_tui.api.command_log import CommandLog
from stm_tui.api.errors import OutcomeUnknown
from stm_tui.api.writes.keypairs import GenerateKeypair, delete_keypair, generate_keypair
from stm_tui.tui.writes.command_log_screen import CommandLogScreen
from stm_tui.tui.writes.confirm import ApprovalScreen, ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.mode import WriteModeScreen
from stm_tui.tui.writes.outcome import Outcome, OutcomeScreen
from stm_tui.tui.writes.reason import REASONS, ReasonApprovalScreen
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from tests.tui.writes._host import SIZES, Host
from tests.tui.writes.test_confirm import APPROVAL, IMPACT, KP_ID, approval_call, generate_call
from tests.tui.writes.test_form import keypair_form
from tests.tui.writes.test_secret_input import certcentral_form

Before = Callable[[Pilot[Any]], Awaitable[None]]
IDS = [f"{w}x{h}" for w, h in SIZES]


def command_log() -> CommandLog:
    moment = datetime(2026, 11, 27, 11, 59, 40, tzinfo=UTC)

    def clock() -> datetime:
        nonlocal moment
        moment += timedelta(seconds=1)
        return moment

    log = CommandLog(clock=clock)
    stm = "/signingmanager/api/v1"
    for page in range(3):
        log.record(
            "GET",
            f"{stm}/certificates?limit=100&offset={page * 100}",
            status=200,
            latency_ms=80 + page * 7,
        )
    log.record("GET", f"{stm}/keypairs", status=200, latency_ms=42)
    log.record("GET", "/account/api/v1/user/me", status=200, latency_ms=18)
    log.record("POST", f"{stm}/keypairs", status=409, latency_ms=35)
    for _ in range(4):
        log.record("GET", f"{stm}/release-windows", status=503, latency_ms=9, retries=2)
    log.record("GET", f"{stm}/release-windows", error="transient", latency_ms=30000)
    return log


def rejection() -> ReasonApprovalScreen:
    window = m.ReleaseWindow.model_validate(
        {"id": "3f2a", "name": "desktop-4.3.0", "status": "PENDING_APPROVAL"}
    )
    plan = REASONS["release.reject"]
    call, _ = plan.call(window, "")
    assert call is not None
    return ReasonApprovalScreen(call, APPROVAL, plan, window, confirm_label="Reject")


SCREENS: dict[str, Callable[[], Screen[Any]]] = {
    "keypair_form": keypair_form,
    "confirm": lambda: ConfirmScreen(generate_call(), where="https://stm.demo.test · Acme"),
    "approval": lambda: ApprovalScreen(approval_call(), APPROVAL),
    "rejection": rejection,
    "irreversible": lambda: IrreversibleScreen(delete_keypair(KP_ID, "build-key"), IMPACT),
    "outcome_unknown": lambda: OutcomeScreen(
        Outcome.from_error(
            lost := generate_keypair(
                GenerateKeypair(alias="build-key", key_alg="RSA", key_size=3072)
            ),
            OutcomeUnknown("timed out", call=lost),
            reread="keypair build-key exists, OFFLINE",
        )
    ),
    "shown_once": lambda: ShownOnceScreen(
        SecretStr("EXAMPLE-tok-0000-1111-2222-3333"),
        title="API token for ci-bot",
        what="Service user ci-bot: its API token (valid until 2027-06-30)",
        hint="Put it in your CI secret store as SM_API_KEY.",
    ),
    "write_mode": lambda: WriteModeScreen(
        host="https://stm.demo.test", account="Acme Corp", user="Lee Lead"
    ),
    "command_log": lambda: CommandLogScreen(command_log()),
    "secret_form": certcentral_form,
}


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()


async def typed_partly(pilot: Pilot[Any]) -> None:
    await pilot.press(*"build")
    await pilot.pause()


async def form_with_problems(pilot: Pilot[Any]) -> None:
    """ECDSA picked, a duplicate alias, a certificate asked for but not yet described."""
    screen = pilot.app.screen
    screen.query_one("#field-alias", Input).value = "build-key"
    await pilot.pause()
    screen.query_one("#field-key_alg", Select).value = "ECDSA"
    await pilot.pause()
    screen.query_one("#field-generate_cert").focus()
    await pilot.press("space", "tab")
    await pilot.pause()


async def secret_typed(pilot: Pilot[Any]) -> None:
    await pilot.press("tab", *"0123456789abc")
    await pilot.pause()


async def reason_typed(pilot: Pilot[Any]) -> None:
    await pilot.press(*"wrong", "space", *"keypair")
    await pilot.pause()


async def reason_too_long(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one("#reason", Input).value = "x" * 501
    await pilot.pause()


BEFORE: dict[str, Before] = {
    "irreversible": typed_partly,
    "rejection": reason_typed,
    "secret_form": secret_typed,
}


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare: Any, name: str, size: tuple[int, int]) -> None:
    app = Host(SCREENS[name])
    assert snap_compare(app, terminal_size=size, run_before=BEFORE.get(name, settle))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_keypair_form_with_problems(snap_compare: Any, size: tuple[int, int]) -> None:
    app = Host(keypair_form)
    assert snap_compare(app, terminal_size=size, run_before=form_with_problems)


@pytest.mark.parametrize("theme", ["light", "ansi"])
def test_irreversible_in_theme(snap_compare: Any, theme: str) -> None:
    app = Host(SCREENS["irreversible"], theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=typed_partly)


def test_rejection_with_a_reason_too_long(snap_compare: Any) -> None:
    app = Host(rejection)
    assert snap_compare(app, terminal_size=(80, 24), run_before=reason_too_long)
