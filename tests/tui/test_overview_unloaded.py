"""An area that never loaded never looks like an all-clear, and `r` fetches even while
polling is paused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Static

from stm_tui.emulator.server import EmulatorServer
from stm_tui.store.store import Freshness
from stm_tui.tui.app import StmApp
from tests.tui._pilot import recording
from tests.tui.conftest import app_at, loaded, wait_until


def summary(app: StmApp) -> str:
    return str(app.screen.query_one("#summary", Static).render())


async def test_a_wrong_api_key_says_not_loaded_instead_of_nothing_needs_attention(
    emulator: EmulatorServer,
) -> None:
    app = app_at(emulator.url, "wrong-key-0000")
    async with app.run_test(size=(80, 24)) as pilot:
        store = app.session.store
        await wait_until(
            pilot,
            lambda: all(
                store.collection(r).status.state is Freshness.ERROR
                for r in ("certificates", "releases", "scans", "keypairs", "users")
            ),
        )
        text = summary(app)
        assert "nothing needs attention" not in text
        assert "not loaded:" in text and "certificates" in text and "(auth)" in text


async def test_a_resource_the_role_may_not_read_is_named_not_hidden(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory(role="signer")  # a Signer lacks VIEW_SM_THREAT_DETECTION
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: "scans (no permission)" in summary(app))
        assert "nothing needs attention" not in summary(app)


async def test_r_while_paused_fetches_once_and_says_so(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        messages = recording(app)
        await pilot.press("p")
        assert app.session.poller.paused
        fetched: list[str] = []
        client: Any = app.session.client
        list_all = client.list_all

        async def counting(resource: str, **filters: Any) -> Any:
            fetched.append(resource)
            return await list_all(resource, **filters)

        client.list_all = counting
        await pilot.press("r")
        await wait_until(pilot, lambda: "releases" in fetched and "users" in fetched)
        assert app.session.poller.paused  # a manual refresh does not resume polling
        assert any("once" in m and "paused" in m for m in messages), messages
