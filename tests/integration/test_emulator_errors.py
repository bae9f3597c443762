"""Every error shape the contract documents, and that bad input never half-writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, FROZEN_NOW, STM, api_client


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "not-a-key"}])
def test_missing_or_unknown_key_is_401_in_both_shapes(
    emulator: EmulatorServer, headers: dict[str, str]
) -> None:
    stm = httpx.get(f"{emulator.url}{STM}/keypairs", headers=headers)
    am = httpx.get(f"{emulator.url}{AM}/user", headers=headers)
    assert stm.status_code == am.status_code == 401
    assert stm.json()["error"]["status"] == "invalid_api_key"
    assert am.json()["errors"][0]["code"] == "invalid_api_key"


def test_expired_and_disabled_credentials_are_401(tmp_path: Path) -> None:
    now = [FROZEN_NOW]
    emulator = EmulatorServer(data_dir=tmp_path / "emu", clock=lambda: now[0])
    with emulator as fresh_emulator, api_client(fresh_emulator) as lead:
        in_the_past = lead.post(f"{AM}/api-token", json={"name": "old", "end_date": "2026-11-26"})
        assert in_the_past.status_code == 422
        expiring = lead.post(f"{AM}/api-token", json={"name": "today", "end_date": "2026-11-27"})
        assert expiring.json()["end_date"] == "2026-11-27T23:59:59Z"
        svc = lead.post(
            f"{AM}/user",
            json={"user_type": "service", "friendly_name": "ci bot 2", "roles": ["SSM_SIGNER"]},
        ).json()
        assert svc["api_token"] and svc["end_date"] is None
        with httpx.Client(
            base_url=fresh_emulator.url, headers={"x-api-key": svc["api_token"]}
        ) as bot:
            assert bot.get(f"{AM}/user/me").status_code == 200
            lead.put(f"{AM}/user/{svc['id']}", json={"status": "DISABLED"})
            assert bot.get(f"{AM}/user/me").status_code == 401
        url, token = f"{fresh_emulator.url}{STM}/keypairs", expiring.json()["token"]
        assert httpx.get(url, headers={"x-api-key": token}).status_code == 200
        now[0] = FROZEN_NOW + timedelta(hours=12)  # 2026-11-28T00:00:00Z: past 23:59:59
        assert httpx.get(url, headers={"x-api-key": token}).status_code == 401


def test_unknown_resources_are_404_resource_not_found(emulator: EmulatorServer) -> None:
    missing = "0b0e3a6c-1111-4222-8333-944455556666"
    with api_client(emulator) as c:
        for path in (
            f"{STM}/certificates/{missing}",
            f"{STM}/release-windows/{missing}",
            f"{STM}/signatures/{missing}",
            f"{STM}/scans/{missing}",
            f"{STM}/teams/{missing}",
        ):
            r = c.get(path)
            assert r.status_code == 404, path
            assert r.json()["error"]["status"] == "resource_not_found"
        am = c.get(f"{AM}/user/{missing}")
    assert am.status_code == 404 and am.json()["errors"][0]["code"] == "resource_not_found"


@pytest.mark.parametrize(
    "path", [f"{STM}/no-such-thing", f"{AM}/no-such-thing", "/no/such/host/path", f"{STM}/"]
)
def test_unknown_paths_answer_production_path_not_found(
    emulator: EmulatorServer, path: str
) -> None:
    with api_client(emulator) as c:
        r = c.get(path)
    assert r.status_code == 404
    assert r.json() == {"errors": [{"code": "INTERNAL_SERVER_ERROR", "message": "Path not found"}]}


@pytest.mark.parametrize(
    "path", [f"{STM}//keypairs", "/signingmanager//api/v1/keypairs", f"{AM}/user//me"]
)
def test_a_duplicate_slash_is_an_html_error_never_folded(
    emulator: EmulatorServer, path: str
) -> None:
    with api_client(emulator) as c:
        r = c.get(path)
        post = c.post(f"{STM}//keypairs", json={"alias": "slash-key", "key_alg": "EDDSA"})
        made = c.get(f"{STM}/keypairs", params={"alias": "slash-key"}).json()
    assert r.status_code == post.status_code == 400
    assert r.headers["content-type"].startswith("text/html") and "<html>" in r.text
    assert made["total"] == 0  # never folded onto the real route


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alias": "ok-alias", "key_alg": "RSA", "key_size": 1024}, "key_size"),
        ({"alias": "ok-alias", "key_alg": "ECDSA", "curve": "P999"}, "curve"),
        ({"alias": "ok-alias", "key_alg": "DSA"}, "key_alg"),
        ({"alias": "abc-123", "key_alg": "EDDSA"}, "alias"),
        ({"alias": "has space", "key_alg": "EDDSA"}, "alias"),
        ({"key_alg": "EDDSA"}, "alias"),
        ({"alias": 42, "key_alg": "EDDSA"}, "alias"),
        ({"alias": "x" * 65, "key_alg": "EDDSA"}, "alias"),
        ({"alias": "ok-alias", "key_alg": "EDDSA", "users": ["no body"]}, "users.0"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    emulator: EmulatorServer, body: object, field: str
) -> None:
    with api_client(emulator) as c:
        r = c.post(f"{STM}/keypairs", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["status"] == "invalid_input_field"
    assert r.json()["error"]["message"].startswith(f"{field}:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alias": "ok-alias", "key_alg": "RSA"}, "key_size"),
        ({"alias": "ok-alias", "key_alg": "EDDSA", "users": ["nobody"]}, "users"),
        (
            {"alias": "ok-alias", "key_alg": "EDDSA", "keypair_profile_id": "nope"},
            "keypair_profile_id",
        ),
    ],
)
def test_well_formed_but_impossible_bodies_are_422_naming_the_field(
    emulator: EmulatorServer, body: object, field: str
) -> None:
    """Each field is valid alone, so the OpenAPI document allows it: 422, not 400."""
    with api_client(emulator) as c:
        r = c.post(f"{STM}/keypairs", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"].startswith(f"{field}:")


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_unparseable_bodies_are_400(emulator: EmulatorServer, content: bytes) -> None:
    with api_client(emulator) as c:
        r = c.post(f"{STM}/keypairs", content=content, headers={"content-type": "application/json"})
        am = c.post(f"{AM}/user", content=content, headers={"content-type": "application/json"})
    assert r.status_code == am.status_code == 400
    assert r.json()["error"]["status"] == "invalid_input_field"
    assert am.json()["errors"][0]["code"] == "invalid_input_field"


def test_unknown_fields_are_ignored(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        r = c.post(
            f"{STM}/keypairs",
            json={
                "alias": "extra-fields",
                "key_alg": "EDDSA",
                "colour": "blue",
                "nested": {"x": [1]},
            },
        )
    assert r.status_code == 201 and "colour" not in r.json()


def test_duplicates_are_409_and_state_errors_422(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        dup = c.post(f"{STM}/keypairs", json={"alias": "shared-java-jars", "key_alg": "EDDSA"})
        assert dup.status_code == 409 and dup.json()["error"]["status"] == "duplicate_error"
        revoked = c.get(f"{STM}/certificates", params={"certificate_status": "REVOKED"}).json()
        again = c.post(f"{STM}/certificates/{revoked['items'][0]['id']}/revoke", json={})
        assert again.status_code == 422 and again.json()["error"]["status"] == "invalid_state"
        user = c.post(f"{AM}/user", json={"email": "dana.whitfield@acme.example"})
    assert user.status_code == 409 and user.json()["errors"][0]["code"] == "duplicate_error"


def test_a_failing_write_leaves_nothing_behind(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        before = c.get(f"{STM}/keypairs").json()["total"]
        audit_before = c.get(f"{STM}/audit-log").json()["total"]
        # The keypair is fine, but its certificate alias is taken: the whole create fails.
        r = c.post(
            f"{STM}/keypairs",
            json={
                "alias": "half-written",
                "key_alg": "EDDSA",
                "generate_cert": True,
                "cert_alias": "shared-java-jars-cert",
            },
        )
        assert r.status_code == 409
        assert c.get(f"{STM}/keypairs", params={"alias": "half-written"}).json()["total"] == 0
        assert c.get(f"{STM}/keypairs").json()["total"] == before
        assert c.get(f"{STM}/audit-log").json()["total"] == audit_before


def test_public_profile_needs_certcentral(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        ev = next(
            p
            for p in c.get(f"{STM}/certificate-profiles").json()["items"]
            if p["hierarchy"] == "PUBLIC"
        )
        key = c.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["items"][0]
        c.delete(f"{STM}/account-settings/certcentral")
        refused = c.post(
            f"{STM}/keypairs/{key['id']}/certificates",
            json={"alias": "ev-two", "certificate_profile_id": ev["id"]},
        )
        assert refused.status_code == 422
        assert "set up" in refused.json()["error"]["message"]
        c.put(f"{STM}/account-settings/certcentral", json={"api_key": "secretcckey" * 3 + "9f3a"})
        settings = c.get(f"{STM}/account-settings").json()
        issued = c.post(
            f"{STM}/keypairs/{key['id']}/certificates",
            json={"alias": "ev-two", "certificate_profile_id": ev["id"]},
        )
    assert settings["certcentral"]["api_key_hint"] == "…9f3a"
    assert "secretcckey" not in str(settings)
    assert settings["certcentral"]["connected"] is True
    assert issued.status_code == 201 and issued.json()["hierarchy"] == "PUBLIC"


def test_delete_revokes_the_keypairs_certificates(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        key = c.get(f"{STM}/keypairs", params={"alias": "shared-msix-bundles"}).json()["items"][0]
        assert c.delete(f"{STM}/keypairs/{key['id']}").status_code == 204
        assert c.get(f"{STM}/keypairs/{key['id']}").status_code == 404
        certs = c.get(f"{STM}/certificates", params={"keypair_id": key["id"]}).json()["items"]
    assert certs and all(cert["certificate_status"] == "REVOKED" for cert in certs)
