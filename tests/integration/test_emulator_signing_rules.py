"""Release windows and the signing rules: suspended keys, offline keys, signer lists,
maximum signature counts, restricted keypairs, the activity simulator."""

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


def test_suspended_keypair_cannot_sign_until_unsuspended(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        key = kp(c, "shared-java-jars")
        assert c.post(f"{STM}/keypairs/{key['id']}/suspend").json()["suspended"] is True
        refused = sign(c, key)
        assert refused.status_code == 422 and refused.json()["error"]["status"] == "invalid_state"
        assert c.post(f"{STM}/keypairs/{key['id']}/suspend").status_code == 422
        c.post(f"{STM}/keypairs/{key['id']}/unsuspend")
        assert sign(c, key).status_code == 200


def test_offline_keypair_signs_only_for_listed_signers_in_an_open_window(
    fresh_emulator: EmulatorServer,
) -> None:
    emulator = fresh_emulator
    with api_client(emulator, "signer") as signer, api_client(emulator) as dev:
        in_window = kp(signer, "desktop-installer-ev")  # desktop-4.3.0 is open, signer listed
        no_window = kp(signer, "shared-archive-2023")  # offline, in no release
        ok = sign(signer, in_window)
        assert ok.status_code == 200
        record = signer.get(f"{STM}/signatures/{ok.json()['id']}").json()
        assert record["release"]["name"] == "desktop-4.3.0"
        outside = sign(dev, no_window)
        assert outside.status_code == 422
        assert "release window" in outside.json()["error"]["message"]


def test_a_non_signer_of_the_open_window_is_refused(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:  # the lead is not a signer of platform-fw-7.1
        refused = sign(lead, kp(lead, "platform-firmware-update"))
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == "access_denied"


def test_release_max_signatures_is_enforced(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        key = kp(lead, "shared-python-wheels")
        created = lead.post(
            f"{STM}/release-windows",
            json={
                "name": "wheels-1.0",
                "release_type": "OFFLINE",
                "duration_minutes": 60,
                "keypair_ids": [key["id"]],
                "signer_ids": [lead.get("/account/api/v1/user/me").json()["id"]],
                "max_signatures": 2,
            },
        )
        assert created.status_code == 201, created.text
        release = created.json()
        assert release["status"] == "OPEN"  # a Lead's own request is approved; starts now
        assert sign(lead, key).status_code == 200
        assert sign(lead, key).status_code == 200
        third = sign(lead, key)
        assert third.status_code == 422 and "maximum" in third.json()["error"]["message"]
        after = lead.get(f"{STM}/release-windows/{release['id']}").json()
    assert after["signature_count"] == 2


def test_keypair_can_be_in_only_one_live_release(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as dev:
        key = kp(dev, "desktop-installer-ev")
        r = dev.post(
            f"{STM}/release-windows",
            json={"name": "clash", "duration_minutes": 30, "keypair_ids": [key["id"]]},
        )
    assert r.status_code == 409 and r.json()["error"]["status"] == "duplicate_error"


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
        closed = dev.post(f"{STM}/release-windows/{req['id']}/close").json()  # the requester
        assert closed["status"] == "CLOSED"


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
        refused = sign(signer, key)
        assert refused.status_code == 403
        assert kp(signer, "shared-java-jars")["is_signable_by_me"] is False
        lead.put(f"{STM}/keypairs/{key['id']}", json={"limit_by_users": False})
        assert sign(signer, key).status_code == 200


def test_activity_simulator_signs_inside_open_windows(fresh_emulator: EmulatorServer) -> None:
    assert fresh_emulator.state is not None
    with api_client(fresh_emulator) as lead:
        before = lead.get(f"{STM}/signatures").json()["total"]
        simulator = ActivitySimulator(fresh_emulator.state, rng_seed=3)
        assert all(simulator.tick() for _ in range(3))
        after = lead.get(f"{STM}/signatures").json()["total"]
    assert after == before + 3
