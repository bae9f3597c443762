"""Every read the client offers, against the emulator's demo organisation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.api.resources import RESOURCES, ResourceName
from stm_tui.api.writes.keypairs import UpdateKeypair, update_keypair
from stm_tui.emulator.server import EmulatorServer

from ._emu import client_for, of, one


@pytest.fixture
async def lead(emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    async with client_for(emulator) as client:
        yield client


LISTS = [name for name in RESOURCES if name not in ("api_tokens", "client_certificates")]


@pytest.mark.parametrize("name", LISTS)
async def test_every_collection_lists_with_its_model(lead: STMClient, name: ResourceName) -> None:
    items = await lead.list_all(name)
    spec = RESOURCES[name]
    assert items, f"the demo organisation has {name}"
    assert all(isinstance(item, spec.model) for item in items)
    assert len({item.id for item in items}) == len(items)


@pytest.mark.parametrize("name", [n for n, s in RESOURCES.items() if s.item_route])
async def test_every_item_reads_back_by_id(lead: STMClient, name: str) -> None:
    first = (await lead.list_all(name))[0]
    again = await lead.get_item(name, first.id)
    assert again.id == first.id and type(again) is type(first)


async def test_paging_small_pages_gives_the_same_items_in_the_same_order(
    emulator: EmulatorServer,
) -> None:
    stm = emulator
    async with client_for(stm, page_size=7, concurrency=3) as small:
        paged = [c.id for c in await small.list_all("certificates")]
    async with client_for(stm) as big:
        whole = [c.id for c in await big.list_all("certificates")]
    assert len(paged) > 7 and paged == whole


async def test_iter_pages_yields_pages_in_order(emulator: EmulatorServer) -> None:
    stm = emulator
    async with client_for(stm, page_size=5) as client:
        pages = [page async for page in client.iter_pages("keypairs")]
        flat = [k.id for page in pages for k in page]
        assert len(pages) > 1 and all(len(p) <= 5 for p in pages)
        assert flat == [k.id for k in await client.list_all("keypairs")]


async def test_filters_are_sent_as_query_parameters(lead: STMClient) -> None:
    rsa = of(m.Keypair, await lead.list_all("keypairs", key_alg="RSA"))
    assert rsa and all(k.key_alg == "RSA" for k in rsa)
    everything = await lead.list_all("keypairs")
    assert len(everything) > len(rsa)


async def test_identity_and_account_manager_reads(lead: STMClient) -> None:
    me = await lead.me()
    assert "SSM_LEAD" in me.role_codes and me.display_name
    assert (await lead.get_item("users", me.id)).id == me.id
    roles = of(m.Role, await lead.list_all("roles"))
    assert {r.code for r in roles} >= {"SSM_LEAD", "SSM_SIGNER"}
    accounts = await lead.list_all("accounts")
    assert accounts and (await lead.get_item("accounts", accounts[0].id)).id == accounts[0].id
    settings = one(m.AccountSettings, await lead.get_item("account_settings", ""))
    assert settings.id and settings.account is not None
    # Typed lists, possibly empty: `of` checks every item's model.
    of(m.ApiToken, await lead.list_all("api_tokens"))
    of(m.ClientCertificate, await lead.list_all("client_certificates"))


async def test_certificates_decode_from_their_der(lead: STMClient) -> None:
    cert = one(m.Certificate, (await lead.list_all("certificates", certificate_status="ACTIVE"))[0])
    assert cert.x509_cert is not None
    assert cert.subject_name and cert.issuer_name and cert.serial_hex
    assert cert.not_after is not None and cert.days_left() is not None
    assert cert.decoded_chain, "the chain decodes too"
    assert cert.keypair is not None and cert.keypair.id
    keypair = one(m.Keypair, await lead.get_item("keypairs", cert.keypair.id))
    assert keypair.public_key_fingerprint


async def test_certificate_download_is_pem(fresh_emulator: EmulatorServer) -> None:
    # A download is an audit entry: not on the shared emulator the snapshots render.
    async with client_for(fresh_emulator) as lead:
        cert = (await lead.list_all("certificates", certificate_status="ACTIVE"))[0]
        pem = await lead.download_certificate(cert.id)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")


async def test_scan_detail_has_findings_and_audit_export_is_csv(lead: STMClient) -> None:
    scan = (await lead.list_all("scans"))[0]
    detail = one(m.Scan, await lead.get_item("scans", scan.id))
    assert isinstance(detail.findings, list)
    assert (await lead.export_audit_log()).splitlines()[0]


async def test_unknown_ids_are_not_found(lead: STMClient) -> None:
    with pytest.raises(errors.NotFound) as info:
        await lead.get_item("keypairs", str(uuid.uuid4()))
    assert "Keypair not present" in info.value.message
    with pytest.raises(errors.NotFound):
        await lead.get_item("certificates", str(uuid.uuid4()))


async def test_a_wrong_api_key_is_an_auth_error_not_retried(emulator: EmulatorServer) -> None:
    stm = emulator
    from pydantic import SecretStr

    async with STMClient(stm.url, SecretStr("not-a-real-key-000")) as client:
        with pytest.raises(errors.AuthError) as info:
            await client.me()
    assert info.value.status == 401


async def test_list_changed_answers_not_modified_until_something_changes(
    fresh_emulator: EmulatorServer,
) -> None:
    stm = fresh_emulator
    async with client_for(stm, page_size=10, read_only=False) as client:
        first = await client.list_changed("keypairs")
        assert first.changed and first.full and first.etag
        again = await client.list_changed("keypairs", etag=first.etag)
        assert not again.changed
        target = first.items[-1]  # on the last page: a per-page ETag must still notice
        assert isinstance(target, m.Keypair)
        rename = UpdateKeypair(alias=f"renamed-{uuid.uuid4().hex[:6]}x")
        await client.execute(update_keypair(target.id, target.alias or "", rename))
        after = await client.list_changed("keypairs", etag=first.etag)
        assert after.changed and after.full
        assert {k.id for k in after.items} == {k.id for k in first.items}


async def test_list_changed_since_returns_only_recent_changes(emulator: EmulatorServer) -> None:
    stm = emulator
    async with client_for(stm, read_only=False) as client:
        everything = of(m.Keypair, await client.list_all("keypairs"))
        newest = max(k.modified_on for k in everything if k.modified_on)
        delta = await client.list_changed("keypairs", since=newest)
        assert delta.changed and not delta.full and delta.items == []
