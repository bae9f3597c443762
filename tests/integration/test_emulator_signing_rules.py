"""Release windows and the signing rules: suspend = OFFLINE, offline keys, signer lists,
maximum signature counts, restricted keypairs, failed attempts in the log, release kinds and
their approval, the activity simulator."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from stm_tui.emulator.activity import ActivitySimulator
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client

DIGEST = base64.b64encode(bytes(range(32))).decode()
ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}


def kp(c: httpx.Client, alias: str) -> dict[str, Any]:
    return dict(c.get(f"{STM}/keypairs", params={"alias": alias}).json()["items"][0])


def sign(c: httpx.Client, keypair: dict[str, Any]) -> httpx.Response:
    return c.post(
        f"{STM}/keypairs/{keypair['id']}/sign",
        json={"hash": DIGEST, "sig_alg": ALGS[keypair["key_alg"]]},
    )


def test_suspend_sets_offline_and_unsuspend_online(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        key = kp(c, "shared-java-jars")
        suspended = c.post(f"{STM}/keypairs/{key['id']}/suspend").json()
        assert suspended["key_status"] == "OFFLINE" and "suspended" not in suspended
        assert kp(c, "shared-java-jars")["key_status"] == "OFFLINE"
        refused = sign(c, key)
        assert refused.status_code == 422 and refused.json()["error"]["status"] == "invalid_state"
        assert "OFFLINE" in refused.json()["error"]["message"]
        assert c.post(f"{STM}/keypairs/{key['id']}/suspend").status_code == 422
        assert c.post(f"{STM}/keypairs/{key['id']}/unsuspend").json()["key_status"] == "ONLINE"
        assert sign(c, key).status_code == 200
        actions = [
            e["action"]
            for e in c.get(f"{STM}/audit-log", params={"resource_id": key["id"]}).json()["items"]
        ]
    assert sorted(actions[-2:]) == ["Suspend", "Unsuspend"]  # same second: order by id


def test_a_suspended_keypair_signs_in_an_open_offline_release_listing_it_and_the_caller(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "developer") as dev:
        key = kp(lead, "shared-java-jars")
        lead.post(f"{STM}/keypairs/{key['id']}/suspend")
        dev_id = dev.get("/account/api/v1/user/me").json()["id"]
        release = dev.post(
            f"{STM}/release-windows",
            json={
                "name": "jars-offline-1",
                "release_type": "OFFLINE",
                "duration_minutes": 60,
                "keypair_ids": [key["id"]],
                "signer_ids": [dev_id],
            },
        ).json()
        assert sign(dev, key).status_code == 422  # requested, not yet approved
        assert lead.post(f"{STM}/release-windows/{release['id']}/approve").status_code == 200
        assert sign(dev, key).status_code == 200
        assert sign(lead, key).status_code == 403  # open window, but not one of its signers


def test_offline_keypair_signs_only_for_listed_signers_in_an_open_window(
    fresh_emulator: EmulatorServer,
) -> None:
    emulator = fresh_emulator
    with api_client(emulator, "signer") as signer, api_client(emulator) as dev:
        in_window = kp(signer, "desktop-installer-ev")  # desktop-4.3.0 is open, signer listed
        no_window = kp(dev, "shared-archive-2023")  # offline, in no release
        ok = sign(signer, in_window)
        assert ok.status_code == 200
        record = signer.get(f"{STM}/signatures/{ok.json()['id']}").json()
        assert record["release"]["name"] == "desktop-4.3.0"
        outside = sign(dev, no_window)
        assert outside.status_code == 422
        assert "release window" in outside.json()["error"]["message"]


def test_refused_attempts_are_logged_as_failed(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        before = lead.get(f"{STM}/signatures", params={"status": "FAILED"}).json()["total"]
        assert sign(lead, kp(lead, "shared-archive-2023")).status_code == 422  # no window
        assert sign(lead, kp(lead, "platform-firmware-update")).status_code == 403  # not a signer
        failed = lead.get(f"{STM}/signatures", params={"status": "FAILED", "limit": 100}).json()
        audit = lead.get(f"{STM}/audit-log", params={"status": "FAILURE", "limit": 100}).json()
    assert failed["total"] == before + 2
    reasons = sorted(s["failure_reason"] for s in failed["items"][-2:])
    assert reasons == ["NOT_A_RELEASE_SIGNER", "OUTSIDE_RELEASE_WINDOW"]
    assert all(s["signature"] is None and s["hash"] == DIGEST for s in failed["items"][-2:])
    assert {e["resource_id"] for e in audit["items"]} >= {s["id"] for s in failed["items"][-2:]}


def test_signature_records_carry_the_console_fields(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        key = kp(lead, "shared-java-jars")
        made = sign(lead, key).json()
        record = lead.get(f"{STM}/signatures/{made['id']}").json()
    assert record["status"] == "SUCCESS" and record["failure_reason"] is None
    assert record["signature"] == made["signature"] and record["hash"] == DIGEST
    assert record["keypair_type"] == "STATIC" and record["signature_type"] == "PRODUCTION"
    assert record["client_ip"] == "127.0.0.1" and record["sig_alg"] == "SHA256withRSA"


def test_a_non_signer_of_the_open_window_is_refused(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:  # the lead is not a signer of platform-fw-7.1
        refused = sign(lead, kp(lead, "platform-firmware-update"))
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == "access_denied"


def test_release_max_signatures_is_enforced(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as lead, api_client(fresh_emulator) as approver:
        key = kp(lead, "shared-docs-signing")  # open: every account member may sign with it
        created = lead.post(
            f"{STM}/release-windows",
            json={
                "name": "docs-1.0",
                "release_type": "OFFLINE",
                "duration_minutes": 60,
                "keypair_ids": [key["id"]],
                "signer_ids": [lead.get("/account/api/v1/user/me").json()["id"]],
                "max_signatures": 2,
            },
        )
        assert created.status_code == 201, created.text
        release = created.json()
        assert release["status"] == "PENDING_APPROVAL"  # offline: a second person approves
        approved = approver.post(f"{STM}/release-windows/{release['id']}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "OPEN"
        assert sign(lead, key).status_code == 200
        assert sign(lead, key).status_code == 200
        third = sign(lead, key)
        assert third.status_code == 422 and "maximum" in third.json()["error"]["message"]
        after = lead.get(f"{STM}/release-windows/{release['id']}").json()
        failed = lead.get(
            f"{STM}/signatures", params={"keypair_id": key["id"], "status": "FAILED"}
        ).json()["items"]
    assert after["signature_count"] == 2  # the refused third is logged, but not counted
    assert [f["failure_reason"] for f in failed] == ["QUOTA_EXCEEDED"]


def test_keypair_can_be_in_only_one_live_release(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as dev:
        key = kp(dev, "desktop-installer-ev")
        r = dev.post(
            f"{STM}/release-windows",
            json={"name": "clash", "duration_minutes": 30, "keypair_ids": [key["id"]]},
        )
    assert r.status_code == 422 and r.json()["error"]["status"] == "invalid_state"
    message = r.json()["error"]["message"]
    assert message.startswith("keypair_ids: ") and "desktop-4.3.0" in message


def test_release_request_approve_close_lifecycle(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as dev, api_client(fresh_emulator) as lead:
        key = kp(dev, "shared-powershell")
        req = dev.post(
            f"{STM}/release-windows",
            json={
                "name": "ps-2.0",
                "start_time": "2026-11-27T13:00:00Z",
                "end_time": "2026-11-27T15:00:00Z",
                "keypair_ids": [key["id"]],
            },
        ).json()
        assert req["status"] == "PENDING_APPROVAL" and req["approved_by_user"] is None
        assert dev.post(f"{STM}/release-windows/{req['id']}/approve").status_code == 403
        approved = lead.post(f"{STM}/release-windows/{req['id']}/approve").json()
        assert approved["status"] == "APPROVED"
        assert lead.post(f"{STM}/release-windows/{req['id']}/approve").status_code == 422
        assert lead.post(f"{STM}/release-windows/{req['id']}/reject").status_code == 422
        closed = dev.post(f"{STM}/release-windows/{req['id']}/close").json()  # the requester
        assert closed["status"] == "CLOSED"


def test_release_kinds_online_and_test_start_approved_offline_is_requested(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "developer") as dev, api_client(fresh_emulator) as lead:

        def create(name: str, kind: str, alias: str) -> httpx.Response:
            return dev.post(
                f"{STM}/release-windows",
                json={
                    "name": name,
                    "release_type": kind,
                    "duration_minutes": 30,
                    "keypair_ids": [kp(dev, alias)["id"]],
                },
            )

        online = create("rel-online", "ONLINE", "shared-powershell").json()
        test = create("rel-test", "TEST", "shared-timestamp-test").json()
        offline = create("rel-offline", "OFFLINE", "shared-java-jars").json()
        not_test = create("rel-test-2", "TEST", "shared-nuget-packages")
        offline_in_online = create("rel-online-2", "ONLINE", "mobile-beta-channel")
        assert online["status"] == test["status"] == "OPEN"
        assert online["approved_by_user"]["name"] == "Priya Raman"
        assert offline["status"] == "PENDING_APPROVAL"
        assert not_test.status_code == offline_in_online.status_code == 422
        own = dev.post(f"{STM}/release-windows/{offline['id']}/approve")
        assert own.status_code == 403  # not a Developer's right (and it is their request)
        rejected = lead.post(
            f"{STM}/release-windows/{offline['id']}/reject", json={"reason": "no scan attached"}
        ).json()
        mine = {online["id"], test["id"], offline["id"]}
        actions = [
            e["action"]
            for e in lead.get(
                f"{STM}/audit-log", params={"resource_type": "RELEASE", "limit": 100}
            ).json()["items"]
            if e["resource_id"] in mine
        ]
    assert rejected["status"] == "REJECTED" and rejected["rejection_reason"] == "no scan attached"
    assert sorted(actions) == ["Generate", "Generate", "Reject", "Request"]


def test_nobody_approves_their_own_release_request(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        req = lead.post(
            f"{STM}/release-windows",
            json={
                "name": "own-request",
                "duration_minutes": 30,
                "keypair_ids": [kp(lead, "shared-powershell")["id"]],
            },
        ).json()
        own = lead.post(f"{STM}/release-windows/{req['id']}/approve")
    assert req["status"] == "PENDING_APPROVAL"
    assert own.status_code == 403 and "requester" in own.json()["error"]["message"]


def test_restricted_keypair_refuses_users_outside_its_lists(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "signer") as signer:
        key = kp(lead, "shared-java-jars")
        lead.put(
            f"{STM}/keypairs/{key['id']}",
            json={
                "users": [lead.get("/account/api/v1/user/me").json()["id"]],
                "groups": [],
                "limit_by_users": True,
            },
        )
        # Not assigned to the signer any more: hidden from them, as if it did not exist.
        refused = sign(signer, key)
        assert refused.status_code == 404
        assert (
            signer.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["total"] == 0
        )
        lead.put(f"{STM}/keypairs/{key['id']}", json={"limit_by_users": False})
        assert kp(signer, "shared-java-jars")["is_signable_by_me"] is True
        assert sign(signer, key).status_code == 200
        # A Lead sees every keypair but signs only with those assigned to them.
        lead.put(
            f"{STM}/keypairs/{key['id']}",
            json={"users": [], "groups": [], "limit_by_users": True},
        )
        assert kp(lead, "shared-java-jars")["is_signable_by_me"] is False
        assert sign(lead, key).status_code == 403


def test_activity_simulator_signs_inside_open_windows(fresh_emulator: EmulatorServer) -> None:
    assert fresh_emulator.state is not None
    with api_client(fresh_emulator) as lead:
        before = lead.get(f"{STM}/signatures").json()["total"]
        simulator = ActivitySimulator(fresh_emulator.state, rng_seed=3)
        simulator.FAILURE_SHARE = 0.0
        assert all(simulator.tick() for _ in range(3))
        after = lead.get(f"{STM}/signatures", params={"status": "SUCCESS"}).json()
        failed_before = lead.get(f"{STM}/signatures", params={"status": "FAILED"}).json()["total"]
        assert simulator.failed_attempt()
        failed = lead.get(f"{STM}/signatures", params={"status": "FAILED", "limit": 100}).json()
    assert lead is not None and after["total"] + failed_before == before + 3
    assert failed["total"] == failed_before + 1
    assert failed["items"][-1]["failure_reason"] == "NOT_A_RELEASE_SIGNER"
