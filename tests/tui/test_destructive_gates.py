"""Destructive actions are gated (reliability checklist 14, issue 16 item 11).

- Read-only: every area and every write action the resource views declare is tried the way
  a user would (its key on an item it applies to) and the way code would (the flow's
  execution hook, `Session.write`, the client itself); the emulator sees zero non-GET
  requests. Every write builder of `stm_tui.api.writes` is refused before the network too.
- Write mode: every irreversible action asks for the name to be typed; no key, a wrong or a
  partial name confirms it.
- An audit file that cannot take the intent line blocks the write; nothing is sent.

The actions and builders are enumerated (`WRITE_ACTIONS`, `tests.writes_catalog`), so a
new one is covered by these tests as soon as it is declared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.models import Resource
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.audit_file import AuditFile, AuditUnavailable
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.actions import WRITE_ACTIONS
from stm_tui.tui.app import StmApp
from stm_tui.tui.areas import AREAS, BY_COLLECTION
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.writes.confirm import CallModal, IrreversibleScreen
from stm_tui.tui.writes.outcome import OutcomeScreen
from stm_tui.views.actions import WriteAction
from stm_tui.views.resources import VIEWS, ResourceName
from tests.integration._emu import reset_stats, stats, writes_seen
from tests.tui._pilot import app_of, enter_write_mode, top
from tests.tui.conftest import loaded, make_app, wait_until
from tests.writes_catalog import all_calls

# The people actions are offered by the Users, Accounts and Teams list screens themselves.
_PEOPLE_AREAS: dict[str, ResourceName] = {
    "user": "users", "authenticator": "users", "account": "accounts", "team": "teams"
}


def resource_of(action: WriteAction) -> ResourceName | None:
    """The list area that offers `action` (None: it lives on a screen of its own, such as
    the CertCentral screen, whose gates tests/tui/test_profiles_certcentral.py walks)."""
    declared = next((name for name, view in VIEWS.items() if action in view.actions), None)
    if declared is None:
        declared = _PEOPLE_AREAS.get(action.id.split(".", 1)[0])
    if declared == "account_settings" and action.id.startswith("account_settings."):
        declared = "keypair_profiles"  # "require a keypair profile" sits on that list
    return declared if declared in BY_COLLECTION else None


ON_LISTS = [a for a in WRITE_ACTIONS.values() if resource_of(a) is not None]


def test_nearly_every_write_action_is_offered_on_a_list() -> None:
    # Only the CertCentral screen's six are elsewhere; a new action that lands nowhere fails.
    assert {a.id for a in WRITE_ACTIONS.values()} - {a.id for a in ON_LISTS} == {
        f"certcentral.{verb}"
        for verb in ("set", "update", "validate", "enable", "disable", "delete")
    }


async def open_on_applicable(
    pilot: Pilot[Any], action: WriteAction
) -> tuple[ListScreen, Resource]:
    """The list the action sits on, the cursor on an item it applies to (or the first)."""
    app = app_of(pilot)
    resource = resource_of(action)
    assert resource is not None, action.id
    await pilot.press(BY_COLLECTION[resource].key)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ListScreen)
    items = app.session.store.collection(screen.view.resource).items
    keys = list(screen.table.visible_keys())
    assert keys, f"{screen.view.resource}: nothing listed to act on"
    target = next((k for k in keys if action.applies(items[k]) is None), keys[0])
    assert screen.focus_key(target)
    await pilot.pause()
    return screen, items[target]


async def test_read_only_no_area_and_no_write_action_sends_anything_but_gets(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    tried: set[str] = set()
    forced: set[str] = set()  # the ones also sent past the UI (they build their call)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        reset_stats(fresh_emulator)
        for area in AREAS:  # every area, its list and the detail of its first row
            await pilot.press(area.key)
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("escape")
        for action in ON_LISTS:
            screen, item = await open_on_applicable(pilot, action)
            binding = screen.active_bindings.get(action.key)
            assert binding is None or binding.enabled is False, action.id
            await pilot.press(action.key)
            await pilot.pause()
            assert not isinstance(app.screen, CallModal), f"{action.id} asked to confirm"
            tried.add(action.id)
            if action.build is None:
                continue  # a form or workflow builds its call: the catalog's calls are below
            # Past the UI's guard: the flow's execution hook, the session, the client.
            try:
                call = action.build(item)
            except ValueError:
                continue  # a people form builds it (user.create, ...): the catalog covers it
            app.writes.perform(call)
            await wait_until(pilot, lambda: isinstance(app.screen, OutcomeScreen))
            assert "read-only" in str(top(app, OutcomeScreen).outcome.details), action.id
            app.pop_screen()  # the failure said; nothing was sent (counted below)
            await pilot.pause()
            with pytest.raises(ReadOnlyError):
                await app.session.write(call)
            with pytest.raises(ReadOnlyError):
                await app.session.client.execute(call)
            forced.add(action.id)
        await pilot.pause(0.2)  # let anything a hook started reach the server
        assert app.session.read_only
    assert tried == {a.id for a in ON_LISTS} and tried
    assert {"keypair.suspend", "certificate.revoke"} <= forced  # the hook part ran
    assert writes_seen(fresh_emulator) == {}
    assert any(k.startswith("GET ") for k in stats(fresh_emulator))  # it did talk to it


async def test_read_only_refuses_every_write_builder_before_the_network(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)  # a read-only client, as the dashboard gets it
    client = app.session.client
    reset_stats(fresh_emulator)
    calls = all_calls()
    try:
        for name, call in calls:
            try:
                await client.execute(call)
            except ReadOnlyError as exc:
                assert "read-only" in str(exc), name
            else:
                raise AssertionError(f"{name}: sent in read-only mode")
    finally:
        await client.aclose()
    assert len(calls) >= 20
    assert stats(fresh_emulator) == {}


# DELETEs that undo nothing for good: a member removed is added back the same way.
REVERSIBLE_DELETES = {"team.remove_member"}


def test_every_destructive_builder_is_irreversible_and_names_what_must_be_typed() -> None:
    destructive_verbs = ("delete", "revoke", "close", "deactivate")
    checked = 0
    for name, call in all_calls():
        verb = call.action.rsplit(".", 1)[-1]
        if call.action in REVERSIBLE_DELETES:
            assert call.tier is Tier.CONFIRM, name
        elif call.method == "DELETE" or verb in destructive_verbs:
            checked += 1
            assert call.tier is Tier.IRREVERSIBLE, name
            assert call.target is not None and call.confirm_text == call.target.label, name
    assert checked >= 5


IRREVERSIBLE = [a for a in ON_LISTS if a.tier is Tier.IRREVERSIBLE]


def test_the_dashboard_offers_irreversible_actions_to_gate() -> None:
    assert IRREVERSIBLE, "no irreversible action is declared: the next test proves nothing"


def recorded_performs(app: StmApp) -> list[WriteCall]:
    performed: list[WriteCall] = []

    def record(call: WriteCall, then: object = None) -> None:
        performed.append(call)

    app.writes.perform = record  # type: ignore[method-assign]
    return performed


@pytest.mark.parametrize("action", IRREVERSIBLE, ids=[a.id for a in IRREVERSIBLE])
async def test_an_irreversible_action_runs_only_once_the_exact_name_is_typed(
    fresh_emulator: EmulatorServer, action: WriteAction
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        performed = recorded_performs(app)
        await enter_write_mode(pilot)
        _screen, item = await open_on_applicable(pilot, action)
        assert action.applies(item) is None, f"no item {action.id} applies to"
        await pilot.press(action.key)
        await wait_until(pilot, lambda: isinstance(app.screen, IrreversibleScreen))
        modal = app.screen
        assert isinstance(modal, IrreversibleScreen)
        name = modal.expected
        assert name and name == modal.call.confirm_text
        confirm = modal.query_one("#confirm", Button)
        typed = modal.query_one("#typed", Input)
        # No key confirms alone, nor a partial, a longer or a differently cased name.
        await pilot.press("enter", "y")
        cased = name.swapcase() if name.swapcase() != name else f" {name}"
        for attempt in (name[:-1], name + "x", cased):
            typed.value = attempt
            await pilot.press("enter", "y")
            await pilot.pause()
            assert app.screen is modal and confirm.disabled, repr(attempt)
        assert performed == []
        typed.value = ""
        await pilot.press(*name)  # typed as a user types it
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is not modal
        assert [c.action for c in performed] == [action.id]


# -- the audit file fails closed -----------------------------------------------------------


def _parent_is_a_file(tmp: Path) -> Path:
    (tmp / "blocker").write_text("")
    return tmp / "blocker" / "audit.jsonl"


def _a_directory(tmp: Path) -> Path:
    (tmp / "audit.jsonl").mkdir()
    return tmp / "audit.jsonl"


def _a_symlink(tmp: Path) -> Path:
    # Someone pointing the audit file elsewhere: O_NOFOLLOW refuses to follow it.
    (tmp / "elsewhere").write_text("")
    (tmp / "audit.jsonl").symlink_to(tmp / "elsewhere")
    return tmp / "audit.jsonl"


def _writable_by_others(tmp: Path) -> Path:
    path = tmp / "audit.jsonl"
    path.write_text("")
    path.chmod(0o666)
    return path


def _owned_by_another_user(tmp: Path) -> Path:
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = tmp / "audit.jsonl"
    path.write_text("")
    path.chmod(0o600)
    os.chown(path, 54321, 54321)
    return path


UNWRITABLE: dict[str, Callable[[Path], Path]] = {
    "parent is a file": _parent_is_a_file,
    "a directory": _a_directory,
    "a symlink": _a_symlink,
    "writable by others": _writable_by_others,
    "owned by another user": _owned_by_another_user,
}


@pytest.fixture
def audit_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    yield folder


@pytest.mark.parametrize("how", list(UNWRITABLE))
async def test_an_audit_file_that_cannot_take_the_intent_blocks_the_write(
    fresh_emulator: EmulatorServer, audit_dir: Path, how: str
) -> None:
    path = UNWRITABLE[how](audit_dir)
    app = make_app(fresh_emulator)
    session = app.session
    session.read_only = False
    action = WRITE_ACTIONS["keypair.suspend"]
    keypairs = await session.client.list_all("keypairs")
    item = next(k for k in keypairs if action.applies(k) is None)
    assert action.build is not None
    reset_stats(fresh_emulator)
    try:
        with pytest.raises(AuditUnavailable) as info:
            await session.write(action.build(item), audit=AuditFile(path))
    finally:
        await session.client.aclose()
    assert str(path) in str(info.value)
    assert writes_seen(fresh_emulator) == {}
