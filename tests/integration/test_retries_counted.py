"""Retries, counted where they land: at the emulator (reliability checklist 8-10, issue 16
item 5).

- Every write the client can build (enumerated by `tests.writes_catalog`) reaches the
  emulator exactly once under a 500/503 storm, a 429 storm and dropped connections.
- `Retry-After` is waited out between tries (a fake clock, so the test does not wait), and
  one past the cap is capped and pauses every resource of the host: the emulator sees one
  request, not one per resource.
- A 503 storm and a refused connection turn the area stale on the first poll after it
  begins (so within two intervals), keeping the data; it is fresh again without a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.api import errors
from stm_tui.api.client import STMClient
from stm_tui.api.retry import RetryPolicy
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.store.store import Freshness
from tests.conftest import frozen_clock
from tests.integration._emu import (
    FAST,
    api_key,
    clean_faults,
    client_for,
    private_emulator,
    set_faults,
    stats,
)
from tests.writes_catalog import all_calls

KEYPAIRS = "GET /signingmanager/api/v1/keypairs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(Path(tmp_path_factory.mktemp("retries")))


class Admin:
    """The emulator's admin endpoints on one connection (they are not API paths: faults
    never touch them and they are not counted)."""

    def __init__(self, server: EmulatorServer) -> None:
        self._http = httpx.Client(
            base_url=server.url, headers={"x-emulator-admin-token": server.admin_token}
        )

    def faults(self, **spec: float) -> None:
        self._http.put("/_emulator/faults", json=spec).raise_for_status()

    def writes(self) -> dict[str, int]:
        counts: dict[str, int] = self._http.get("/_emulator/stats").json()["requests"]
        return {k: v for k, v in counts.items() if not k.startswith("GET ")}

    def close(self) -> None:
        self.faults()
        self._http.close()


STORMS: dict[str, dict[str, float]] = {
    "500 and 503": {"error_rate": 1.0, "retry_after": 0},
    "429": {"rate_limit_rate": 1.0, "retry_after": 0},
    "dropped connections": {"drop_rate": 1.0},
}


@pytest.mark.parametrize("storm", list(STORMS))
async def test_every_write_reaches_the_emulator_exactly_once(
    server: EmulatorServer, storm: str
) -> None:
    calls = all_calls()
    admin = Admin(server)
    try:
        admin.faults(**STORMS[storm])
        async with client_for(server, read_only=False) as client:
            for name, call in calls:
                before = admin.writes()
                with pytest.raises(errors.StmError):
                    await client.execute(call)
                after = admin.writes()
                sent = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k)}
                assert sum(sent.values()) == 1, (name, sent)
                (line,) = sent
                assert line.startswith(f"{call.method} "), (name, line)
    finally:
        admin.close()
    assert len(calls) >= 20


class FakeTime:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_retry_after_is_waited_out_between_the_tries_the_emulator_sees(
    server: EmulatorServer,
) -> None:
    time = FakeTime()
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01, max_inline_wait=10)
    with clean_faults(server):
        set_faults(server, rate_limit_rate=1.0, retry_after=7)
        async with client_for(server, retry=policy, sleep=time.sleep, clock=time.clock) as c:
            with pytest.raises(errors.RateLimited) as info:
                await c.list_all("keypairs")
        count = stats(server).get(KEYPAIRS, 0)
    assert count == policy.attempts  # 1 + 3, each after the wait the server asked for
    assert len(time.sleeps) == policy.attempts - 1
    assert all(s == pytest.approx(7, abs=0.01) for s in time.sleeps)
    assert info.value.retry_after == pytest.approx(7)


async def test_a_retry_after_past_the_cap_is_capped_and_pauses_the_whole_host(
    server: EmulatorServer,
) -> None:
    time = FakeTime()
    policy = RetryPolicy(retry_after_cap=120, max_inline_wait=10)
    with clean_faults(server):
        set_faults(server, rate_limit_rate=1.0, retry_after=3600)
        async with client_for(server, retry=policy, sleep=time.sleep, clock=time.clock) as c:
            with pytest.raises(errors.RateLimited) as first:
                await c.list_all("keypairs")
            for other in ("certificates", "releases", "teams"):
                with pytest.raises(errors.RateLimited):
                    await c.list_all(other)
            seen = {k: v for k, v in stats(server).items() if k.startswith("GET ")}
            time.now += 121  # past the capped pause: the host is asked again
            set_faults(server)
            assert await c.list_all("teams")
    assert first.value.retry_after == pytest.approx(120)
    assert seen == {KEYPAIRS: 1}  # not 1 + 3, and nothing for the other resources
    assert time.sleeps == []  # never slept through inline


# -- stale within two intervals, fresh again -----------------------------------------------


class CountingClient(STMClient):
    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.listings = 0

    async def list_all(self, resource: str, **filters: Any) -> list[Any]:
        self.listings += 1
        return await super().list_all(resource, **filters)


async def until(check: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


def restarted(server: EmulatorServer) -> EmulatorServer:
    """The same emulator (data, port) started again."""
    again = EmulatorServer(
        data_dir=server.data_dir, seed="demo", port=int(server.url.rsplit(":", 1)[1]),
        activity=False, clock=frozen_clock, admin_token=server.admin_token,
    )
    again.start()
    return again


@pytest.mark.parametrize("outage", ["503 storm", "connection refused"])
async def test_stale_on_the_first_poll_of_an_outage_and_fresh_again_after_it(
    tmp_path: Path, outage: str
) -> None:
    server = EmulatorServer(data_dir=tmp_path / "emu", activity=False, clock=frozen_clock)
    server.start()
    client = CountingClient(server.url, api_key(server), retry=FAST)
    session = Session(
        client, resources=("releases",), intervals={"releases": 0.2}, audit_path=tmp_path / "a"
    )
    releases = session.store.collection("releases")
    try:
        await session.start()
        await until(lambda: releases.loaded, "the first listing")
        held = dict(releases.items)
        before = client.listings
        if outage == "503 storm":
            set_faults(server, error_rate=1.0, retry_after=0)
        else:
            server.stop()
        await until(lambda: releases.status.state is Freshness.ERROR, "the stale state")
        # The first listing after the outage began said so: at most one was still in
        # flight when it began, so the area is stale within two intervals.
        assert client.listings - before <= 2
        assert releases.status.error_kind == (
            "server_error" if outage == "503 storm" else "offline"
        )
        assert dict(releases.items) == held and releases.status.last_ok is not None
        if outage == "503 storm":
            set_faults(server)
        else:
            server = restarted(server)
        await until(lambda: releases.status.state is Freshness.FRESH, "fresh data again")
        assert releases.status.error_kind is None
    finally:
        await session.stop()
        server.stop()
