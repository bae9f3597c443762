"""Every write the client offers, each against a fresh emulator (frozen clock, demo seed)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from stm_tui.api import errors
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer

from ._emu import client_for, stats


@pytest.fixture
async def lead(fresh_emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    async with client_for(fresh_emulator, read_only=False) as client:
        yield client


async def test_keypair_lifecycle_sign_and_verify(lead: STMClient) -> None:
    kp = await lead.create_keypair("it-ecdsa-key", "ECDSA", curve="P256", key_type="TEST")
    assert kp.alias == "it-ecdsa-key" and kp.public_key_object is not None
    assert (await lead.get_keypair(kp.id)).id == kp.id

    digest = hashlib.sha256(b"release artefact").digest()
    result = await lead.sign(kp.id, digest, "SHA256withECDSA")
    assert result.signature_bytes is not None
    kp.public_key_object.verify(
        result.signature_bytes, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    )

    # Suspend = OFFLINE (the emulator no longer sends a `suspended` flag).
    assert (await lead.suspend_keypair(kp.id)).key_status == "OFFLINE"
    with pytest.raises(errors.RequestRejected) as info:
        await lead.sign(kp.id, digest, "SHA256withECDSA")
    assert info.value.status == 422
    assert (await lead.unsuspend_keypair(kp.id)).key_status == "ONLINE"

    renamed = await lead.update_keypair(kp.id, alias="it-ecdsa-renamed")
    assert renamed.alias == "it-ecdsa-renamed"
    await lead.delete_keypair(kp.id)
    with pytest.raises(errors.NotFound):
        await lead.get_keypair(kp.id)


async def test_duplicate_alias_is_rejected_with_the_servers_reason(lead: STMClient) -> None:
    await lead.create_keypair("it-dup-key", "RSA", key_size=2048)
    with pytest.raises(errors.RequestRejected) as info:
        await lead.create_keypair("it-dup-key", "RSA", key_size=2048)
    assert info.value.status == 409


async def test_certificate_generate_download_and_revoke(lead: STMClient) -> None:
    kp = await lead.create_keypair("it-cert-key", "RSA", key_size=2048)
    profile = next(p for p in await lead.certificate_profiles() if p.hierarchy == "PRIVATE")
    cert = await lead.generate_certificate(kp.id, "it-cert", profile.id)
    assert cert.x509_cert is not None and cert.certificate_status == "ACTIVE"
    assert cert.x509_cert.public_key().public_numbers() == kp.public_key_object.public_numbers()
    revoked = await lead.revoke_certificate(cert.id, "superseded")
    assert revoked.certificate_status == "REVOKED"


async def test_release_window_request_approve_close(
    lead: STMClient, fresh_emulator: EmulatorServer
) -> None:
    kp = await lead.create_keypair(
        "it-release-key",
        "RSA",
        key_size=2048,
        key_status="OFFLINE",
        groups=[],
        users=[],
        generate_cert=True,  # a keypair joins a release window only with an active certificate
    )
    await lead.update_keypair(kp.id, limit_by_users=False)
    # An offline release is approved by someone other than its requester.
    async with client_for(fresh_emulator, "developer", read_only=False) as dev:
        release = await dev.create_release(
            "it-release-1",
            version="1.0",
            release_type="OFFLINE",
            purpose="SIGN",
            duration_minutes=60,
            keypair_ids=[kp.id],
            signer_ids=[(await lead.me()).id],
        )
    assert release.status == "PENDING_APPROVAL"
    release = await lead.approve_release(release.id)
    closed = await lead.close_release(release.id)
    assert closed.status == "CLOSED"


async def test_profiles_teams_and_settings(lead: STMClient) -> None:
    kpp = await lead.create_keypair_profile(
        "it-kp-profile",
        profile_type="FIXED",
        key_alg="RSA",
        key_size=3072,
        key_type="TEST",
        key_status="ONLINE",
    )
    assert (await lead.get_keypair_profile(kpp.id)).name == "it-kp-profile"
    cpp = await lead.create_certificate_profile(
        "it-cert-profile",
        hierarchy="PRIVATE",
        certificate_type="PRIVATE",
        enrollment_method="PRIVATE_CA",
        validity_days=90,
        allowed_key_algs=["RSA"],
    )
    assert (await lead.get_certificate_profile(cpp.id)).validity_days == 90
    team = await lead.create_team("it-team", description="integration")
    updated = await lead.update_team(team.id, description="changed")
    assert updated.description == "changed"
    settings = await lead.update_account_settings(require_keypair_profile=True)
    assert settings.require_keypair_profile is True
    from pydantic import SecretStr

    with_cc = await lead.set_certcentral(SecretStr("cc-key-abcd1234"), "GLOBAL")
    assert with_cc.certcentral and with_cc.certcentral.get("configured") is True
    assert "cc-key-abcd1234" not in with_cc.model_dump_json()
    await lead.delete_certcentral()
    assert not (await lead.account_settings()).certcentral.get("configured")  # type: ignore[union-attr]


async def test_users_tokens_and_client_certificates(lead: STMClient) -> None:
    from pydantic import SecretStr

    user = await lead.create_user(
        user_type="service", friendly_name="it service", roles=["SSM_SIGNER"]
    )
    assert user.api_token is not None and "SecretStr" in repr(user.api_token)
    updated = await lead.update_user(user.id, status="DISABLED")
    assert updated.status == "DISABLED"
    token = await lead.create_api_token("it-token")
    assert token.token is not None and token.token.get_secret_value()
    assert token.token.get_secret_value() not in repr(token)
    assert token.id in {t.id for t in await lead.api_tokens()}
    await lead.delete_api_token(token.id)
    cc = await lead.create_client_certificate("it-cert", SecretStr("p12-password-1"))
    assert cc.p12 is not None and cc.id


async def test_a_signer_may_not_create_keypairs(fresh_emulator: EmulatorServer) -> None:
    async with client_for(fresh_emulator, "signer", read_only=False) as signer:
        with pytest.raises(errors.PermissionDenied) as info:
            await signer.create_keypair("it-signer-key", "RSA", key_size=2048)
    assert info.value.status == 403


async def test_read_only_client_sends_nothing(fresh_emulator: EmulatorServer) -> None:
    async with client_for(fresh_emulator, read_only=True) as client:
        with pytest.raises(ReadOnlyError):
            await client.create_keypair("it-ro-key", "RSA", key_size=2048)
    assert not any(key.startswith("POST") for key in stats(fresh_emulator))
