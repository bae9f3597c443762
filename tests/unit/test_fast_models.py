"""Certificates and keypairs built without per-field pydantic validation
(stm_tui/api/fast_models.py) say exactly what `model_validate_json` says, or step aside for it:
the same values, JSON, fields set, extras and type, for the emulator's own items and for
thousands of mangled variants."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from stm_tui.api import fast_models, item_pages
from stm_tui.api import models as m
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import client_for

STM = "/signingmanager/api/v1"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[dict[str, Any]]]]:
    import asyncio

    from tests.integration._emu import private_emulator

    async def read(server: EmulatorServer) -> dict[str, list[dict[str, Any]]]:
        client = client_for(server)
        try:
            out = {}
            for path in ("certificates", "keypairs"):
                response = await client._engine.get(f"{STM}/{path}", {"limit": 100, "offset": 0})
                out[path] = json.loads(response.content)["items"]
            return out
        finally:
            await client.aclose()

    tmp: Path = tmp_path_factory.mktemp("fast-models")
    for server in private_emulator(tmp):
        yield asyncio.run(read(server))


def _said(item: BaseModel) -> tuple[Any, ...]:
    return (
        type(item),
        item.model_dump(),
        item.model_dump_json(),
        set(item.model_fields_set),
        item.__pydantic_extra__,
    )


def _embedded(value: bytes) -> list[m.Certificate] | None:
    return item_pages._embedded(value, item_pages.Interner())  # the page path's own


def _fast(model: type[BaseModel], raw: bytes) -> BaseModel | None:
    if model is m.Certificate:
        return fast_models.certificate(raw)
    return fast_models.keypair(raw, _embedded)


def test_the_emulators_items_are_built_exactly_as_pydantic_validates_them(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    for path, model in (("certificates", m.Certificate), ("keypairs", m.Keypair)):
        assert pages[path], path
        for item in pages[path]:
            raw = json.dumps(item).encode()
            fast = _fast(model, raw)
            assert fast is not None, f"{path}: the fast path declined an ordinary item"
            whole = model.model_validate_json(raw)
            assert _said(fast) == _said(whole)
            assert fast == whole


def test_nested_references_keep_their_extra_fields_and_equal_ones_are_one_object(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    items = pages["keypairs"]
    with_extras = [i for i in items if i.get("account") and set(i["account"]) - {"id", "name"}]
    assert len(with_extras) >= 2, "the demo's keypairs carry their account with extra fields"
    a = fast_models.keypair(json.dumps(with_extras[0]).encode(), _embedded)
    b = fast_models.keypair(json.dumps(with_extras[1]).encode(), _embedded)
    assert a is not None and b is not None and a.account is not None
    assert a.account.__pydantic_extra__ == {
        k: v for k, v in with_extras[0]["account"].items() if k not in ("id", "name", "alias")
    }
    assert a.account is b.account
    # A list of shared values is still each keypair's own list.
    assert a.users is not b.users


def test_fields_left_out_or_null_and_timestamps_without_a_zone_read_as_pydantic_reads_them(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    item = copy.deepcopy(pages["certificates"][0])
    del item["alias"], item["chain"], item["keypair"]
    item["serial_number"] = None
    item["valid_from"] = "2025-10-02T14:00:00"  # no zone: read as UTC
    item["valid_to"] = "2026-10-02T16:00:00+02:00"
    raw = json.dumps(item).encode()
    fast = fast_models.certificate(raw)
    assert fast is not None
    whole = m.Certificate.model_validate_json(raw)
    assert _said(fast) == _said(whole)
    assert "alias" not in fast.model_fields_set and "serial_number" in fast.model_fields_set
    assert fast.chain == [] and fast.valid_from is not None
    assert fast.valid_from.utcoffset() is not None


def test_what_only_pydantic_can_say_is_left_to_it(pages: dict[str, list[dict[str, Any]]]) -> None:
    base = pages["certificates"][0]
    declined = {
        "an unknown top-level field (pydantic keeps it as an extra)": {**base, "new_field": 1},
        "a number where a string belongs": {**base, "alias": 7},
        "a string where a boolean belongs": {**base, "default_cert": "true"},
        "a timestamp pydantic reads from a number": {**base, "valid_to": 1700000000},
        "a chain that is not a list": {**base, "chain": "nope"},
        "not an object": [base],
    }
    for why, value in declined.items():
        assert fast_models.certificate(json.dumps(value).encode()) is None, why
    with pytest.raises(ValidationError):
        m.Certificate.model_validate_json(json.dumps(declined["a chain that is not a list"]))
    assert fast_models.certificate(b"{not json") is None
    assert fast_models.keypair(json.dumps(pages["keypairs"][0]).encode(), lambda _v: None) is None


_JUNK: list[Any] = [
    None, 0, -1, 2**70, 1.5, True, False, "", "x", "2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00.123456+05:30", "2025-01-01", "\u202e\x1b[31m", [], [1], {}, {"id": "a"},
    {"id": "b", "name": None, "extra": [1, {"x": 2}]},
]


def _mangle(item: dict[str, Any], rng: random.Random) -> Any:
    out = copy.deepcopy(item)
    for _ in range(rng.randint(1, 4)):
        action = rng.random()
        key = rng.choice(sorted(out)) if out else "id"
        if action < 0.3:
            out.pop(key, None)
        elif action < 0.8:
            out[key] = rng.choice(_JUNK)
        elif action < 0.9 and isinstance(out.get(key), dict):
            nested = out[key]
            nested[rng.choice(["id", "name", "alias", "other"])] = rng.choice(_JUNK)
        else:
            out[rng.choice(["x_new", key])] = rng.choice(_JUNK)
    return out


@pytest.mark.parametrize("path,model", [("certificates", m.Certificate), ("keypairs", m.Keypair)])
def test_mangled_items_are_built_as_pydantic_builds_them_or_left_to_it(
    pages: dict[str, list[dict[str, Any]]], path: str, model: type[BaseModel]
) -> None:
    rng = random.Random(1505)
    built = declined = 0
    for n in range(1500):
        raw = json.dumps(_mangle(pages[path][n % len(pages[path])], rng)).encode()
        try:
            whole: BaseModel | None = model.model_validate_json(raw)
        except ValidationError:
            whole = None
        try:
            fast = _fast(model, raw)
        except ValidationError:
            fast = None  # an embedded certificate that does not validate (the page path falls back)
        if fast is None:
            declined += 1
            continue
        built += 1
        assert whole is not None, f"built what pydantic rejects: {raw[:200]!r}"
        assert _said(fast) == _said(whole), raw[:300]
    assert built > 300 and declined > 300, (built, declined)


def test_a_nested_values_memory_is_bounded(pages: dict[str, list[dict[str, Any]]]) -> None:
    builder = fast_models.CERTIFICATE
    assert builder is not None
    base = pages["certificates"][0]
    for n in range(fast_models._MEMO_MAX + 10):
        raw = json.dumps({**base, "keypair": {"id": f"kp-{n}", "alias": "a"}}).encode()
        assert fast_models.certificate(raw) is not None
    memo = next(f.memo for f in builder._fields if f.name == "keypair")
    assert 0 < len(memo) <= fast_models._MEMO_MAX


def _keypair_pair(
    pages: dict[str, list[dict[str, Any]]], **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two different keypairs of the demo (without embedded certificates), with `fields`."""
    items = [i for i in pages["keypairs"] if i.get("hsm_partition_details")]
    assert len(items) >= 2
    a, b = ({k: v for k, v in i.items() if k != "certificates"} for i in items[:2])
    return {**a, **fields}, {**b, **fields}


def _both(item: dict[str, Any]) -> tuple[m.Keypair, m.Keypair]:
    raw = json.dumps(item).encode()
    fast = fast_models.keypair(raw, _embedded)
    assert isinstance(fast, m.Keypair), "the fast path declined an ordinary keypair"
    whole = m.Keypair.model_validate_json(raw)
    assert _said(fast) == _said(whole)
    return fast, whole


def test_equal_free_form_objects_are_one_dict_nested_values_and_all(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    details = {
        "id": "p-1", "name": "partition", "hsm_provider": {"name": "Luna", "slots": [1, {"n": 2}]},
        "allowed_uses": ["SIGN"], "enabled": True, "level": 3, "ratio": 0.5, "none": None,
    }
    one, two = _keypair_pair(pages, hsm_partition_details=details)
    a, whole_a = _both(one)
    b, whole_b = _both(two)
    assert a.id != b.id
    assert a.hsm_partition_details == whole_a.hsm_partition_details == details
    assert a.hsm_partition_details is b.hsm_partition_details
    assert a.hsm_partition_details is not None and b.hsm_partition_details is not None
    assert a.hsm_partition_details["hsm_provider"] is b.hsm_partition_details["hsm_provider"]
    # pydantic gives each its own; equal all the same.
    assert whole_a.hsm_partition_details is not whole_b.hsm_partition_details
    assert whole_b.hsm_partition_details == b.hsm_partition_details
    # Different JSON is a different object.
    other, _ = _both({**one, "hsm_partition_details": {**details, "name": "other"}})
    assert other.hsm_partition_details is not a.hsm_partition_details
    assert other.hsm_partition_details == {**details, "name": "other"}


def test_a_free_form_object_left_out_null_or_empty_reads_as_pydantic_reads_it(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    one, _ = _keypair_pair(pages)
    absent, _ = _both({k: v for k, v in one.items() if k != "hsm_partition_details"})
    assert absent.hsm_partition_details is None
    assert "hsm_partition_details" not in absent.model_fields_set
    null, _ = _both({**one, "hsm_partition_details": None})
    assert null.hsm_partition_details is None
    assert "hsm_partition_details" in null.model_fields_set
    empty, _ = _both({**one, "hsm_partition_details": {}})
    assert empty.hsm_partition_details == {}
    assert "hsm_partition_details" in empty.model_fields_set
    for not_an_object in ([], [{"a": 1}], "x", 1, True):
        raw = json.dumps({**one, "hsm_partition_details": not_an_object}).encode()
        assert fast_models.keypair(raw, _embedded) is None, not_an_object
        with pytest.raises(ValidationError):
            m.Keypair.model_validate_json(raw)


def test_lists_are_each_models_own_and_their_short_strings_are_shared(
    pages: dict[str, list[dict[str, Any]]],
) -> None:
    teams = ["team-0f4c2b7e-5d1a-4e3b-9c8d-7a6b5c4d3e2f", "x" * (fast_models._TEXT_MAX + 1)]
    one, two = _keypair_pair(pages, team_ids=teams)
    a, _ = _both(one)
    b, _ = _both(two)
    assert a.team_ids == b.team_ids == teams
    assert a.team_ids is not b.team_ids
    assert a.team_ids[0] is b.team_ids[0]
    empty, _ = _both({**one, "team_ids": []})
    left_out, _ = _both({k: v for k, v in one.items() if k != "team_ids"})
    assert empty.team_ids == left_out.team_ids == [] and empty.team_ids is not left_out.team_ids


def test_a_free_form_objects_memory_is_bounded(pages: dict[str, list[dict[str, Any]]]) -> None:
    builder = fast_models.KEYPAIR
    assert builder is not None
    one, _ = _keypair_pair(pages)
    for n in range(fast_models._FREE_MEMO_MAX + 10):
        raw = json.dumps({**one, "hsm_partition_details": {"slot": n}}).encode()
        assert fast_models.keypair(raw, _embedded) is not None
    memo = next(f.memo for f in builder._fields if f.name == "hsm_partition_details")
    assert 0 < len(memo) <= fast_models._FREE_MEMO_MAX
