"""The poller: one request in flight per resource, backoff, Retry-After, pause and refresh."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from stm_tui.api import models as m
from stm_tui.api.errors import OfflineError, RateLimited
from stm_tui.store.poller import FetchResult, Poller, PollSpec
from stm_tui.store.store import Freshness, Store


class Item(m.Resource):
    n: int = 0


class FakeSource:
    """A fetch function that records concurrency and can be told to fail or be slow."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.fail_with: Exception | None = None
        self.items: list[Item] = [Item(id="a")]

    async def __call__(self) -> Sequence[Any]:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            if self.fail_with is not None:
                raise self.fail_with
            return list(self.items)
        finally:
            self.in_flight -= 1


async def wait_until(predicate: Any, limit: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


async def test_slow_responses_never_overlap_and_refresh_requests_do_not_pile_up() -> None:
    store = Store(resources=("keypairs",))
    source = FakeSource(latency=0.1)
    poller = Poller(store, [PollSpec("keypairs", source, interval=0.01)])
    poller.start()
    try:
        for _ in range(20):
            poller.refresh()
            await asyncio.sleep(0.01)
        await wait_until(lambda: source.calls >= 3)
    finally:
        await poller.stop()
    assert source.max_in_flight == 1
    assert source.calls <= 4  # about 0.3 s of 0.1 s requests, however often refresh was asked


async def test_failures_keep_data_back_off_and_recover() -> None:
    store = Store(resources=("keypairs",))
    source = FakeSource()
    poller = Poller(store, [PollSpec("keypairs", source, interval=0.02)], jitter=0.0)
    poller.start()
    try:
        await wait_until(lambda: store.collection("keypairs").loaded)
        source.fail_with = OfflineError("connection refused")
        await wait_until(lambda: store.collection("keypairs").status.state is Freshness.ERROR)
        status = store.collection("keypairs").status
        assert status.error_kind == "offline"
        assert list(store.collection("keypairs").items) == ["a"]
        calls_at_error = source.calls
        await asyncio.sleep(0.2)
        # Backing off: 0.02, 0.04, 0.08, 0.16 ... so only a few tries in 0.2 s, not ten.
        assert source.calls - calls_at_error <= 4
        source.fail_with = None
        source.items = [Item(id="a"), Item(id="b")]
        poller.refresh("keypairs")
        await wait_until(lambda: store.collection("keypairs").status.state is Freshness.FRESH)
        assert sorted(store.collection("keypairs").items) == ["a", "b"]
    finally:
        await poller.stop()


async def test_rate_limit_pauses_every_resource_of_the_host() -> None:
    store = Store(resources=("keypairs", "certificates"))
    limited = FakeSource()
    limited.fail_with = RateLimited("slow down", retry_after=0.3)
    other = FakeSource()
    poller = Poller(
        store,
        [PollSpec("keypairs", limited, interval=0.01), PollSpec("certificates", other, 0.01)],
    )
    poller.start()
    try:
        await wait_until(lambda: limited.calls >= 1)
        await asyncio.sleep(0.02)
        other_calls, limited_calls = other.calls, limited.calls
        await asyncio.sleep(0.2)  # still inside the Retry-After window
        assert other.calls == other_calls
        assert limited.calls == limited_calls
        assert store.collection("keypairs").status.error_kind == "rate_limited"
        await wait_until(lambda: other.calls > other_calls, limit=2.0)
    finally:
        await poller.stop()


async def test_pause_stops_requests_and_resume_refreshes_at_once() -> None:
    store = Store(resources=("keypairs",))
    source = FakeSource()
    poller = Poller(store, [PollSpec("keypairs", source, interval=0.02)])
    poller.start()
    try:
        await wait_until(lambda: source.calls >= 1)
        poller.pause()
        await asyncio.sleep(0.05)
        calls = source.calls
        await asyncio.sleep(0.15)
        assert source.calls == calls
        assert store.collection("keypairs").status.state is Freshness.PAUSED
        poller.set_interval("keypairs", 60.0)
        poller.resume()
        await wait_until(lambda: source.calls > calls)
    finally:
        await poller.stop()


async def test_change_only_results_upsert_and_remove() -> None:
    store = Store(resources=("keypairs",))
    results = iter(
        [
            FetchResult(items=[Item(id="a"), Item(id="b")]),
            FetchResult(items=[Item(id="c")], complete=False, removed=["a"]),
        ]
    )

    async def fetch() -> FetchResult:
        return next(results, FetchResult(items=[], complete=False))

    poller = Poller(store, [PollSpec("keypairs", fetch, interval=0.01)])
    poller.start()
    try:
        await wait_until(lambda: store.collection("keypairs").version >= 3)
    finally:
        await poller.stop()
    assert sorted(store.collection("keypairs").items) == ["b", "c"]


async def test_an_unexpected_exception_is_reported_not_raised() -> None:
    store = Store(resources=("keypairs",))
    source = FakeSource()
    source.fail_with = KeyError("items")
    poller = Poller(store, [PollSpec("keypairs", source, interval=0.01)])
    poller.start()
    try:
        await wait_until(lambda: store.collection("keypairs").status.state is Freshness.ERROR)
    finally:
        await poller.stop()
    assert store.collection("keypairs").status.error_kind == "bad_response"


async def test_a_large_complete_listing_is_diffed_on_a_thread_and_lands_whole(
    monkeypatch: Any,
) -> None:
    import threading

    from stm_tui.store import store as store_module

    store = Store(resources=("keypairs",))
    source = FakeSource()
    source.items = [Item(id=f"k{n}", n=n) for n in range(50)]
    monkeypatch.setattr(Poller, "DIFF_OFF_LOOP", 10)
    threads: list[bool] = []
    compute = store_module.Replacement.compute

    def recorded(self: store_module.Replacement) -> None:
        threads.append(threading.current_thread() is threading.main_thread())
        compute(self)

    monkeypatch.setattr(store_module.Replacement, "compute", recorded)
    poller = Poller(store, [PollSpec("keypairs", source, interval=10)])
    poller.start()
    try:
        await wait_until(lambda: len(store.collection("keypairs")) == 50)
    finally:
        await poller.stop()
    assert threads and not any(threads), "the diff ran on the event loop's thread"
    assert store.collection("keypairs").status.state is Freshness.FRESH
