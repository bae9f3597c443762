"""Account Manager as documented: the account shape with its sign-in methods (where 2FA
lives, C: N10), Account Manager roles that administer people and credentials (C: N9), and
the rules of API tokens (C: N12, N11) and client authentication certificates (C: N13)."""

from __future__ import annotations

import base64

import httpx
from cryptography.hazmat.primitives.serialization import pkcs12

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client


def test_accounts_have_the_documented_shape(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        accounts = c.get(f"{AM}/account").json()
        settings = c.get(f"{STM}/account-settings").json()
    assert isinstance(accounts, list) and len(accounts) == 2
    acme = next(a for a in accounts if a["name"] == "Acme Software")
    assert {
        "id",
        "name",
        "active",
        "service_period",
        "friendly_identifier",
        "admins",
        "sign_in_methods",
        "locale",
    } <= set(acme)
    assert acme["active"] is True and acme["locale"] == "en_US"
    assert set(acme["service_period"]) == {"from", "to"}
    assert [a["name"] for a in acme["admins"]] == ["Dana Whitfield"]
    # The demo's main account has not required 2FA yet (a setup step to show).
    assert acme["sign_in_methods"] == [
        {
            "signInMethod": "standard",
            "status": "enabled",
            "mfaStatus": "disabled",
            "clientAuthCertLoginEnabled": True,
        }
    ]
    assert "two_factor_required" not in settings  # not an STM setting


def test_the_account_administrator_switches_two_factor(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "team_lead") as tl:
        account = lead.get(f"{AM}/user/me").json()["primary_account_id"]
        body = {"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": "enabled"}]}
        refused = tl.put(f"{AM}/account/{account}", json=body)
        changed = lead.put(f"{AM}/account/{account}", json=body).json()
        again = lead.get(f"{AM}/account/{account}").json()
        audit = lead.get(f"{AM}/audit-log", params={"resource_type": "ACCOUNT"}).json()
    assert refused.status_code == 403
    assert changed["sign_in_methods"][0]["mfaStatus"] == "enabled"
    assert again["sign_in_methods"][0]["mfaStatus"] == "enabled"
    assert "two-factor authentication enabled" in audit[0]["details"]


def test_account_manager_roles_are_real_and_held_by_the_lead(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead, api_client(emulator, "team_lead") as tl:
        roles = lead.get(f"{AM}/role", params={"application_code": "account_manager"}).json()
        lead_me = lead.get(f"{AM}/user/me").json()
        tl_me = tl.get(f"{AM}/user/me").json()
    assert {r["name"] for r in roles} >= {"Account Administrator"}
    admin = next(r for r in roles if r["name"] == "Account Administrator")
    assert admin["application_code"] == "account_manager"
    assert {"MANAGE_AM_ACCOUNT", "MANAGE_AM_USER", "VIEW_AM_USER"} <= set(admin["permissions"])
    assert {a["name"] for a in lead_me["applications"]} == {"Software Trust", "Account Manager"}
    assert [a["name"] for a in tl_me["applications"]] == ["Software Trust"]  # STM role only


def test_api_tokens_follow_the_documented_rules(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "signer") as c:
        made = c.post(f"{AM}/api-token", json={"name": "CI runner_2-b", "end_date": "2027-01-31"})
        duplicate = c.post(f"{AM}/api-token", json={"name": "CI runner_2-b"})
        bad_name = c.post(f"{AM}/api-token", json={"name": "ci/runner"})
        listed = c.get(f"{AM}/api-token").json()
    assert made.status_code == 201
    token = made.json()
    assert token["end_date"] == "2027-01-31T23:59:59Z" and token["token"]
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["code"] == "duplicate_error"
    assert bad_name.status_code == 400 and bad_name.json()["errors"][0]["message"].startswith(
        "name:"
    )
    mine = next(t for t in listed if t["id"] == token["id"])
    assert "token" not in mine and mine["key_hint"] == "…" + token["token"][-4:]
    with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": token["token"]}) as c:
        assert c.get(f"{AM}/user/me").status_code == 200


def test_a_service_user_is_its_token(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        svc = lead.post(
            f"{AM}/user",
            json={"user_type": "service", "friendly_name": "release svc", "roles": ["SSM_SIGNER"]},
        ).json()
        for_svc = lead.post(f"{AM}/api-token", json={"name": "extra", "user_id": svc["id"]})
    with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": svc["api_token"]}) as c:
        own = c.post(f"{AM}/api-token", json={"name": "second"})
        cert = c.post(f"{AM}/client-certificate", json={"name": "svc cert"})
    assert for_svc.status_code == 422
    assert own.status_code == cert.status_code == 403
    assert "service users are the token" in own.json()["errors"][0]["message"]


def test_client_certificates_come_with_a_generated_password(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as c:
        tokens = c.get(f"{AM}/api-token").json()
        made = c.post(f"{AM}/client-certificate", json={"name": "laptop"}).json()
        again = c.get(f"{AM}/client-certificate").json()
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(made["p12"]), made["password"].encode()
    )
    assert key is not None and cert is not None
    assert made["token_id"] in {t["id"] for t in tokens}  # the token making the call
    assert all("password" not in x and "p12" not in x for x in again)


def test_the_account_manager_audit_log_needs_an_account_manager_role(
    emulator: EmulatorServer,
) -> None:
    with api_client(emulator) as lead, api_client(emulator, "developer") as dev:
        entries = lead.get(f"{AM}/audit-log").json()
        refused = dev.get(f"{AM}/audit-log")
    assert entries and {e["resource_type"] for e in entries} <= {
        "USER",
        "API_TOKEN",
        "CLIENT_CERTIFICATE",
        "ACCOUNT",
    }
    assert refused.status_code == 403
