"""A whole Session against the emulator's runtime fault injection: after an outage the data
is fresh again about one interval after the service recovers, not after the listing's
backoff (issue 8 item 10); a Signer's scans stop polling on the 403 and say so (item 11)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.store.store import Freshness
from tests.integration._emu import FAST, api_key, private_emulator, set_faults


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(Path(tmp_path_factory.mktemp("recovery")))


class CountingClient(STMClient):
    """The real client, counting one-item probes apart from full listings."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.probes = 0
        self.listings = 0

    async def count(self, resource: str, **filters: Any) -> int:
        self.probes += 1
        return await super().count(resource, **filters)

    async def list_all(self, resource: str, **filters: Any) -> list[Any]:
        self.listings += 1
        return await super().list_all(resource, **filters)


async def until(check: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


def hour_long_backoff(_failures: int, _interval: float) -> float:
    return 3600.0  # the listing alone would not come back within the test


async def test_data_is_fresh_within_about_one_interval_after_an_outage(
    server: EmulatorServer,
) -> None:
    set_faults(server)
    client = CountingClient(server.url, api_key(server), retry=FAST)
    session = Session(
        client, resources=("releases",), intervals={"releases": 0.1}, backoff=hour_long_backoff
    )
    await session.start()
    releases = session.store.collection("releases")
    try:
        await until(lambda: releases.loaded, "the first listing")
        set_faults(server, error_rate=1.0, retry_after=0)  # the outage
        await until(lambda: releases.status.state is Freshness.ERROR, "the error state")
        listings = client.listings
        await until(lambda: client.probes >= 3, "probes at the normal cadence")
        assert client.listings == listings  # the listing itself backed off
        assert releases.status.last_ok is not None and len(releases) > 0  # data kept

        probes_before = client.probes
        set_faults(server)  # the service recovers
        await until(lambda: releases.status.state is Freshness.FRESH, "fresh data again")
        # One probe (the next one at the normal cadence), then the listing at once.
        assert client.probes - probes_before <= 2
        assert client.listings == listings + 1
    finally:
        set_faults(server)
        await session.stop()


async def test_a_signer_stops_polling_scans_on_the_403_and_says_so(
    server: EmulatorServer,
) -> None:
    set_faults(server)
    client = CountingClient(server.url, api_key(server, "signer"), retry=FAST)
    session = Session(
        client,
        resources=("scans", "releases"),
        intervals=dict.fromkeys(("scans", "releases"), 0.05),
    )
    await session.start()
    scans = session.store.collection("scans")
    releases = session.store.collection("releases")
    try:
        await until(lambda: scans.status.error_kind == "permission", "the 403")
        asked = client.listings
        await until(lambda: client.listings >= asked + 10, "other resources polling on")
        assert releases.status.state is Freshness.FRESH
        assert session.poller.stopped("scans")
        assert scans.status.next_try is None
        scans_listings = client.listings
        session.poller.refresh("scans")  # the user asks again: one more try
        await until(lambda: client.listings > scans_listings, "a manual retry")
        await until(lambda: scans.status.error_kind == "permission", "the 403 again")
    finally:
        await session.stop()
