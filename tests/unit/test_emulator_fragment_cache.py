"""The emulator's rendered-item cache: bounded by bytes, least recently used out first, and
the cutting of an item's JSON around the values spliced in per request."""

from __future__ import annotations

from stm_tui.emulator.fragment_cache import Entry, FragmentCache
from stm_tui.emulator.fragments import cut
from stm_tui.emulator.util import dumps


def _entry(size: int) -> Entry:
    return Entry(0, None, [b"x" * size])


def test_the_cache_stays_within_its_budget_dropping_the_least_recently_used() -> None:
    one = _entry(0).size + 1000
    cache = FragmentCache(budget=3 * one)
    cache.put_many([(("certificate", str(i)), _entry(1000)) for i in range(3)])
    assert len(cache) == 3
    cache.get_many([("certificate", "0")])  # used: now the newest
    cache.put_many([(("certificate", "3"), _entry(1000))])
    found = cache.get_many([("certificate", str(i)) for i in range(4)])
    assert [e is not None for e in found] == [True, False, True, True]
    assert cache.size <= cache.budget


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    cache = FragmentCache(budget=10**6)
    for _ in range(5):
        cache.put_many([(("keypair", "k"), _entry(1000))])
    assert len(cache) == 1
    assert cache.size == _entry(1000).size
    cache.clear()
    assert len(cache) == 0 and cache.size == 0


HOLES = ("chain", "certificates", "number_of_active_certificates", "is_signable_by_me")


def _spliced(item: dict[str, object]) -> bytes:
    pieces = cut(item, HOLES)
    assert len(pieces) == len(HOLES) + 1
    values = [dumps(item[h]).encode() for h in HOLES]
    return pieces[0] + b"".join(v + p for v, p in zip(values, pieces[1:], strict=True))


def test_cut_pieces_and_the_spliced_values_are_the_whole_json_again() -> None:
    item = {
        "id": "a",
        "note": 'text with "quoted": 0 and "chain":0 inside',
        "chain": [{"blob": "Zm9v"}],
        "nested": {"x": [1, 2], "y": "\"certificates\":0"},
        "certificates": [{"id": "c"}],
        "number_of_active_certificates": 1,
        "is_signable_by_me": True,
        "tail": None,
    }
    assert _spliced(item) == dumps(item).encode()


def test_cut_is_exact_when_a_nested_object_uses_a_spliced_name() -> None:
    item = {
        "chain": 0,
        "nested": {"certificates": 0, "is_signable_by_me": False},
        "certificates": [],
        "number_of_active_certificates": 0,
        "is_signable_by_me": False,
    }
    assert _spliced(item) == dumps(item).encode()
