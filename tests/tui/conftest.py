"""Build the dashboard against the emulator, deterministically (frozen clock, fixed identity)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot

from stm_tui.api.client import STMClient
from stm_tui.session import Session
from stm_tui.store.store import Freshness
from stm_tui.tui.app import StmApp

# The emulator fixture's fixed clock: data, relative dates and "updated … ago" all agree.
FROZEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SHOWN_HOST = "https://stm.demo.test"
LOCAL = "tester@jump-host"


def frozen() -> datetime:
    return FROZEN


def make_app(server: Any, *, role: str = "lead", **app_kw: Any) -> StmApp:
    key = server.credentials["users"][role]["api_key"]
    return app_at(server.url, key, **app_kw)


def app_at(url: str, key: str, **app_kw: Any) -> StmApp:
    """The dashboard on any server (a hostile proxy, say) with this API key."""
    client = STMClient(url, SecretStr(key), read_only=True)
    # Only the label in the identity bar: the emulator's port changes every run.
    client.host = SHOWN_HOST
    session = Session(client, profile_name="demo", clock=frozen, local=LOCAL)
    return StmApp(session, **app_kw)


@pytest.fixture(autouse=True)
def _no_animation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    yield


@pytest.fixture
def app_factory(emulator: Any) -> Callable[..., StmApp]:
    def factory(**kw: Any) -> StmApp:
        return make_app(emulator, **kw)

    return factory


def everything_loaded(app: StmApp) -> bool:
    store = app.session.store
    return app.session.identity is not None and all(
        store.collection(name).status.state is not Freshness.LOADING for name in store.names
    )


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], limit: float = 15.0) -> None:
    """Let the app run until `predicate()` holds (bounded; not a timing assertion)."""
    step = 0.05
    for _ in range(int(limit / step)):
        if predicate():
            await pilot.pause()
            return
        await pilot.pause(step)
    raise AssertionError(f"condition not met within {limit} s")


async def loaded(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, StmApp)
    await wait_until(pilot, lambda: everything_loaded(app))
