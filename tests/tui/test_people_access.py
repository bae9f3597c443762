"""People and access in the dashboard, end to end against the emulator: the account's 2FA
requirement, authenticator enrolment, users and service users, teams; each result read back
through the API. RBAC: what a Developer, a Signer and a Team Lead outside its team are told."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from stm_tui.api.models import Account
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.people.code_prompt import CodePrompt
from stm_tui.tui.people.enrol import EnrolScreen
from stm_tui.tui.writes.confirm import ApprovalScreen, ConfirmScreen
from stm_tui.tui.writes.mode import WriteModeScreen
from stm_tui.tui.writes.outcome import OutcomeScreen
from tests.conftest import AM
from tests.tui._people import (
    code_at,
    full_width,
    http,
    main_account,
    open_on,
    recording,
    screen_text,
    set_mfa,
    type_text,
)
from tests.tui.conftest import loaded, make_app, wait_until


async def enter_write_mode(pilot: Any) -> None:
    await pilot.press("W")
    assert isinstance(pilot.app.screen, WriteModeScreen)
    await pilot.press("y")
    await pilot.pause()


def audit_text(app: Any) -> str:
    path = app.session.audit_path
    return path.read_text() if path.exists() else ""


def command_log_text(app: Any) -> str:
    return json.dumps([r.as_dict() for r in app.session.command_log.snapshot()], default=str)


def store_text(app: Any) -> str:
    store = app.session.store
    return json.dumps(
        {n: [i.model_dump(mode="json") for i in store.collection(n).items.values()]
         for n in store.names},
        default=str,
    )


def _is_main(server: EmulatorServer) -> Any:
    main_id = main_account(server)["id"]
    return lambda a: isinstance(a, Account) and a.id == main_id


# ---- 1. the account's two-factor requirement ---------------------------------------------


async def test_the_accounts_list_reads_2fa_from_the_sign_in_methods(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        accounts = app.session.store.collection("accounts").items.values()
        required = {a.name: a.mfa_required for a in accounts if isinstance(a, Account)}
        # The demo's main account has not turned it on yet; the other one has.
        assert required == {"Acme Software": False, "Acme Labs": True}
        screen = await open_on(pilot, "9", _is_main(emulator))
        row = screen.table_row(screen.selected_item().id)
        assert row[2] == "no"


async def test_requiring_2fa_lists_who_is_not_ready_then_sets_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_on(pilot, "9", _is_main(fresh_emulator))
        await pilot.press("M")
        modal = app.screen
        assert isinstance(modal, ApprovalScreen)
        assert modal.call.action == "account.mfa_require"
        shown = screen_text(app)
        assert "4 user(s) not ready will be stopped at sign-in" in shown
        assert "Omar Haddad: no authenticator and no client certificate" in shown
        assert not any("Dana Whitfield" in line for line in modal.affects)  # enrolled
        await pilot.press("y")
        accounts = app.session.store.collection("accounts")
        main_id = main_account(fresh_emulator)["id"]
        await wait_until(pilot, lambda: accounts.items[main_id].mfa_required is True)
    assert main_account(fresh_emulator)["sign_in_methods"][0]["mfaStatus"] == "enabled"


async def test_relaxing_2fa_asks_for_a_code_and_refuses_a_replay_plain_or_full_width(
    fresh_emulator: EmulatorServer,
) -> None:
    set_mfa(fresh_emulator, "enabled")
    secret = fresh_emulator.credentials["users"]["lead"]["totp_secret"]
    code = code_at(secret)
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_on(pilot, "9", _is_main(fresh_emulator))
        await pilot.press("O")
        assert isinstance(app.screen, ApprovalScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CodePrompt))
        await type_text(pilot, code)
        await pilot.press("enter")
        accounts = app.session.store.collection("accounts")
        main_id = main_account(fresh_emulator)["id"]
        await wait_until(pilot, lambda: accounts.items[main_id].mfa_required is False)
        assert main_account(fresh_emulator)["sign_in_methods"][0]["mfaStatus"] == "disabled"
        # Required again, then relaxing with the same code (the same time step): refused,
        # and so is its full-width twin.
        set_mfa(fresh_emulator, "enabled")
        app.session.poller.refresh("accounts")
        await wait_until(pilot, lambda: accounts.items[main_id].mfa_required is True)
        for typed in (code, full_width(code)):
            await pilot.press("O", "y")
            await wait_until(pilot, lambda: isinstance(app.screen, CodePrompt))
            await type_text(pilot, typed)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
            assert "already used" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
    assert main_account(fresh_emulator)["sign_in_methods"][0]["mfaStatus"] == "enabled"
    assert code not in audit_text(app)


# ---- 2. enrolling an authenticator -------------------------------------------------------


def _drop_lead_authenticator(server: EmulatorServer) -> None:
    with http(server) as c:
        c.delete(f"{AM}/user/me/authenticator").raise_for_status()


async def test_enrolment_shows_the_qr_and_secret_then_verifies_a_code_and_forgets_it(
    fresh_emulator: EmulatorServer,
) -> None:
    _drop_lead_authenticator(fresh_emulator)
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await pilot.press("7")
        await pilot.press("T")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, EnrolScreen))
        enrol = app.screen
        assert isinstance(enrol, EnrolScreen)
        secret = enrol._secret.get_secret_value()  # type: ignore[union-attr]
        shown = screen_text(app)
        assert enrol.qr_fits() and "▀" in shown  # the code is drawn
        groups = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        assert groups in shown
        await type_text(pilot, "000000")
        await pilot.press("enter")
        assert "not accepted" in screen_text(app)
        await type_text(pilot, code_at(secret))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, EnrolScreen))
        await wait_until(pilot, lambda: any("authenticator enrolled" in n for n in notes))
        after = screen_text(app)
        with http(fresh_emulator) as c:
            status = c.get(f"{AM}/user/me/authenticator").json()["status"]
        assert status == "ENROLLED"
        for where in (after, audit_text(app), command_log_text(app), store_text(app)):
            assert secret not in where and groups not in where


async def test_below_24_rows_the_enrolment_explains_and_shows_the_secret_only(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    secret = SecretStr("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    uri = SecretStr(f"otpauth://totp/DigiCert%20ONE:demo%40example.com?secret={secret.get_secret_value()}&issuer=DigiCert%20ONE")
    async with app.run_test(size=(80, 22)) as pilot:
        await loaded(pilot)
        await app.push_screen(EnrolScreen(secret, uri, account="demo@example.com"))
        await pilot.pause()
        shown = screen_text(app)
        assert "too small for the QR code" in shown
        assert "JBSW Y3DP EHPK 3PXP" in shown
        assert "▀" not in shown


async def test_a_server_clock_more_than_10_s_off_is_warned_about(emulator: EmulatorServer) -> None:
    from datetime import timedelta
    from email.utils import format_datetime

    from tests.tui.conftest import FROZEN

    app = make_app(emulator)
    secret = SecretStr("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        for offset, warned in ((25, True), (5, False)):
            date = format_datetime(FROZEN + timedelta(seconds=offset), usegmt=True)
            await app.push_screen(EnrolScreen(secret, None, server_date=date))
            await pilot.pause()
            assert ("25 s ahead of this machine's" in screen_text(app)) is warned
            await pilot.press("escape")
            await pilot.pause()
