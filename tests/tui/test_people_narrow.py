"""At 80 columns a user, team or account opens on its own screen: the same people actions on
the same keys, through the same forms and confirmations as the wide list, named in that
screen's footer; end to end against the emulator and read back through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from stm_tui.api.models import Team, User
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.people import actions as pa
from stm_tui.tui.people.screens import (
    AccountDetailScreen,
    PeopleDetailScreen,
    TeamDetailScreen,
    UserDetailScreen,
)
from stm_tui.tui.writes.confirm import ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.picker import Picker
from tests.tui._people import teams_on_server, type_text, users_on_server
from tests.tui._pilot import (
    detail_text,
    enter_write_mode,
    footer,
    open_list,
    open_list_on,
    recording,
    screen_text,
    selected,
    top,
)
from tests.tui.conftest import loaded, make_app, wait_until

NARROW = (80, 24)


def named(name: str) -> Callable[[object], bool]:
    return lambda item: getattr(item, "name", None) == name


async def open_detail(pilot: Pilot[Any], kind: type[PeopleDetailScreen]) -> PeopleDetailScreen:
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    return top(pilot.app, kind)


async def test_at_80_columns_a_users_own_screen_changes_roles_as_the_list_does(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        listed = await open_list_on(pilot, "7", named("ci-release-bot"))
        bot = selected(listed, User)
        detail = await open_detail(pilot, UserDetailScreen)
        shown = footer(app)
        assert "o Roles" in shown and "D Deactivate" in shown, shown
        # Creations do not act on the user shown: off the footer, still on their key.
        assert "Add user" not in shown
        await pilot.press("a")
        top(app, RequestForm)
        assert "Add a user" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)

        await pilot.press("o")
        form = top(app, RequestForm)
        # Wrapped at 80 columns: "… advises against giving / Lead to a service user …".
        assert "DigiCert advises against giving" in screen_text(app)
        form.query_one("#field-roles", Picker).set_value(("SSM_LEAD",))
        await pilot.pause()
        await pilot.press("ctrl+s")
        modal = top(app, ConfirmScreen)
        assert modal.call.action == "user.roles"
        assert any("advises against giving Lead" in line for line in modal.affects)
        await pilot.press("y")
        users = app.session.store.collection("users")
        await wait_until(pilot, lambda: users.items[bot.id].role_codes == ["SSM_LEAD"])
        # Back on the user's screen, which shows the new role.
        await wait_until(pilot, lambda: app.screen is detail)
        assert "roles               Lead" in detail_text(app)
    on_server = next(u for u in users_on_server(fresh_emulator) if u["id"] == bot.id)
    assert [r["code"] for a in on_server["applications"] for r in a["roles"]] == ["SSM_LEAD"]


async def test_at_80_columns_a_teams_own_screen_names_its_six_actions_and_deactivates_it(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        listed = await open_list_on(pilot, "8", named("Desktop Apps"))
        team = selected(listed, Team)
        await open_detail(pilot, TeamDetailScreen)
        shown = footer(app)
        for entry in ("+ Add", "- Remove", "P Perms", "m Map", "X Deactivate", "D Delete"):
            assert entry in shown, shown
        await pilot.press("X")
        top(app, IrreversibleScreen)
        assert "lose what the team gave them" in screen_text(app)
        await type_text(pilot, "Desktop Apps")
        await pilot.press("enter")
        teams = app.session.store.collection("teams")
        await wait_until(pilot, lambda: teams.items[team.id].status == "DISABLED")
        # A deactivated team takes no member and cannot be deactivated again.
        await wait_until(pilot, lambda: "X Deactivate" not in footer(app))
        assert "+ Add" not in footer(app) and "D Delete" in footer(app)
    on_server = next(t for t in teams_on_server(fresh_emulator) if t["id"] == team.id)
    assert on_server["status"] == "DISABLED"


async def test_at_80_columns_a_team_lead_is_told_on_another_teams_screen_why_not(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator, role="team_lead")
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        me = app.session.me
        assert me is not None
        teams = app.session.store.collection("teams").items.values()
        other = next(t for t in teams
                     if isinstance(t, Team) and all(m.user_id != me.id for m in t.members))
        await open_list_on(pilot, "8", named(other.name or ""))
        detail = await open_detail(pilot, TeamDetailScreen)
        await pilot.press("plus")
        assert notes[-1].startswith(f"Add member: you do not manage team {other.name}")
        assert app.screen is detail  # no form opened


async def test_at_80_columns_an_accounts_own_screen_offers_its_2fa_action(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await open_list(pilot, "9")
        await open_detail(pilot, AccountDetailScreen)
        shown = footer(app)
        # One of the two fits the account's current setting; read-only mode dims it.
        offered = [a for a in pa.ACCOUNT_ACTIONS if f"{a.key} {a.label}" in shown]
        assert len(offered) == 1, shown
