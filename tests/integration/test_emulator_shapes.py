"""Every endpoint's response shape, as a client sees it over HTTP."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from cryptography import x509

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

KEYPAIR_KEYS = {
    "id",
    "alias",
    "key_alg",
    "key_size",
    "curve",
    "key_type",
    "key_storage",
    "key_status",
    "key_modal_type",
    "public_key",
    "certificates",
    "number_of_active_certificates",
    "account",
    "limit_by_users",
    "users",
    "groups",
    "is_signable_by_me",
    "keypair_profile",
    "created_on",
    "created_by",
    "created_by_user",
    "modified_on",
    "modified_by_user",
    "hsm_partition_details",
    "team_ids",
}
CERT_KEYS = {
    "id",
    "alias",
    "cert",
    "chain",
    "certificate_fingerprint",
    "certificate_status",
    "valid_from",
    "valid_to",
    "default_cert",
    "keypair",
    "account",
    "certificate_profile",
    "hierarchy",
    "certificate_type",
    "enrollment_method",
    "organization",
    "ca_certificate",
    "custom_fields",
    "auto_renewal",
    "serial_number",
    "subject",
    "revoked_on",
    "revocation_reason",
    "created_on",
    "created_by",
    "created_by_user",
    "modified_on",
    "modified_by",
    "modified_by_user",
}


def envelope(body: Any) -> list[dict[str, Any]]:
    assert set(body) == {"total", "offset", "limit", "items"}
    assert isinstance(body["items"], list)
    return list(body["items"])


def test_keypair_objects_carry_every_contract_field(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        items = envelope(c.get(f"{STM}/keypairs", params={"limit": 100}).json())
    assert len(items) >= 30
    for kp in items:
        assert set(kp) == KEYPAIR_KEYS
        assert UUID.match(kp["id"]) and TIMESTAMP.match(kp["created_on"])
        assert not re.fullmatch(r"[0-9a-f-]+", kp["alias"])  # jsign's id test must fail
        assert set(kp["account"]) == {
            "id",
            "name",
            "cert_central_integration_allowed",
            "dynamic_test_keypair_allowed",
            "gpg_enabled",
            "is_csr_gen_enabled",
        }
        base64.b64decode(kp["public_key"], validate=True)
    algs = {(kp["key_alg"], kp["key_size"] or kp["curve"]) for kp in items}
    assert {
        ("RSA", 2048),
        ("RSA", 3072),
        ("RSA", 4096),
        ("ECDSA", "P256"),
        ("ECDSA", "P384"),
        ("ECDSA", "P521"),
        ("EDDSA", "Ed25519"),
    } <= algs
    assert {kp["key_status"] for kp in items} == {"ONLINE", "OFFLINE"}
    # Suspended is OFFLINE, nothing else (C: N6): no separate flag on any keypair.
    assert not any("suspended" in kp for kp in items)
    suspended = next(kp for kp in items if kp["alias"] == "shared-suspended-key")
    assert suspended["key_status"] == "OFFLINE"


def test_certificates_are_real_x509_with_the_documented_chain(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        items = envelope(c.get(f"{STM}/certificates", params={"limit": 100}).json())
    statuses = {cert["certificate_status"] for cert in items}
    assert statuses == {"ACTIVE", "REVOKED", "EXPIRED"}
    for cert in items:
        assert set(cert) == CERT_KEYS
        parsed = x509.load_der_x509_certificate(base64.b64decode(cert["cert"]))
        assert format(parsed.serial_number, "x") == cert["serial_number"]
        assert parsed.subject.rfc4514_string() == cert["subject"]
        assert [link["cert_type"] for link in cert["chain"]] == ["intermediate", "root"]
        intermediate = x509.load_der_x509_certificate(base64.b64decode(cert["chain"][0]["blob"]))
        parsed.verify_directly_issued_by(intermediate)
        eku = parsed.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert x509.oid.ExtendedKeyUsageOID.CODE_SIGNING in eku
    expired = [c for c in items if c["certificate_status"] == "EXPIRED"]
    assert all(c["valid_to"] <= "2026-11-27T12:00:00Z" for c in expired)


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        (
            "/release-windows",
            {
                "id",
                "name",
                "version",
                "team_id",
                "release_type",
                "purpose",
                "status",
                "start_time",
                "end_time",
                "keypairs",
                "users",
                "max_signatures",
                "signature_count",
                "block_on_failed_scan",
                "project",
                "notes",
                "approved_by_user",
                "approved_on",
                "rejection_reason",
                "created_on",
                "created_by_user",
                "modified_on",
            },
        ),
        (
            "/signatures",
            {
                "id",
                "keypair",
                "certificate",
                "release",
                "user",
                "keypair_type",
                "signature_type",
                "sig_alg",
                "hash",
                "signature",
                "status",
                "failure_reason",
                "failure_message",
                "client_ip",
                "created_on",
                "sequence",
            },
        ),
        (
            "/scans",
            {
                "id",
                "alias",
                "project",
                "release",
                "version",
                "file_name",
                "checksum",
                "checksum_type",
                "tool",
                "deleted",
                "status",
                "risk_level",
                "finding_counts",
                "reports",
                "created_on",
                "completed_on",
                "created_by_user",
            },
        ),
        (
            "/teams",
            {
                "id",
                "name",
                "description",
                "status",
                "members",
                "resource_counts",
                "created_on",
                "created_by",
                "modified_on",
                "modified_by",
            },
        ),
        (
            "/audit-log",
            {
                "id",
                "account_id",
                "resource_type",
                "resource_id",
                "action",
                "status",
                "user_id",
                "user_name",
                "client_ip",
                "details",
                "created_on",
            },
        ),
        (
            "/keypair-profiles",
            {
                "id",
                "name",
                "profile_type",
                "scope",
                "key_status",
                "key_alg",
                "key_size",
                "curve",
                "key_type",
                "key_storage",
                "enabled",
                "active_from",
                "status",
                "teams",
                "created_on",
                "created_by",
                "modified_on",
            },
        ),
        (
            "/certificate-profiles",
            {
                "id",
                "name",
                "status",
                "hierarchy",
                "certificate_type",
                "enrollment_method",
                "validity_days",
                "allowed_key_algs",
                "subject_template",
                "teams",
                "created_on",
                "modified_on",
            },
        ),
    ],
)
def test_stm_lists_use_the_envelope_and_documented_fields(
    emulator: EmulatorServer, path: str, keys: set[str]
) -> None:
    with api_client(emulator) as c:
        items = envelope(c.get(STM + path).json())
    assert items
    for item in items:
        assert set(item) == keys


def test_release_windows_cover_past_open_and_upcoming(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        releases = envelope(c.get(f"{STM}/release-windows", params={"limit": 100}).json())
    assert {"OPEN", "CLOSED", "EXPIRED", "APPROVED", "PENDING_APPROVAL"} <= {
        r["status"] for r in releases
    }
    open_offline = [r for r in releases if r["status"] == "OPEN" and r["max_signatures"]]
    assert open_offline and all(r["signature_count"] > 0 for r in open_offline)


def test_scans_include_findings_only_in_detail(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        scans = envelope(c.get(f"{STM}/scans").json())
        failed = next(s for s in scans if s["status"] == "FAIL")
        detail = c.get(f"{STM}/scans/{failed['id']}").json()
    assert {s["status"] for s in scans} >= {"PASS", "FAIL", "IN_PROGRESS"}
    assert detail["findings"] and sum(failed["finding_counts"].values()) == len(detail["findings"])
    assert set(detail["findings"][0]) == {
        "id",
        "category",
        "severity",
        "title",
        "detail",
        "component",
        "cve",
        "path",
    }


def test_account_settings_never_return_the_certcentral_key(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        settings = c.get(f"{STM}/account-settings").json()
    assert set(settings) == {
        "account",
        "require_keypair_profile",
        "certcentral",
        "release_preferences",
        "modified_on",
    }
    assert "api_key" not in settings["certcentral"]
    assert settings["certcentral"]["api_key_hint"].startswith("…")


def test_account_manager_lists_are_bare_arrays(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        users = c.get(f"{AM}/user").json()
        service = c.get(f"{AM}/user", params={"user_type": "service"}).json()
        roles = c.get(f"{AM}/role").json()
        accounts = c.get(f"{AM}/account").json()
        tokens = c.get(f"{AM}/api-token").json()
        me = c.get(f"{AM}/user/me").json()
        audit = c.get(f"{AM}/audit-log").json()
    for value in (users, service, roles, accounts, tokens, audit):
        assert isinstance(value, list)
    assert len(users) >= 10 and len(service) == 2
    assert {r["code"] for r in roles if r["application_code"] == "software_trust"} == {
        "SSM_LEAD",
        "SSM_TEAM_LEAD",
        "SSM_DEVELOPER",
        "SSM_SIGNER",
        "SSM_BUILD_ENGINEER",
    }
    assert len(accounts) == 2
    assert {
        "id",
        "email",
        "name",
        "status",
        "access_scope",
        "primary_account_id",
        "accounts",
        "created_at",
        "created_by",
        "user_type",
        "friendly_name",
        "description",
        "locale",
        "end_date",
        "applications",
        "teams",
        "two_factor_enabled",
        "authenticator_enrolled",
        "active_client_certificates",
        "client_certificate_valid_to",
        "two_factor_ready",
    } == set(me)
    assert me["applications"][0]["roles"][0]["code"] == "SSM_LEAD"
    assert all("token" not in t and t["key_hint"].startswith("…") for t in tokens)


def test_every_role_user_exists_with_its_role(emulator: EmulatorServer) -> None:
    expected = {
        "lead": "SSM_LEAD",
        "team_lead": "SSM_TEAM_LEAD",
        "developer": "SSM_DEVELOPER",
        "signer": "SSM_SIGNER",
        "build_engineer": "SSM_BUILD_ENGINEER",
    }
    for role, code in expected.items():
        with api_client(emulator, role) as c:
            me = c.get(f"{AM}/user/me").json()
        assert me["id"] == emulator.credentials["users"][role]["id"]
        assert code in [r["code"] for r in me["applications"][0]["roles"]]


def test_certificate_download_pem_and_der(fresh_emulator: EmulatorServer) -> None:
    # A download is an audit entry (Download), so not on the shared emulator.
    with api_client(fresh_emulator) as c:
        cert = envelope(c.get(f"{STM}/certificates", params={"limit": 1}).json())[0]
        pem = c.get(f"{STM}/certificates/{cert['id']}/download")
        der = c.get(f"{STM}/certificates/{cert['id']}/download", params={"format": "der"})
        logged = c.get(f"{STM}/audit-log", params={"resource_id": cert["id"]}).json()["items"]
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    assert pem.text.count("BEGIN CERTIFICATE") == 3
    assert der.headers["content-type"] == "application/pkix-cert"
    assert der.content == base64.b64decode(cert["cert"])
    assert [e["action"] for e in logged].count("Download") == 2


def test_health_and_openapi_need_no_key(emulator: EmulatorServer) -> None:
    import httpx

    assert httpx.get(emulator.url + "/_emulator/health").json()["status"] == "ok"
    spec = httpx.get(emulator.url + "/openapi.json").json()
    assert f"{STM}/keypairs/{{keypair_id}}/sign" in spec["paths"]


def test_demo_seed_is_deterministic(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same rng seed and clock: same ids, aliases and dates; only key material differs."""
    from stm_tui.emulator import server as server_module
    from tests.conftest import frozen_clock

    def snapshot(directory: str) -> tuple[list[tuple[str, str, str]], set[str]]:
        monkeypatch.setattr(server_module, "_TEMPLATES", {})  # really seed, no copy
        with (
            EmulatorServer(data_dir=tmp_path / directory, clock=frozen_clock) as emu,
            api_client(emu) as c,
        ):
            items = envelope(c.get(f"{STM}/keypairs", params={"limit": 100}).json())
        return (
            [(kp["id"], kp["alias"], kp["created_on"]) for kp in items],
            {kp["public_key"] for kp in items},
        )

    rows_one, keys_one = snapshot("one")
    rows_two, keys_two = snapshot("two")
    assert rows_one == rows_two
    assert not keys_one & keys_two
