"""List pages split into items and validated once per distinct content (stm_tui/api/item_pages.py),
against the emulator on loopback: what a listing says is exactly what the pydantic page path
says, keypairs share the certificate objects of the certificates listing, and a change is
never hidden behind an object built from older bytes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import pytest
from pydantic import BaseModel, SecretStr

from stm_tui.api import item_pages
from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.api.errors import BadResponse
from stm_tui.api.item_pages import Interner, parse_page_split
from stm_tui.api.paging import parse_page_fast
from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import FAST, client_for
from tests.integration._hostile import HostileServer, Reply

STM = "/signingmanager/api/v1"


@pytest.fixture
async def lead(fresh_emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    client = client_for(fresh_emulator)
    try:
        yield client
    finally:
        await client.aclose()


async def _page(client: STMClient, path: str, limit: int = 100) -> bytes:
    response = await client._engine.get(f"{STM}/{path}", {"limit": limit, "offset": 0})
    return response.content


def _said(items: Sequence[BaseModel]) -> list[tuple[str, dict[str, object], set[str]]]:
    return [(type(i).__name__, i.model_dump(), set(i.model_fields_set)) for i in items]


async def test_a_split_page_says_exactly_what_the_pydantic_page_path_says(lead: STMClient) -> None:
    for path, model in (("certificates", m.Certificate), ("keypairs", m.Keypair)):
        content = await _page(lead, path)
        split = parse_page_split(model, content, Interner())
        whole = parse_page_fast(model, content)
        assert split is not None and whole is not None, path
        assert len(split[1]) >= item_pages.MIN_ITEMS, "the demo page is too small to split"
        assert _said(split[1]) == _said(whole[1]), path
        assert (split[0].total, split[0].limit) == (whole[0].total, whole[0].limit)


async def test_keypairs_share_the_certificate_objects_of_the_certificates_listing(
    lead: STMClient,
) -> None:
    interner = Interner()
    certs = parse_page_split(m.Certificate, await _page(lead, "certificates"), interner)
    keypairs = parse_page_split(m.Keypair, await _page(lead, "keypairs"), interner)
    assert certs is not None and keypairs is not None
    by_id = {c.id: c for c in certs[1]}
    embedded = [c for kp in keypairs[1] for c in kp.certificates if c.id in by_id]
    assert embedded, "no keypair embeds a listed certificate"
    assert all(c is by_id[c.id] for c in embedded)
    assert all(type(kp) is m.Keypair for kp in keypairs[1])
    # The shared keypair still serialises its certificates in full (the cache writes them).
    dumped = json.loads(keypairs[1][0].model_dump_json())
    assert dumped["certificates"] and "cert" in dumped["certificates"][0]


async def test_keypairs_read_first_provide_the_certificates_the_listing_then_reuses(
    lead: STMClient,
) -> None:
    interner = Interner()
    keypairs = parse_page_split(m.Keypair, await _page(lead, "keypairs"), interner)
    certs = parse_page_split(m.Certificate, await _page(lead, "certificates"), interner)
    assert certs is not None and keypairs is not None
    embedded = {c.id: c for kp in keypairs[1] for c in kp.certificates}
    reused = [c for c in certs[1] if c.id in embedded]
    assert reused and all(c is embedded[c.id] for c in reused)


async def test_a_revoked_certificate_is_a_new_object_in_both_listings(
    fresh_emulator: EmulatorServer, lead: STMClient
) -> None:
    interner = Interner()
    before = parse_page_split(m.Certificate, await _page(lead, "certificates"), interner)
    assert before is not None
    target = next(c for c in before[1] if c.certificate_status == "ACTIVE")
    await lead.execute(revoke_certificate(target.id, "x", RevokeCertificate(reason="superseded")))

    after = parse_page_split(m.Certificate, await _page(lead, "certificates"), interner)
    keypairs = parse_page_split(m.Keypair, await _page(lead, "keypairs"), interner)
    assert after is not None and keypairs is not None
    revoked = next(c for c in after[1] if c.id == target.id)
    assert revoked.certificate_status == "REVOKED" and revoked is not target
    # Unchanged certificates are the objects already held.
    unchanged = [c for c in after[1] if c.id != target.id]
    assert all(c is next(b for b in before[1] if b.id == c.id) for c in unchanged)
    owner = next(kp for kp in keypairs[1] if any(c.id == target.id for c in kp.certificates))
    inside = next(c for c in owner.certificates if c.id == target.id)
    assert inside.certificate_status == "REVOKED"


async def test_a_model_assigned_to_is_not_handed_out_again(lead: STMClient) -> None:
    interner = Interner()
    content = await _page(lead, "certificates")
    first = parse_page_split(m.Certificate, content, interner)
    assert first is not None
    changed = first[1][0]
    changed.alias = "changed-locally"
    again = parse_page_split(m.Certificate, content, interner)
    assert again is not None
    assert again[1][0] is not changed and again[1][0].alias != "changed-locally"
    assert again[1][1] is first[1][1]


def _envelope(items: list[dict[str, object]]) -> bytes:
    return json.dumps({"total": len(items), "offset": 0, "limit": 100, "items": items}).encode()


def test_a_bad_item_leaves_the_split_path_and_the_error_names_its_field() -> None:
    good: list[dict[str, object]] = [{"id": f"c-{i}", "alias": f"a{i}"} for i in range(10)]
    bad: list[dict[str, object]] = [*good, {"id": "c-x", "valid_to": "not a date"}]
    assert parse_page_split(m.Certificate, _envelope(good), Interner()) is not None
    assert parse_page_split(m.Certificate, _envelope(bad), Interner()) is None
    assert parse_page_split(m.Certificate, b'{"items": [1, 2', Interner()) is None
    assert parse_page_split(m.Certificate, b'{"total": "10", "items": []}', Interner()) is None


async def test_the_client_reports_a_bad_item_as_it_always_did() -> None:
    items: list[dict[str, object]] = [{"id": f"k-{i}", "alias": f"a{i}"} for i in range(10)]
    items.append({"id": "k-bad", "key_size": "large"})
    body = _envelope(items)
    server = HostileServer(lambda request: Reply(200, body)).start()
    client = STMClient(server.url, SecretStr("k"), retry=FAST)
    try:
        with pytest.raises(BadResponse, match=r"Keypair shape .*key_size"):
            await client.list_all("keypairs")
    finally:
        await client.aclose()
        server.stop()
