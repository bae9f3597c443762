"""Memory savings must not change what a model says: dumps, assignment, sharing, triage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from stm_tui.api import models as m
from stm_tui.store.store import Store
from stm_tui.store.sync import share_certificates
from stm_tui.views import triage

from ._certs import b64der, make_cert

ACCOUNT = {"id": "acc-1", "name": "Acme Software"}


def cert_json(ident: str, days: int = 30, status: str = "ACTIVE") -> dict[str, Any]:
    leaf, ca, _key = make_cert(f"Signer {ident}", days=days)
    return {
        "id": ident,
        "alias": f"cert-{ident}",
        "cert": b64der(leaf),
        "chain": [{"cert_type": "root", "blob": b64der(ca)}],
        "certificate_status": status,
        "keypair": {"id": f"kp-{ident}", "alias": f"key-{ident}"},
        "account": dict(ACCOUNT),
        "revoked_on": None,
    }


def test_a_dump_gives_back_exactly_what_the_server_sent() -> None:
    sent = [cert_json("a"), cert_json("b")]
    certs = [m.Certificate.model_validate_json(json.dumps(item)) for item in sent]
    assert [c.model_dump(mode="json", exclude_unset=True) for c in certs] == sent
    kp = m.Keypair.model_validate({"id": "kp-a", "certificates": sent[:1]})
    assert kp.model_dump(mode="json", exclude_unset=True) == {
        "id": "kp-a",
        "certificates": sent[:1],
    }


def test_setting_a_field_on_one_model_leaves_the_others_alone() -> None:
    one, two = (m.Certificate.model_validate({"id": x}) for x in ("1", "2"))
    one.alias = "renamed"
    assert one.model_dump(exclude_unset=True) == {"id": "1", "alias": "renamed"}
    assert two.model_dump(exclude_unset=True) == {"id": "2"}
    copy = two.model_copy(update={"alias": "copied"})
    assert copy.model_dump(exclude_unset=True) == {"id": "2", "alias": "copied"}
    assert two.model_dump(exclude_unset=True) == {"id": "2"}


def test_equal_references_are_one_object_that_cannot_be_changed_under_the_others() -> None:
    a, b = (m.Certificate.model_validate(cert_json(x)) for x in ("a", "b"))
    assert a.account is b.account and a.account == m.Ref(**ACCOUNT)
    assert a.keypair is not b.keypair
    assert a.account is not None
    with pytest.raises(ValidationError):
        a.account.name = "Other"  # type: ignore[misc]
    assert b.account is not None and b.account.name == "Acme Software"


def test_the_summary_and_the_full_certificate_agree() -> None:
    cert = m.Certificate.model_validate(cert_json("a", days=10))
    full = cert.x509_cert
    assert full is not None
    assert cert.subject_name == full.subject.rfc4514_string() == "CN=Signer a"
    assert cert.not_after == full.not_valid_after_utc
    assert cert.serial_hex == f"{full.serial_number:x}"
    assert cert.decoded_chain[0].subject.rfc4514_string() == "CN=Test Root CA"
    assert cert.days_left(datetime.now(UTC)) in (9, 10)


def store_with(certs: list[dict[str, Any]], keypairs: list[dict[str, Any]]) -> Store:
    store = Store(resources=("certificates", "keypairs"))
    store.replace_all("certificates", [m.Certificate.model_validate(c) for c in certs])
    store.replace_all("keypairs", [m.Keypair.model_validate(k) for k in keypairs])
    return store


def test_keypairs_share_the_certificates_collections_objects_when_equal() -> None:
    same, changed = cert_json("a"), cert_json("b")
    store = store_with([same, changed], [])
    stale = {**changed, "certificate_status": "REVOKED"}
    kps = [m.Keypair.model_validate({"id": "kp", "certificates": [same, stale]})]
    share_certificates(store, "keypairs", kps)
    held = store.collection("certificates")
    assert kps[0].certificates[0] is held.get("a")
    assert kps[0].certificates[1] is not held.get("b")
    assert kps[0].certificates[1].certificate_status == "REVOKED"


def test_certificates_reuse_the_keypairs_embedded_objects_when_loaded_second() -> None:
    item = cert_json("a")
    store = store_with([], [{"id": "kp-a", "certificates": [item]}])
    kp = store.collection("keypairs").get("kp-a")
    assert kp is not None
    embedded = kp.certificates[0]
    listing = [m.Certificate.model_validate(item), m.Certificate.model_validate(cert_json("z"))]
    share_certificates(store, "certificates", listing)
    assert listing[0] is embedded
    assert listing[1].id == "z"


def test_incremental_triage_matches_a_full_one() -> None:
    now = datetime.now(UTC)
    items = [cert_json(str(i), days=d) for i, d in enumerate((3, 20, 60, 400))]
    store = store_with(items, [])
    incremental = triage.Triage()
    incremental.refresh(store, now, {}, "certificates")
    # One certificate renewed (out of every window), one revoked, one new one expiring.
    changes = [
        {**items[0], "cert": cert_json("0", days=300)["cert"]},
        {**items[1], "certificate_status": "REVOKED"},
        cert_json("9", days=5),
    ]
    store.upsert("certificates", [m.Certificate.model_validate(c) for c in changes])
    store.remove("certificates", ["2"])
    touched = incremental.refresh(
        store, now + timedelta(seconds=1), {}, "certificates", ["0", "1", "2", "9"]
    )
    assert touched == {"certificates:0", "certificates:1", "certificates:2", "certificates:9"}
    full = triage.triage(store, now + timedelta(seconds=1), {})
    assert sorted(f.key for f in full) == ["certificates:9"]
    assert incremental.get("certificates:9") == full[0]
    assert incremental.counts()["certificate"] == 1


def test_bytes_that_are_not_a_certificate_fall_back_to_the_server_fields() -> None:
    junk = m.Certificate.model_validate(
        {"id": "j", "cert": "AAECAwQ=", "subject": "CN=from server", "serial_number": "0a"}
    )
    assert junk.x509_cert is None and junk.summary is None and junk.validity is None
    assert junk.subject_name == "CN=from server" and junk.serial_hex == "0a"
    assert junk.sha256_fingerprint is not None  # a fingerprint of the bytes as sent
