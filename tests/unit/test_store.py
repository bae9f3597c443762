"""The store: diffs keyed by id, silence when nothing changed, freshness states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stm_tui.api import models as m
from stm_tui.store.store import Collection, Diff, Freshness, Status, Store

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Item(m.Resource):
    alias: str
    status: str = "ACTIVE"


def make_store() -> tuple[Store, list[Diff], list[Status]]:
    store = Store(resources=("certificates", "keypairs"), intervals={"certificates": 10.0})
    diffs: list[Diff] = []
    statuses: list[Status] = []
    store.subscribe(diffs.append)
    store.subscribe_status(statuses.append)
    return store, diffs, statuses


def test_replace_all_reports_added_changed_and_removed_ids() -> None:
    store, diffs, _ = make_store()
    store.replace_all("certificates", [Item(id="a", alias="A"), Item(id="b", alias="B")])
    store.replace_all(
        "certificates", [Item(id="a", alias="A"), Item(id="b", alias="B2"), Item(id="c", alias="C")]
    )
    store.replace_all("certificates", [Item(id="b", alias="B2"), Item(id="c", alias="C")])
    assert [(d.added, d.changed, d.removed) for d in diffs] == [
        (frozenset({"a", "b"}), frozenset(), frozenset()),
        (frozenset({"c"}), frozenset({"b"}), frozenset()),
        (frozenset(), frozenset(), frozenset({"a"})),
    ]
    assert [d.version for d in diffs] == [1, 2, 3]
    assert sorted(store.collection("certificates").items) == ["b", "c"]


def test_a_refresh_that_changes_nothing_notifies_nobody() -> None:
    store, diffs, _ = make_store()
    store.replace_all("certificates", [Item(id="a", alias="A")])
    assert store.replace_all("certificates", [Item(id="a", alias="A")]) is None
    assert store.upsert("certificates", [Item(id="a", alias="A")]) is None
    assert store.remove("certificates", ["zzz"]) is None
    assert len(diffs) == 1
    assert store.collection("certificates").version == 1


def test_unchanged_items_keep_their_identity_across_a_full_refresh() -> None:
    store, _, _ = make_store()
    first: m.Resource = Item(id="a", alias="A")
    store.replace_all("certificates", [first, Item(id="b", alias="B")])
    store.replace_all("certificates", [Item(id="a", alias="A"), Item(id="b", alias="B2")])
    assert store.collection("certificates").get("a") is first


def test_subscribers_only_hear_about_their_resources_and_can_unsubscribe() -> None:
    store = Store(resources=("certificates", "keypairs"))
    seen: list[str] = []
    unsubscribe = store.subscribe(lambda d: seen.append(d.resource), resources=["keypairs"])
    store.upsert("certificates", [Item(id="a", alias="A")])
    store.upsert("keypairs", [Item(id="k", alias="K")])
    unsubscribe()
    store.upsert("keypairs", [Item(id="k2", alias="K2")])
    assert seen == ["keypairs"]


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    store = Store(resources=("keypairs",))
    seen: list[int] = []

    def broken(_: Diff) -> None:
        raise RuntimeError("boom")

    store.subscribe(broken)
    store.subscribe(lambda d: seen.append(d.version))
    store.upsert("keypairs", [Item(id="k", alias="K")])
    assert seen == [1]


def state(coll: Collection[m.Resource]) -> Freshness:
    return coll.status.state  # read afresh each time (not narrowed by an earlier check)


def test_freshness_moves_through_fresh_stale_error_and_paused() -> None:
    store, _, statuses = make_store()
    coll = store.collection("certificates")
    assert state(coll) is Freshness.LOADING
    store.mark_ok("certificates", T0)
    assert state(coll) is Freshness.FRESH
    store.tick(T0 + timedelta(seconds=19))
    assert state(coll) is Freshness.FRESH
    store.tick(T0 + timedelta(seconds=21))  # older than twice the 10 s interval
    assert state(coll) is Freshness.STALE
    store.mark_error("certificates", "offline", "connection refused", T0 + timedelta(seconds=30))
    assert state(coll) is Freshness.ERROR
    assert coll.status.error_kind == "offline"
    assert coll.status.last_ok == T0  # the last good time is kept
    store.set_paused("certificates", True)
    assert state(coll) is Freshness.PAUSED
    store.set_paused("certificates", False)
    assert state(coll) is Freshness.ERROR
    store.mark_ok("certificates", T0 + timedelta(seconds=40))
    assert state(coll) is Freshness.FRESH and coll.status.error_kind is None
    assert [s.state for s in statuses] == [
        Freshness.FRESH,
        Freshness.STALE,
        Freshness.ERROR,
        Freshness.PAUSED,
        Freshness.ERROR,
        Freshness.FRESH,
    ]


def test_errors_keep_the_last_good_items() -> None:
    store, _, _ = make_store()
    store.replace_all("certificates", [Item(id="a", alias="A")])
    store.mark_error("certificates", "server_error", "HTTP 503")
    assert list(store.collection("certificates").items) == ["a"]


def test_a_listing_diffed_apart_from_the_store_says_what_replace_all_says() -> None:
    store, _diffs, _ = make_store()
    store.replace_all("certificates", [Item(id="a", alias="A"), Item(id="b", alias="B")])
    listing = [Item(id="b", alias="B2"), Item(id="c", alias="C")]
    replacement = store.prepare_replace("certificates", listing)
    replacement.compute()
    diff = store.commit_replacement(replacement)
    assert diff is not None
    assert (diff.added, diff.changed, diff.removed) == tuple(
        frozenset(ids) for ids in (["c"], ["b"], ["a"])
    )
    held: dict[str, m.Resource] = dict(store.collection("certificates").items)
    assert held == {i.id: i for i in listing}


def test_a_change_while_a_listing_is_diffed_makes_it_diff_again() -> None:
    store, _diffs, _ = make_store()
    b = Item(id="b", alias="B")
    store.replace_all("certificates", [b])
    replacement = store.prepare_replace("certificates", [b, Item(id="c", alias="C")])
    # A write lands before the diff (computed against the snapshot) is applied.
    store.upsert("certificates", [Item(id="w", alias="written")])
    replacement.compute()
    diff = store.commit_replacement(replacement)
    assert diff is not None
    # The listing is complete: the collection is exactly it, and the diff is against what
    # was held at the commit, not at the snapshot.
    assert sorted(store.collection("certificates").items) == ["b", "c"]
    assert (diff.added, diff.changed, diff.removed) == tuple(
        frozenset(ids) for ids in (["c"], [], ["w"])
    )
    kept: m.Resource | None = store.collection("certificates").get("b")
    assert kept is b


def test_an_equal_listing_diffed_apart_commits_nothing() -> None:
    store, diffs, _ = make_store()
    store.replace_all("certificates", [Item(id="a", alias="A")])
    replacement = store.prepare_replace("certificates", [Item(id="a", alias="A")])
    replacement.compute()
    assert store.commit_replacement(replacement) is None
    assert len(diffs) == 1
