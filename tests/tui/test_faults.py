"""A failing service never crashes the app: areas show the error, keep their data, recover."""

from __future__ import annotations

from typing import Any

import httpx
from textual.widgets import Static

from stm_tui.tui.screens.list_screen import ListScreen
from tests.tui.conftest import loaded, make_app, wait_until


def set_faults(server: Any, **spec: Any) -> None:
    response = httpx.put(
        f"{server.url}/_emulator/faults",
        json=spec,
        headers={"x-emulator-admin-token": server.admin_token},
    )
    response.raise_for_status()


def freshness(app: Any) -> str:
    return str(app.screen.query_one("#freshness", Static).render())


async def test_errors_show_with_the_last_good_data_and_recover(fresh_emulator: Any) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        table = screen.table
        before = table.total_count
        assert before > 0
        try:
            set_faults(fresh_emulator, error_rate=1.0)
            await pilot.press("r")
            await wait_until(pilot, lambda: "✖" in freshness(app), limit=30)
            assert "✖ certificates:" in freshness(app)  # which resource is failing
            assert table.total_count == before  # the last good data stays
            assert app.is_running
            # Every area keeps working while the service fails.
            await pilot.press("4", "3")
            back: object = app.screen
            assert back is screen
        finally:
            set_faults(fresh_emulator, error_rate=0.0)
        await pilot.press("r")
        await wait_until(pilot, lambda: "updated" in freshness(app), limit=30)
        assert table.total_count == before
