"""The profile and CertCentral workflows and the setup checklist in the dashboard, against a
private emulator: the form, the confirmation, the result read back through the API; bad
input per field; what a Developer or a Signer is told; the CertCentral key never shown."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import RadioButton, RadioSet

from stm_tui.api.models import CertificateProfile, KeypairProfile
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.screens.certcentral import CertCentralScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.setup_checklist import SetupChecklistScreen
from stm_tui.tui.writes.confirm import ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.secret_input import SecretInput
from tests.conftest import STM
from tests.tui._pilot import (
    app_of,
    choose,
    enter_write_mode,
    files_under_user_dirs,
    footer,
    message,
    open_list,
    recording,
    retype,
    screen_text,
    submit_disabled,
    top,
)
from tests.tui.conftest import loaded, make_app, wait_until

CANARY = "CanaryKey7e1d44c0ffee0123456789abcdef"


def api(server: EmulatorServer, path: str, **params: str) -> Any:
    key = server.credentials["users"]["lead"]["api_key"]
    return httpx.get(f"{server.url}{STM}{path}", params=params, headers={"x-api-key": key}).json()


def on_server(server: EmulatorServer, kind: str, name: str) -> list[dict[str, Any]]:
    return list(api(server, f"/{kind}-profiles", name=name)["items"])


async def pick_radio(pilot: Pilot[Any], name: str, label: str) -> None:
    radios = pilot.app.screen.query_one(f"#field-{name}", RadioSet)
    button = next(b for b in radios.query(RadioButton) if str(b.label) == label)
    button.value = True
    await pilot.pause()


async def select_row(pilot: Pilot[Any], area_key: str, name: str) -> ListScreen:
    screen = await open_list(pilot, area_key)
    items = app_of(pilot).session.store.collection(screen.view.resource).items
    key = next(k for k, item in items.items()
               if isinstance(item, KeypairProfile | CertificateProfile) and item.name == name)
    assert screen.focus_key(key)
    await pilot.pause()
    return screen


async def confirm(pilot: Pilot[Any]) -> ConfirmScreen:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    return top(pilot.app, ConfirmScreen)


async def test_a_new_keypair_profile_is_checked_per_field_then_created(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list(pilot, "K")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        assert message(app, "name") == "✗ required" and submit_disabled(app)
        await retype(pilot, "name", "ECDSA P-256 TEST")  # names are unique, whatever the case
        assert message(app, "name") == "✗ already used by keypair profile ECDSA P-256 test"
        await retype(pilot, "name", "ci-release-keys")
        await pick_radio(pilot, "activation", "Inactive until…")
        assert message(app, "active_from") == "✗ required: the date and time it becomes active"
        await retype(pilot, "active_from", "2027-01-01T09:00")
        assert message(app, "active_from") == "✗ add a time zone: Z for UTC, or +02:00"
        await retype(pilot, "active_from", "2027-01-01T09:00Z")
        await choose(pilot, "key_alg", "ECDSA")
        assert not app.screen.query_one("#row-key_size").display  # a curve, not a size
        await choose(pilot, "curve", "P-384")
        await pick_radio(pilot, "key_status", "OFFLINE")
        assert message(app, "name") is None and not submit_disabled(app)
        modal = await confirm(pilot)
        assert modal.call.action == "keypair_profile.create"
        assert modal.call.body is not None and modal.call.body["curve"] == "P384"
        await pilot.press("y")
        profiles = app.session.store.collection("keypair_profiles")
        await wait_until(
            pilot, lambda: any(p.name == "ci-release-keys" for p in profiles.items.values())
        )
    [held] = on_server(fresh_emulator, "keypair", "ci-release-keys")
    assert (held["key_alg"], held["curve"], held["key_status"], held["status"]) == (
        "ECDSA", "P384", "OFFLINE", "INACTIVE"
    )
    assert held["active_from"] == "2027-01-01T09:00:00Z"


async def test_editing_a_keypair_profile_sends_only_what_changed_and_disable_enable_follow(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await select_row(pilot, "K", "ECDSA P-256 test")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        assert submit_disabled(app)  # nothing changed yet
        assert "nothing changed yet" in screen_text(app)
        await pick_radio(pilot, "key_storage", "DISK")
        modal = await confirm(pilot)
        assert modal.call.body == {"key_storage": "DISK"}
        await pilot.press("y")
        await wait_until(pilot, lambda: on_server(
            fresh_emulator, "keypair", "ECDSA P-256 test")[0]["key_storage"] == "DISK")
        assert "X Disable" in footer(app) and "U Enable" not in footer(app)
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "U Enable" in footer(app))
        assert on_server(fresh_emulator, "keypair", "ECDSA P-256 test")[0]["status"] == "DISABLED"
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "X Disable" in footer(app))
    assert on_server(fresh_emulator, "keypair", "ECDSA P-256 test")[0]["status"] == "ACTIVE"


async def test_the_require_profile_setting_is_toggled_from_the_keypair_profiles_area(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list(pilot, "K")
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        assert submit_disabled(app) and "unchanged: it is off now" in screen_text(app)
        await pilot.press("space")  # the switch has the focus
        modal = await confirm(pilot)
        assert modal.call.body == {"require_keypair_profile": True}
        await pilot.press("y")
        await wait_until(pilot, lambda: api(fresh_emulator, "/account-settings")[
            "require_keypair_profile"] is True)


async def test_certificate_profiles_refuse_certcentral_while_it_is_not_connected_and_clone(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list(pilot, "C")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        await retype(pilot, "name", "ci-ev")
        await pick_radio(pilot, "hierarchy", "CertCentral (public)")
        assert message(app, "hierarchy") == (
            "✗ CertCentral is not connected: fix the key first (CertCentral screen, key Z)"
        )
        assert submit_disabled(app)
        await pick_radio(pilot, "hierarchy", "Private hierarchy")
        await retype(pilot, "validity_days", "0")
        assert message(app, "validity_days") == "✗ must be at least 1"
        await retype(pilot, "validity_days", "90")
        await retype(pilot, "country", "de")
        assert message(app, "country") is not None
        await retype(pilot, "country", "")
        modal = await confirm(pilot)
        assert modal.call.body is not None and modal.call.body["hierarchy"] == "PRIVATE"
        await pilot.press("y")
        await wait_until(pilot, lambda: bool(on_server(fresh_emulator, "certificate", "ci-ev")))

        await select_row(pilot, "C", "Private code signing (90 days)")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        await retype(pilot, "name", "Private code signing (1 year)")
        assert message(app, "name") == (
            "✗ already used by certificate profile Private code signing (1 year)"
        )
        await retype(pilot, "name", "ci-90-days-copy")
        modal = await confirm(pilot)
        assert modal.call.action == "certificate_profile.clone"
        await pilot.press("y")
        await wait_until(
            pilot, lambda: bool(on_server(fresh_emulator, "certificate", "ci-90-days-copy"))
        )
    [copy] = on_server(fresh_emulator, "certificate", "ci-90-days-copy")
    assert copy["validity_days"] == 90 and copy["cloned_from"]["name"] == (
        "Private code signing (90 days)"
    )


@pytest.mark.parametrize("role, name", [("developer", "Developer"), ("signer", "Signer")])
async def test_a_developer_and_a_signer_see_the_actions_disabled_with_the_reason(
    emulator: EmulatorServer, role: str, name: str
) -> None:
    app = make_app(emulator, role=role)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await pilot.press("K")
        await wait_until(pilot, lambda: "n New" in footer(app))
        screen = app.screen
        assert screen.active_bindings["n"].enabled is False  # shown, dimmed
        await pilot.press("n")
        await wait_until(pilot, lambda: bool(notes) and notes[-1] == (
            f"New: needs the Manage keypair profile permission (you are {name})"
        ))
        await pilot.press("C")
        await wait_until(pilot, lambda: "c Clone" in footer(app))
        await pilot.press("c")
        await wait_until(pilot, lambda: notes[-1] == (
            f"Clone: needs the Manage certificate profile permission (you are {name})"
        ))
        await pilot.press("Z")
        await wait_until(pilot, lambda: isinstance(app.screen, CertCentralScreen))
        await pilot.press("D")
        await wait_until(pilot, lambda: notes[-1] == (
            f"Delete: needs the Manage CertCentral key permission (you are {name})"
        ))
        assert not isinstance(app.screen, (RequestForm, IrreversibleScreen))


async def test_certcentral_key_is_masked_never_shown_and_the_checklist_step_turns_done(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupChecklistScreen))
        checklist = app.screen
        assert isinstance(checklist, SetupChecklistScreen)
        assert checklist.result("certcentral").state.value == "optional"
        assert "set up but not connected" in screen_text(app)
        checklist.steps.highlighted = 5
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CertCentralScreen))
        assert "not connected" in screen_text(app) and "…b3f9" in screen_text(app)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        app.screen.query_one("#field-api_key", SecretInput).focus()
        await pilot.press(*CANARY)
        shown_while_typing = screen_text(app)
        modal = await confirm(pilot)
        assert '"api_key": "***"' in modal.call.preview()
        shown_in_modal = screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: "connected" in screen_text(app)
                         and "not connected" not in screen_text(app))
        assert "…" + CANARY[-4:] in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is checklist)
        await wait_until(pilot, lambda: checklist.result("certcentral").state.value == "done")
        assert "connected (CertCentral global, key …" + CANARY[-4:] in screen_text(app)

        await pilot.press("Z")
        await wait_until(pilot, lambda: isinstance(app.screen, CertCentralScreen))
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, IrreversibleScreen))
        await pilot.press(*"Acme Software", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CertCentralScreen)
                         and "not set up" in screen_text(app))
        log_text = json.dumps([repr(r) for r in app.session.command_log.snapshot()])
        audit = app.session.audit_path.read_text()
        screens = shown_while_typing + shown_in_modal + screen_text(app)
    # Whatever the session wrote under the user's directories (logs, audit, state), too.
    written = files_under_user_dirs()
    assert "intent" in written  # the audit file is among them
    for where in (screens, audit, log_text, "\n".join(notes), written):
        assert CANARY not in where
    assert "•" * 8 in shown_while_typing
    cc = api(fresh_emulator, "/account-settings")["certcentral"]
    assert cc["configured"] is False


async def test_enter_on_a_checklist_step_opens_its_workflow(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        notes = recording(app)
        await pilot.press("ctrl+p", *"Setup checklist")
        await wait_until(pilot, lambda: "key !: the Lead guide's steps, live" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupChecklistScreen))
        checklist = app.screen
        assert isinstance(checklist, SetupChecklistScreen)
        checklist.steps.highlighted = 3  # a keypair profile: the create form
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        assert "New keypair profile" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupChecklistScreen))
        top(app, SetupChecklistScreen).steps.highlighted = 0
        await pilot.press("enter")  # 2FA: another helper's workflow; the area and what to do
        await wait_until(pilot, lambda: app.current_mode == "users")
        assert any("enrols an authenticator" in n for n in notes)


async def test_editing_a_certificate_profile_sends_the_changes_and_the_whole_subject(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await select_row(pilot, "C", "Private code signing (90 days)")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        assert submit_disabled(app)
        await retype(pilot, "validity_days", "4000")
        assert message(app, "validity_days") == "✗ must be at most 3650"
        await retype(pilot, "validity_days", "60")
        await retype(pilot, "organization", "Acme QA")
        modal = await confirm(pilot)
        body = dict(modal.call.body or {})
        template = body.pop("subject_template")
        assert body == {"validity_days": 60}
        assert template["organization"] == "Acme QA" and template["common_name"]
        await pilot.press("y")
        await wait_until(pilot, lambda: on_server(
            fresh_emulator, "certificate", "Private code signing (90 days)")[0][
            "validity_days"] == 60)
    [held] = on_server(fresh_emulator, "certificate", "Private code signing (90 days)")
    assert held["subject_template"]["organization"] == "Acme QA"


async def test_a_certcentral_key_too_short_keeps_set_up_disabled(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("Z")
        await wait_until(pilot, lambda: isinstance(app.screen, CertCentralScreen))
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, IrreversibleScreen))
        await pilot.press(*"Acme Software", "enter")
        await wait_until(pilot, lambda: "not set up" in screen_text(app))
        assert "s Set up" in footer(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        app.screen.query_one("#field-api_key", SecretInput).focus()
        await pilot.press(*"abc")
        assert message(app, "api_key") == "✗ at least 8 characters (3 so far)"
        assert submit_disabled(app)
