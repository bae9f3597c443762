"""The change-only fetcher finds the newest `modified_on` of a large listing on a thread: over
100,000 items it held the event loop for ~110 ms."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from stm_tui.api import models as m
from stm_tui.api.reads import ChangeResult
from stm_tui.store import sync
from stm_tui.store.store import Store

BASE = datetime(2026, 11, 1, tzinfo=UTC)


class Listing:
    def __init__(self, items: list[m.Resource]) -> None:
        self.items = items

    async def list_changed(self, resource: str, *, since: datetime | None = None) -> ChangeResult:
        return ChangeResult(changed=True, items=self.items, full=True)

    async def count(self, resource: str) -> int:
        return len(self.items)


def certificates(n: int) -> list[m.Resource]:
    return [m.Certificate(id=f"c{i}", modified_on=BASE + timedelta(seconds=(i * 7919) % n))
            for i in range(n)]


@pytest.mark.parametrize("size", [sync.OFF_LOOP, sync.OFF_LOOP // 10])
async def test_the_newest_stamp_of_a_large_listing_is_found_off_the_loop(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = sync._newest_modified

    def recording(items: Iterable[m.Resource]) -> datetime | None:
        threads.append(threading.current_thread())
        return real(items)

    monkeypatch.setattr(sync, "_newest_modified", recording)
    items = certificates(size)
    store = Store(resources=("certificates",))
    fetcher = sync.ChangeOnlyFetcher(Listing(items), store, "certificates", full_every=600.0)
    await fetcher.full()
    assert fetcher.newest == BASE + timedelta(seconds=size - 1)
    off_loop = threads[-1] is not threading.main_thread()
    assert off_loop is (size >= sync.OFF_LOOP)

    # Started from the cache instead: the same, over what the store holds.
    store.replace_all("certificates", items)
    again = sync.ChangeOnlyFetcher(Listing(items), store, "certificates", full_every=600.0)
    await again.resume()
    assert again.newest == fetcher.newest and again.last_full is not None
    assert (threads[-1] is not threading.main_thread()) is (size >= sync.OFF_LOOP)
