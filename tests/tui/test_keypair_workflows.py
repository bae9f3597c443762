"""The keypair workflows in the dashboard, walked with the keys a user presses against a
private emulator, and read back through the API: generate (with a certificate in the same
step, a Fixed profile, the account's "require a keypair profile"), update, delete (typed
alias, impact list, audit file, an audit file that cannot be written, a lost answer), and the
roles that may not run them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeGuard

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from stm_tui.api.models import Keypair
from stm_tui.api.writes.keypairs import UpdateKeypair, update_keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.tui.writes.confirm import ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.outcome import OutcomeScreen
from tests.conftest import STM, api_client
from tests.integration._emu import reset_stats, set_faults, writes_seen
from tests.tui._pilot import (
    audit_lines,
    enter_write_mode,
    message,
    open_list_on,
    put,
    recording,
    screen_text,
    top,
    top_screen,
    type_into,
)
from tests.tui.conftest import loaded, make_app, wait_until


def keypair_named(server: EmulatorServer, alias: str) -> dict[str, Any] | None:
    with api_client(server) as http:
        items = http.get(f"{STM}/keypairs", params={"alias": alias}).json()["items"]
    return items[0] if items else None


def anything(item: object) -> TypeGuard[Keypair]:
    return isinstance(item, Keypair)


async def open_generate_form(pilot: Pilot[Any]) -> RequestForm[Any]:
    await enter_write_mode(pilot)
    await open_list_on(pilot, "2", anything)
    await pilot.press("N")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RequestForm))
    form = top(pilot.app, RequestForm)
    assert form.id == "keypair-generate"
    return form


# -- generate ------------------------------------------------------------------------------


async def test_generate_keypair_with_a_certificate_previews_sends_and_selects_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        store = app.session.store
        cert_profile = next(
            p for p in store.collection("certificate_profiles").items.values()
            # A private hierarchy: a CertCentral profile needs the integration set up.
            if p.status == "ACTIVE" and p.hierarchy == "PRIVATE"
            and (not p.allowed_key_algs or "ECDSA" in p.allowed_key_algs)
        )
        team = next(iter(store.collection("teams").items.values()))
        form = await open_generate_form(pilot)
        await type_into(pilot, form, "alias", "ui-made-key")
        await put(pilot, form, key_alg="ECDSA")
        assert form.query_one("#field-curve", Select).value == "P256"  # the algorithm decides
        assert not form.query_one("#row-key_size").display
        await put(pilot, form, curve="P384", key_type="PRODUCTION", groups=(team.id,),
                  generate_cert=True)
        await type_into(pilot, form, "cert_alias", "ui-made-cert")
        await put(pilot, form, cert_profile_id=cert_profile.id)
        assert form.query_one("#submit", Button).disabled is False
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        body = dict(modal.call.body or {})
        assert modal.call.request_line == f"POST {STM}/keypairs"
        assert body["alias"] == "ui-made-key" and body["curve"] == "P384"
        assert body["groups"] == [team.id] and body["cert_alias"] == "ui-made-cert"
        assert "key_size" not in body
        assert '"cert_profile_id": "' + cert_profile.id in screen_text(app)  # the exact request
        assert writes_seen(fresh_emulator) == {}  # the preview sent nothing
        await pilot.press("y")
        keypairs = store.collection("keypairs")
        await wait_until(
            pilot, lambda: any(k.alias == "ui-made-key" for k in keypairs.items.values()),
            limit=60,
        )
        made = next(k for k in keypairs.items.values() if k.alias == "ui-made-key")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        await wait_until(pilot, lambda: screen.table.cursor_key == made.id, limit=30)
    on_server = keypair_named(fresh_emulator, "ui-made-key")
    assert on_server is not None
    assert (on_server["key_alg"], on_server["curve"], on_server["key_type"]) == (
        "ECDSA", "P384", "PRODUCTION"
    )
    assert [g["id"] for g in on_server["groups"]] == [team.id]
    with api_client(fresh_emulator) as http:
        certs = http.get(f"{STM}/certificates", params={"alias": "ui-made-cert"}).json()["items"]
    assert certs and certs[0]["keypair"]["id"] == on_server["id"]
    assert writes_seen(fresh_emulator) == {f"POST {STM}/keypairs": 1}  # sent once


# (field, what is typed or picked, the message under the field)
BAD_INPUT = [
    ("alias", "", "required"),
    ("alias", "ab", "must be 3-64 characters of letters, digits, '.', '_' or '-'"),
    ("alias", "has space", "must be 3-64 characters of letters, digits, '.', '_' or '-'"),
    ("alias", "cafe-0123", "must contain a letter other than a-f (it would read as an id)"),
    ("alias", "{existing}", "already used by keypair {existing} ("),
    ("cert_alias", "", "required to generate a certificate"),
    ("cert_alias", "x!", "must be 3-64 characters of letters, digits, '.', '_' or '-'"),
    ("cert_alias", "{existing_cert}", "already used by certificate {existing_cert}"),
    ("cert_profile_id", None, "required to generate a certificate"),
]


async def test_bad_input_shows_its_message_under_the_field_and_sends_nothing(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        store = app.session.store
        existing = next(k.alias for k in store.collection("keypairs").items.values() if k.alias)
        existing_cert = next(
            c.alias for c in store.collection("certificates").items.values() if c.alias
        )
        profile = next(
            p.id for p in store.collection("certificate_profiles").items.values()
            if p.status == "ACTIVE"
        )
        form = await open_generate_form(pilot)
        good = {"alias": "fine-alias", "cert_alias": "fine-cert"}
        await type_into(pilot, form, "alias", good["alias"])
        await put(pilot, form, generate_cert=True)
        await type_into(pilot, form, "cert_alias", good["cert_alias"])
        await put(pilot, form, cert_profile_id=profile)
        assert form.valid  # the form is fine before each bad value
        for field, value, expected in BAD_INPUT:
            if value is None:
                form.query_one(f"#field-{field}", Select).clear()
                await pilot.pause()
            else:
                text = value.format(existing=existing, existing_cert=existing_cert)
                await type_into(pilot, form, field, text)
            shown = expected.format(existing=existing, existing_cert=existing_cert)
            assert shown in (message(app, field) or ""), (field, value)
            assert form.query_one("#submit", Button).disabled
            await pilot.press("ctrl+s")  # refused: the form stays, its messages in full
            await pilot.pause()
            assert app.screen is form
            if value is None:
                await put(pilot, form, **{field: profile})
            else:
                await type_into(pilot, form, field, good[field])
            assert form.valid and not message(app, field), field
    assert writes_seen(fresh_emulator) == {}


async def test_a_fixed_profile_locks_its_values_and_the_request_carries_them(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        fixed = next(
            p for p in app.session.store.collection("keypair_profiles").items.values()
            if p.profile_type == "FIXED" and p.key_alg == "EDDSA"
        )
        form = await open_generate_form(pilot)
        await type_into(pilot, form, "alias", "fixed-made")
        await put(pilot, form, keypair_profile_id=fixed.id)
        algorithm = form.query_one("#field-key_alg", Select)
        assert algorithm.value == "EDDSA" and algorithm.disabled
        help_line = form.query_one("#help-key_alg", Static).content
        assert isinstance(help_line, Text)
        assert help_line.plain == f"locked: set by the Fixed profile {fixed.name}"
        await put(pilot, form, key_alg="RSA")  # a locked field does not move
        assert algorithm.value == "EDDSA"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        body = dict(modal.call.body or {})
        assert body["keypair_profile_id"] == fixed.id
        assert (body["key_alg"], body["key_status"], body["key_type"]) == (
            "EDDSA", fixed.key_status, fixed.key_type
        )
        await pilot.press("y")
        await wait_until(pilot, lambda: keypair_named(fresh_emulator, "fixed-made") is not None)
    made = keypair_named(fresh_emulator, "fixed-made")
    assert made is not None and made["key_alg"] == "EDDSA"
    assert made["key_status"] == fixed.key_status


async def test_the_account_setting_makes_the_profile_required_in_the_form(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as http:
        http.put(f"{STM}/account-settings", json={"require_keypair_profile": True}) \
            .raise_for_status()
    reset_stats(fresh_emulator)
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        form = await open_generate_form(pilot)
        await type_into(pilot, form, "alias", "needs-profile")
        assert message(app, "keypair_profile_id") == (
            "✗ required: the account requires a keypair profile"
        )
        assert form.query_one("#submit", Button).disabled
        prompt = form.query_one("#help-keypair_profile_id", Static).content
        assert isinstance(prompt, Text) and prompt.plain == "required by the account settings"
    assert writes_seen(fresh_emulator) == {}


async def test_esc_on_the_preview_brings_the_form_back_as_it_was_filled(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        form = await open_generate_form(pilot)
        await type_into(pilot, form, "alias", "come-back")
        await put(pilot, form, key_size=4096)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        again = app.screen
        assert isinstance(again, RequestForm) and again is not form
        assert again.query_one("#field-alias", Input).value == "come-back"
        assert again.query_one("#field-key_size", Select).value == 4096
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ListScreen)
    assert writes_seen(fresh_emulator) == {}


# -- update --------------------------------------------------------------------------------


async def test_update_sends_only_what_changed_and_the_service_has_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "2", lambda k: anything(k) and k.limit_by_users is True)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        form = app.screen
        assert isinstance(form, RequestForm)
        assert form.query_one("#field-alias", Input).value == kp.alias
        assert not form.valid
        assert "nothing changed yet" in str(form.query_one("#form-status", Static).content)
        other = next(k.alias for k in app.session.store.collection("keypairs").items.values()
                     if k.alias and k.id != kp.id)
        await type_into(pilot, form, "alias", other)
        assert (message(app, "alias") or "").startswith(f"✗ already used by keypair {other} (")
        await type_into(pilot, form, "alias", "x")
        assert "must be 3-64 characters" in (message(app, "alias") or "")
        assert form.query_one("#submit", Button).disabled
        await type_into(pilot, form, "alias", "renamed-in-ui")
        await put(pilot, form, limit_by_users=False)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.call.request_line == f"PUT {STM}/keypairs/{kp.id}"
        assert dict(modal.call.body or {}) == {"alias": "renamed-in-ui", "limit_by_users": False}
        await pilot.press("y")
        keypairs = app.session.store.collection("keypairs")
        await wait_until(pilot, lambda: keypairs.items[kp.id].alias == "renamed-in-ui")
    with api_client(fresh_emulator) as http:
        on_server = http.get(f"{STM}/keypairs/{kp.id}").json()
    assert on_server["alias"] == "renamed-in-ui" and on_server["limit_by_users"] is False
    assert writes_seen(fresh_emulator) == {f"PUT {STM}/keypairs/{{keypair_id}}": 1}


# -- delete --------------------------------------------------------------------------------


def _busy(item: object) -> TypeGuard[Keypair]:
    """A keypair with certificates (the impact list has something to say)."""
    return anything(item) and bool(item.certificates)


async def test_delete_lists_the_impact_refuses_a_wrong_alias_and_esc_sends_nothing(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        store = app.session.store
        live = [r for r in store.collection("releases").items.values()
                if r.status in ("OPEN", "APPROVED", "PENDING") and r.keypairs]
        listed_ids = {ref.id for r in live for ref in r.keypairs}
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "2", lambda k: _busy(k) and k.id in listed_ids)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair) and kp.alias
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, IrreversibleScreen)
        impact = "\n".join(modal.impact)
        certs = [c for c in store.collection("certificates").items.values()
                 if c.keypair is not None and c.keypair.id == kp.id]
        assert f"{len(certs)} certificate" in impact and "will be revoked" in impact
        assert all(c.alias in impact for c in certs if c.alias)
        releases = [r for r in live if any(ref.id == kp.id for ref in r.keypairs)]
        assert all(f"release {r.name} ({r.status})" in impact for r in releases)
        assert "signature" in impact and "this month (since 2026-11-01 UTC)" in impact
        text = screen_text(app)
        assert "Impact" in text and modal.impact[0] in text
        await pilot.press(*(kp.alias[:-1] + "X"), "enter")  # wrong: Enter is inert
        await pilot.pause()
        assert app.screen is modal and modal.query_one("#confirm", Button).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert top_screen(app) is screen
    assert writes_seen(fresh_emulator) == {}
    assert keypair_named(fresh_emulator, kp.alias) is not None


async def test_delete_with_the_alias_typed_is_sent_once_and_audited_in_two_lines(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "2", _busy)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair) and kp.alias
        await pilot.press("D")
        await pilot.press(*kp.alias, "enter")
        keypairs = app.session.store.collection("keypairs")
        await wait_until(pilot, lambda: kp.id not in keypairs.items)
        audit = audit_lines(app)
    assert [line["kind"] for line in audit] == ["intent", "outcome"]
    assert audit[0]["call"]["action"] == "keypair.delete"
    assert audit[0]["call"]["path"] == f"{STM}/keypairs/{kp.id}"
    assert audit[1]["result"] == "ok"
    with api_client(fresh_emulator) as http:
        assert http.get(f"{STM}/keypairs/{kp.id}").status_code == 404
        cert = http.get(f"{STM}/certificates/{kp.certificates[0].id}").json()
    assert cert["certificate_status"] == "REVOKED"
    assert writes_seen(fresh_emulator) == {f"DELETE {STM}/keypairs/{{keypair_id}}": 1}


@pytest.fixture
def unwritable_audit(tmp_path: Path) -> Iterator[Path]:
    # A directory where the file should be: no open() succeeds, even as root.
    target = tmp_path / "audit-is-a-folder"
    target.mkdir()
    yield target


async def test_an_audit_file_that_cannot_be_written_stops_the_delete(
    fresh_emulator: EmulatorServer, unwritable_audit: Path
) -> None:
    app = make_app(fresh_emulator)
    app.session.audit_path = unwritable_audit
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "2", _busy)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair) and kp.alias
        await pilot.press("D")
        await pilot.press(*kp.alias, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        text = screen_text(app)
        assert "Failed" in text and "not sent: cannot open the audit file" in text
    assert writes_seen(fresh_emulator) == {}
    assert keypair_named(fresh_emulator, kp.alias) is not None


async def test_a_lost_answer_is_an_unknown_outcome_with_what_a_re_read_found(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "2", _busy)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair) and kp.alias
        await pilot.press("D")
        set_faults(fresh_emulator, lost_answer_rate=1.0)
        try:
            await pilot.press(*kp.alias, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen), limit=30)
        finally:
            set_faults(fresh_emulator, lost_answer_rate=0.0)
        text = screen_text(app)
        assert "Outcome unknown" in text
        assert "it may or may not have happened (not retried)" in text
        assert "re-read shows: nothing there" in text  # the delete did happen
        audit = audit_lines(app)
    assert [line["kind"] for line in audit] == ["intent", "outcome"]
    assert audit[1]["result"] == "unknown"
    assert writes_seen(fresh_emulator) == {f"DELETE {STM}/keypairs/{{keypair_id}}": 1}


# -- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, key, reason",
    [
        ("signer", "N", "New keypair: needs the Generate keypair permission (you are Signer)"),
        ("signer", "A",
         "New certificate: needs the Generate certificate permission (you are Signer)"),
        ("developer", "m", "Update: needs the Manage keypair permission (you are Developer)"),
        ("developer", "D",
         "Delete: needs the Approve keypair delete permission (you are Developer)"),
    ],
)
async def test_roles_that_may_not_are_told_which_permission_in_write_mode(
    app_factory: Callable[..., StmApp], role: str, key: str, reason: str
) -> None:
    app = app_factory(role=role)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "2", anything)
        await pilot.press(key)
        await pilot.pause()
        assert notes[-1] == reason
        assert not isinstance(app.screen, RequestForm | IrreversibleScreen)
        await pilot.press("question_mark")
        assert reason.split(": ", 1)[1] in screen_text(app)


async def test_a_forced_update_by_a_developer_shows_the_services_refusal(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator, role="developer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        # No team of its own: no team permission can grant "Manage keypair" on it.
        screen = await open_list_on(pilot, "2", lambda k: anything(k) and not k.groups)
        kp = screen.selected_item()
        assert isinstance(kp, Keypair) and kp.alias
        # What a stale permission list would let through: the service has the last word.
        app.writes.confirm(update_keypair(kp.id, kp.alias, UpdateKeypair(alias="forced-name")))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        text = screen_text(app)
        assert f"failed: Update keypair {kp.alias} (alias)" in text
        assert "permission denied (403)" in text
        assert "your role does not allow this; ask a Lead" in text
    assert keypair_named(fresh_emulator, "forced-name") is None


async def test_on_keypairs_the_monitor_key_opens_the_monitor_and_m_updates(
    fresh_emulator: EmulatorServer,
) -> None:
    # `M` is the app-wide "Monitor releases"; Keypairs' update used to take it over there.
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "2", anything)
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MonitorScreen))
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
