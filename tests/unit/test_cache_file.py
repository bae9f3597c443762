"""The inventory cache file without a server: what is saved reads back equal (unknown fields,
absent versus null, a keypair's embedded certificates as the same objects), removals and
complete rewrites, a file that someone else owns, and a write that fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.cache.file import CacheFile, Loaded, Owner
from stm_tui.cache.keeper import CacheKeeper
from stm_tui.store.store import Store
from tests.unit._certs import b64der, make_cert

OWNER = Owner("default", "https://stm.example.test", "user-1")
SAVED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LEAF, CA, _KEY = make_cert()


def cert(i: int, **extra: Any) -> m.Certificate:
    return m.Certificate.model_validate({
        "id": f"c{i}", "alias": f"cert-{i}", "cert": b64der(LEAF),
        "chain": [{"cert_type": "ROOT", "blob": b64der(CA)}],
        "certificate_status": "ACTIVE", "valid_to": "2027-01-01T00:00:00Z",
        "keypair": {"id": f"k{i}", "alias": f"key-{i}"}, "revoked_on": None,
        "modified_on": "2026-11-01T10:00:00Z", **extra,
    })


def keypair(i: int, certs: list[m.Certificate]) -> m.Keypair:
    kp = m.Keypair.model_validate({
        "id": f"k{i}", "alias": f"key-{i}", "key_alg": "RSA", "key_size": 3072,
        "certificates": [c.model_dump(mode="json", exclude_unset=True) for c in certs],
        "hsm_partition_details": {"slot": 2}, "modified_on": "2026-11-02T10:00:00Z",
    })
    # As the session does: the keypair's embedded certificates are the collection's objects.
    kp.certificates[:] = certs
    return kp


def saved_file(tmp_path: Path) -> CacheFile:
    file = CacheFile(tmp_path, OWNER)
    file.open()
    return file


def saved_then_read(tmp_path: Path, collections: Mapping[str, Sequence[m.Resource]]) -> Loaded:
    """`collections` saved in a file, which is closed, then opened again and read."""
    file = saved_file(tmp_path)
    for name, items in collections.items():
        file.save(name, items, [], SAVED)
    file.close()
    again = saved_file(tmp_path)
    loaded = again.load()
    again.close()
    return loaded


def test_what_is_saved_reads_back_equal_with_unknown_fields_and_nulls(tmp_path: Path) -> None:
    certs = [cert(1, future_field={"kept": [1, 2]}), cert(2)]
    kps = [keypair(1, certs[:1]), keypair(2, [])]
    loaded = saved_then_read(tmp_path, {"certificates": certs, "keypairs": kps})
    assert loaded.items["certificates"] == certs
    assert loaded.items["keypairs"] == kps
    assert loaded.saved_at == {"certificates": SAVED, "keypairs": SAVED}
    back = loaded.items["certificates"][0]
    assert isinstance(back, m.Certificate)
    assert back.model_extra == {"future_field": {"kept": [1, 2]}}
    assert "revoked_on" in back.model_fields_set and "created_on" not in back.model_fields_set
    first = loaded.items["keypairs"][0]
    assert isinstance(first, m.Keypair)
    assert first.certificates[0] is back  # held once, as in the store


@pytest.mark.parametrize("listed", [True, False])
def test_a_certificate_only_a_keypair_embeds_reads_back_with_the_listed_ones(
    tmp_path: Path, listed: bool
) -> None:
    # Certificates are built as their rows stream in, before any item: one that only a keypair
    # embeds (not in the list, or no list saved at all) must come back too.
    certs = [cert(3), cert(1), cert(2)]
    only_embedded = cert(9, alias="embedded only")
    kps = [keypair(1, [certs[1], only_embedded]), keypair(2, [certs[2]])]
    saved: dict[str, Sequence[m.Resource]] = {"certificates": certs} if listed else {}
    loaded = saved_then_read(tmp_path, {**saved, "keypairs": kps})
    assert loaded.items["keypairs"] == kps
    if listed:
        assert loaded.items["certificates"] == certs  # in the order they were written
    else:
        assert "certificates" not in loaded.items
    first = loaded.items["keypairs"][0]
    assert isinstance(first, m.Keypair)
    assert first.certificates[1] == only_embedded
    if listed:
        listed_c1 = next(c for c in loaded.items["certificates"] if c.id == "c1")
        assert first.certificates[0] is listed_c1  # one object, as in the store


def test_certificates_of_different_chains_read_back_their_own_chain(tmp_path: Path) -> None:
    # Chains are encoded once per distinct chain: one issuer's certificates share it, and a
    # certificate of another issuer (or with none) must not be given it.
    other_leaf, other_ca, _ = make_cert()
    same_a, same_b = cert(1), cert(2)
    other = cert(3, cert=b64der(other_leaf), chain=[
        {"cert_type": "INTERMEDIATE", "blob": b64der(other_ca)},
        {"cert_type": "ROOT", "blob": b64der(CA)},
    ])
    bare = cert(4, chain=[])
    file = saved_file(tmp_path)
    file.save("certificates", [same_a, same_b, other, bare], [], SAVED)
    loaded = file.load()
    file.close()
    chains = {c.id: [(e.cert_type, e.blob) for e in c.chain]
              for c in loaded.items["certificates"] if isinstance(c, m.Certificate)}
    assert chains["c1"] == chains["c2"] == [("ROOT", b64der(CA))]
    assert chains["c3"] == [("INTERMEDIATE", b64der(other_ca)), ("ROOT", b64der(CA))]
    assert chains["c4"] == []
    # Read back with the fields set each had: a chain that was sent (even empty) is "set".
    sent = {c.id: c.model_fields_set for c in (same_a, same_b, other, bare)}
    assert {c.id: c.model_fields_set for c in loaded.items["certificates"]} == sent
    assert loaded.items["certificates"] == [same_a, same_b, other, bare]


def test_removals_and_complete_rewrites_leave_exactly_the_collection(tmp_path: Path) -> None:
    file = saved_file(tmp_path)
    file.save("certificates", [cert(1), cert(2), cert(3)], [], SAVED)
    file.save("certificates", [cert(2, alias="renamed")], ["c3"], SAVED)
    assert [c.id for c in file.load().items["certificates"]] == ["c1", "c2"]
    file.save("certificates", [cert(4)], [], SAVED, complete=True)
    loaded = file.load()
    file.close()
    assert [c.id for c in loaded.items["certificates"]] == ["c4"]


def test_a_collection_never_completely_saved_is_not_loaded(tmp_path: Path) -> None:
    file = saved_file(tmp_path)
    assert file.load().items == {}
    file.close()


def test_a_file_whose_owner_differs_is_quarantined(tmp_path: Path) -> None:
    file = saved_file(tmp_path)
    file.save("certificates", [cert(1)], [], SAVED)
    file.close()
    db = sqlite3.connect(file.path)
    with db:
        db.execute("UPDATE meta SET value = 'user-2' WHERE key = 'user_id'")
    db.close()
    again = saved_file(tmp_path)
    assert again.load().items == {}
    assert again.note is not None and "another profile, host or user" in again.note
    assert file.path.with_suffix(".corrupt").exists()
    again.close()


def test_certificates_read_back_with_their_summary_and_are_not_decoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the lists show of a certificate is stored with it: a warm start reads it back
    # instead of decoding 100,000 certificates again.
    good, garbled, blank = cert(1), cert(2, cert="bm90IGEgY2VydGlmaWNhdGU="), cert(3, cert=None)
    expected = {c.id: c.summary for c in (good, garbled, blank)}
    file = saved_file(tmp_path)
    file.save("certificates", [good, garbled, blank], [], SAVED)
    file.close()

    def no_decoding(_b64: str) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(m, "_summarise", no_decoding)
    again = saved_file(tmp_path)
    back = {c.id: c for c in again.load().items["certificates"] if isinstance(c, m.Certificate)}
    again.close()
    assert {i: c.summary for i, c in back.items()} == expected
    summary = back["c1"].summary
    assert summary is not None and summary.subject == "CN=Example Signer"
    assert summary.not_after == LEAF.not_valid_after_utc
    assert back["c1"].days_left(SAVED) == (LEAF.not_valid_after_utc - SAVED).days
    assert expected["c2"] is None and expected["c3"] is None
    assert back["c1"] == good  # the summary is not a field: the model is still equal


@pytest.mark.parametrize("summary", [b'["CN=x"]', b'{"subject": 1}', b"[1,2,3,4,5,6]",
                                     b'["a","b","c","2026-01-01T00:00:00","d","e"]', b"\xff"])
def test_a_certificate_row_whose_summary_does_not_read_is_quarantined(
    tmp_path: Path, summary: bytes
) -> None:
    file = saved_file(tmp_path)
    file.save("certificates", [cert(1)], [], SAVED)
    file.close()
    db = sqlite3.connect(file.path)
    with db:
        db.execute("UPDATE certs SET summary = ?", (summary,))
    db.close()
    again = saved_file(tmp_path)
    assert again.load().items == {}
    assert again.note is not None and again.note.startswith("quarantined")
    again.close()


@pytest.mark.parametrize("damage", [
    "UPDATE certs SET body = CAST('[1, 2, 3]' AS BLOB)",  # a row of another shape
    "UPDATE shared SET kind = 'Keypair'",  # a value of a kind no row refers to
    "UPDATE shared SET body = CAST('{\"id\": 5}' AS BLOB)",  # a value that does not validate
    "DELETE FROM shared",  # rows that refer to values no longer there
])
def test_a_file_whose_rows_do_not_read_back_is_quarantined(tmp_path: Path, damage: str) -> None:
    file = saved_file(tmp_path)
    file.save("certificates", [cert(1)], [], SAVED)
    file.close()
    db = sqlite3.connect(file.path)
    with db:
        db.execute(damage)
    db.close()
    again = saved_file(tmp_path)
    assert again.load().items == {}
    assert again.note is not None and again.note.startswith("quarantined")
    assert file.path.with_suffix(".corrupt").exists()
    again.close()


class FailingOnce(CacheFile):
    """A disk that fails the first write (full, say)."""

    failed = False

    def save(self, *args: Any, **kw: Any) -> None:
        if not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("database or disk is full")
        super().save(*args, **kw)


async def test_after_a_failed_write_the_next_flush_rewrites_the_whole_collection(
    tmp_path: Path,
) -> None:
    store = Store(resources=("certificates",))
    file = FailingOnce(tmp_path, OWNER)
    keeper = CacheKeeper(file, store, ["certificates"])
    await keeper.load()
    keeper.follow()
    store.replace_all("certificates", [cert(1), cert(2)])
    store.mark_ok("certificates", SAVED)
    await keeper.flush()  # fails: nothing in the file
    assert file.failed
    store.upsert("certificates", [cert(3)])
    await keeper.flush()  # must write c1 and c2 too, not only the change
    await keeper.close()

    check = CacheFile(tmp_path, OWNER)
    check.open()
    assert sorted(c.id for c in check.load().items["certificates"]) == ["c1", "c2", "c3"]
    check.close()



async def test_a_keypairs_certificates_saved_by_an_earlier_flush_are_not_encoded_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from stm_tui.cache import codec

    dumped: list[str] = []
    real = codec._dump_cert

    def counting(cert: m.Certificate, out: codec.Encoded) -> str:
        dumped.append(cert.id)
        return real(cert, out)

    monkeypatch.setattr(codec, "_dump_cert", counting)
    store = Store(resources=("certificates", "keypairs"))
    keeper = CacheKeeper(CacheFile(tmp_path, OWNER), store, ["certificates", "keypairs"])
    await keeper.load()
    keeper.follow()
    certs = [cert(1), cert(2)]
    store.replace_all("certificates", certs)
    store.mark_ok("certificates", SAVED)
    await keeper.flush()
    store.replace_all("keypairs", [keypair(1, certs[:1]), keypair(2, [certs[1], cert(3)])])
    store.mark_ok("keypairs", SAVED)
    await keeper.flush()
    await keeper.close()
    # c1 and c2 once (with the certificates); c3 is not in the collection, so it is dumped
    # with its keypair.
    assert sorted(dumped) == ["c1", "c2", "c3"]
    check = CacheFile(tmp_path, OWNER)
    check.open()
    loaded = check.load()
    check.close()
    kp = loaded.items["keypairs"][1]
    assert isinstance(kp, m.Keypair) and [c.id for c in kp.certificates] == ["c2", "c3"]


async def test_the_memo_lets_go_of_replaced_certificates_once_it_outgrows_the_store(
    tmp_path: Path,
) -> None:
    # The memo holds every certificate it wrote (by object); a replaced one is dropped, but
    # only when the memo has outgrown the store by a tenth plus 1,000 (walking it after every
    # flush of a first sync was the cost).
    store = Store(resources=("certificates",))
    keeper = CacheKeeper(CacheFile(tmp_path, OWNER), store, ["certificates"])
    await keeper.load()
    keeper.follow()
    sizes: list[int] = []
    for round_ in range(25):
        store.replace_all("certificates", [cert(i, alias=f"r{round_}-{i}") for i in range(100)])
        store.mark_ok("certificates", SAVED)
        await keeper.flush()
        sizes.append(len(keeper._memo))
    await keeper.close()
    assert sizes[:10] == [100 * (n + 1) for n in range(10)]  # nothing walked yet
    assert max(sizes) <= 100 + 10 + 1000 + 100  # bounded: walked once past the threshold
    assert min(sizes[11:]) == 100  # and the walk kept exactly what the store holds


def test_certificates_no_item_uses_are_dropped_when_read_and_their_values_at_the_next_read(
    tmp_path: Path,
) -> None:
    file = saved_file(tmp_path)
    file.save("certificates", [cert(1, account={"id": "a1", "name": "Before"})], [], SAVED)
    file.save("certificates", [cert(1, account={"id": "a1", "name": "After"})], [], SAVED,
              complete=True)

    def rows() -> tuple[int, list[str]]:
        db = sqlite3.connect(file.path)
        try:
            certs = db.execute("SELECT count(*) FROM certs").fetchone()[0]
            shared = [bytes(b).decode() for (b,) in db.execute("SELECT body FROM shared")]
        finally:
            db.close()
        return certs, shared

    certs_before, shared_before = rows()
    assert certs_before == 2 and any("Before" in body for body in shared_before)
    loaded = file.load()
    file.close()
    certs_after, shared_after = rows()
    assert certs_after == 1
    # The old certificate was still read (rows are built as they stream in), so the value
    # only it used goes at the next read, with nothing left that refers to it.
    assert any("Before" in body for body in shared_after)
    again = saved_file(tmp_path)
    assert again.load().items["certificates"] == loaded.items["certificates"]
    again.close()
    certs_last, shared_last = rows()
    assert certs_last == 1
    assert not any("Before" in body for body in shared_last)
    assert any("After" in body for body in shared_last)
    back = loaded.items["certificates"][0]
    assert isinstance(back, m.Certificate) and back.account is not None
    assert back.account.name == "After"


def test_an_inventory_larger_than_a_batch_reads_back_whole_and_in_a_stable_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stm_tui.cache import batches

    monkeypatch.setattr(batches, "BATCH", 2)
    certs = [cert(i) for i in (5, 3, 1, 4, 2)]
    kps = [keypair(i, [c for c in certs if c.id == f"c{i}"]) for i in (3, 1, 2)]
    file = saved_file(tmp_path)
    file.save("certificates", certs, [], SAVED)
    file.save("keypairs", kps, [], SAVED)
    loaded = file.load()
    file.close()
    # Certificates in the order their rows were written (the order they lie in memory once
    # built), keypairs by id.
    assert [c.id for c in loaded.items["certificates"]] == ["c5", "c3", "c1", "c4", "c2"]
    assert loaded.items["certificates"] == certs
    assert loaded.items["keypairs"] == sorted(kps, key=lambda k: k.id)
    by_id = {c.id: c for c in loaded.items["certificates"]}
    for kp in loaded.items["keypairs"]:
        assert isinstance(kp, m.Keypair)
        assert all(c is by_id[c.id] for c in kp.certificates)
