"""The monitor fed by a dashboard session's store, against the emulator: an outage shows as
disconnected with the last good data kept, and every signature made meanwhile is shown
after it; a window older than the store's history is completed by one read of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from stm_tui.api.command_log import CallRecord
from stm_tui.api.resources import ResourceName
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.views.monitor.client_source import ClientSource
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.store_feed import StoreFeed, windows_in_store
from tests.integration._emu import client_for, set_faults
from tests.integration._monitor import (
    ManualClock,
    keypair_named,
    release_named,
    sign_inside,
    ticking_emulator,
)

FAST: dict[ResourceName, float] = {"signatures": 0.05, "releases": 0.05, "scans": 0.05}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock) -> Iterator[EmulatorServer]:
    yield from ticking_emulator(tmp_path / "emulator", clock)


def quick_backoff(failures: int, interval: float) -> float:
    return 0.05


async def session_for(server: EmulatorServer, clock: ManualClock, **kw: object) -> Session:
    session = Session(client_for(server, "lead", read_only=True), clock=clock,
                      resources=("signatures", "releases", "scans"), intervals=FAST,
                      backoff=quick_backoff, **kw)  # type: ignore[arg-type]
    await session.start()
    return session


async def until(clock: ManualClock, predicate: Callable[[], bool], limit: float = 20) -> None:
    """Let the polls run (the clock moving, so each is news) until `predicate()` holds."""
    for _ in range(int(limit / 0.02)):
        if predicate():
            return
        clock.advance(seconds=0.1)
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


@pytest.fixture
async def running() -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for task in tasks:
        task.cancel()


async def test_an_outage_loses_no_signature(
    server: EmulatorServer, clock: ManualClock, running: list[asyncio.Task[None]]
) -> None:
    session = await session_for(server, clock)
    try:
        hotfix = release_named(server, "platform-q4-hotfix")
        await until(clock, lambda: session.history("signatures").loaded  # type: ignore[union-attr]
                    and hotfix["id"] in session.store.collection("releases").items)
        model = MonitorModel(windows_in_store(session.store, [hotfix["id"]]), clock=clock)
        feed = StoreFeed(session, model)
        running.append(asyncio.create_task(feed.run()))
        await until(clock, lambda: feed.polls >= 2)
        wm = model.windows[hotfix["id"]]
        held = (wm.success, [a.id for a in wm.stream])
        keypair = keypair_named(server, "platform-container-sign")["id"]
        set_faults(server, error_rate=1.0, retry_after=0)
        made = []
        try:
            await until(clock, lambda: not model.freshness.connected)
            assert "DISCONNECTED since" in model.freshness.text(clock.now)
            for n in range(10):
                clock.advance(seconds=2)
                made.append(sign_inside(server, "build_engineer", keypair, n))
                await asyncio.sleep(0.05)
            assert (wm.success, [a.id for a in wm.stream]) == held  # as of the last good poll
        finally:
            set_faults(server)
        await until(clock, lambda: wm.success == held[0] + 10)
        assert model.freshness.connected
        assert [a.id for a in wm.stream][:10] == list(reversed(made))
        assert feed.requests == 0
    finally:
        await session.stop()


async def test_history_older_than_the_stores_is_read_once(
    server: EmulatorServer, clock: ManualClock, running: list[asyncio.Task[None]]
) -> None:
    # The store holds the newest 5 signatures only: platform-fw-7.1's 12 reach further back.
    session = await session_for(server, clock, signature_log_limit=5)
    reads: list[tuple[str, ...]] = []

    def on_call(record: CallRecord) -> None:
        if record.path.endswith("/signatures") and "from" in record.query_keys:
            reads.append(record.query_keys)

    session.command_log.subscribe(on_call)
    try:
        fw = release_named(server, "platform-fw-7.1")
        # The window must be in the store too: the model is built from what the store holds.
        await until(clock, lambda: session.history("signatures").loaded  # type: ignore[union-attr]
                    and fw["id"] in session.store.collection("releases").items)
        model = MonitorModel(windows_in_store(session.store, [fw["id"]]), clock=clock)
        feed = StoreFeed(session, model, history_source=ClientSource(session.client))  # type: ignore[arg-type]
        running.append(asyncio.create_task(feed.run()))
        await until(clock, lambda: feed.polls >= 3)
        wm = model.windows[fw["id"]]
        assert wm.success == fw["signature_count"] == 12
        assert len({a.id for a in wm.stream}) == len(wm.stream)  # none counted twice
        assert feed.requests == len(reads) == 1 and not feed.history_partial
        await until(clock, lambda: feed.polls >= 6)
        assert len(reads) == 1  # once, not per poll
    finally:
        await session.stop()
