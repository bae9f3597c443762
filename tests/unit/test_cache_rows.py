"""Compact cache rows (`stm_tui.cache.rows`): a model read back from its row is the model that
was written (values, fields set, extras), shared values are written once, and a row that
does not fit its layout is refused, never half read."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from pydantic import BaseModel

from stm_tui.api import models as m
from stm_tui.cache import codec
from stm_tui.cache.rows import Layout, RowError
from tests.unit._certs import b64der, make_cert

LEAF, CA, _KEY = make_cert()


def cert_json(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"c{i}", "alias": f"cert-{i}", "cert": b64der(LEAF),
        "chain": [{"cert_type": "ROOT", "blob": b64der(CA), "issued_by": "nobody"}],
        "certificate_status": "ACTIVE", "valid_to": "2027-01-01T00:00:00.123456Z",
        # A naive time is read as UTC (models.Timestamp): the row keeps it aware.
        "valid_from": "2026-01-01T00:00:00",
        "keypair": {"id": f"k{i}", "alias": f"key-{i}", "future": [1, {"x": None}]},
        "account": {"id": "acct-1", "name": "Acme"}, "revoked_on": None,
        "custom_fields": [{"label": "ticket", "value": "OPS-1"}],
        "created_by_user": {"id": "u1", "name": "Lee", "auth_type": "sso"},
        **extra,
    }


def keypair_json(i: int, certs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"k{i}", "alias": f"key-{i}", "key_alg": "RSA", "key_size": 3072, "curve": None,
        "users": [{"id": "u1", "name": "Lee"}, {"id": "u2", "name": "Ada", "extra": True}],
        "groups": [], "team_ids": ["t1", "t2"],
        "hsm_partition_details": {"slot": 2, "nested": {"a": [1.5, "b"]}},
        "modified_on": "2026-11-02T10:00:00+02:00",
    }
    if certs is not None:
        body["certificates"] = certs
    return body


def read_back(layout: Layout, model: BaseModel) -> Any:
    out = codec.Encoded(items=[], certs={}, shared={})
    row = codec._JSON.encode(layout.row(model, lambda v: codec._shared_key(v, out)))
    decoder = codec.Decoder(out.shared)
    return layout.read(row, decoder._shared, decoder._values)


def same(a: BaseModel, b: BaseModel) -> None:
    assert a == b
    assert a.model_fields_set == b.model_fields_set
    assert a.model_extra == b.model_extra
    assert a.model_dump(mode="json", exclude_unset=True) == b.model_dump(
        mode="json", exclude_unset=True
    )


@pytest.mark.parametrize("extra", [{}, {"future_field": {"kept": [1, 2]}}, {"alias": None}])
def test_a_certificate_reads_back_as_it_was_written(extra: dict[str, Any]) -> None:
    written = m.Certificate.model_validate(cert_json(1, **extra))
    back = read_back(codec.CERTIFICATE, written)
    same(back, written)
    assert back.valid_from is not None and back.valid_from.tzinfo is not None
    assert back.keypair.model_extra == {"future": [1, {"x": None}]}
    assert back.chain[0].model_extra == {"issued_by": "nobody"}


def test_fields_absent_and_fields_sent_as_null_stay_apart() -> None:
    sparse = m.Certificate.model_validate({"id": "c9", "alias": None})
    back = read_back(codec.CERTIFICATE, sparse)
    same(back, sparse)
    assert back.model_fields_set == {"id", "alias"}
    assert back.chain == [] and back.chain is not sparse.chain  # its own default list


def test_a_keypair_reads_back_without_its_certificates_which_the_codec_adds() -> None:
    written = m.Keypair.model_validate(keypair_json(1, [cert_json(1)]))
    back = read_back(codec.KEYPAIR, written)
    assert "certificates" not in back.__dict__  # held by reference, not in the row
    assert back.model_fields_set == written.model_fields_set
    back.__dict__["certificates"] = list(written.certificates)
    same(back, written)
    assert back.modified_on == written.modified_on and back.modified_on.utcoffset() is not None


def test_equal_shared_values_are_written_once_and_read_back_as_one_object() -> None:
    certs = [m.Certificate.model_validate(cert_json(i)) for i in range(3)]
    out = codec.Encoded(items=[], certs={}, shared={})
    rows = [codec._JSON.encode(codec.CERTIFICATE.row(c, lambda v: codec._shared_key(v, out)))
            for c in certs]
    kinds = sorted(kind for kind, _ in out.shared.values())
    # One account, one creator, one chain entry for all three; a keypair reference each.
    assert kinds == ["ChainEntry", "Ref", "Ref", "Ref", "Ref", "Ref"]
    decoder = codec.Decoder(out.shared)
    back = [codec.CERTIFICATE.read(r, decoder._shared, decoder._values) for r in rows]
    assert back[0].account is back[1].account is back[2].account
    assert back[0].chain[0] is back[2].chain[0]
    assert back[0].certificate_status is back[2].certificate_status  # one string per value
    for a, b in zip(back, certs, strict=True):
        same(a, b)


def good_row() -> list[Any]:
    cert = m.Certificate.model_validate({"id": "c1", "alias": "a"})
    return codec.CERTIFICATE.row(cert, lambda v: "never")


@pytest.mark.parametrize("damage", [
    lambda row: row[:-1],                        # one value short
    lambda row: [*row, None],                    # one too many
    lambda row: [17, *row[1:]],                  # an id that is not a string
    lambda row: [*row[:-2], 1 << 40, None],      # a fields set beyond the model's fields
    lambda row: [*row[:-2], row[-2], ["not", "a", "dict"]],  # extras that are not a dict
])
def test_a_row_that_does_not_fit_its_layout_is_refused(damage: Any) -> None:
    raw = msgspec.json.encode(damage(good_row()))
    with pytest.raises(RowError):
        codec.CERTIFICATE.read(raw, lambda key: pytest.fail("no value is asked for"), {})


def test_a_row_that_refers_to_a_missing_shared_value_is_refused() -> None:
    row = good_row()
    row[codec.CERTIFICATE.names.index("account")] = "no-such-key"
    decoder = codec.Decoder({})
    with pytest.raises(RowError):
        codec.CERTIFICATE.read(msgspec.json.encode(row), decoder._shared, decoder._values)


def test_a_model_with_a_field_the_rows_cannot_hold_fails_when_its_layout_is_made() -> None:
    class Odd(m.Resource):
        tags: set[str] = set()

    with pytest.raises(TypeError, match=r"Odd\.tags"):
        Layout(Odd)


def test_equal_free_form_objects_read_back_as_one_dict_and_others_as_their_own() -> None:
    def kp(i: int, partition: dict[str, Any] | None) -> m.Keypair:
        body = keypair_json(i)
        body["hsm_partition_details"] = partition
        return m.Keypair.model_validate(body)

    written = [kp(1, {"slot": 2, "label": "a"}), kp(2, {"slot": 2, "label": "a"}),
               kp(3, {"slot": 3}), kp(4, None), kp(5, {})]
    out = codec.Encoded(items=[], certs={}, shared={})
    rows = [codec._JSON.encode(codec.KEYPAIR.row(k, lambda v: codec._shared_key(v, out)))
            for k in written]
    decoder = codec.Decoder(out.shared)
    back = [codec.KEYPAIR.read(r, decoder._shared, decoder._values) for r in rows]
    parts = [b.hsm_partition_details for b in back]
    assert parts == [w.hsm_partition_details for w in written]
    assert parts[0] is parts[1] and parts[2] is not parts[0]
    assert parts[3] is None and parts[4] == {}
    for b, w in zip(back, written, strict=True):
        b.__dict__["certificates"] = []
        same(b, w)
