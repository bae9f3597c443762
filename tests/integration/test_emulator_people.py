"""Users, service users and teams with the nine member permissions (issue 12)."""

from __future__ import annotations

from typing import cast

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client

NINE = {
    "manage_keypairs_and_certificates",
    "manage_team",
    "approve_keypair_deletion",
    "approve_certificate_revocation",
    "approve_keypair_export",
    "approve_offline_releases",
    "generate_keypairs_and_certificates",
    "sign",
    "scan",
}


def users_by_name(c: httpx.Client) -> dict[str, dict[str, object]]:
    return {str(u["name"]): u for u in c.get(f"{AM}/user").json()}


def team(c: httpx.Client, name: str) -> dict[str, object]:
    found = c.get(f"{STM}/teams", params={"name": name}).json()["items"]
    return dict(c.get(f"{STM}/teams/{found[0]['id']}").json())


def test_standard_user_with_account_manager_roles_and_a_service_user_token_shown_once(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "developer") as dev:
        admin = lead.post(
            f"{AM}/user",
            json={
                "email": "ada.admin@acme.example",
                "name": "Ada Admin",
                "roles": ["SSM_LEAD", "AM_ACCOUNT_ADMINISTRATOR"],
            },
        )
        bot = lead.post(
            f"{AM}/user",
            json={
                "user_type": "service",
                "friendly_name": "release signer",
                "description": "Signs the nightly builds",
                "email": "release-team@acme.example",
                "end_date": "2027-06-30",
                "roles": ["SSM_SIGNER"],
            },
        )
        # Two service users may send alerts to the same team mailbox.
        twin = lead.post(
            f"{AM}/user",
            json={
                "user_type": "service",
                "friendly_name": "release scanner",
                "email": "release-team@acme.example",
                "roles": ["SSM_BUILD_ENGINEER"],
            },
        )
        refused = dev.post(f"{AM}/user", json={"email": "x.y@acme.example"})
        listed = lead.get(f"{AM}/user", params={"user_type": "service"}).json()
    assert admin.status_code == 201
    apps = {a["name"]: a for a in admin.json()["applications"]}
    assert apps["Account Manager"]["roles"][0]["code"] == "AM_ACCOUNT_ADMINISTRATOR"
    assert bot.status_code == 201 and twin.status_code == 201
    made = bot.json()
    assert (
        made["email"] == "release-team@acme.example" and made["end_date"] == "2027-06-30T23:59:59Z"
    )
    token = made["api_token"]
    assert all("api_token" not in u and token not in str(u) for u in listed)
    assert refused.status_code == 403 and "MANAGE_AM_USER" in refused.json()["errors"][0]["message"]
    with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": token}) as c:
        assert c.get(f"{AM}/user/me").json()["friendly_name"] == "release signer"


def test_deactivation_is_irreversible_and_stops_the_users_keys(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        user = lead.post(
            f"{AM}/user", json={"email": "temp.dev@acme.example", "roles": ["SSM_DEVELOPER"]}
        ).json()
        token = lead.post(f"{AM}/api-token", json={"name": "temp", "user_id": user["id"]}).json()
        with httpx.Client(base_url=fresh_emulator.url, headers={"x-api-key": token["token"]}) as c:
            assert c.get(f"{AM}/user/me").status_code == 200
            off = lead.put(f"{AM}/user/{user['id']}", json={"status": "DISABLED"})
            assert off.status_code == 200 and off.json()["status"] == "DISABLED"
            assert c.get(f"{AM}/user/me").status_code == 401
        back = lead.put(f"{AM}/user/{user['id']}", json={"status": "ACTIVE"})
        roles = lead.put(f"{AM}/user/{user['id']}", json={"roles": ["SSM_LEAD"]})
        tokens = lead.get(f"{AM}/api-token", params={"user_id": user["id"]}).json()
    assert back.status_code == 422 and "cannot be undone" in back.json()["errors"][0]["message"]
    assert roles.status_code == 422
    assert [t["status"] for t in tokens] == ["REVOKED"]


def test_roles_change_with_put_but_never_ones_own(fresh_emulator: EmulatorServer) -> None:
    lead_id = fresh_emulator.credentials["users"]["lead"]["id"]
    with api_client(fresh_emulator) as lead:
        grace = users_by_name(lead)["Grace Chen"]
        changed = lead.put(f"{AM}/user/{grace['id']}", json={"roles": ["SSM_DEVELOPER"]})
        own = lead.put(f"{AM}/user/{lead_id}", json={"roles": ["SSM_SIGNER"]})
    assert changed.json()["applications"][0]["roles"][0]["code"] == "SSM_DEVELOPER"
    assert own.status_code == 422 and "your own roles" in own.json()["errors"][0]["message"]


def test_team_members_carry_nine_permissions(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead:
        desktop = team(lead, "Desktop Apps")
    members = {m["name"]: m for m in desktop["members"]}  # type: ignore[attr-defined]
    assert all(set(m["permissions"]) == NINE for m in members.values())
    lead_member = members["Marcus Oyelaran"]
    assert lead_member["is_lead"] and all(lead_member["permissions"].values())
    signer = members["Tomas Berg"]["permissions"]
    # A member starts with the Operation permissions of their role: a Signer signs only.
    assert signer["sign"] and not signer["generate_keypairs_and_certificates"]
    assert not signer["manage_team"] and not signer["approve_keypair_deletion"]
    assert members["Priya Raman"]["permissions"]["approve_keypair_deletion"] is True
    resources = desktop["resources"]
    assert {
        "keypair_profiles",
        "certificate_profiles",
        "keypairs",
        "certificates",
        "releases",
    } == set(cast(dict[str, object], resources))
    assert desktop["resource_counts"]["keypairs"] == 7  # type: ignore[index]


def test_team_lifecycle_members_permissions_resources_deactivate_delete(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "signer") as signer:
        people = users_by_name(lead)
        made = lead.post(f"{STM}/teams", json={"name": "Docs", "description": "Documentation"})
        assert made.status_code == 201
        tid = made.json()["id"]
        tomas = str(people["Tomas Berg"]["id"])
        added = lead.post(f"{STM}/teams/{tid}/members", json={"user_id": tomas})
        assert added.status_code == 201
        again = lead.post(f"{STM}/teams/{tid}/members", json={"user_id": tomas})
        assert again.status_code == 409
        # A restricted keypair of no team that does not list the signer.
        key = next(
            k
            for k in lead.get(f"{STM}/keypairs", params={"limit": 100}).json()["items"]
            if k["limit_by_users"]
            and not k["team_ids"]
            and k["key_status"] == "ONLINE"
            and tomas not in {u["id"] for u in k["users"]}
        )
        assert signer.get(f"{STM}/keypairs/{key['id']}").status_code == 404
        profile = lead.get(f"{STM}/keypair-profiles").json()["items"][0]
        mapped = lead.put(
            f"{STM}/teams/{tid}/resources",
            json={"keypair_ids": [key["id"]], "keypair_profile_ids": [profile["id"]]},
        )
        assert mapped.status_code == 200
        assert mapped.json()["resources"]["keypairs"] == [{"id": key["id"], "alias": key["alias"]}]
        assert tid in lead.get(f"{STM}/keypairs/{key['id']}").json()["team_ids"]
        # The keypair is now the signer's through the team.
        assert signer.get(f"{STM}/keypairs/{key['id']}").json()["is_signable_by_me"] is True
        perms = lead.put(
            f"{STM}/teams/{tid}/members/{tomas}",
            json={"permissions": {"sign": False, "scan": True}},
        ).json()
        member = next(m for m in perms["members"] if m["user_id"] == tomas)
        assert member["permissions"]["sign"] is False and member["permissions"]["scan"] is True
        assert signer.get(f"{STM}/keypairs/{key['id']}").json()["is_signable_by_me"] is False
        off = lead.post(f"{STM}/teams/{tid}/deactivate")
        assert off.json()["status"] == "DISABLED"
        assert signer.get(f"{STM}/keypairs/{key['id']}").status_code == 404  # team gave it
        assert lead.post(f"{STM}/teams/{tid}/activate").json()["status"] == "ACTIVE"
        removed = lead.delete(f"{STM}/teams/{tid}/members/{tomas}")
        assert [m["user_id"] for m in removed.json()["members"]] == []
        assert lead.delete(f"{STM}/teams/{tid}").status_code == 204
        assert lead.get(f"{STM}/teams/{tid}").status_code == 404
        after = lead.get(f"{STM}/keypairs/{key['id']}").json()
    assert tid not in after["team_ids"]


def test_nobody_edits_their_own_team_permissions(fresh_emulator: EmulatorServer) -> None:
    tl_id = fresh_emulator.credentials["users"]["team_lead"]["id"]
    with api_client(fresh_emulator, "team_lead") as tl, api_client(fresh_emulator) as lead:
        desktop = team(lead, "Desktop Apps")
        own = tl.put(
            f"{STM}/teams/{desktop['id']}/members/{tl_id}",
            json={"permissions": {"approve_keypair_export": False}},
        )
        leave = tl.delete(f"{STM}/teams/{desktop['id']}/members/{tl_id}")
        omar = users_by_name(lead)["Omar Haddad"]["id"]
        other = tl.put(
            f"{STM}/teams/{desktop['id']}/members/{omar}",
            json={"permissions": {"scan": True}},
        )
        outsider = api_client(fresh_emulator, "developer")
        with outsider:
            forced = outsider.put(
                f"{STM}/teams/{desktop['id']}/members/{omar}", json={"permissions": {"scan": True}}
            )
    assert own.status_code == 403
    assert "cannot edit their own" in own.json()["error"]["message"]
    assert leave.status_code == 403
    assert other.status_code == 200  # the team lead manages the others (manage_team)
    assert forced.status_code == 403  # a member without manage_team does not


def test_a_team_with_a_live_release_is_not_deleted(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        desktop = team(lead, "Desktop Apps")
        r = lead.delete(f"{STM}/teams/{desktop['id']}")
    assert r.status_code == 422 and "desktop-4.3.0" in r.json()["error"]["message"]
