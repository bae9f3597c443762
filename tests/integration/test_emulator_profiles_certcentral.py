"""Keypair profiles, certificate profiles and the CertCentral integration (issue 13)."""

from __future__ import annotations

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client

GOOD_KEY = "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF"  # 32 letters and digits
CC = f"{STM}/account-settings/certcentral"


def new_profile(c: httpx.Client, **fields: object) -> httpx.Response:
    body: dict[str, object] = {"name": "Team RSA", "key_alg": "RSA", "key_size": 3072}
    body.update(fields)
    return c.post(f"{STM}/keypair-profiles", json=body)


def test_keypair_profile_create_update_enable_disable(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "developer") as dev:
        made = new_profile(
            lead,
            profile_type="CUSTOMIZABLE",
            scope="ACCOUNT",
            key_status="OFFLINE",
            key_type="PRODUCTION",
            key_storage="DISK",
        )
        assert made.status_code == 201, made.text
        profile = made.json()
        assert (profile["status"], profile["enabled"], profile["key_storage"]) == (
            "ACTIVE",
            True,
            "DISK",
        )
        pid = profile["id"]
        updated = lead.put(
            f"{STM}/keypair-profiles/{pid}", json={"key_alg": "ECDSA", "curve": "P384"}
        ).json()
        assert (updated["key_alg"], updated["curve"], updated["key_size"]) == (
            "ECDSA",
            "P384",
            None,
        )
        bad = lead.put(f"{STM}/keypair-profiles/{pid}", json={"key_alg": "RSA"})
        assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("key_size")
        assert dev.post(f"{STM}/keypair-profiles/{pid}/disable").status_code == 403
        off = lead.post(f"{STM}/keypair-profiles/{pid}/disable").json()
        assert off["status"] == "DISABLED"
        assert lead.post(f"{STM}/keypair-profiles/{pid}/disable").status_code == 422
        refused = lead.post(
            f"{STM}/keypairs",
            json={"alias": "from-disabled", "key_alg": "EDDSA", "keypair_profile_id": pid},
        )
        assert refused.status_code == 422 and "DISABLED" in refused.json()["error"]["message"]
        assert lead.post(f"{STM}/keypair-profiles/{pid}/enable").json()["status"] == "ACTIVE"
        actions = [
            e["action"]
            for e in lead.get(f"{STM}/audit-log", params={"resource_id": pid}).json()["items"]
        ]
    # One frozen second orders entries by id; what matters is that disable is Suspend (C).
    assert sorted(actions) == ["Generate", "Suspend", "Unsuspend", "Update"]


def test_a_profile_inactive_until_a_date_generates_nothing_before_it(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        later = new_profile(lead, active_from="2026-12-01T00:00:00Z").json()
        assert later["status"] == "INACTIVE"
        r = lead.post(
            f"{STM}/keypairs",
            json={"alias": "too-early", "key_alg": "RSA", "keypair_profile_id": later["id"]},
        )
        now = lead.put(f"{STM}/keypair-profiles/{later['id']}", json={"active_from": None}).json()
    assert r.status_code == 422 and "until 2026-12-01T00:00:00Z" in r.json()["error"]["message"]
    assert now["status"] == "ACTIVE"


def test_required_profile_is_enforced_and_a_fixed_profiles_values_win(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        lead.put(f"{STM}/account-settings", json={"require_keypair_profile": True})
        without = lead.post(f"{STM}/keypairs", json={"alias": "no-profile", "key_alg": "EDDSA"})
        fixed = new_profile(
            lead,
            name="Fixed offline RSA",
            profile_type="FIXED",
            key_size=2048,
            key_status="OFFLINE",
            key_type="PRODUCTION",
            key_storage="DISK",
        ).json()
        made = lead.post(
            f"{STM}/keypairs",
            json={
                "alias": "fixed-wins",
                "key_alg": "ECDSA",
                "curve": "P256",
                "key_status": "ONLINE",
                "key_storage": "HSM",
                "keypair_profile_id": fixed["id"],
            },
        )
    assert without.status_code == 422
    assert without.json()["error"]["message"].startswith("keypair_profile_id")
    assert made.status_code == 201, made.text
    kp = made.json()
    assert (kp["key_alg"], kp["key_size"], kp["curve"]) == ("RSA", 2048, None)
    assert (kp["key_status"], kp["key_type"], kp["key_storage"]) == (
        "OFFLINE",
        "PRODUCTION",
        "DISK",
    )
    assert kp["keypair_profile"] == {"id": fixed["id"], "name": "Fixed offline RSA"}


def test_certificate_profile_update_clone_enable_disable(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        made = lead.post(
            f"{STM}/certificate-profiles",
            json={
                "name": "Private 30 days",
                "validity_days": 30,
                "subject_template": {"common_name": "Acme CI", "country": "NL"},
            },
        ).json()
        pid = made["id"]
        updated = lead.put(
            f"{STM}/certificate-profiles/{pid}",
            json={"validity_days": 45, "allowed_key_algs": ["ECDSA"]},
        ).json()
        clone = lead.post(f"{STM}/certificate-profiles/{pid}/clone", json={"name": "Private 45b"})
        taken = lead.post(f"{STM}/certificate-profiles/{pid}/clone", json={"name": "Private 45b"})
        off = lead.post(f"{STM}/certificate-profiles/{pid}/disable").json()
        key = lead.get(f"{STM}/keypairs", params={"alias": "shared-timestamp-test"}).json()
        issue = lead.post(
            f"{STM}/keypairs/{key['items'][0]['id']}/certificates",
            json={"alias": "from-disabled-profile", "certificate_profile_id": pid},
        )
        on = lead.post(f"{STM}/certificate-profiles/{pid}/enable").json()
    assert (updated["validity_days"], updated["allowed_key_algs"]) == (45, ["ECDSA"])
    assert clone.status_code == 201
    copy = clone.json()
    assert copy["validity_days"] == 45 and copy["subject_template"]["country"] == "NL"
    assert copy["cloned_from"] == {"id": pid, "name": "Private 30 days"}
    assert taken.status_code == 409
    assert off["status"] == "DISABLED" and issue.status_code == 422
    assert on["status"] == "ACTIVE"


def test_certcentral_setup_validate_disable_enable_delete(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        seeded = lead.get(f"{STM}/account-settings").json()["certcentral"]
        assert seeded["configured"] and seeded["connected"] is False  # the demo's setup step
        assert "refused" in seeded["connection_error"]
        bad = lead.put(CC, json={"api_key": "not-a-certcentral-key!", "region": "EUROPE"}).json()
        cc = bad["certcentral"]
        assert (cc["connected"], cc["region"], cc["api_key_hint"]) == (False, "EUROPE", "…key!")
        assert "32-64 letters and digits" in cc["connection_error"]
        good = lead.put(CC, json={"api_key": GOOD_KEY}).json()["certcentral"]
        assert good["connected"] is True and good["connection_error"] is None
        assert good["region"] == "EUROPE"  # an update keeps what it does not name
        assert lead.post(f"{CC}/validate").json()["certcentral"]["connected"] is True
        off = lead.post(f"{CC}/disable").json()["certcentral"]
        assert (off["enabled"], off["connected"]) == (False, False)
        assert lead.post(f"{CC}/disable").status_code == 422
        public = lead.post(
            f"{STM}/certificate-profiles",
            json={"name": "EV 2027", "hierarchy": "PUBLIC", "certificate_type": "EV"},
        )
        assert public.status_code == 422 and "disabled" in public.json()["error"]["message"]
        assert lead.post(f"{CC}/enable").json()["certcentral"]["connected"] is True
        public = lead.post(
            f"{STM}/certificate-profiles",
            json={"name": "EV 2027", "hierarchy": "PUBLIC", "certificate_type": "EV"},
        )
        assert public.status_code == 201
        removed = lead.delete(CC).json()["certcentral"]
        assert removed["configured"] is False and removed["api_key_hint"] is None
        assert lead.post(f"{CC}/validate").status_code == 422
        everything = lead.get(f"{STM}/audit-log", params={"limit": 100, "order": "desc"}).text
        settings = lead.get(f"{STM}/account-settings").text
    assert GOOD_KEY not in everything and GOOD_KEY not in settings
    assert "not-a-certcentral-key" not in everything


def test_certcentral_needs_its_permission_and_an_account_that_allows_it(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "team_lead") as tl:
        labs = next(
            a["id"] for a in lead.get("/account/api/v1/account").json() if a["name"] == "Acme Labs"
        )
        denied = tl.put(CC, json={"api_key": GOOD_KEY})
        not_allowed = lead.put(CC, params={"account_id": labs}, json={"api_key": GOOD_KEY})
        missing_key = lead.put(CC, params={"account_id": labs}, json={"region": "GLOBAL"})
    assert denied.status_code == 403
    assert not_allowed.status_code == 422
    assert "not allowed" in not_allowed.json()["error"]["message"]
    assert missing_key.status_code == 422
