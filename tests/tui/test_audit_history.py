"""The audit list says how much history it holds and `L` loads older entries (issue 8
item 13): "107/107" must not look like the whole log."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from textual.widgets import Static

from stm_tui.api.client import STMClient
from stm_tui.session import Session
from stm_tui.tui.app import StmApp
from tests.tui.conftest import LOCAL, SHOWN_HOST, frozen, loaded, wait_until


def small_page_app(server: Any) -> StmApp:
    # Pages of 20 so the seed's history spans several pages either side of the window.
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True, page_size=20)
    client.host = SHOWN_HOST
    session = Session(client, profile_name="demo", clock=frozen, local=LOCAL)
    return StmApp(session)


def view_info(app: StmApp) -> str:
    return str(app.screen.query_one("#view-info", Static).render())


async def test_the_audit_list_says_30_days_are_loaded_and_l_loads_older(emulator: Any) -> None:
    app = small_page_app(emulator)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("6")
        await wait_until(pilot, lambda: "days loaded" in view_info(app))
        assert "30 days loaded · L loads older" in view_info(app)
        held = len(app.session.store.collection("audit"))
        history = app.session.history("audit")
        assert history is not None and history.total is not None and held < history.total

        await pilot.press("L")
        await wait_until(pilot, lambda: len(app.session.store.collection("audit")) > held)
        await wait_until(pilot, lambda: "30 days" not in view_info(app))
        info = view_info(app)
        assert "whole log loaded" in info or "since " in info
        messages = [str(n.message) for n in app._notifications]
        assert any("stm-tui get audit" in m for m in messages)
