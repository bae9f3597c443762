"""People and access in the dashboard, end to end against the emulator: the account's 2FA
requirement, authenticator enrolment, users and service users, teams; each result read back
through the API. RBAC: what a Developer, a Signer and a Team Lead outside its team are told."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from stm_tui.api.models import Account, Team, User
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.app import StmApp
from stm_tui.tui.people.actions import ACCOUNT_ACTIONS, REQUIRE_MFA
from stm_tui.tui.people.code_prompt import CodePrompt
from stm_tui.tui.people.enrol import EnrolScreen
from stm_tui.tui.people.matrix import TeamMatrixScreen
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.tui.writes.confirm import ApprovalScreen, ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.outcome import OutcomeScreen
from stm_tui.tui.writes.picker import Picker
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from tests.conftest import AM, api_client
from tests.tui._people import (
    code_at,
    full_width,
    main_account,
    set_mfa,
    shown_secret,
    type_text,
    users_on_server,
)
from tests.tui._pilot import (
    enter_write_mode,
    files_under_user_dirs,
    footer,
    open_list_on,
    recording,
    screen_text,
    selected,
    top,
)
from tests.tui.conftest import loaded, make_app, wait_until


def audit_text(app: StmApp) -> str:
    path = app.session.audit_path
    return path.read_text() if path.exists() else ""


def command_log_text(app: StmApp) -> str:
    return json.dumps([r.as_dict() for r in app.session.command_log.snapshot()], default=str)


def store_text(app: StmApp) -> str:
    store = app.session.store
    return json.dumps(
        {n: [i.model_dump(mode="json") for i in store.collection(n).items.values()]
         for n in store.names},
        default=str,
    )


def _is_main(server: EmulatorServer) -> Callable[[object], bool]:
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
        screen = await open_list_on(pilot, "9", _is_main(emulator))
        row = screen.table_row(selected(screen, Account).id)
        assert row[2] == "no"


async def test_requiring_2fa_lists_who_is_not_ready_then_sets_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "9", _is_main(fresh_emulator))
        await pilot.press("F")
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


async def test_on_accounts_the_monitor_key_still_opens_the_monitor_and_f_requires_2fa(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        accounts = await open_list_on(pilot, "9", _is_main(emulator))
        # Every key the app binds on all screens is still the app's here: no account action
        # hides one (the Accounts list once bound M, the monitor's key, to Require 2FA).
        in_force = app.active_bindings
        for binding in StmApp.BINDINGS:
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                assert in_force[key].node is app, f"{key} ({binding.action}) is hidden here"
        assert in_force["F"].binding.action == f"write('{REQUIRE_MFA.id}')"
        assert not {a.key for a in ACCOUNT_ACTIONS} & {
            key for b in StmApp.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")
        }
        assert "F Require 2FA" in footer(app)
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is accounts)
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        assert top(app, ApprovalScreen).call.action == "account.mfa_require"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is accounts)
    # Cancelled: nothing was sent.
    assert main_account(emulator)["sign_in_methods"][0]["mfaStatus"] == "disabled"


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
        await open_list_on(pilot, "9", _is_main(fresh_emulator))
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
    with api_client(server) as c:
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
        secret = shown_secret(enrol)
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
        with api_client(fresh_emulator) as c:
            status = c.get(f"{AM}/user/me/authenticator").json()["status"]
        assert status == "ENROLLED"
        app.action_save_screenshot()
        await pilot.pause()
        wheres = (after, audit_text(app), command_log_text(app), store_text(app),
                  files_under_user_dirs())
        for where in wheres:
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


# ---- 3. users and service users ----------------------------------------------------------


def _user(name: str) -> Callable[[object], bool]:
    return lambda u: isinstance(u, User) and u.display_name == name


async def _fill(pilot: Pilot[Any], form: RequestForm[Any], name: str, text: str) -> None:
    control = form.query_one(f"#field-{name}")
    control.focus()
    await pilot.pause()
    await type_text(pilot, text)


async def test_adding_a_user_checks_each_field_then_creates_them_with_their_roles(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("7")
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, RequestForm)
        await _fill(pilot, form, "email", "not-an-email")
        await pilot.press("tab")
        assert not form.valid
        assert "must be an e-mail address such as name@example.com" in screen_text(app)
        # An e-mail already taken is refused before anything is sent.
        form.query_one("#field-email", Input).value = "priya.raman@acme.example"
        await pilot.pause()
        assert "already exists" in screen_text(app)
        form.query_one("#field-email", Input).value = "new.person@acme.example"
        await _fill(pilot, form, "name", "New Person")
        # Roles come with what each may do.
        assert "Signer: signs with the keypairs assigned to it" in screen_text(app)
        form.query_one("#field-roles", Picker).set_value(("SSM_DEVELOPER",))
        await pilot.pause()
        assert form.valid
        await pilot.press("ctrl+s")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen) and modal.call.action == "user.create"
        await pilot.press("y")
        users = app.session.store.collection("users")
        await wait_until(pilot, lambda: any(
            getattr(u, "email", None) == "new.person@acme.example" for u in users.items.values()
        ))
    made = [u for u in users_on_server(fresh_emulator) if u["email"] == "new.person@acme.example"]
    assert len(made) == 1 and made[0]["name"] == "New Person"
    roles = [r["code"] for app_ in made[0]["applications"] for r in app_["roles"]]
    assert roles == ["SSM_DEVELOPER"]


async def test_a_service_users_token_is_shown_once_and_nowhere_else(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("7")
        await pilot.press("A")
        form = app.screen
        assert isinstance(form, RequestForm)
        await _fill(pilot, form, "friendly_name", "release bot")
        await _fill(pilot, form, "end_date", "2027-13-01")
        await pilot.pause()
        assert "must be a date" in screen_text(app)
        form.query_one("#field-end_date", Input).value = "2027-06-30"
        form.query_one("#field-roles", Picker).set_value(("SSM_LEAD",))
        await pilot.pause()
        await pilot.press("ctrl+s")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert any("advises against giving Lead" in line for line in modal.affects)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ShownOnceScreen))
        dialog = app.screen
        assert isinstance(dialog, ShownOnceScreen)
        token = shown_secret(dialog)
        assert token in screen_text(app)
        assert "cannot be shown again" in screen_text(app)
        await pilot.press("c")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ShownOnceScreen))
        app.action_save_screenshot()  # a crash report or screenshot taken now
        await pilot.pause()
        wheres = (screen_text(app), audit_text(app), command_log_text(app), store_text(app),
                  files_under_user_dirs())
        assert "audit.jsonl" in str(app.session.audit_path) and audit_text(app)
        for where in wheres:
            assert token not in where
        app.session.poller.refresh("users")
        await pilot.pause()
    made = [u for u in users_on_server(fresh_emulator) if u.get("friendly_name") == "release bot"]
    assert len(made) == 1 and made[0]["end_date"].startswith("2027-06-30")
    with api_client(fresh_emulator) as c:  # the token works: it is the service user's
        probe = c.get(f"{AM}/user/me", headers={"x-api-key": token})
    assert probe.json()["id"] == made[0]["id"]


async def test_changing_roles_warns_before_giving_lead_to_a_service_user(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "7", _user("ci-release-bot"))
        bot = selected(screen, User)
        await pilot.press("o")
        form = app.screen
        assert isinstance(form, RequestForm)
        assert "advises against giving Lead" in screen_text(app)
        form.query_one("#field-roles", Picker).set_value(("SSM_LEAD",))
        await pilot.pause()
        await pilot.press("ctrl+s")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen) and modal.call.action == "user.roles"
        assert any("advises against giving Lead" in line for line in modal.affects)
        await pilot.press("y")
        users = app.session.store.collection("users")
        await wait_until(pilot, lambda: users.items[bot.id].role_codes == ["SSM_LEAD"])
    on_server = next(u for u in users_on_server(fresh_emulator) if u["id"] == bot.id)
    assert [r["code"] for a in on_server["applications"] for r in a["roles"]] == ["SSM_LEAD"]


async def test_deactivating_a_user_asks_for_the_name_and_is_read_back(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "7", _user("Omar Haddad"))
        omar = selected(screen, User)
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, IrreversibleScreen)
        assert "cannot be activated again" in screen_text(app)
        await type_text(pilot, "Omar Haddad")
        await pilot.press("enter")
        users = app.session.store.collection("users")
        await wait_until(pilot, lambda: users.items[omar.id].status == "DISABLED")
    on_server = next(u for u in users_on_server(fresh_emulator) if u["id"] == omar.id)
    assert on_server["status"] == "DISABLED"


async def test_developer_and_signer_are_told_which_permission_user_actions_need(
    emulator: EmulatorServer,
) -> None:
    for role, named in (("developer", "Developer"), ("signer", "Signer")):
        app = make_app(emulator, role=role)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            notes = recording(app)
            await pilot.press("7")
            assert app.screen.active_bindings["a"].enabled is False  # shown, dimmed
            for key, label in (("a", "Add user"), ("D", "Deactivate"), ("8", None)):
                await pilot.press(key)
                if label:
                    assert notes[-1] == (
                        f"{label}: needs the Manage users (Account Manager) permission "
                        f"(you are {named})"
                    )
            await pilot.press("a")
            assert notes[-1] == (
                f"New team: needs the Manage all teams permission (you are {named})"
            )


async def test_a_forced_call_without_the_permission_gets_a_clear_403(
    emulator: EmulatorServer,
) -> None:
    from stm_tui.api.writes.users import CreateUser, create_user

    app = make_app(emulator, role="developer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        app.writes.perform(create_user(CreateUser(email="x@acme.example")))
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        shown = screen_text(app)
        assert "403" in shown or "permission" in shown.lower()
        assert "MANAGE_AM_USER" in shown or "Manage users" in shown


# ---- 5. teams ------------------------------------------------------------------------------


def _team(name: str) -> Callable[[object], bool]:
    return lambda t: isinstance(t, Team) and t.name == name


async def test_a_team_lead_outside_its_team_is_told_why_and_the_server_agrees(
    fresh_emulator: EmulatorServer,
) -> None:
    from stm_tui.api.writes.teams import TeamMember, add_member

    app = make_app(fresh_emulator, role="team_lead")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        me = app.session.me
        assert me is not None
        teams = [t for t in app.session.store.collection("teams").items.values()
                 if isinstance(t, Team)]
        other = next(t for t in teams if not any(m.user_id == me.id for m in t.members))
        await open_list_on(pilot, "8", _team(other.name or ""))
        await pilot.press("plus")
        assert notes[-1].startswith(f"Add member: you do not manage team {other.name}")
        # Forced anyway: the service refuses it with a clear 403.
        app.writes.perform(add_member(other.id, other.name or "", TeamMember(user_id=me.id), "x"))
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        assert "403" in screen_text(app) or "denied" in screen_text(app).lower()


async def test_a_team_is_created_given_members_permissions_and_resources_then_deleted(
    fresh_emulator: EmulatorServer,
) -> None:
    from tests.tui._people import teams_on_server

    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("8")
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, RequestForm)
        await _fill(pilot, form, "name", "it-release")
        await pilot.press("ctrl+s", "y")
        teams = app.session.store.collection("teams")
        await wait_until(pilot, lambda: any(
            getattr(t, "name", None) == "it-release" for t in teams.items.values()))
        screen = await open_list_on(pilot, "8", _team("it-release"))
        team = selected(screen, Team)
        users = app.session.store.collection("users").items
        priya = next(u for u in users.values() if u.display_name == "Priya Raman")
        await pilot.press("plus")
        form = app.screen
        assert isinstance(form, RequestForm)
        form.query_one("#field-user_id", Input).value = priya.id
        await pilot.pause()
        await pilot.press("ctrl+s", "y")
        await wait_until(pilot, lambda: len(teams.items[team.id].members) == 1)
        # The matrix: the Developer's Operation rights come from the role; turn on
        # "approve keypair export" (column 5) and send.
        await pilot.press("P")
        matrix = app.screen
        assert isinstance(matrix, TeamMatrixScreen)
        assert "Approve" in screen_text(app) and "Operation" in screen_text(app)
        await pilot.press("right", "right", "right", "right", "space")
        assert matrix.current()["Priya Raman"]["approve_keypair_export"] is True
        await pilot.press("ctrl+s")
        top(app, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: teams.items[team.id].members[0].permissions.get(
            "approve_keypair_export") is True)
        # Map a keypair to the team.
        keypairs = app.session.store.collection("keypairs").items
        some = next(iter(keypairs.values()))
        await pilot.press("m")
        form = app.screen
        assert isinstance(form, RequestForm)
        form.query_one("#field-keypair_ids", Picker).set_value((some.id,))
        await pilot.pause()
        await pilot.press("ctrl+s")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.call.body == {"keypair_ids": [some.id]}
        await pilot.press("y")
        await wait_until(pilot, lambda: team.id in keypairs[some.id].team_ids)
        on_server = next(t for t in teams_on_server(fresh_emulator) if t["id"] == team.id)
        assert on_server["members"][0]["permissions"]["approve_keypair_export"] is True
        assert on_server["resource_counts"]["keypairs"] == 1
        # Delete: irreversible, the name typed.
        await pilot.press("D")
        assert isinstance(app.screen, IrreversibleScreen)
        await type_text(pilot, "it-release")
        await pilot.press("enter")
        await wait_until(pilot, lambda: team.id not in teams.items)
    assert all(t["id"] != team.id for t in teams_on_server(fresh_emulator))


async def test_in_the_matrix_your_own_row_is_locked_and_says_why(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator, role="team_lead")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        me = app.session.me
        assert me is not None
        teams = [t for t in app.session.store.collection("teams").items.values()
                 if isinstance(t, Team)]
        mine = next(t for t in teams if any(m.user_id == me.id and m.permissions.get(
            "manage_team") for m in t.members))
        await open_list_on(pilot, "8", _team(mine.name or ""))
        await pilot.press("P")
        matrix = app.screen
        assert isinstance(matrix, TeamMatrixScreen)
        own = next(i for i, m in enumerate(matrix.rows) if m.user_id == me.id)
        matrix.row = own
        matrix._draw()
        await pilot.pause()
        assert "cannot edit their own team permissions" in screen_text(app)
        before = dict(matrix.values[own])
        await pilot.press("space")
        assert matrix.values[own] == before


# ---- 4. API tokens and client certificates -----------------------------------------------


async def test_a_token_then_its_client_certificate_are_shown_once_saved_0600_and_revoked(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    import stat

    from cryptography.hazmat.primitives.serialization import pkcs12

    from stm_tui.tui.people.credentials import CredentialsScreen

    app = make_app(fresh_emulator)
    out = tmp_path / "ci.p12"
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("7", "t")
        creds = app.screen
        assert isinstance(creds, CredentialsScreen)
        assert "2025-automation" in screen_text(app)  # the seed's expired token, listed
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, RequestForm)
        await _fill(pilot, form, "name", "bad/name")
        assert "must be 1-64 characters" in screen_text(app)
        form.query_one("#field-name", Input).value = "ci"
        await pilot.pause()
        await pilot.press("ctrl+s", "y")
        await wait_until(pilot, lambda: isinstance(app.screen, ShownOnceScreen))
        token = shown_secret(top(app, ShownOnceScreen))
        await pilot.press("c", "escape")
        tokens = app.session.store.collection("api_tokens")
        await wait_until(pilot, lambda: any(t.name == "ci" for t in tokens.items.values()))
        table = creds.query_one("#creds", DataTable)
        row = next(i for i, item in enumerate(creds._items()) if item.name == "ci")
        table.move_cursor(row=row)
        await pilot.press("c")
        form = app.screen
        assert isinstance(form, RequestForm)
        form.query_one("#field-path", Input).value = str(out)
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert any(str(out) in line for line in top(app, ConfirmScreen).affects)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ShownOnceScreen))
        password = shown_secret(top(app, ShownOnceScreen))
        assert f"Saved {out}" in screen_text(app)
        await pilot.press("c", "escape")
        await wait_until(pilot, lambda: app.screen is creds)
        app.action_save_screenshot()
        await pilot.pause()
        wheres = (screen_text(app), audit_text(app), command_log_text(app), store_text(app),
                  files_under_user_dirs())
        for where in wheres:
            assert token not in where and password not in where
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        key, _, _ = pkcs12.load_key_and_certificates(out.read_bytes(), password.encode())
        assert key is not None
        # Revoke the token: the name typed; its certificate goes with it.
        row = next(i for i, item in enumerate(creds._items()) if item.name == "ci")
        table.move_cursor(row=row)
        await pilot.press("R")
        assert isinstance(app.screen, IrreversibleScreen)
        await type_text(pilot, "ci")
        await pilot.press("enter")
        await wait_until(pilot, lambda: all(t.name != "ci" for t in tokens.items.values()))
    with api_client(fresh_emulator) as c:
        assert all(t["name"] != "ci" for t in c.get(f"{AM}/api-token").json())
        certs = c.get(f"{AM}/client-certificate").json()
    assert [x["status"] for x in certs if x["name"] == "ci-cert"] == ["REVOKED"]


async def test_the_enrolment_screen_never_accepts_a_used_step_again_plain_or_full_width(
    emulator: EmulatorServer,
) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    app = make_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await app.push_screen(EnrolScreen(SecretStr(secret), None))
        await pilot.pause()
        enrol = app.screen
        assert isinstance(enrol, EnrolScreen)
        code = code_at(secret, -1)  # the previous step: still within the window
        await type_text(pilot, code)
        await pilot.press("enter")
        # Accepted here, then sent (read-only mode: the service never sees it).
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is enrol)
        for typed in (code, full_width(code)):
            await type_text(pilot, typed)
            await pilot.press("enter")
            await pilot.pause()
            assert "its time step was already used" in screen_text(app)
            assert app.screen is enrol
