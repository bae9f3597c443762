"""Fault injection (start-up spec and admin endpoint) and the request counter."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from stm_tui.emulator.faults import FaultSpec
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client, frozen_clock


def admin(emu: EmulatorServer) -> dict[str, str]:
    return {"x-emulator-admin-token": emu.admin_token}


def set_faults(emu: EmulatorServer, **spec: float) -> None:
    r = httpx.put(emu.url + "/_emulator/faults", json=spec, headers=admin(emu))
    assert r.status_code == 200, r.text


def test_faults_given_at_start_apply_to_api_routes_only(tmp_path: object) -> None:
    with EmulatorServer(
        faults="rate_limit_rate=1,retry_after=7", clock=frozen_clock, seed="empty"
    ) as emu:
        with api_client(emu) as c:
            limited = c.get(f"{STM}/keypairs")
            am = c.get("/account/api/v1/user/me")
        health = httpx.get(emu.url + "/_emulator/health")
    assert limited.status_code == am.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["error"]["status"] == "rate_limited"
    assert am.json()["errors"][0]["code"] == "rate_limited"
    assert health.status_code == 200


def test_server_errors_use_both_production_shapes(fresh_emulator: EmulatorServer) -> None:
    set_faults(fresh_emulator, error_rate=1)
    with api_client(fresh_emulator) as c:
        responses = [c.get(f"{STM}/keypairs") for _ in range(20)]
    statuses = {r.status_code for r in responses}
    assert statuses == {500, 503}
    for r in responses:
        body = r.json()
        if r.status_code == 500:
            assert isinstance(body["error"], str)  # {"error": "<plain string>"}
        else:
            assert body["error"]["status"] == "service_unavailable"
            assert int(r.headers["retry-after"]) > 0


def test_spring_style_500s_name_the_path(fresh_emulator: EmulatorServer) -> None:
    set_faults(fresh_emulator, spring_error_rate=1)
    with api_client(fresh_emulator) as c:
        stm = c.get(f"{STM}/certificates")
        am = c.get("/account/api/v1/user/me")
    assert stm.status_code == am.status_code == 500
    assert stm.json() == {
        "status": "500",
        "error": "Internal Server Error",
        "path": "/signingmanager/api/v1/certificates",
    }
    assert am.json()["path"] == "/account/api/v1/user/me"


def test_dropped_connections_raise_protocol_errors(fresh_emulator: EmulatorServer) -> None:
    set_faults(fresh_emulator, drop_rate=1)
    with api_client(fresh_emulator) as c:
        for _ in range(3):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                c.get(f"{STM}/keypairs")
    set_faults(fresh_emulator)
    with api_client(fresh_emulator) as c:
        assert c.get(f"{STM}/keypairs").status_code == 200  # the server itself is fine


def test_malformed_bodies_are_bad_json_or_truncated(fresh_emulator: EmulatorServer) -> None:
    set_faults(fresh_emulator, malformed_rate=1)
    kinds = set()
    with api_client(fresh_emulator) as c:
        for _ in range(12):
            try:
                r = c.get(f"{STM}/keypairs")
            except (httpx.RemoteProtocolError, httpx.ReadError):
                kinds.add("truncated")
                continue
            with pytest.raises(json.JSONDecodeError):
                r.json()
            kinds.add("bad json")
    assert kinds == {"truncated", "bad json"}


def test_admin_endpoints_need_their_token_and_validate(fresh_emulator: EmulatorServer) -> None:
    url = fresh_emulator.url + "/_emulator/faults"
    assert httpx.get(url).status_code == 401
    lead_key = fresh_emulator.credentials["users"]["lead"]["api_key"]
    assert httpx.get(url, headers={"x-emulator-admin-token": lead_key}).status_code == 401
    assert httpx.get(fresh_emulator.url + "/_emulator/stats").status_code == 401
    bad = httpx.put(url, json={"error_rate": 2}, headers=admin(fresh_emulator))
    assert bad.status_code == 400 and "error_rate" in bad.json()["error"]["message"]
    assert httpx.put(url, json={"nonsense": 1}, headers=admin(fresh_emulator)).status_code == 400
    spec = httpx.put(url, json={"latency_ms": 5}, headers=admin(fresh_emulator)).json()
    assert spec == {
        "latency_ms": 5,
        "error_rate": 0.0,
        "rate_limit_rate": 0.0,
        "drop_rate": 0.0,
        "malformed_rate": 0.0,
        "spring_error_rate": 0.0,
        "lost_answer_rate": 0.0,
        "retry_after": 2,
    }
    with api_client(fresh_emulator) as c:
        assert c.get(f"{STM}/teams").status_code == 200  # latency alone changes nothing else


def test_stats_count_each_request_once_per_route(fresh_emulator: EmulatorServer) -> None:
    httpx.delete(fresh_emulator.url + "/_emulator/stats", headers=admin(fresh_emulator))
    with api_client(fresh_emulator) as c:
        kp = c.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["items"][0]
        c.post(
            f"{STM}/keypairs/{kp['id']}/sign",
            json={"hash": base64.b64encode(bytes(32)).decode(), "sig_alg": "SHA256withRSA"},
        )
        c.get(f"{STM}//keypairs/{kp['id']}")  # refused, and counted as sent
    stats = httpx.get(fresh_emulator.url + "/_emulator/stats", headers=admin(fresh_emulator)).json()
    assert stats["requests"] == {
        "GET /signingmanager/api/v1/keypairs": 1,
        "POST /signingmanager/api/v1/keypairs/{keypair_id}/sign": 1,
        f"GET /signingmanager/api/v1//keypairs/{kp['id']}": 1,
    }
    assert stats["total"] == 3


def test_faulted_requests_are_counted_too(fresh_emulator: EmulatorServer) -> None:
    set_faults(fresh_emulator, error_rate=1)
    httpx.delete(fresh_emulator.url + "/_emulator/stats", headers=admin(fresh_emulator))
    with api_client(fresh_emulator) as c:
        c.post(f"{STM}/keypairs", json={"alias": "never-made", "key_alg": "EDDSA"})
    stats = httpx.get(fresh_emulator.url + "/_emulator/stats", headers=admin(fresh_emulator)).json()
    assert stats["requests"] == {"POST /signingmanager/api/v1/keypairs": 1}


@pytest.mark.parametrize(
    "spec", ["latency_ms", "error_rate=lots", "error_rate=1.5", "drop_rate=-0.1", "unknown=1"]
)
def test_bad_fault_specs_are_refused_up_front(spec: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(spec)


def test_the_issue_example_spec_parses() -> None:
    spec = FaultSpec.parse(
        "latency_ms=200,error_rate=0.3,rate_limit_rate=0.1,drop_rate=0.05,malformed_rate=0.05"
    )
    assert spec.latency_ms == 200 and spec.error_rate == 0.3 and spec.active
