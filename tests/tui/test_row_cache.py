"""The row cache: every row built from the store in the background, kept up to date by diffs."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from stm_tui.api.models import Certificate, Team, User
from stm_tui.store.store import Store
from stm_tui.views.resources import VIEWS
from stm_tui.views.row_cache import SETTLE_ROWS, ListSource, RowCache
from stm_tui.views.rows.base import Context, RowFn
from stm_tui.views.table_model import Row

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def store() -> Store:
    return Store(resources=("teams", "users", "certificates"))


def context_for(s: Store) -> Context:
    return Context(store=s, now=NOW)


built: Counter[str] = Counter()


def team_row(item: Team, ctx: Context) -> Row:
    built[item.id] += 1
    if item.name == "odd":
        raise ValueError("a field this view cannot show")
    creator = ctx.store.collection("users").get(item.created_by or "")
    by = (creator.name or "-") if creator is not None else "-"
    return Row(item.id, (item.name or "-", by))


@dataclass(frozen=True)
class TeamsByCreatorView:
    """A view the registry does not have (teams, with their creator looked up among the
    users): the cache needs no more than a `ListSource`."""

    resource: str = "teams"
    depends_on: tuple[str, ...] = ("users",)
    row: RowFn | None = team_row


TEAMS = TeamsByCreatorView()


def cache_of(view: ListSource, s: Store) -> RowCache:
    cache = RowCache(view, s, lambda: context_for(s))
    cache.start()
    return cache


async def settled(cache: RowCache) -> None:
    """Let the background build run to its end (bounded)."""
    for _ in range(100_000):
        if not cache.building:
            return
        await asyncio.sleep(0)
    raise AssertionError("the cache never finished building")


def certificate(n: int) -> Certificate:
    return Certificate(id=f"cert-{n:05d}", alias=f"signer {n}", certificate_status="ACTIVE")


async def test_a_large_listing_is_built_in_steps_that_let_the_loop_run() -> None:
    s = store()
    cache = cache_of(VIEWS["certificates"], s)
    seen_while_building: list[int] = []

    async def meanwhile() -> None:  # stands for a key press handled during the build
        seen_while_building.append(len(cache.rows))

    s.replace_all("certificates", [certificate(n) for n in range(10_000)])
    assert len(cache.rows) < 10_000  # the store write itself did not build them all
    other = asyncio.create_task(meanwhile())
    await settled(cache)
    await other
    assert seen_while_building and seen_while_building[0] < 10_000
    assert len(cache.rows) == 10_000
    row = cache.rows["cert-01234"]
    assert "signer 1234" in row.cells


async def test_changes_and_removals_reach_the_rows_and_the_listeners() -> None:
    s = store()
    cache = cache_of(TEAMS, s)
    s.replace_all("teams", [Team(id="a", name="alpha"), Team(id="b", name="beta")])
    batches: list[tuple[list[Row], set[str]]] = []
    cache.subscribe(lambda upserts, removed: batches.append((upserts, removed)))
    batches.clear()  # a small list is refreshed when a viewer arrives; not what we test

    s.upsert("teams", [Team(id="a", name="alpha 2")])
    await settled(cache)
    assert cache.rows["a"].cells == ("alpha 2", "-")
    assert batches == [([Row("a", ("alpha 2", "-"))], set())]

    s.remove("teams", ["b"])
    assert "b" not in cache.rows
    assert batches[-1] == ([], {"b"})


async def test_pending_work_coalesces_and_removals_cancel_it() -> None:
    s = store()
    cache = cache_of(TEAMS, s)
    built.clear()
    s.replace_all("teams", [Team(id=f"t{n}", name=f"n{n}") for n in range(5_000)])
    # Before the background build reaches them: one key changes twice, another goes away.
    s.upsert("teams", [Team(id="t4999", name="first")])
    s.upsert("teams", [Team(id="t4999", name="second")])
    s.remove("teams", ["t4998"])
    await settled(cache)
    assert built["t4999"] == 1 and cache.rows["t4999"].cells[0] == "second"
    assert built["t4998"] == 0 and "t4998" not in cache.rows
    assert len(cache.rows) == 4_999


async def test_an_item_whose_row_fails_is_skipped_alone() -> None:
    s = store()
    cache = cache_of(TEAMS, s)
    teams = [Team(id=f"t{n}", name=f"n{n}") for n in range(3_000)]
    teams[1_500] = Team(id="t1500", name="odd")
    s.replace_all("teams", teams)
    await settled(cache)
    assert "t1500" not in cache.rows
    assert len(cache.rows) == 2_999


async def test_a_change_in_a_looked_up_collection_rebuilds_every_row() -> None:
    s = store()
    cache = cache_of(TEAMS, s)
    s.replace_all("teams", [Team(id=f"t{n}", name=f"n{n}", created_by="o1") for n in range(2_500)])
    await settled(cache)
    assert cache.rows["t7"].cells[1] == "-"
    s.replace_all("users", [User(id="o1", name="Ops")])
    await settled(cache)
    assert all(row.cells[1] == "Ops" for row in cache.rows.values())


async def test_stop_leaves_the_store_alone() -> None:
    s = store()
    cache = cache_of(TEAMS, s)
    cache.stop()
    s.replace_all("teams", [Team(id="a", name="alpha")])
    assert cache.rows == {} and not cache.building


def slow_team_row(item: Team, ctx: Context) -> Row:
    time.sleep(0.001)  # a row that costs a millisecond (a first certificate decode, say)
    return Row(item.id, (item.name or "-",))


@dataclass(frozen=True)
class SlowTeamsView:
    resource: str = "teams"
    depends_on: tuple[str, ...] = ()
    row: RowFn | None = slow_team_row


async def test_a_background_slice_ends_when_its_time_is_up_not_after_a_thousand_rows() -> None:
    s = store()
    cache = cache_of(SlowTeamsView(), s)
    slices: list[int] = []
    cache.subscribe(lambda upserts, removed: slices.append(len(upserts)))
    s.replace_all("teams", [Team(id=f"t{n:04d}", name=f"team {n}") for n in range(1500)])
    await settled(cache)
    # The clock is looked at every 32 rows: 32 rows of 1 ms each are past the 15 ms budget.
    assert slices and max(slices) == 32
    assert sum(slices) == 1500 and len(cache.rows) == 1500


async def _collector_while_building(cache: RowCache) -> list[bool]:
    """Whether the cyclic collector was on, at every turn of the loop until the build ends."""
    seen: list[bool] = []
    await asyncio.sleep(0)  # the build's first slice
    while cache.building:
        seen.append(gc.isenabled())
        await asyncio.sleep(0)
    return seen


@pytest.mark.parametrize("teams", [SETTLE_ROWS, SETTLE_ROWS // 2])
async def test_a_large_build_keeps_the_collector_off_between_slices_then_freezes_its_rows(
    teams: int,
) -> None:
    # Between the slices of a large build the collector used to run full passes over every
    # row built so far (the UI waited 48-285 ms for each); a small build leaves it alone.
    s = store()
    cache = cache_of(TEAMS, s)
    frozen_before = gc.get_freeze_count()
    try:
        s.replace_all("teams", [Team(id=f"t{n}", name=f"n{n}") for n in range(teams)])
        seen = await _collector_while_building(cache)
        assert len(cache.rows) == teams and len(seen) > 2  # it was built in slices
        frozen = gc.get_freeze_count() - frozen_before
        if teams >= SETTLE_ROWS:
            assert not any(seen)
            assert frozen >= teams  # each row (a tracked tuple) is out of the scans
        else:
            assert all(seen)
            assert frozen == 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
