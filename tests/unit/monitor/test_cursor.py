"""Reading the signature log incrementally: every entry once, none skipped, few requests.

The log here is an in-memory list served in either order with the contract's paging
(limit clamped to 100), ordered by (created_on, id) as the emulator orders it, so entries of
one second can land before ones already seen.
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta

import pytest

from stm_tui.views.monitor.cursor import MAX_PAGES_PER_POLL, LogCursor
from stm_tui.views.monitor.feed import SourceError
from stm_tui.views.monitor.records import Attempt
from tests.unit.monitor._log import T0, attempt


class FakeLog:
    def __init__(self, order: str = "oldest_first") -> None:
        self.order = order
        self.entries: list[Attempt] = []
        self.requests = 0
        self.fail_after: int | None = None  # requests that succeed before failures start

    def add(self, *attempts: Attempt) -> None:
        self.entries.extend(attempts)
        self.entries.sort(key=lambda a: (a.created_on, a.id))

    async def read(self, offset: int, limit: int) -> tuple[int, list[Attempt]]:
        self.requests += 1
        if self.fail_after is not None:
            if self.fail_after <= 0:
                raise SourceError("connection refused")
            self.fail_after -= 1
        items = self.entries if self.order == "oldest_first" else self.entries[::-1]
        return len(items), items[offset: offset + min(limit, 100)]


class Seen:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, page: list[Attempt]) -> None:
        self.ids += [a.id for a in page]


def entries(first: int, count: int, at: datetime, step: float = 1.0) -> list[Attempt]:
    return [attempt(first + i, at + timedelta(seconds=step * i)) for i in range(count)]


ORDERS = ["oldest_first", "newest_first"]


@pytest.mark.parametrize("order", ORDERS)
async def test_nothing_new_costs_one_request(order: str) -> None:
    log = FakeLog(order)
    log.add(*entries(0, 250, T0))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)
    log.requests = 0
    for _ in range(5):
        assert await cursor.news(seen) == 0
    assert log.requests == 5


@pytest.mark.parametrize("order", ORDERS)
async def test_the_history_is_read_back_to_since_only(order: str) -> None:
    log = FakeLog(order)
    log.add(*entries(0, 1000, T0 - timedelta(hours=10), step=36))
    seen = Seen()
    since = T0 - timedelta(hours=1)
    await LogCursor(log.read).load(seen, since=since)
    wanted = {a.id for a in log.entries if a.created_on >= since}  # type: ignore[operator]
    assert wanted <= set(seen.ids)
    assert len(seen.ids) < 300  # not the whole log: pages back to the one crossing `since`


@pytest.mark.parametrize("order", ORDERS)
async def test_a_burst_of_1000_in_one_poll_arrives_once(order: str) -> None:
    log = FakeLog(order)
    log.add(*entries(0, 30, T0))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    log.add(*entries(30, 1000, T0 + timedelta(minutes=1), step=0.01))
    assert await cursor.news(seen) == 1000
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)
    assert len(seen.ids) == len(set(seen.ids))


@pytest.mark.parametrize("order", ORDERS)
async def test_entries_of_one_second_sorting_before_known_ones_are_found(order: str) -> None:
    log = FakeLog(order)
    same_second = T0 + timedelta(minutes=5)
    log.add(*entries(0, 150, T0), attempt(500, same_second), attempt(502, same_second))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    # Same second, ids that sort before and between the ones already seen.
    log.add(attempt(499, same_second), attempt(501, same_second), attempt(503, same_second))
    assert await cursor.news(seen) == 3
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)


async def test_entries_inserted_far_before_the_newest_are_searched_for() -> None:
    log = FakeLog()
    log.add(*entries(0, 400, T0))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    # A late writer: 150 entries stamped before the last 100 seen (more than a page back).
    log.add(*[attempt(10_000 + i, T0 + timedelta(seconds=200 + i / 1000)) for i in range(150)])
    assert await cursor.news(seen) == 150
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)


@pytest.mark.parametrize("order", ORDERS)
async def test_a_disconnection_loses_nothing_and_repeats_nothing(order: str) -> None:
    rng = random.Random(7)
    log = FakeLog(order)
    log.add(*entries(0, 120, T0))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    n = 120
    at = T0 + timedelta(minutes=2)
    for poll in range(40):
        burst = rng.choice([0, 1, 3, 40, 150, 260])
        log.add(*entries(n, burst, at, step=0.1))
        n += burst
        at += timedelta(seconds=30)
        # Every third poll the connection drops part-way through (after 0-2 good pages).
        log.fail_after = rng.randint(0, 2) if poll % 3 == 0 else None
        with contextlib.suppress(SourceError):
            await cursor.news(seen)
    log.fail_after = None
    await cursor.news(seen)
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)
    assert len(seen.ids) == len(set(seen.ids))


async def test_more_news_than_one_poll_reads_is_finished_by_the_next() -> None:
    log = FakeLog()
    log.add(*entries(0, 10, T0))
    seen = Seen()
    cursor = LogCursor(log.read)
    await cursor.load(seen)
    backlog = (MAX_PAGES_PER_POLL + 5) * 100
    log.add(*entries(10, backlog, T0 + timedelta(minutes=1), step=0.001))
    first = await cursor.news(seen)
    assert first < backlog
    assert first + await cursor.news(seen) == backlog
    assert sorted(seen.ids) == sorted(a.id for a in log.entries)


async def test_known_ids_stay_bounded() -> None:
    log = FakeLog()
    seen = Seen()
    cursor = LogCursor(log.read, known_limit=1000)
    await cursor.load(seen)
    for i in range(50):
        log.add(*entries(i * 200, 200, T0 + timedelta(minutes=i), step=0.1))
        await cursor.news(seen)
    assert len(seen.ids) == 10_000 == len(set(seen.ids))
    assert len(cursor.known) <= 1250


async def test_order_is_learnt_from_the_first_page() -> None:
    for order in ORDERS:
        log = FakeLog(order)
        log.add(*entries(0, 150, T0))
        cursor = LogCursor(log.read)
        await cursor.load(Seen())
        assert cursor.order == order
