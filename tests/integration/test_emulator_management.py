"""Management flows a Lead uses: users and tokens, teams, profiles, account settings."""

from __future__ import annotations

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client


def test_api_tokens_show_their_value_once_and_can_be_deleted(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "developer") as dev:
        made = dev.post(f"{AM}/api-token", json={"name": "laptop", "end_date": "2027-03-01"})
        assert made.status_code == 201
        token = made.json()
        assert token["end_date"] == "2027-03-01T23:59:59Z"
        assert token["key_hint"] == "…" + token["token"][-4:]
        listed = dev.get(f"{AM}/api-token").json()
        assert all("token" not in t for t in listed)
        assert token["id"] in {t["id"] for t in listed}
        with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": token["token"]}) as c:
            assert c.get(f"{AM}/user/me").json()["name"] == "Priya Raman"
        assert dev.delete(f"{AM}/api-token/{token['id']}").status_code == 204
        with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": token["token"]}) as c:
            assert c.get(f"{AM}/user/me").status_code == 401


def test_new_users_get_roles_and_service_users_an_api_token(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        human = lead.post(
            f"{AM}/user", json={"email": "new.dev@acme.example", "roles": ["SSM_DEVELOPER"]}
        ).json()
        assert human["user_type"] == "standard" and "api_token" not in human
        assert human["applications"][0]["roles"][0]["code"] == "SSM_DEVELOPER"
        bot = lead.post(
            f"{AM}/user",
            json={
                "user_type": "service",
                "friendly_name": "release bot",
                "roles": ["SSM_SIGNER"],
                "end_date": "2027-06-30",
            },
        ).json()
        assert bot["end_date"] == "2027-06-30T23:59:59Z"
        services = lead.get(f"{AM}/user", params={"user_type": "service"}).json()
        assert "release bot" in {u["friendly_name"] for u in services}
        with httpx.Client(
            base_url=fresh_emulator.url, headers={"x-api-key": bot["api_token"]}
        ) as c:
            assert c.get(f"{STM}/keypairs").status_code == 200
            assert (
                c.post(f"{STM}/keypairs", json={"alias": "bot-key", "key_alg": "EDDSA"}).status_code
                == 403
            )
        promoted = lead.put(f"{AM}/user/{human['id']}", json={"roles": ["SSM_LEAD"]}).json()
        # An STM role, however broad, grants no Account Manager administration (C: N9).
        assert [a["name"] for a in promoted["applications"]] == ["Software Trust"]
        assert not any(p.endswith("_AM_USER") for p in promoted["applications"][0]["permissions"])
        admin = lead.put(
            f"{AM}/user/{human['id']}", json={"roles": ["SSM_LEAD", "AM_ACCOUNT_ADMINISTRATOR"]}
        ).json()
        manager = next(a for a in admin["applications"] if a["name"] == "Account Manager")
        assert "MANAGE_AM_USER" in manager["permissions"]
        assert manager["roles"][0]["name"] == "Account Administrator"


def test_team_membership_drives_team_lead_scope(fresh_emulator: EmulatorServer) -> None:
    tl_id = fresh_emulator.credentials["users"]["team_lead"]["id"]
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "team_lead") as tl:
        before = tl.get(f"{STM}/keypairs", params={"limit": 100}).json()["total"]
        mobile = next(
            t for t in lead.get(f"{STM}/teams").json()["items"] if t["name"] == "Mobile Apps"
        )
        members = [{"user_id": m["user_id"], "is_lead": m["is_lead"]} for m in mobile["members"]]
        updated = lead.put(
            f"{STM}/teams/{mobile['id']}",
            json={"members": [*members, {"user_id": tl_id, "is_lead": True}]},
        )
        assert updated.status_code == 200
        after = tl.get(f"{STM}/keypairs", params={"limit": 100}).json()["total"]
        me = tl.get(f"{AM}/user/me").json()
    assert after > before
    assert "Mobile Apps" in {t["name"] for t in me["teams"]}


def test_fixed_keypair_profile_wins_and_can_be_required(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        profile = lead.post(
            f"{STM}/keypair-profiles",
            json={
                "name": "p384 fixed",
                "profile_type": "FIXED",
                "key_alg": "ECDSA",
                "curve": "P384",
                "key_type": "PRODUCTION",
                "key_status": "OFFLINE",
            },
        ).json()
        lead.put(f"{STM}/account-settings", json={"require_keypair_profile": True})
        refused = lead.post(f"{STM}/keypairs", json={"alias": "no-profile", "key_alg": "EDDSA"})
        assert refused.status_code == 422  # well formed, but the account requires a profile
        assert refused.json()["error"]["message"].startswith("keypair_profile_id")
        made = lead.post(
            f"{STM}/keypairs",
            json={"alias": "from-profile", "key_alg": "EDDSA", "keypair_profile_id": profile["id"]},
        )
        assert made.status_code == 201
        kp = made.json()
    assert (kp["key_alg"], kp["curve"], kp["key_status"], kp["key_type"]) == (
        "ECDSA",
        "P384",
        "OFFLINE",
        "PRODUCTION",
    )
    assert kp["keypair_profile"] == {"id": profile["id"], "name": "p384 fixed"}


def test_generated_certificates_become_the_default(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        kp = lead.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["items"][0]
        made = lead.post(f"{STM}/keypairs/{kp['id']}/certificates", json={"alias": "jars-2027"})
        assert made.status_code == 201
        certs = lead.get(f"{STM}/certificates", params={"keypair_id": kp["id"]}).json()["items"]
        again = lead.get(f"{STM}/keypairs/{kp['id']}").json()
    assert [c["alias"] for c in certs if c["default_cert"]] == ["jars-2027"]
    assert again["number_of_active_certificates"] == 2


def test_audit_log_records_writes_and_exports_csv(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        kp = lead.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["items"][0]
        lead.post(f"{STM}/keypairs/{kp['id']}/suspend")
        entries = lead.get(
            f"{STM}/audit-log", params={"resource_id": kp["id"], "limit": 100}
        ).json()["items"]
        csv = lead.get(f"{STM}/audit-log/export", params={"resource_id": kp["id"]})
    assert entries[-1]["action"] == "Suspend" and entries[-1]["user_name"] == "Dana Whitfield"
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("id,account_id,resource_type") and len(lines) == len(entries) + 1
