"""Moving around as terminal users expect: vi keys in lists, Enter on an Overview item lands
on its detail, and Esc after such a jump goes back to where it started."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.overview import OverviewScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from tests.tui.conftest import loaded, wait_until


async def test_vi_keys_move_the_list_cursor(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        table = screen.table
        last = table.row_count - 1
        assert table.cursor_row == 0 and last > 20
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == last
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("ctrl+d")
        half = table.cursor_row
        assert 0 < half < last
        await pilot.press("ctrl+d")
        assert table.cursor_row == 2 * half
        await pilot.press("ctrl+u", "ctrl+u")
        assert table.cursor_row == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_enter_on_an_overview_item_opens_its_detail_and_esc_comes_back(
    app_factory: Callable[..., StmApp], size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        key = overview.table.cursor_key
        assert key is not None
        resource, ident = key.split(":", 1)
        await pilot.press("enter")
        if size[0] < 110:
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            assert (detail.resource, detail.key) == (resource, ident)
        else:
            await wait_until(pilot, lambda: isinstance(app.screen, ListScreen))
            listing = app.screen
            assert isinstance(listing, ListScreen)
            assert listing.query_one("#detail", DetailPane).display
            assert listing.detail_key == ident
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        assert app.screen is overview


async def test_leaving_by_an_area_key_forgets_the_jump(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        resource = (overview.table.cursor_key or "").split(":", 1)[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ListScreen))
        area_key = app.screen.area.key  # type: ignore[attr-defined]
        other = "6" if area_key != "6" else "7"
        await pilot.press(other, area_key)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListScreen) and screen.area.collection == resource
        await pilot.press("escape")  # closes the detail, stays in the area
        await pilot.pause()
        assert app.screen is screen
