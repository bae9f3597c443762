"""Approval requests: keypair deletion and export, certificate revocation and offline
releases, decided by a second person with the right (issue 13)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client

INBOX = f"{STM}/approval-requests"


def pending(c: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    r = c.get(INBOX, params={"status": "PENDING", **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def by_kind(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["kind"]: i for i in items}


def test_the_lead_finds_one_pending_request_of_each_kind(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead:
        waiting = by_kind(pending(lead, awaiting_me=True))
    assert set(waiting) == {
        "KEYPAIR_DELETE",
        "KEYPAIR_EXPORT",
        "CERTIFICATE_REVOCATION",
        "OFFLINE_RELEASE",
    }
    delete = waiting["KEYPAIR_DELETE"]
    assert delete["requested_by_user"]["name"] == "Omar Haddad"
    assert delete["resource"] == {
        "type": "KEYPAIR",
        "id": delete["keypair"]["id"],
        "name": "desktop-legacy-signer",
    }
    assert delete["reason"] and delete["created_on"] < "2026-11-27T12:00:00Z"
    assert waiting["OFFLINE_RELEASE"]["release"]["name"] == "desktop-4.4.0-rc1"
    assert waiting["CERTIFICATE_REVOCATION"]["certificate"]["alias"].startswith("platform-rpm-repo")
    assert all(i["can_decide"] for i in waiting.values())


def test_a_developer_with_the_team_right_approves_a_deletion_and_it_is_carried_out(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "developer") as dev, api_client(fresh_emulator) as lead:
        request = by_kind(pending(dev, awaiting_me=True))["KEYPAIR_DELETE"]
        # Priya holds Approve keypair deletion in Desktop Apps, not as a role.
        assert "APPROVE_SM_KEYPAIR_DELETE" not in str(dev.get("/account/api/v1/user/me").json())
        done = dev.post(f"{INBOX}/{request['id']}/approve")
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "APPROVED"
        assert done.json()["decided_by_user"]["name"] == "Priya Raman"
        gone = lead.get(f"{STM}/keypairs/{request['keypair']['id']}")
        again = dev.post(f"{INBOX}/{request['id']}/approve")
    assert gone.status_code == 404
    assert again.status_code == 422


def test_nobody_decides_their_own_request_and_those_without_the_right_are_refused(
    fresh_emulator: EmulatorServer,
) -> None:
    with (
        api_client(fresh_emulator, "developer") as dev,
        api_client(fresh_emulator, "signer") as signer,
        api_client(fresh_emulator) as lead,
    ):
        key = dev.get(f"{STM}/keypairs", params={"alias": "desktop-nightly"}).json()["items"][0]
        made = dev.post(
            f"{STM}/keypairs/{key['id']}/delete-requests", json={"reason": "nightly retired"}
        )
        assert made.status_code == 201
        request = made.json()
        assert request["can_decide"] is False  # her own, though she holds the team right
        twice = dev.post(f"{STM}/keypairs/{key['id']}/delete-requests", json={})
        own = dev.post(f"{INBOX}/{request['id']}/approve")
        no_right = signer.post(f"{INBOX}/{request['id']}/reject")
        rejected = lead.post(f"{INBOX}/{request['id']}/reject", json={"reason": "still used"})
        still_there = lead.get(f"{STM}/keypairs/{key['id']}").status_code
    assert twice.status_code == 409
    assert own.status_code == 403 and "other than its requester" in own.json()["error"]["message"]
    assert no_right.status_code == 403
    assert rejected.json()["status"] == "REJECTED"
    assert rejected.json()["decision_reason"] == "still used"
    assert still_there == 200


def test_an_approved_export_is_downloaded_once_by_its_requester(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "developer") as dev:
        key = lead.get(f"{STM}/keypairs", params={"alias": "shared-docs-signing"}).json()["items"][
            0
        ]
        request = dev.post(f"{STM}/keypairs/{key['id']}/export-requests", json={}).json()
        early = dev.post(f"{INBOX}/{request['id']}/export")
        assert lead.post(f"{INBOX}/{request['id']}/approve").json()["status"] == "APPROVED"
        not_theirs = lead.post(f"{INBOX}/{request['id']}/export")
        export = dev.post(f"{INBOX}/{request['id']}/export")
        twice = dev.post(f"{INBOX}/{request['id']}/export")
    assert early.status_code == 422 and not_theirs.status_code == 403
    assert export.status_code == 200 and twice.status_code == 422
    body = export.json()
    private = serialization.load_pem_private_key(
        body["private_key_pem"].encode(), password=body["password"].encode()
    )
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64encode(public_der).decode() == key["public_key"]


def test_approving_a_revocation_request_revokes_the_certificate(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "team_lead") as tl:
        request = by_kind(pending(tl, awaiting_me=True))["CERTIFICATE_REVOCATION"]
        done = tl.post(f"{INBOX}/{request['id']}/approve")  # lead of Platform Services
        cert = tl.get(f"{STM}/certificates/{request['certificate']['id']}").json()
    assert done.status_code == 200
    assert cert["certificate_status"] == "REVOKED" and cert["revocation_reason"] == "superseded"


def test_offline_release_requests_are_decided_in_the_same_inbox(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        request = by_kind(pending(lead, awaiting_me=True))["OFFLINE_RELEASE"]
        done = lead.post(f"{INBOX}/{request['id']}/approve")
        release = lead.get(f"{STM}/release-windows/{request['release']['id']}").json()
        left = by_kind(pending(lead, awaiting_me=True))
    assert done.status_code == 200 and done.json()["status"] == "APPROVED"
    assert (
        release["status"] == "APPROVED" and release["approved_by_user"]["name"] == "Dana Whitfield"
    )
    assert "OFFLINE_RELEASE" not in left


def test_a_revocation_request_names_a_reason_and_the_requester_may_cancel(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "developer") as dev, api_client(fresh_emulator) as lead:
        cert = dev.get(
            f"{STM}/certificates", params={"certificate_status": "ACTIVE", "limit": 1}
        ).json()["items"][0]
        made = dev.post(
            f"{STM}/certificates/{cert['id']}/revocation-requests",
            json={"reason": "key_compromise", "notes": "laptop stolen"},
        ).json()
        assert made["revocation_reason"] == "key_compromise" and made["reason"] == "laptop stolen"
        assert made["id"] in {i["id"] for i in pending(lead, awaiting_me=True)}
        cancelled = dev.post(f"{INBOX}/{made['id']}/cancel").json()
        mine = dev.get(INBOX, params={"requested_by_me": True}).json()["items"]
    assert cancelled["status"] == "CANCELLED"
    assert made["id"] in {i["id"] for i in mine}
