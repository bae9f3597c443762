import base64
import contextlib
import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stm_tui.api import models as m
from stm_tui.api.resources import RESOURCES

from ._certs import b64der, make_cert


def test_unknown_fields_are_kept_and_missing_ones_are_not_fatal() -> None:
    kp = m.Keypair.model_validate({"id": "k1", "alias": "release-key", "brand_new": {"x": 1}})
    assert kp.alias == "release-key"
    assert kp.model_dump()["brand_new"] == {"x": 1}
    assert kp.key_size is None


def test_timestamps_parse_to_aware_datetimes_even_without_a_zone() -> None:
    kp = m.Keypair.model_validate({"id": "k", "created_on": "2026-11-27T10:00:00Z"})
    assert kp.created_on == datetime(2026, 11, 27, 10, tzinfo=UTC)
    naive = m.Keypair.model_validate({"id": "k", "created_on": "2026-11-27T10:00:00"})
    assert naive.created_on is not None and naive.created_on.tzinfo is not None


def test_certificate_views_come_from_the_certificate_itself() -> None:
    leaf, ca, _key = make_cert("Build Signer", days=30, serial=0xBEEF)
    cert = m.Certificate.model_validate(
        {
            "id": "c1",
            "cert": b64der(leaf),
            "chain": [{"cert_type": "root", "blob": b64der(ca)}],
            # Conveniences the server may get wrong: the decoded views must not use them.
            "subject": "CN=something else",
            "serial_number": "1",
        }
    )
    assert cert.subject_name == "CN=Build Signer"
    assert cert.issuer_name == "CN=Test Root CA"
    assert cert.serial_hex == "beef"
    der = base64.b64decode(b64der(leaf))
    assert cert.sha256_fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert cert.not_after == leaf.not_valid_after_utc
    assert cert.days_left(datetime.now(UTC)) in (29, 30)
    assert [c.subject.rfc4514_string() for c in cert.decoded_chain] == ["CN=Test Root CA"]


def test_a_broken_certificate_blob_degrades_to_the_server_fields() -> None:
    cert = m.Certificate.model_validate(
        {"id": "c", "cert": "not base64!!", "subject": "CN=x", "valid_to": "2030-01-01T00:00:00Z"}
    )
    assert cert.x509_cert is None
    assert cert.subject_name == "CN=x"
    assert cert.not_after == datetime(2030, 1, 1, tzinfo=UTC)
    assert cert.sha256_fingerprint is None


def test_keypair_public_key_fingerprint() -> None:
    leaf, _ca, _key = make_cert()
    from cryptography.hazmat.primitives import serialization

    spki = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kp = m.Keypair.model_validate({"id": "k", "public_key": base64.b64encode(spki).decode()})
    assert kp.public_key_fingerprint is not None
    assert kp.public_key_fingerprint.replace(":", "").lower() == hashlib.sha256(spki).hexdigest()
    assert kp.public_key_object is not None


def test_account_settings_take_the_account_id() -> None:
    settings_ = m.AccountSettings.model_validate({"account": {"id": "acc-1", "name": "Acme"}})
    assert settings_.id == "acc-1"


def test_secrets_returned_once_are_masked_in_repr_and_json() -> None:
    token = m.ApiToken.model_validate({"id": "t", "token": "sk_canary_value_123"})
    assert "sk_canary_value_123" not in repr(token)
    assert "sk_canary_value_123" not in token.model_dump_json()
    assert token.token is not None and token.token.get_secret_value() == "sk_canary_value_123"


@pytest.mark.parametrize(
    "spec", [s for s in RESOURCES.values() if s.name != "account_settings"], ids=lambda s: s.name
)
def test_an_item_without_an_id_is_refused_so_the_store_can_key_every_item(spec: object) -> None:
    model = spec.model  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        model.model_validate({"name": "no id", "alias": "no id"})


def test_account_settings_without_any_id_still_get_one_key() -> None:
    # The settings object has no id of its own: one per account, so one fixed key will do.
    assert m.AccountSettings.model_validate({"two_factor_required": True}).id == "account"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=json_values)
def test_arbitrary_json_only_ever_raises_validation_error(data: object) -> None:
    raw = json.dumps(data)
    for model in (m.Keypair, m.Certificate, m.User, m.ReleaseWindow, m.AccountSettings):
        with contextlib.suppress(ValidationError):
            model.model_validate_json(raw)


@pytest.mark.parametrize("spec", list(RESOURCES.values()), ids=lambda s: s.name)
def test_a_minimal_item_validates_for_every_collection(spec: object) -> None:
    model = spec.model  # type: ignore[attr-defined]
    assert model.model_validate({"id": "x"}).id == "x"


def test_one_certificate_being_decoded_does_not_hold_up_another_on_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The inventory cache's thread decodes summaries while the UI thread builds rows: with
    # Python 3.11's `cached_property` (one lock for every instance) the row waited.
    import threading

    leaf, _ca, _key = make_cert()
    first, second = (m.Certificate(id=i, cert=b64der(leaf)) for i in ("a", "b"))
    real = m._summarise
    inside, release = threading.Event(), threading.Event()

    def slow_for_the_first(b64: str) -> m.CertSummary | None:
        if not inside.is_set():
            inside.set()
            release.wait(10)
        return real(b64)

    monkeypatch.setattr(m, "_summarise", slow_for_the_first)
    other = threading.Thread(target=lambda: first.summary)
    other.start()
    try:
        assert inside.wait(5)
        done = threading.Event()

        def decode_the_second() -> None:
            assert second.summary is not None
            done.set()

        worker = threading.Thread(target=decode_the_second)
        worker.start()
        assert done.wait(5), "the second certificate waited for the first one's decode"
        worker.join()
    finally:
        release.set()
        other.join()
    assert first.summary == second.summary  # decoded once each, then kept
    assert first.summary is first.summary
