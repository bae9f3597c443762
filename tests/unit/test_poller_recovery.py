"""While a resource fails the poller probes cheaply at the normal cadence and reloads as soon
as a probe succeeds (issue 8 item 10); permission errors stop polling until a manual refresh
(item 11); nothing a fetch or the store raises kills a poll loop (item 7)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from stm_tui.api.errors import (
    AuthError,
    OfflineError,
    PermissionDenied,
    SecondFactorMissing,
    ServerError,
)
from stm_tui.store.poller import Poller, PollSpec
from stm_tui.store.store import Freshness, Store


class Item(BaseModel):
    id: str


class Service:
    """A listing and a probe sharing one up/down switch; counts calls of each."""

    def __init__(self) -> None:
        self.down: Exception | None = None
        self.listings = 0
        self.probes = 0

    async def listing(self) -> Sequence[Any]:
        self.listings += 1
        if self.down is not None:
            raise self.down
        return [Item(id="a")]

    async def probe(self) -> None:
        self.probes += 1
        if self.down is not None:
            raise self.down


async def wait_until(predicate: Any, limit: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


def long_backoff(_failures: int, _interval: float) -> float:
    """A listing backoff far beyond the test's patience: only a probe can bring it back."""
    return 3600.0


async def test_after_an_outage_the_next_probe_reloads_at_once() -> None:
    store = Store(resources=("releases",))
    service = Service()
    poller = Poller(
        store,
        [PollSpec("releases", service.listing, 0.02, probe=service.probe)],
        backoff=long_backoff,
    )
    poller.start()
    try:
        coll = store.collection("releases")
        await wait_until(lambda: coll.loaded)
        service.down = OfflineError("connection refused")
        await wait_until(lambda: coll.status.state is Freshness.ERROR)
        listings_in_outage = service.listings
        await wait_until(lambda: service.probes >= 5)  # probing at the normal cadence
        assert service.listings == listings_in_outage  # the expensive listing backs off
        assert coll.status.error_kind == "offline"

        probes_before = service.probes
        service.down = None
        await wait_until(lambda: coll.status.state is Freshness.FRESH)
        # Fresh again after one successful probe: about one interval, not the backoff.
        assert service.probes - probes_before == 1
        assert service.listings == listings_in_outage + 1
    finally:
        await poller.stop()


async def test_a_listing_that_fails_while_probes_pass_is_not_retried_every_interval() -> None:
    store = Store(resources=("releases",))
    service = Service()

    async def broken_listing() -> Sequence[Any]:
        service.listings += 1
        raise ServerError("page 3 is broken", status=500)

    poller = Poller(
        store,
        [PollSpec("releases", broken_listing, 0.02, probe=service.probe)],
        backoff=long_backoff,
    )
    poller.start()
    try:
        await wait_until(lambda: service.listings == 2)
        await asyncio.sleep(0.2)  # ten intervals
        # The first failure, then one listing after the first good probe; after that the
        # probe is known not to predict the listing, which waits for its own backoff.
        assert service.listings == 2
        assert service.probes == 1
    finally:
        await poller.stop()


async def test_without_a_probe_failures_still_back_off() -> None:
    store = Store(resources=("releases",))
    service = Service()
    service.down = OfflineError("refused")
    poller = Poller(store, [PollSpec("releases", service.listing, 0.02)], backoff=long_backoff)
    poller.start()
    try:
        await wait_until(lambda: store.collection("releases").status.state is Freshness.ERROR)
        await asyncio.sleep(0.1)
        assert service.listings == 1
    finally:
        await poller.stop()


async def test_permission_errors_stop_polling_until_a_manual_refresh() -> None:
    for error in (
        PermissionDenied("permission denied (403): no VIEW_SM_SCAN", status=403),
        AuthError("authentication failed (401)", status=401),
        SecondFactorMissing("second factor missing (403)", status=403),
    ):
        store = Store(resources=("scans",))
        service = Service()
        service.down = error
        poller = Poller(store, [PollSpec("scans", service.listing, 0.01, probe=service.probe)])
        poller.start()
        try:
            coll = store.collection("scans")
            await wait_until(lambda c=coll: c.status.state is Freshness.ERROR)
            await asyncio.sleep(0.15)  # fifteen intervals
            assert service.listings == 1 and service.probes == 0
            assert coll.status.error_kind == error.kind
            assert coll.status.next_try is None  # no "retry in 10 s" for ever
            service.down = None
            poller.refresh("scans")  # the user pressed r
            await wait_until(lambda c=coll: c.status.state is Freshness.FRESH)
            assert service.listings == 2
        finally:
            await poller.stop()


async def test_resuming_after_a_pause_does_not_retry_a_permission_error() -> None:
    store = Store(resources=("scans",))
    service = Service()
    service.down = PermissionDenied("no", status=403)
    poller = Poller(store, [PollSpec("scans", service.listing, 0.01)])
    poller.start()
    try:
        await wait_until(lambda: service.listings == 1)
        poller.pause()
        poller.resume()
        await asyncio.sleep(0.1)
        assert service.listings == 1
    finally:
        await poller.stop()


async def test_an_exception_while_applying_a_result_does_not_kill_the_loop() -> None:
    store = Store(resources=("keypairs",))
    answers = iter([[Item(id="")], [Item(id="ok")]])  # an empty id makes the store raise

    async def fetch() -> Sequence[Any]:
        return next(answers, [Item(id="ok")])

    poller = Poller(store, [PollSpec("keypairs", fetch, 0.01)])
    poller.start()
    try:
        coll = store.collection("keypairs")
        await wait_until(lambda: coll.get("ok") is not None)
    finally:
        await poller.stop()


async def test_busy_names_the_resources_with_a_request_in_flight() -> None:
    store = Store(resources=("keypairs",))
    gate = asyncio.Event()

    async def slow() -> Sequence[Any]:
        await gate.wait()
        return [Item(id="a")]

    poller = Poller(store, [PollSpec("keypairs", slow, 0.01)])
    poller.start()
    try:
        await wait_until(lambda: poller.busy == {"keypairs"})
        gate.set()
        await wait_until(lambda: store.collection("keypairs").loaded)
        poller.pause()
        await wait_until(lambda: not poller.busy)
    finally:
        await poller.stop()
