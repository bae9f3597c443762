"""A store notification or the once-a-second tick can reach an area screen that is on top
but not composed yet (found by the canary test's quick walk through every area, which
crashed the dashboard with NoMatches '#freshness'): it must wait for the screen's mount."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from stm_tui.tui.app import StmApp
from stm_tui.tui.areas import BY_MODE
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.views.resources import VIEWS
from tests.tui.conftest import loaded


async def test_freshness_and_identity_updates_before_compose_wait_for_the_mount(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        screen = ListScreen(BY_MODE["certificate_profiles"], VIEWS["certificate_profiles"])
        screen.update_freshness()  # raised NoMatches before the screen had its widgets
        screen.update_identity()
        await app.push_screen(screen)
        await pilot.pause()
        label = str(screen.query_one("#freshness", Static).render())
        assert "updated" in label
