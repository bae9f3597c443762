"""The Overview re-examines a large batch slice by slice: the event loop (keys, frames) runs
between slices, and what it ends up showing is exactly the whole triage."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import timedelta

import pytest
from textual.pilot import Pilot

from stm_tui.api.models import Certificate
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens import overview as overview_module
from stm_tui.tui.screens.overview import OverviewScreen
from stm_tui.views import triage
from tests.tui.conftest import FROZEN, loaded, wait_until

EXTRA = 1200


def expiring(n: int) -> Certificate:
    # Inside the 7-day window: each one is an Overview row.
    return Certificate(
        id=f"slice-{n:05d}",
        alias=f"slice-cert-{n}",
        certificate_status="ACTIVE",
        valid_to=FROZEN + timedelta(days=3, minutes=n),
    )


async def paused_overview(app: StmApp, pilot: Pilot[None]) -> OverviewScreen:
    """The loaded Overview, with polling paused: the server's next listing would drop the
    items a test adds to the store."""
    await loaded(pilot)
    screen = app.screen
    assert isinstance(screen, OverviewScreen)
    app.session.poller.pause()
    return screen


async def test_a_large_batch_is_examined_in_slices_with_the_loop_running_between(
    app_factory: Callable[..., StmApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_module, "SLICE", 100)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paused_overview(app, pilot)
        before = screen.table.row_count

        examined: list[int] = []
        seen_by_the_loop: list[int] = []
        refresh = screen._triage.refresh

        def counting(*args: object, **kw: object) -> set[str]:
            ids = args[4] if len(args) > 4 else kw.get("ids")
            size = len(ids) if isinstance(ids, Collection) and not isinstance(ids, str) else 0
            if not examined:
                # Runs when the loop next gets a turn: before the pass ends only if it yields.
                app.call_later(lambda: seen_by_the_loop.append(sum(examined)))
            examined.append(size)
            return refresh(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(screen._triage, "refresh", counting)
        app.session.store.upsert("certificates", [expiring(n) for n in range(EXTRA)])
        await wait_until(pilot, lambda: bool(examined) and not screen.examining)

        assert max(examined) <= 100 and sum(examined) >= EXTRA
        assert seen_by_the_loop and seen_by_the_loop[0] < EXTRA
        store = app.session.store
        reports = dict(store.collection("scan_reports").items)
        whole = triage.triage(store, app.now(), reports)
        assert screen.table.row_count == len(whole) == before + EXTRA
        assert {f"certificates:slice-{n:05d}" for n in range(EXTRA)} <= set(screen._rows)


async def test_a_batch_too_large_for_at_once_is_examined_on_a_later_turn(
    app_factory: Callable[..., StmApp],
) -> None:
    # Above the batcher's at-once size, with its interval over: the pass is scheduled for the
    # next turn of the loop. A timer of 0 s died in Textual (ZeroDivisionError) before its
    # callback ran, and the Overview never updated again.
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paused_overview(app, pilot)
        before = screen.table.row_count
        large = screen._batcher.immediate_items + 500
        screen._batcher._last_pass = float("-inf")  # the interval is over
        app.session.store.upsert("certificates", [expiring(n) for n in range(large)])
        assert screen._batcher.waiting  # not run inside the store write
        await wait_until(pilot, lambda: screen.table.row_count == before + large)
        assert not screen._batcher.waiting and not screen.examining


async def test_a_small_batch_is_examined_at_once(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paused_overview(app, pilot)
        before = screen.table.row_count
        app.session.store.upsert("certificates", [expiring(n) for n in range(5)])
        # No turn of the loop in between: the rows are there as the store call returns.
        assert not screen.examining
        assert screen.table.row_count == before + 5


async def test_changes_during_a_sliced_pass_join_it_instead_of_starting_another(
    app_factory: Callable[..., StmApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_module, "SLICE", 100)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paused_overview(app, pilot)
        store = app.session.store
        store.upsert("certificates", [expiring(n) for n in range(EXTRA)])
        # Small enough for the batcher to pass on at once: the first slice ran, the rest wait.
        running = screen._slice_timer
        assert running is not None and screen.examining
        store.upsert("certificates", [expiring(EXTRA + n) for n in range(3)])
        # The new ones wait for the pass under way; no second chain of slices is started.
        assert screen._slice_timer is running and screen.examining
        await wait_until(pilot, lambda: not screen.examining)
        assert {f"certificates:slice-{n:05d}" for n in range(EXTRA + 3)} <= set(screen._rows)


async def test_a_slice_ends_when_its_time_is_up_whatever_its_size(
    app_factory: Callable[..., StmApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paused_overview(app, pilot)
        refresh = screen._triage.refresh
        per_slice: list[int] = []
        examine = screen._examine

        def slow(*args: object, **kw: object) -> set[str]:
            # Each chunk takes 10 ms: the second one is past the 15 ms a slice may take.
            ids = args[4]
            assert isinstance(ids, set)
            per_slice[-1] += len(ids)
            time.sleep(0.01)
            return refresh(*args, **kw)  # type: ignore[arg-type]

        def counted() -> None:
            per_slice.append(0)
            examine()

        monkeypatch.setattr(screen._triage, "refresh", slow)
        monkeypatch.setattr(screen, "_examine", counted)
        app.session.store.upsert("certificates", [expiring(n) for n in range(EXTRA)])
        await wait_until(pilot, lambda: bool(per_slice) and not screen.examining)

        chunk = overview_module.CHUNK
        # Two chunks at most (a loaded machine may stop after one): far below SLICE items.
        assert max(per_slice) <= 2 * chunk < overview_module.SLICE
        assert sum(per_slice) >= EXTRA
        assert {f"certificates:slice-{n:05d}" for n in range(EXTRA)} <= set(screen._rows)
