"""Release windows: the guard rails at creation and blocking on a failed scan (issue 13)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client

DIGEST = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="  # SHA-256 of "abc"


def kp(c: httpx.Client, alias: str) -> dict[str, Any]:
    return dict(c.get(f"{STM}/keypairs", params={"alias": alias}).json()["items"][0])


def create(c: httpx.Client, **body: Any) -> httpx.Response:
    base: dict[str, Any] = {"name": "guard-test", "release_type": "ONLINE", "duration_minutes": 60}
    base.update(body)
    return c.post(f"{STM}/release-windows", json=base)


def refusal(r: httpx.Response) -> tuple[str, str]:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    return error["status"], error["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"keypair_ids": ["mobile-wearables"]}, "keypair_ids", "no active certificate"),
        ({"keypair_ids": ["desktop-legacy-signer"]}, "keypair_ids", "no active certificate"),
        # shared-powershell's only certificate ends within weeks (the demo's "expiring").
        (
            {"keypair_ids": ["shared-powershell"], "duration_minutes": 60 * 24 * 60},
            "keypair_ids",
            "inside the window",
        ),
        (
            {"keypair_ids": ["shared-java-jars"], "start_time": "2026-11-27T11:50:00Z"},
            "start_time",
            "in the past",
        ),
        ({"keypair_ids": ["shared-java-jars"], "max_signatures": 0}, "max_signatures", "zero"),
    ],
)
def test_guard_rails_refuse_with_the_field_and_the_reason(
    emulator: EmulatorServer, body: dict[str, Any], field: str, words: str
) -> None:
    with api_client(emulator) as lead:
        body["keypair_ids"] = [kp(lead, a)["id"] for a in body["keypair_ids"]]
        status, message = refusal(create(lead, **body))
    assert status == "invalid_state"
    assert message.startswith(f"{field}: ") and words in message


def test_a_keypair_in_another_window_of_the_same_time_is_refused_at_any_other_time_not(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        key = kp(lead, "platform-container-sign")  # in platform-q4-hotfix until tomorrow 09:00
        clash = create(lead, keypair_ids=[key["id"]])
        later = create(
            lead,
            keypair_ids=[key["id"]],
            start_time="2026-11-29T00:00:00Z",
            end_time="2026-11-29T06:00:00Z",
        )
    status, message = refusal(clash)
    assert status == "invalid_state" and "platform-q4-hotfix" in message
    assert later.status_code == 201


def test_a_start_within_the_grace_minutes_is_accepted(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        r = create(
            lead,
            keypair_ids=[kp(lead, "shared-java-jars")["id"]],
            start_time="2026-11-27T11:57:00Z",
        )
    assert r.status_code == 201 and r.json()["status"] == "OPEN"


def test_account_preferences_give_the_defaults(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as lead:
        lead.put(
            f"{STM}/account-settings",
            json={
                "release_preferences": {
                    "block_signing_on_failed_scan": "YES",
                    "default_purpose": "DETECT_THREATS_AND_SIGN",
                }
            },
        )
        made = create(lead, keypair_ids=[kp(lead, "shared-java-jars")["id"]]).json()
        explicit = create(
            lead,
            name="guard-test-2",
            keypair_ids=[kp(lead, "shared-nuget-packages")["id"]],
            block_on_failed_scan=False,
            purpose="SIGN",
        ).json()
    assert made["block_on_failed_scan"] is True and made["purpose"] == "DETECT_THREATS_AND_SIGN"
    assert explicit["block_on_failed_scan"] is False and explicit["purpose"] == "SIGN"


def sign(c: httpx.Client, key: dict[str, Any]) -> httpx.Response:
    sig_alg = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}
    return c.post(
        f"{STM}/keypairs/{key['id']}/sign",
        json={"hash": DIGEST, "sig_alg": sig_alg[key["key_alg"]]},
    )


def test_signing_stops_while_the_windows_scan_fails_when_it_blocks(
    fresh_emulator: EmulatorServer,
) -> None:
    fresh_emulator.state.scan_delay = 0  # type: ignore[union-attr]
    with api_client(fresh_emulator) as lead:
        me = lead.get(f"{AM}/user/me").json()["id"]
        key = kp(lead, "shared-java-jars")
        lead.put(f"{STM}/keypairs/{key['id']}", json={"users": [me]})
        window = create(
            lead,
            keypair_ids=[key["id"]],
            signer_ids=[me],
            purpose="DETECT_THREATS_AND_SIGN",
            block_on_failed_scan=True,
            project="java-libs",
        ).json()
        assert sign(lead, key).status_code == 200  # no scan yet
        scan = lead.post(
            f"{STM}/scans",
            params={
                "project": "java-libs",
                "alias": "jars-1",
                "version": "1.0",
                "release_id": window["id"],
            },
            content=b"bundle with log4j-core-2.14.1.jar inside",
            headers={"content-type": "application/octet-stream"},
        ).json()
        assert scan["status"] == "FAIL"
        blocked = sign(lead, key)
        failed = lead.get(
            f"{STM}/signatures", params={"release_id": window["id"], "status": "FAILED"}
        ).json()["items"]
        fixed = lead.post(
            f"{STM}/scans",
            params={
                "project": "java-libs",
                "alias": "jars-2",
                "version": "1.0.1",
                "release_id": window["id"],
            },
            content=b"bundle with log4j-core-2.17.1.jar inside",
            headers={"content-type": "application/octet-stream"},
        ).json()
        after = sign(lead, key)
    assert blocked.status_code == 422 and "threat scan" in blocked.json()["error"]["message"]
    assert [f["failure_reason"] for f in failed] == ["SCAN_FAILED"]
    assert fixed["status"] == "PASS" and after.status_code == 200
