"""Every write builder, executed against a fresh emulator (frozen clock, demo seed): what the
server did is read back, not just the status."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.client import STMClient
from stm_tui.api.writes import certificates as certs
from stm_tui.api.writes import credentials as creds
from stm_tui.api.writes import keypairs as kps
from stm_tui.api.writes import profiles, releases, settings, teams, users
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.emulator.server import EmulatorServer

from ._emu import client_for, of, one, stats


@pytest.fixture
async def lead(fresh_emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    async with client_for(fresh_emulator, read_only=False) as client:
        yield client


R = TypeVar("R", bound=m.Resource)


def made(model: type[R], outcome: WriteOutcome) -> R:
    return one(model, outcome.resource)


async def new_keypair(client: STMClient, alias: str, **fields: object) -> m.Keypair:
    req = kps.GenerateKeypair.model_validate({"alias": alias, **fields})
    return made(m.Keypair, await client.execute(kps.generate_keypair(req)))


async def private_profile(client: STMClient) -> m.CertificateProfile:
    found = of(m.CertificateProfile, await client.list_all("certificate_profiles"))
    return next(p for p in found if p.hierarchy == "PRIVATE")


async def test_keypair_lifecycle_sign_and_verify(lead: STMClient) -> None:
    kp = await new_keypair(lead, "it-ecdsa-key", key_alg="ECDSA", curve="P256")
    public = kp.public_key_object
    assert kp.alias == "it-ecdsa-key" and isinstance(public, ec.EllipticCurvePublicKey)
    assert (await lead.get_item("keypairs", kp.id)).id == kp.id

    digest = hashlib.sha256(b"release artefact").digest()
    result = await lead.sign(kp.id, digest, "SHA256withECDSA")
    assert result.signature_bytes is not None
    public.verify(result.signature_bytes, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))

    # Suspend = OFFLINE (the emulator no longer sends a `suspended` flag).
    suspended = await lead.execute(kps.suspend_keypair(kp.id, kp.alias or ""))
    assert made(m.Keypair, suspended).key_status == "OFFLINE"
    with pytest.raises(errors.RequestRejected) as info:
        await lead.sign(kp.id, digest, "SHA256withECDSA")
    assert info.value.status == 422
    resumed = await lead.execute(kps.unsuspend_keypair(kp.id, "it-ecdsa-key"))
    assert made(m.Keypair, resumed).key_status == "ONLINE"

    rename = kps.update_keypair(kp.id, "it-ecdsa-key", kps.UpdateKeypair(alias="it-ecdsa-renamed"))
    assert made(m.Keypair, await lead.execute(rename)).alias == "it-ecdsa-renamed"
    deleted = await lead.execute(kps.delete_keypair(kp.id, "it-ecdsa-renamed"))
    assert deleted.resource is None and deleted.status in (200, 204)
    with pytest.raises(errors.NotFound):
        await lead.get_item("keypairs", kp.id)


async def test_duplicate_alias_is_rejected_with_the_servers_reason(lead: STMClient) -> None:
    await new_keypair(lead, "it-dup-key", key_alg="RSA", key_size=2048)
    with pytest.raises(errors.RequestRejected) as info:
        await new_keypair(lead, "it-dup-key", key_alg="RSA", key_size=2048)
    assert info.value.status == 409


async def test_certificate_generate_make_default_and_revoke(lead: STMClient) -> None:
    kp = await new_keypair(lead, "it-cert-key", key_alg="RSA", key_size=2048)
    profile = await private_profile(lead)
    req = certs.GenerateCertificate(alias="it-cert", certificate_profile_id=profile.id)
    generate = certs.generate_certificate(kp.id, "it-cert-key", req)
    cert = made(m.Certificate, await lead.execute(generate))
    issued = cert.x509_cert
    assert issued is not None and cert.certificate_status == "ACTIVE"
    public, certified = kp.public_key_object, issued.public_key()
    assert isinstance(public, rsa.RSAPublicKey) and isinstance(certified, rsa.RSAPublicKey)
    assert certified.public_numbers() == public.public_numbers()

    default = certs.set_default_certificate(kp.id, "it-cert-key", cert.id, "it-cert")
    updated = made(m.Keypair, await lead.execute(default))
    assert updated.default_certificate is not None and updated.default_certificate.id == cert.id

    reason = certs.RevokeCertificate(reason="superseded")
    revoke = certs.revoke_certificate(cert.id, "it-cert", reason)
    assert made(m.Certificate, await lead.execute(revoke)).certificate_status == "REVOKED"


async def test_release_window_request_approve_close_and_reject(
    lead: STMClient, fresh_emulator: EmulatorServer
) -> None:
    profile = await private_profile(lead)
    kp = await new_keypair(
        lead,
        "it-release-key",
        key_alg="RSA",
        key_size=2048,
        key_status="OFFLINE",
        # a keypair joins a release window only with an active certificate
        generate_cert=True,
        cert_alias="it-release-cert",
        cert_profile_id=profile.id,
    )
    await lead.execute(
        kps.update_keypair(kp.id, "it-release-key", kps.UpdateKeypair(limit_by_users=False))
    )
    me = await lead.me()

    def request(name: str) -> releases.CreateRelease:
        return releases.CreateRelease(
            name=name,
            version="1.0",
            release_type="OFFLINE",
            duration_minutes=60,
            keypair_ids=(kp.id,),
            signer_ids=(me.id,),
        )

    # An offline release is approved (or rejected) by someone other than its requester.
    async with client_for(fresh_emulator, "developer", read_only=False) as dev:
        first = made(m.ReleaseWindow, await dev.execute(releases.create_release(request("it-1"))))
        assert first.status == "PENDING_APPROVAL"
        approved = await lead.execute(releases.approve_release(first.id, "it-1"))
        assert made(m.ReleaseWindow, approved).status in ("APPROVED", "OPEN")
        closed = await lead.execute(releases.close_release(first.id, "it-1"))
        assert made(m.ReleaseWindow, closed).status == "CLOSED"

        second = made(m.ReleaseWindow, await dev.execute(releases.create_release(request("it-2"))))
        why = releases.RejectRelease(reason="wrong version")
        rejected = await lead.execute(releases.reject_release(second.id, "it-2", why))
    assert made(m.ReleaseWindow, rejected).status == "REJECTED"


async def test_profiles_teams_and_settings(lead: STMClient) -> None:
    kpp_req = profiles.CreateKeypairProfile(name="it-kp-profile", key_alg="RSA", key_size=3072)
    kpp = made(m.KeypairProfile, await lead.execute(profiles.create_keypair_profile(kpp_req)))
    assert one(m.KeypairProfile, await lead.get_item("keypair_profiles", kpp.id)).key_size == 3072
    cpp_req = profiles.CreateCertificateProfile(
        name="it-cert-profile", validity_days=90, allowed_key_algs=("RSA",)
    )
    cpp_call = profiles.create_certificate_profile(cpp_req)
    cpp = made(m.CertificateProfile, await lead.execute(cpp_call))
    held = one(m.CertificateProfile, await lead.get_item("certificate_profiles", cpp.id))
    assert held.validity_days == 90

    team = made(
        m.Team,
        await lead.execute(teams.create_team(teams.CreateTeam(name="it-team", description="x"))),
    )
    change = teams.update_team(team.id, "it-team", teams.UpdateTeam(description="changed"))
    assert made(m.Team, await lead.execute(change)).description == "changed"

    update = settings.update_account_settings(
        "Acme", settings.UpdateAccountSettings(require_keypair_profile=True)
    )
    assert made(m.AccountSettings, await lead.execute(update)).require_keypair_profile is True
    key = settings.SetCertCentral(api_key=SecretStr("cc-key-abcd1234"))
    with_cc = made(m.AccountSettings, await lead.execute(settings.set_certcentral("Acme", key)))
    assert with_cc.certcentral and with_cc.certcentral.get("configured") is True
    assert "cc-key-abcd1234" not in with_cc.model_dump_json()
    await lead.execute(settings.delete_certcentral("Acme"))
    after = one(m.AccountSettings, await lead.get_item("account_settings", ""))
    assert after.certcentral is not None and not after.certcentral.get("configured")


async def test_users_tokens_and_client_certificates(lead: STMClient) -> None:
    service = users.CreateUser(
        user_type="service", friendly_name="it service", roles=("SSM_SIGNER",)
    )
    outcome = await lead.execute(users.create_user(service))
    user = made(m.User, outcome)
    assert user.api_token is not None and "SecretStr" in repr(user.api_token)
    disable = users.update_user(user.id, "it service", users.UpdateUser(status="DISABLED"))
    assert made(m.User, await lead.execute(disable)).status == "DISABLED"

    token_req = creds.CreateApiToken(name="it-token", end_date=date(2027, 1, 31))
    token = made(m.ApiToken, await lead.execute(creds.create_api_token(token_req)))
    assert token.token is not None and token.token.get_secret_value()
    assert token.token.get_secret_value() not in repr(token)
    assert token.id in {t.id for t in await lead.list_all("api_tokens")}
    revoked = await lead.execute(creds.delete_api_token(token.id, "it-token"))
    assert revoked.resource is None

    cert_req = creds.CreateClientCertificate(name="it-cert")
    issued = await lead.execute(creds.create_client_certificate(cert_req))
    cc = made(m.ClientCertificate, issued)
    assert cc.p12 is not None and cc.id
    # The service generated the p12's password: it comes back once, and is kept secret.
    password = issued.secret("password")
    assert password is not None and cc.password == password
    assert password.get_secret_value() not in repr(issued)
    await lead.execute(creds.revoke_client_certificate(cc.id, "it-cert"))
    listed = of(m.ClientCertificate, await lead.list_all("client_certificates"))
    assert next(c for c in listed if c.id == cc.id).status == "REVOKED"


async def test_a_signer_may_not_create_keypairs(fresh_emulator: EmulatorServer) -> None:
    async with client_for(fresh_emulator, "signer", read_only=False) as signer:
        with pytest.raises(errors.PermissionDenied) as info:
            await new_keypair(signer, "it-signer-key", key_alg="RSA", key_size=2048)
    assert info.value.status == 403


async def test_read_only_client_sends_nothing(fresh_emulator: EmulatorServer) -> None:
    async with client_for(fresh_emulator, read_only=True) as client:
        with pytest.raises(ReadOnlyError):
            await new_keypair(client, "it-ro-key", key_alg="RSA", key_size=2048)
    assert not any(key.startswith("POST") for key in stats(fresh_emulator))
