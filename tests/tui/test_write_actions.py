"""Write actions on a list: offered in the footer, the help and the palette with the same
reason when they may not run, confirmed by the modal of their tier, then sent through the
session."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from rich.text import Text
from textual.widgets import Static

from stm_tui.api.models import Certificate, Keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.writes.confirm import ConfirmScreen, IrreversibleScreen
from stm_tui.views.actions import REVOKE_CERTIFICATE
from tests.tui._pilot import (
    audit_lines,
    enter_write_mode,
    footer,
    open_list_on,
    recording,
    screen_text,
)
from tests.tui.conftest import loaded, make_app, wait_until

READ_ONLY = "read-only: press W to enter write mode"


def online(item: object) -> bool:
    return isinstance(item, Keypair) and item.key_status == "ONLINE"


def offline(item: object) -> bool:
    return isinstance(item, Keypair) and item.key_status == "OFFLINE"


async def test_read_only_shows_the_action_dimmed_and_every_place_gives_the_same_reason(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        screen = await open_list_on(pilot, "2", online)
        assert "X Suspend" in footer(app)
        assert screen.active_bindings["X"].enabled is False  # shown, dimmed
        await pilot.press("X")
        assert notes[-1] == f"Suspend: {READ_ONLY}"
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # Every action of the list is refused for the same reason: they share one line.
        writes = app.screen.query_one("#help-writes", Static).content
        assert isinstance(writes, Text)
        assert writes.plain.startswith("X Suspend · U Unsuspend · N New keypair")
        assert writes.plain.endswith(f"D Delete: {READ_ONLY}") and "\n" not in writes.plain
        await pilot.press("escape", "ctrl+p", *"Suspend keypair")
        await wait_until(pilot, lambda: f"key X: {READ_ONLY}" in screen_text(app))


async def test_a_role_without_the_permission_is_told_which_one_even_in_write_mode(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory(role="signer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "2", online)
        await pilot.press("X")
        assert notes[-1] == "Suspend: needs the Manage keypair permission (you are Signer)"


async def test_suspend_confirms_the_exact_call_then_sends_it_once_and_records_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        screen = await open_list_on(pilot, "2", online)
        await enter_write_mode(pilot)
        item = screen.selected_item()
        assert isinstance(item, Keypair)
        assert screen.active_bindings["X"].enabled is True
        await pilot.press("X")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.call.action == "keypair.suspend"
        assert modal.call.path.endswith(f"/keypairs/{item.id}/suspend")
        await pilot.press("y")
        keypairs = app.session.store.collection("keypairs")
        await wait_until(pilot, lambda: keypairs.items[item.id].key_status == "OFFLINE")
        await wait_until(pilot, lambda: f"keypair {item.alias} suspended (OFFLINE)" in notes)
        audit = audit_lines(app)
    key = fresh_emulator.credentials["users"]["lead"]["api_key"]
    async with httpx.AsyncClient(base_url=fresh_emulator.url, headers={"x-api-key": key}) as http:
        on_server = (await http.get(f"/signingmanager/api/v1/keypairs/{item.id}")).json()
    assert on_server["key_status"] == "OFFLINE"
    # One intent line before the call, one outcome line after it.
    assert [line["kind"] for line in audit] == ["intent", "outcome"]
    assert audit[0]["call"]["action"] == "keypair.suspend" and audit[1]["result"] == "ok"


async def test_an_action_that_does_not_fit_the_item_leaves_the_footer_and_says_why(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "2", offline)
        assert "U Unsuspend" in footer(app) and "Suspend" not in footer(app).replace(
            "Unsuspend", ""
        )
        await pilot.press("X")
        assert notes[-1] == "Suspend: already suspended (OFFLINE)"
        await pilot.press("j")
        await open_list_on(pilot, "2", online)  # the footer follows the cursor
        assert "X Suspend" in footer(app) and "Unsuspend" not in footer(app)


async def test_revoke_asks_for_the_alias_to_be_typed(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)

        def active(item: object) -> bool:
            return isinstance(item, Certificate) and item.certificate_status == "ACTIVE"

        screen = await open_list_on(pilot, "3", active)
        cert = screen.selected_item()
        assert isinstance(cert, Certificate)
        await pilot.press("R")
        modal = app.screen
        assert isinstance(modal, IrreversibleScreen)
        assert modal.expected == cert.alias
        assert modal.call.action == "certificate.revoke"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_the_detail_on_its_own_screen_offers_the_same_actions_at_80_columns(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        screen = await open_list_on(pilot, "2", online)
        item = screen.selected_item()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        assert "X Suspend" in footer(app)
        await pilot.press("X")
        assert notes[-1] == f"Suspend: {READ_ONLY}"
        await enter_write_mode(pilot)
        await pilot.press("X")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen) and isinstance(item, Keypair)
        assert modal.call.target is not None and modal.call.target.item_id == item.id


async def test_an_item_no_call_can_be_built_for_is_refused_without_ending_the_dashboard(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        odd = Certificate.model_validate({"id": "", "alias": "", "certificate_status": "ACTIVE"})
        app.request_write(REVOKE_CERTIFICATE, odd)  # what `R` does on such an item
        await pilot.pause()
        assert notes[-1] == "Revoke: this item cannot be changed from here"
        assert not isinstance(app.screen, IrreversibleScreen) and app.is_running
