"""The append-only logs against the emulator (issue 8 items 12 and 13): new entries keep
appearing even after an entry stamped in the future, the session says how much history it
holds, and older history loads page by page until it matches what `get audit` returns."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.api.writes.teams import CreateTeam, create_team
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.store.history import History
from stm_tui.store.store import Diff
from stm_tui.store.sync import SIGNATURE_LOG_LIMIT
from tests.conftest import FROZEN_NOW, MovableClock
from tests.integration._emu import client_for, create_keypair, of, one


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def emulator_with_clock(tmp_path: Path, clock: MovableClock) -> Iterator[EmulatorServer]:
    server = EmulatorServer(data_dir=tmp_path / "emu", seed="demo", activity=False, clock=clock)
    with server:
        yield server


@pytest.fixture
async def writer(emulator_with_clock: EmulatorServer) -> AsyncIterator[STMClient]:
    async with client_for(emulator_with_clock, read_only=False) as client:
        yield client


async def until(check: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def session_for(
    server: EmulatorServer, clock: MovableClock, signature_log_limit: int = SIGNATURE_LOG_LIMIT
) -> Session:
    # Pages of 20 so that the seed's ~200 entries span several pages either side of the
    # 30-day window.
    return Session(
        client_for(server, page_size=20),
        resources=("audit", "signatures"),
        intervals={"audit": 0.05, "signatures": 0.05},
        clock=clock,
        signature_log_limit=signature_log_limit,
    )


def held_history(session: Session, name: str) -> History:
    history = session.history(name)
    assert history is not None
    return history


async def test_new_entries_appear_after_an_entry_stamped_in_the_future(
    emulator_with_clock: EmulatorServer, writer: STMClient, clock: MovableClock
) -> None:
    # One audit entry and one signature two days ahead of everyone else's clock.
    kp = await create_keypair(writer, "it-history-key", key_alg="ECDSA", curve="P256")
    clock.now = FROZEN_NOW + timedelta(days=2)
    await writer.execute(create_team(CreateTeam(name="it-from-the-future")))
    future_sig = await writer.sign(kp.id, hashlib.sha256(b"future").digest(), "SHA256withECDSA")
    clock.now = FROZEN_NOW

    session = session_for(emulator_with_clock, clock)
    await session.start()
    try:
        audit = session.store.collection("audit")
        signatures = session.store.collection("signatures")
        await until(lambda: audit.loaded and signatures.loaded, "the first loads")
        assert signatures.get(future_sig.id) is not None
        assert any(e.created_on and e.created_on > FROZEN_NOW for e in audit.items.values())

        made = await writer.execute(create_team(CreateTeam(name="it-made-now")))
        team = one(m.Team, made.resource)
        sig = await writer.sign(kp.id, hashlib.sha256(b"now").digest(), "SHA256withECDSA")
        await until(
            lambda: any(e.resource_id == team.id for e in audit.items.values()),
            "the new audit entry",
        )
        await until(lambda: signatures.get(sig.id) is not None, "the new signature")
    finally:
        await session.stop()


async def test_the_session_says_what_history_it_holds_and_loads_older_on_request(
    emulator_with_clock: EmulatorServer, clock: MovableClock
) -> None:
    async with client_for(emulator_with_clock) as reader:
        server_total = await reader.count("audit")
        everything = of(m.AuditEvent, await reader.list_all("audit"))
    assert len(everything) == server_total
    oldest_on_server = min(e.created_on for e in everything if e.created_on)
    assert oldest_on_server < FROZEN_NOW - timedelta(days=31)  # the seed has older history

    session = session_for(emulator_with_clock, clock)
    await session.start()
    try:
        audit = session.store.collection("audit")
        await until(lambda: audit.loaded, "the first load")
        history = session.history("audit")
        assert history is not None and history.loaded
        assert history.complete is False
        assert history.total == server_total
        assert history.loaded_from is not None
        # About 30 days: the first load stops at the page that crosses the window.
        assert history.loaded_from < FROZEN_NOW - timedelta(days=30)
        assert history.loaded_from > oldest_on_server
        first = len(audit)
        assert first < server_total

        added = await session.load_older("audit")
        assert added > 0 and len(audit) == first + added
        older = held_history(session, "audit")
        assert older.loaded_from is not None and older.loaded_from <= history.loaded_from

        while not held_history(session, "audit").complete:
            assert await session.load_older("audit", pages=5) > 0
        assert len(audit) == server_total
        assert set(audit.items) == {e.id for e in everything}
        assert held_history(session, "audit").loaded_from == oldest_on_server
        assert await session.load_older("audit") == 0
    finally:
        await session.stop()


async def test_the_seed_writes_no_audit_entry_or_signature_in_the_future(
    emulator: EmulatorServer,
) -> None:
    async with client_for(emulator) as reader:
        entries = of(m.AuditEvent, await reader.list_all("audit"))
        signatures = of(m.Signature, await reader.list_all("signatures"))
    stamps = [e.created_on for e in entries if e.created_on]
    stamps += [s.created_on for s in signatures if s.created_on]
    assert stamps and max(stamps) <= FROZEN_NOW


async def test_the_signature_log_holds_the_newest_up_to_its_limit_evicting_the_oldest(
    emulator_with_clock: EmulatorServer, writer: STMClient, clock: MovableClock
) -> None:
    kp = await create_keypair(writer, "it-limit-key", key_alg="ECDSA", curve="P256")
    session = session_for(emulator_with_clock, clock, signature_log_limit=10)
    diffs: list[Diff] = []
    session.store.subscribe(diffs.append, ("signatures",))
    await session.start()
    try:
        signatures = session.store.collection("signatures")
        await until(lambda: signatures.loaded, "the first load")
        assert len(signatures) == 10
        first = dict(signatures.items)
        history = held_history(session, "signatures")
        assert history.at_limit and not history.complete
        oldest_held = min(s.created_on for s in first.values() if s.created_on)

        clock.now = FROZEN_NOW + timedelta(minutes=1)
        fresh = {
            (await writer.sign(kp.id, hashlib.sha256(bytes([n])).digest(), "SHA256withECDSA")).id
            for n in range(3)
        }
        await until(lambda: fresh <= set(signatures.items), "the new signatures")
        assert len(signatures) == 10
        evicted = set(first) - set(signatures.items)
        assert len(evicted) == 3
        # The oldest went, through a diff the views see as removals.
        kept = min(s.created_on for s in signatures.items.values() if s.created_on)
        assert all((first[i].created_on or oldest_held) <= kept for i in evicted)
        assert evicted <= {key for d in diffs for key in d.removed}
        assert held_history(session, "signatures").held == 10
        assert await session.load_older("signatures") == 0
    finally:
        await session.stop()
