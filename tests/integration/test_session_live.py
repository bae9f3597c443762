"""A whole Session (client + store + poller) against the emulator: who we are, every area
loading, one request in flight per resource under added latency, and the error state with
the last good data kept while the server fails, then recovery without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.store.store import RESOURCES, Diff, Freshness
from tests.integration._emu import client_for, private_emulator, set_faults

KEYPAIRS = "GET /signingmanager/api/v1/keypairs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(Path(tmp_path_factory.mktemp("live")))


@pytest.fixture
async def session(server: EmulatorServer) -> AsyncIterator[Session]:
    set_faults(server)  # none
    live = Session(client_for(server), intervals=dict.fromkeys(RESOURCES, 0.1), local="me@host")
    yield live
    await live.stop()
    set_faults(server)


def reset_stats(server: EmulatorServer) -> None:
    httpx.delete(
        f"{server.url}/_emulator/stats", headers={"x-emulator-admin-token": server.admin_token}
    ).raise_for_status()


def request_count(server: EmulatorServer, key: str) -> int:
    response = httpx.get(
        f"{server.url}/_emulator/stats", headers={"x-emulator-admin-token": server.admin_token}
    )
    counts: dict[str, int] = response.json()["requests"]
    return counts.get(key, 0)


async def until(check: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


async def test_start_knows_who_we_are_and_every_area_loads(session: Session) -> None:
    diffs: list[Diff] = []
    session.store.subscribe(diffs.append)
    await session.start()
    identity = session.identity
    assert identity is not None
    assert identity.roles == ("Lead", "Account Administrator")
    assert identity.user_name == "Dana Whitfield"
    assert identity.local == "me@host"
    assert identity.is_production is False
    await until(
        lambda: all(session.store.collection(n).loaded for n in RESOURCES), "every area loaded"
    )
    # Every collection that holds something arrived through a diff (the lead has no client
    # certificates: an empty list changes nothing).
    held = {n for n in RESOURCES if session.store.collection(n).items}
    assert {d.resource for d in diffs} == held
    assert {"keypairs", "users", "api_tokens"} <= held
    assert len(session.store.collection("keypairs")) >= 30
    assert all(session.store.collection(n).status.state is Freshness.FRESH for n in RESOURCES)


async def test_slow_server_sees_one_request_at_a_time_per_resource(
    session: Session, server: EmulatorServer
) -> None:
    await session.start()
    await until(lambda: session.store.collection("keypairs").loaded, "keypairs loaded")
    set_faults(server, latency_ms=300)
    reset_stats(server)
    for _ in range(10):  # impatient users pressing `r` do not stack requests either
        session.poller.refresh()
        await asyncio.sleep(0.15)
    # 1.5 s of 0.3 s requests with a 0.1 s cadence: overlapping polls would make ~15.
    assert 2 <= request_count(server, KEYPAIRS) <= 6


async def test_failures_keep_the_data_and_recover_without_restart(
    session: Session, server: EmulatorServer
) -> None:
    await session.start()
    keypairs = session.store.collection("keypairs")
    await until(lambda: keypairs.loaded, "keypairs loaded")
    held = dict(keypairs.items)
    set_faults(server, error_rate=1.0)
    await until(lambda: keypairs.status.state is Freshness.ERROR, "error state")
    # 503s come with Retry-After, so the host may be paused as rate-limited.
    assert keypairs.status.error_kind in {"server_error", "transient", "rate_limited"}
    assert keypairs.status.next_try is not None
    assert dict(keypairs.items) == held
    set_faults(server)
    session.poller.refresh()
    await until(lambda: keypairs.status.state is Freshness.FRESH, "recovered")
    assert keypairs.status.error_kind is None
