"""The RBAC matrix: every role against every mutating endpoint.

Each case creates its own target through the Lead first, so cases never interfere; an
allowed role must get a 2xx, a refused one 403 `access_denied` (and nothing changes).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client, frozen_clock

ROLES = ("lead", "team_lead", "developer", "signer", "build_engineer")
Ctx = dict[str, Any]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Ctx]]:
    with EmulatorServer(data_dir=tmp_path_factory.mktemp("rbac"), clock=frozen_clock) as emu:
        with api_client(emu) as lead:
            teams = lead.get(f"{STM}/teams").json()["items"]
            users = {u["name"]: u["id"] for u in lead.get(f"{AM}/user").json()}
        ctx = {
            "team": next(t["id"] for t in teams if t["name"] == "Desktop Apps"),
            "other_id": users["Omar Haddad"],
            "users": users,
            "n": 0,
        }
        yield emu, ctx


def unique(ctx: Ctx, prefix: str) -> str:
    ctx["n"] += 1
    return f"{prefix}-x{ctx['n']}"


def new_keypair(lead: httpx.Client, ctx: Ctx, *, cert: bool = False) -> dict[str, Any]:
    r = lead.post(
        f"{STM}/keypairs",
        json={
            "alias": unique(ctx, "rbac-key"),
            "key_alg": "ECDSA",
            "curve": "P256",
            "groups": [ctx["team"]],
            "limit_by_users": False,
            "generate_cert": cert,
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def release_body(ctx: Ctx, keypair_id: str) -> dict[str, Any]:
    return {
        "name": unique(ctx, "rbac-release"),
        "team_id": ctx["team"],
        "duration_minutes": 60,
        "keypair_ids": [keypair_id],
    }


@dataclass
class Case:
    name: str
    allowed: set[str]
    call: Callable[[httpx.Client, httpx.Client, Ctx], httpx.Response]


def _kp_then(
    method: str, suffix: str, body: Any = None, *, cert: bool = False, suspended: bool = False
) -> Callable[[httpx.Client, httpx.Client, Ctx], httpx.Response]:
    def call(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
        kp = new_keypair(lead, ctx, cert=cert)
        if suspended:
            lead.post(f"{STM}/keypairs/{kp['id']}/suspend")
        payload = body(ctx) if callable(body) else body
        return client.request(method, f"{STM}/keypairs/{kp['id']}{suffix}", json=payload)

    return call


def _revoke(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    cert = new_keypair(lead, ctx, cert=True)["certificates"][0]
    return client.post(f"{STM}/certificates/{cert['id']}/revoke", json={"reason": "superseded"})


def _approve(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    kp = new_keypair(lead, ctx, cert=True)  # a release needs an active certificate
    with httpx.Client(
        base_url=str(lead.base_url), headers={"x-api-key": ctx["developer_key"]}
    ) as dev:
        pending = dev.post(f"{STM}/release-windows", json=release_body(ctx, kp["id"])).json()
    assert pending["status"] == "PENDING_APPROVAL"
    return client.post(f"{STM}/release-windows/{pending['id']}/approve")


def _close(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    kp = new_keypair(lead, ctx, cert=True)
    release = lead.post(f"{STM}/release-windows", json=release_body(ctx, kp["id"])).json()
    return client.post(f"{STM}/release-windows/{release['id']}/close")


def _create_release(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    kp = new_keypair(lead, ctx, cert=True)
    return client.post(f"{STM}/release-windows", json=release_body(ctx, kp["id"]))


def _update_user(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    user = lead.post(
        f"{AM}/user", json={"email": f"{unique(ctx, 'u')}@acme.example", "roles": ["SSM_SIGNER"]}
    ).json()
    return client.put(f"{AM}/user/{user['id']}", json={"roles": ["SSM_DEVELOPER"]})


def _delete_other_token(lead: httpx.Client, client: httpx.Client, ctx: Ctx) -> httpx.Response:
    token = lead.post(
        f"{AM}/api-token", json={"name": unique(ctx, "t"), "user_id": ctx["other_id"]}
    ).json()
    return client.delete(f"{AM}/api-token/{token['id']}")


LEADS = {"lead", "team_lead"}
ALL = set(ROLES)
CASES = [
    Case(
        "create keypair",
        {"lead", "team_lead", "developer"},
        lambda lead, c, ctx: c.post(
            f"{STM}/keypairs",
            json={"alias": unique(ctx, "rbac-new"), "key_alg": "EDDSA", "groups": [ctx["team"]]},
        ),
    ),
    Case("update keypair", LEADS, _kp_then("PUT", "", {"limit_by_users": True})),
    Case("suspend keypair", LEADS, _kp_then("POST", "/suspend")),
    Case("unsuspend keypair", LEADS, _kp_then("POST", "/unsuspend", suspended=True)),
    # The matrix's keypairs belong to Desktop Apps, whose lead (team_lead) and one developer
    # hold the member permission Approve keypair deletion.
    Case("delete keypair", {"lead", "team_lead", "developer"}, _kp_then("DELETE", "")),
    Case(
        "sign",
        ALL,
        _kp_then(
            "POST",
            "/sign",
            {"hash": base64.b64encode(bytes(32)).decode(), "sig_alg": "SHA256withECDSA"},
        ),
    ),
    Case(
        "generate certificate",
        {"lead", "team_lead", "developer"},
        _kp_then("POST", "/certificates", lambda ctx: {"alias": unique(ctx, "rbac-cert")}),
    ),
    Case("revoke certificate", LEADS, _revoke),
    Case(
        "create keypair profile",
        {"lead"},
        lambda lead, c, ctx: c.post(
            f"{STM}/keypair-profiles",
            json={"name": unique(ctx, "kp-profile"), "key_alg": "RSA", "key_size": 2048},
        ),
    ),
    Case(
        "create certificate profile",
        {"lead"},
        lambda lead, c, ctx: c.post(
            f"{STM}/certificate-profiles", json={"name": unique(ctx, "cert-profile")}
        ),
    ),
    Case("request release", {"lead", "team_lead", "developer"}, _create_release),
    Case("approve release", LEADS, _approve),
    Case("close release", LEADS, _close),
    Case(
        "create team",
        {"lead"},
        lambda lead, c, ctx: c.post(f"{STM}/teams", json={"name": unique(ctx, "team")}),
    ),
    Case(
        "update team",
        LEADS,
        lambda lead, c, ctx: c.put(
            f"{STM}/teams/{ctx['team']}", json={"description": unique(ctx, "desc")}
        ),
    ),
    Case(
        "update account settings",
        {"lead"},
        lambda lead, c, ctx: c.put(
            f"{STM}/account-settings", json={"require_keypair_profile": False}
        ),
    ),
    Case(
        "set CertCentral key",
        {"lead"},
        lambda lead, c, ctx: c.put(
            f"{STM}/account-settings/certcentral",
            json={"api_key": "cc-key-0123456789", "region": "GLOBAL"},
        ),
    ),
    Case(
        "remove CertCentral key",
        {"lead"},
        lambda lead, c, ctx: c.delete(f"{STM}/account-settings/certcentral"),
    ),
    Case(
        "create user",
        {"lead"},
        lambda lead, c, ctx: c.post(
            f"{AM}/user", json={"user_type": "service", "friendly_name": unique(ctx, "svc")}
        ),
    ),
    Case("update user", {"lead"}, _update_user),
    Case(
        "create own API token",
        ALL,
        lambda lead, c, ctx: c.post(f"{AM}/api-token", json={"name": unique(ctx, "mine")}),
    ),
    Case(
        "create API token for another user",
        {"lead"},
        lambda lead, c, ctx: c.post(
            f"{AM}/api-token", json={"name": unique(ctx, "theirs"), "user_id": ctx["other_id"]}
        ),
    ),
    Case("delete another user's API token", {"lead"}, _delete_other_token),
    Case(
        "create own client certificate",
        ALL,
        lambda lead, c, ctx: c.post(
            f"{AM}/client-certificate",
            json={"name": unique(ctx, "laptop"), "password": "correct horse battery"},
        ),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_role_against_mutating_endpoint(
    matrix: tuple[EmulatorServer, Ctx], case: Case, role: str
) -> None:
    emu, ctx = matrix
    ctx["developer_key"] = emu.credentials["users"]["developer"]["api_key"]
    with api_client(emu) as lead, api_client(emu, role) as client:
        response = case.call(lead, client, ctx)
    if role in case.allowed:
        assert 200 <= response.status_code < 300, (case.name, role, response.text)
    else:
        assert response.status_code == 403, (case.name, role, response.text)
        body = response.json()
        code = body["errors"][0]["code"] if "errors" in body else body["error"]["status"]
        assert code == "access_denied"


def test_team_lead_sees_their_teams_keypairs_and_those_assigned_to_them(
    emulator: EmulatorServer,
) -> None:
    with api_client(emulator, "team_lead") as tl, api_client(emulator) as lead:
        mine = tl.get(f"{STM}/keypairs", params={"limit": 100}).json()
        everything = lead.get(f"{STM}/keypairs", params={"limit": 100}).json()
        hidden = next(k for k in everything["items"] if k["alias"] == "mobile-sdk-release")
        assert tl.get(f"{STM}/keypairs/{hidden['id']}").status_code == 404
        led = {
            t["name"]
            for t in tl.get(f"{STM}/teams").json()["items"]
            if any(
                m["is_lead"] and m["user_id"] == emulator.credentials["users"]["team_lead"]["id"]
                for m in t["members"]
            )
        }
    assert led == {"Desktop Apps", "Platform Services"}
    assert 0 < mine["total"] < everything["total"]
    tl_id = emulator.credentials["users"]["team_lead"]["id"]
    for k in mine["items"]:
        in_led_team = bool({g["name"] for g in k["groups"]} & led)
        assigned = not k["limit_by_users"] or tl_id in {u["id"] for u in k["users"]}
        assert in_led_team or assigned, k["alias"]


def test_stm_roles_grant_no_account_manager_administration(emulator: EmulatorServer) -> None:
    """A Team Lead manages STM teams but not people or their credentials (C: N9)."""
    with api_client(emulator, "team_lead") as tl:
        me = tl.get(f"{AM}/user/me").json()
        create = tl.post(f"{AM}/user", json={"email": "new.person@acme.example"})
        other = tl.get(
            f"{AM}/api-token", params={"user_id": emulator.credentials["users"]["signer"]["id"]}
        )
        audit = tl.get(f"{AM}/audit-log")
        account = tl.put(
            f"{AM}/account/{me['primary_account_id']}",
            json={"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": "disabled"}]},
        )
    assert [a["name"] for a in me["applications"]] == ["Software Trust"]
    assert create.status_code == other.status_code == audit.status_code == 403
    assert account.status_code == 403
    assert create.json()["errors"][0]["code"] == "access_denied"


def test_signer_cannot_create_users_or_keypairs(emulator: EmulatorServer) -> None:
    with api_client(emulator, "signer") as signer:
        user = signer.post(f"{AM}/user", json={"email": "x@acme.example"})
        key = signer.post(f"{STM}/keypairs", json={"alias": "nope-key", "key_alg": "EDDSA"})
    assert user.status_code == key.status_code == 403
    assert user.json()["errors"][0]["code"] == "access_denied"
    assert key.json()["error"]["status"] == "access_denied"
