"""The client never sends `//` (issue 10 item 1: production answers such paths with an HTML
page) and builds every path from the one route table: every request of a full refresh, a
sign and the call of each write builder is recorded at the transport and checked."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from stm_tui.api import errors, writes
from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.api.resources import RESOURCES
from stm_tui.api.routes import ROUTES, path
from stm_tui.api.writes import access, settings, teams, users
from stm_tui.api.writes import approvals as appr
from stm_tui.api.writes import certificates as cert
from stm_tui.api.writes import credentials as creds
from stm_tui.api.writes import keypairs as kp
from stm_tui.api.writes import profiles as prof
from stm_tui.api.writes import releases as rel
from stm_tui.api.writes import scans as scan
from stm_tui.api.writes import signing as sign
from stm_tui.api.writes.call import WriteCall
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import FAST, api_key, of, one


class Recording(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.raw_path.decode().split("?")[0]))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


ROUTE_PATTERNS = [
    re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(t)) + "$")
    for t in ROUTES.values()
]


def builders() -> dict[str, Callable[..., WriteCall]]:
    """Every write builder: the public functions of `stm_tui.api.writes`' modules that
    return a `WriteCall`."""
    found: dict[str, Callable[..., WriteCall]] = {}
    for info in pkgutil.iter_modules(writes.__path__):
        module = importlib.import_module(f"{writes.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and (inspect.signature(fn).return_annotation in ("WriteCall", WriteCall))
            ):
                found[name] = fn
    return found


async def attempt(call: Awaitable[Any]) -> Any:
    """Run one call; the answer does not matter here, only what was sent."""
    try:
        return await call
    except errors.StmError:
        return None


async def test_no_request_path_contains_a_double_slash_and_all_come_from_the_routes(
    fresh_emulator: EmulatorServer,
) -> None:
    transport = Recording()
    client = STMClient(
        fresh_emulator.url + "/",  # a trailing slash on the host must not double up
        api_key(fresh_emulator),
        retry=FAST,
        transport=transport,
    )
    async with client:
        # A full refresh: every collection, then one item of each by id.
        for name, spec in RESOURCES.items():
            items = await client.list_all(name)
            if items and (spec.item_route or spec.single):
                await attempt(client.get_item(name, items[0].id))
        keypair = one(
            m.Keypair,
            (
                await client.execute(
                    kp.generate_keypair(
                        kp.GenerateKeypair(alias="it-paths", key_alg="ECDSA", curve="P256")
                    )
                )
            ).resource,
        )
        profile = next(
            p
            for p in of(m.CertificateProfile, await client.list_all("certificate_profiles"))
            if p.hierarchy == "PRIVATE"
        )
        made = await attempt(
            client.execute(
                cert.generate_certificate(
                    keypair.id,
                    "it-paths",
                    cert.GenerateCertificate(
                        alias="it-paths-cert", certificate_profile_id=profile.id
                    ),
                )
            )
        )
        cert_id = made.resource.id if made is not None else "x"
        asked = await attempt(
            client.execute(
                rel.create_release(
                    rel.CreateRelease(name="it-paths-release", keypair_ids=(keypair.id,))
                )
            )
        )
        release_id = asked.resource.id if asked is not None else "x"
        me = await client.me()
        calls: dict[str, WriteCall] = {
            "generate_keypair": kp.generate_keypair(
                kp.GenerateKeypair(alias="it-paths-9", key_alg="RSA", key_size=2048)
            ),
            "generate_certificate": cert.generate_certificate(
                keypair.id,
                "it-paths",
                cert.GenerateCertificate(
                    alias="it-paths-cert-2", certificate_profile_id=profile.id
                ),
            ),
            "create_release": rel.create_release(
                rel.CreateRelease(name="it-paths-release-2", keypair_ids=(keypair.id,))
            ),
            "sign_hash": sign.sign_hash(
                keypair.id,
                "it-paths",
                sign.SignHash(digest=hashlib.sha256(b"x").digest(), sig_alg="SHA256withECDSA"),
            ),
            "update_keypair": kp.update_keypair(
                keypair.id, "it-paths", kp.UpdateKeypair(alias="it-paths-2")
            ),
            "suspend_keypair": kp.suspend_keypair(keypair.id, "it-paths-2"),
            "unsuspend_keypair": kp.unsuspend_keypair(keypair.id, "it-paths-2"),
            "set_default_certificate": cert.set_default_certificate(
                keypair.id, "it-paths-2", cert_id, "it-paths-cert"
            ),
            "create_keypair_profile": prof.create_keypair_profile(
                prof.CreateKeypairProfile(name="it-paths-kpp", key_alg="RSA", key_size=2048)
            ),
            "create_certificate_profile": prof.create_certificate_profile(
                prof.CreateCertificateProfile(name="it-paths-cpp")
            ),
            "revoke_certificate": cert.revoke_certificate(
                cert_id, "it-paths-cert", cert.RevokeCertificate()
            ),
            "approve_release": rel.approve_release(release_id, "it-paths-release"),
            "reject_release": rel.reject_release(
                release_id, "it-paths-release", rel.RejectRelease(reason="no")
            ),
            "close_release": rel.close_release(release_id, "it-paths-release"),
            "create_team": teams.create_team(teams.CreateTeam(name="it-paths-team")),
            "update_team": teams.update_team("x-team", "x", teams.UpdateTeam(name="renamed")),
            "create_user": users.create_user(
                users.CreateUser(user_type="service", friendly_name="it-paths")
            ),
            "update_user": users.update_user(me.id, "Lead", users.UpdateUser(description="x")),
            "create_api_token": creds.create_api_token(creds.CreateApiToken(name="it paths")),
            "delete_api_token": creds.delete_api_token("x-token", "x"),
            "create_client_certificate": creds.create_client_certificate(
                creds.CreateClientCertificate(name="it-paths")
            ),
            "revoke_client_certificate": creds.revoke_client_certificate("x-cc", "x"),
            "update_account_settings": settings.update_account_settings(
                "Acme", settings.UpdateAccountSettings(require_keypair_profile=False)
            ),
            "set_certcentral": settings.set_certcentral(
                "Acme", settings.SetCertCentral(api_key=SecretStr("cc-key-0123456789"))
            ),
            # issue 13: profile switches and edits, CertCentral verbs
            "update_keypair_profile": prof.update_keypair_profile(
                "x-kpp", "x", prof.UpdateKeypairProfile(scope="SYSTEM")
            ),
            "enable_keypair_profile": prof.enable_keypair_profile("x-kpp", "x"),
            "disable_keypair_profile": prof.disable_keypair_profile("x-kpp", "x"),
            "update_certificate_profile": prof.update_certificate_profile(
                "x-cpp", "x", prof.UpdateCertificateProfile(validity_days=30)
            ),
            "clone_certificate_profile": prof.clone_certificate_profile(
                "x-cpp", "x", prof.CloneCertificateProfile(name="it-paths-clone")
            ),
            "enable_certificate_profile": prof.enable_certificate_profile("x-cpp", "x"),
            "disable_certificate_profile": prof.disable_certificate_profile("x-cpp", "x"),
            "set_require_keypair_profile": settings.set_require_keypair_profile("Acme", False),
            "update_certcentral": settings.update_certcentral(
                "Acme", settings.UpdateCertCentral(region="EUROPE")
            ),
            "validate_certcentral": settings.validate_certcentral("Acme"),
            "enable_certcentral": settings.enable_certcentral("Acme"),
            "disable_certcentral": settings.disable_certcentral("Acme"),
            "delete_certcentral": settings.delete_certcentral("Acme"),
            "delete_keypair": kp.delete_keypair(keypair.id, "it-paths-2"),
            # people and access
            "set_account_mfa": access.set_account_mfa(me.primary_account_id or "x", "Acme",
                                                      required=True),
            "start_authenticator": access.start_authenticator(),
            "verify_authenticator": access.verify_authenticator(SecretStr("123456")),
            "set_roles": users.set_roles("x-user", "x", ("SSM_SIGNER",)),
            "deactivate_user": users.deactivate_user("x-user", "x"),
            "add_member": teams.add_member("x-team", "x", teams.TeamMember(user_id=me.id), "me"),
            "update_member": teams.update_member(
                "x-team", "x", me.id, "me", teams.UpdateMember(is_lead=True)
            ),
            "remove_member": teams.remove_member("x-team", "x", me.id, "me"),
            "map_resources": teams.map_resources(
                "x-team", "x", teams.MapResources(keypair_ids=())
            ),
            "deactivate_team": teams.deactivate_team("x-team", "x"),
            "delete_team": teams.delete_team("x-team", "x"),
            "submit_scan": scan.submit_scan(
                scan.SubmitScan(project="it-paths", alias="it-paths-scan", version="1"), b"x"
            ),
            "approve_request": appr.approve_request(
                m.ApprovalRequest(id="x-request", kind="KEYPAIR_EXPORT")
            ),
            "reject_request": appr.reject_request(
                m.ApprovalRequest(id="x-request-2", kind="KEYPAIR_DELETE")
            ),
        }
        for call in calls.values():
            await attempt(client.execute(call))
        await attempt(client.sign(keypair.id, hashlib.sha256(b"y").digest(), "SHA256withECDSA"))

    assert set(calls) == set(builders()), "a write builder is missing from this test"
    methods = {method for method, _ in transport.sent}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods
    assert len(transport.sent) > 40
    for method, sent in transport.sent:
        assert "//" not in sent, f"{method} {sent}"
        assert any(p.match(sent) for p in ROUTE_PATTERNS), f"{method} {sent} is not a route"


@pytest.mark.parametrize("bad", ["", "a/b", "../x", "x//y"])
def test_ids_cannot_change_the_shape_of_a_path(bad: str) -> None:
    if not bad:
        with pytest.raises(ValueError, match="empty"):
            path("keypair", id=bad)
        return
    built = path("keypair", id=bad)
    assert "//" not in built
    assert built.count("/") == ROUTES["keypair"].count("/")
