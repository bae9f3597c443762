"""The activity simulator and what a live monitor polls (issue 14), and the demo's setup
steps left undone (issue 12/13)."""

from __future__ import annotations

from typing import Any

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client

ADMIN = "/_emulator"


def admin(server: EmulatorServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"x-emulator-admin-token": server.admin_token}, timeout=30
    )


def release(c: httpx.Client, name: str) -> dict[str, Any]:
    items = c.get(f"{STM}/release-windows", params={"limit": 100}).json()["items"]
    return next(r for r in items if r["name"] == name)


def test_a_burst_is_seen_whole_through_the_sequence_cursor(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead, admin(fresh_emulator) as adm:
        newest = lead.get(f"{STM}/signatures", params={"order": "desc", "limit": 1}).json()
        cursor = newest["items"][0]["sequence"]
        fw = release(lead, "platform-fw-7.1")
        before = fw["signature_count"]
        burst = adm.post(f"{ADMIN}/activity/burst", json={"count": 30, "release_id": fw["id"]})
        assert burst.status_code == 200, burst.text
        result = burst.json()
        seen: list[dict[str, Any]] = []
        while True:
            page = lead.get(
                f"{STM}/signatures", params={"after_sequence": cursor, "limit": 10}
            ).json()
            if not page["items"]:
                break
            seen += page["items"]
            cursor = page["items"][-1]["sequence"]
        after = release(lead, "platform-fw-7.1")
    assert result["attempted"] == 30 and result["signed"] + result["failed"] == 30
    assert len(seen) == 30
    assert [s["sequence"] for s in seen] == sorted(s["sequence"] for s in seen)
    assert {s["release"]["name"] for s in seen} == {"platform-fw-7.1"}
    assert after["signature_count"] == before + result["signed"]
    # The window's maximum is 40: the burst fills it, and the rest are refused for it.
    assert after["signature_count"] == 40
    assert {s["failure_reason"] for s in seen if s["status"] == "FAILED"} == {"QUOTA_EXCEEDED"}


def test_an_unchanged_poll_is_a_304_and_a_new_signature_changes_it(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, admin(fresh_emulator) as adm:
        fw = release(lead, "desktop-4.3.0")
        params = {"release_id": fw["id"], "order": "desc", "limit": 20}
        first = lead.get(f"{STM}/signatures", params=params)
        etag = first.headers["etag"]
        same = lead.get(f"{STM}/signatures", params=params, headers={"if-none-match": etag})
        adm.post(f"{ADMIN}/activity/burst", json={"count": 1, "release_id": fw["id"]})
        changed = lead.get(f"{STM}/signatures", params=params, headers={"if-none-match": etag})
    assert same.status_code == 304 and same.content == b""
    assert changed.status_code == 200
    newest = changed.json()["items"]
    assert newest[0]["sequence"] > first.json()["items"][0]["sequence"]
    assert [s["created_on"] for s in newest] == sorted(
        (s["created_on"] for s in newest), reverse=True
    )


def test_the_simulator_makes_every_kind_of_failed_attempt(fresh_emulator: EmulatorServer) -> None:
    sim = fresh_emulator.state.activity  # type: ignore[union-attr]
    reasons = (
        "NOT_A_RELEASE_SIGNER",
        "OUTSIDE_RELEASE_WINDOW",
        "NOT_ASSIGNED",
        "MISSING_SECOND_FACTOR",
    )
    with api_client(fresh_emulator) as lead:
        before = lead.get(f"{STM}/signatures", params={"order": "desc", "limit": 1}).json()
        cursor = before["items"][0]["sequence"]
        for reason in reasons:
            assert sim.failed_attempt(reason), reason
        new = lead.get(f"{STM}/signatures", params={"after_sequence": cursor}).json()["items"]
    assert [s["failure_reason"] for s in new] == list(reasons)
    assert all(s["status"] == "FAILED" and s["signature"] is None for s in new)
    # Attempts on a window's keypair show in that window's log.
    assert new[0]["release"] is not None and new[1]["release"] is None


def test_rate_and_running_are_set_at_run_time(fresh_emulator: EmulatorServer) -> None:
    with admin(fresh_emulator) as adm:
        initial = adm.get(f"{ADMIN}/activity").json()
        set_ = adm.put(f"{ADMIN}/activity", json={"rate_per_minute": 120, "failure_share": 0.25})
        bad = adm.put(f"{ADMIN}/activity", json={"rate_per_minute": -1})
        unknown = adm.put(f"{ADMIN}/activity", json={"speed": 3})
        no_token = httpx.get(f"{fresh_emulator.url}{ADMIN}/activity")
        too_many = adm.post(f"{ADMIN}/activity/burst", json={"count": 100_000})
    assert initial["running"] is False and initial["rate_per_minute"] == 15.0
    assert set_.json()["rate_per_minute"] == 120 and set_.json()["failure_share"] == 0.25
    assert bad.status_code == 400 and unknown.status_code == 400
    assert no_token.status_code == 401 and too_many.status_code == 400


def test_the_demo_window_near_its_quota_signs_on_while_its_scan_fails(
    emulator: EmulatorServer,
) -> None:
    with api_client(emulator) as lead:
        window = release(lead, "desktop-4.3.0")
        scans = lead.get(f"{STM}/scans", params={"release_id": window["id"]}).json()["items"]
    assert window["status"] == "OPEN" and window["max_signatures"] == 50
    assert 0.75 <= window["signature_count"] / window["max_signatures"] < 0.8
    assert window["block_on_failed_scan"] is False
    assert [s["status"] for s in scans] == ["FAIL"]


def test_the_demo_starts_with_setup_steps_undone(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead:
        account = lead.get(f"{AM}/account").json()[0]
        users = lead.get(f"{AM}/user").json()
        settings = lead.get(f"{STM}/account-settings").json()
        keypairs = lead.get(f"{STM}/keypairs", params={"limit": 100}).json()["items"]
        waiting = lead.get(
            f"{STM}/approval-requests", params={"status": "PENDING", "awaiting_me": True}
        ).json()["items"]
    assert account["sign_in_methods"][0]["mfaStatus"] == "disabled"
    humans = [u for u in users if u["user_type"] == "standard"]
    assert sorted(u["name"] for u in humans if not u["authenticator_enrolled"]) == [
        "Omar Haddad",
        "Sofia Russo",
    ]
    assert any(k["number_of_active_certificates"] == 0 for k in keypairs)
    assert settings["certcentral"]["configured"] and not settings["certcentral"]["connected"]
    assert sorted(i["kind"] for i in waiting) == [
        "CERTIFICATE_REVOCATION",
        "KEYPAIR_DELETE",
        "KEYPAIR_EXPORT",
        "OFFLINE_RELEASE",
    ]
    roles = {r["code"] for u in users for a in u["applications"] for r in a["roles"]}
    assert roles == {
        "SSM_LEAD",
        "SSM_TEAM_LEAD",
        "SSM_DEVELOPER",
        "SSM_SIGNER",
        "SSM_BUILD_ENGINEER",
        "AM_ACCOUNT_ADMINISTRATOR",
        "AM_ACCOUNT_VIEWER",
    }
