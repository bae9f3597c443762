"""The TLS listener and the two factors, for real: it asks for a client certificate but does
not require one; reads work with the API key alone; signing, keypair generation and import
and certificate generation answer 403 without the certificate (C: N5, N8); a certificate
must belong to the API key's user."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from stm_tui.emulator.context import SIGN_MFA_MESSAGE
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, frozen_clock

DIGEST = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with EmulatorServer(
        data_dir=tmp_path_factory.mktemp("tls"), tls=True, clock=frozen_clock
    ) as emu:
        yield emu


def context_for_p12(
    emu: EmulatorServer, p12: bytes, password: str, tmp_path: Path
) -> ssl.SSLContext:
    assert emu.ca_file is not None
    ctx = ssl.create_default_context(cafile=str(emu.ca_file))
    key, cert, _extra = pkcs12.load_key_and_certificates(p12, password.encode())
    assert key is not None and cert is not None
    one_time = b"test-only-passphrase"
    pem = tmp_path / f"client-{cert.serial_number}.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(one_time),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    ctx.load_cert_chain(str(pem), password=one_time)
    return ctx


def context_with_client_cert(emu: EmulatorServer, role: str, tmp_path: Path) -> ssl.SSLContext:
    p12_path, password = emu.client_p12(role)
    return context_for_p12(emu, p12_path.read_bytes(), password, tmp_path)


def client(
    emu: EmulatorServer, role: str | None, verify: Any, key_of: str | None = None
) -> httpx.Client:
    headers = {}
    if key_of or role:
        headers["x-api-key"] = emu.credentials["users"][key_of or role]["api_key"]
    return httpx.Client(base_url=emu.url, verify=verify, headers=headers, timeout=10)


def no_cert(emu: EmulatorServer) -> ssl.SSLContext:
    assert emu.ca_file is not None
    return ssl.create_default_context(cafile=str(emu.ca_file))


def keypair(c: httpx.Client, alias: str) -> dict[str, Any]:
    return dict(c.get(f"{STM}/keypairs", params={"alias": alias}).json()["items"][0])


def test_reads_work_with_the_api_key_alone(tls_emulator: EmulatorServer) -> None:
    assert tls_emulator.url.startswith("https://127.0.0.1:")
    with client(tls_emulator, "signer", no_cert(tls_emulator)) as c:
        r = c.get(f"{STM}/keypairs")
    assert r.status_code == 200 and r.json()["total"] > 0


def test_signing_without_the_certificate_is_403_and_logged(tls_emulator: EmulatorServer) -> None:
    with client(tls_emulator, "lead", no_cert(tls_emulator)) as c:
        key = keypair(c, "shared-java-jars")
        refused = c.post(
            f"{STM}/keypairs/{key['id']}/sign", json={"hash": DIGEST, "sig_alg": "SHA256withRSA"}
        )
        logged = c.get(
            f"{STM}/signatures", params={"keypair_id": key["id"], "status": "FAILED"}
        ).json()["items"]
    assert refused.status_code == 403
    assert refused.json() == {"error": {"status": "access_denied", "message": SIGN_MFA_MESSAGE}}
    assert SIGN_MFA_MESSAGE.startswith(
        "User is not multi-factor authenticated. Missing Client Authentication Certificate."
    )
    assert [s["failure_reason"] for s in logged] == ["MISSING_SECOND_FACTOR"]
    assert logged[0]["hash"] == DIGEST and logged[0]["sig_alg"] == "SHA256withRSA"


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/keypairs", "keypair generation operation"),
        ("/keypairs/import", "keypair import operation"),
        ("/keypairs/shared-java-jars/certificates", "certificate generation operation"),
    ],
)
def test_generation_and_import_need_the_certificate_too(
    tls_emulator: EmulatorServer, path: str, operation: str
) -> None:
    """Checked before the body: an empty body probes the factors without side effects."""
    with client(tls_emulator, "lead", no_cert(tls_emulator)) as c:
        r = c.post(f"{STM}{path}", json={})
    assert r.status_code == 403
    message = r.json()["error"]["message"]
    assert "Missing Client Authentication Certificate" in message
    assert message.endswith(f"for performing {operation}.")


def test_both_factors_sign_and_generate(tls_emulator: EmulatorServer, tmp_path: Path) -> None:
    ctx = context_with_client_cert(tls_emulator, "lead", tmp_path)
    with client(tls_emulator, "lead", ctx) as c:
        key = keypair(c, "shared-java-jars")
        signed = c.post(
            f"{STM}/keypairs/{key['id']}/sign", json={"hash": DIGEST, "sig_alg": "SHA256withRSA"}
        )
        probe = c.post(f"{STM}/keypairs", json={})  # past both factors: the body is checked
        made = c.post(f"{STM}/keypairs", json={"alias": "two-factor-key", "key_alg": "EDDSA"})
        private = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        imported = c.post(
            f"{STM}/keypairs/import",
            json={"alias": "imported-key", "private_key": base64.b64encode(private).decode()},
        )
    assert signed.status_code == 200 and probe.status_code == 400
    assert made.status_code == 201
    assert imported.status_code == 201 and imported.json()["curve"] == "P256"


def test_a_certificate_of_another_user_is_refused(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    ctx = context_with_client_cert(tls_emulator, "signer", tmp_path)
    with client(tls_emulator, "lead", ctx) as c:  # the Lead's key, the Signer's certificate
        r = c.get(f"{STM}/keypairs")
    assert r.status_code == 401
    assert "belongs to another user" in r.json()["error"]["message"]


def test_account_manager_takes_the_certificate_alone(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    ctx = context_with_client_cert(tls_emulator, "developer", tmp_path)
    with client(tls_emulator, None, ctx) as c:
        me = c.get(f"{AM}/user/me")
        stm = c.get(f"{STM}/keypairs")
    assert me.status_code == 200
    assert me.json()["id"] == tls_emulator.credentials["users"]["developer"]["id"]
    assert stm.status_code == 401  # STM wants the API key


def test_an_untrusted_server_certificate_is_rejected(tls_emulator: EmulatorServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(tls_emulator.url + "/_emulator/health", verify=ssl.create_default_context())


def test_issued_client_certificates_belong_to_a_token(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """POST /client-certificate: a generated password shown once, a .p12 the listener
    accepts, an end no later than its token; deleting the token revokes it."""
    ctx = context_with_client_cert(tls_emulator, "build_engineer", tmp_path)
    with client(tls_emulator, "build_engineer", ctx) as c:
        token = c.post(
            f"{AM}/api-token", json={"name": "ci runner", "end_date": "2027-03-31"}
        ).json()
        too_late = c.post(
            f"{AM}/client-certificate",
            json={"name": "ci-runner", "token_id": token["id"], "end_date": "2027-04-01"},
        )
        made = c.post(
            f"{AM}/client-certificate",
            json={"name": "ci-runner", "token_id": token["id"], "password": "ignored-pw"},
        ).json()
        listed = c.get(f"{AM}/client-certificate").json()
    assert too_late.status_code == 422 and "token" in too_late.json()["errors"][0]["message"]
    assert made["token_id"] == token["id"] and made["valid_to"] == "2027-03-31T23:59:59Z"
    assert len(made["password"]) >= 16 and made["password"] != "ignored-pw"
    assert all("p12" not in c and "password" not in c for c in listed)
    issued = context_for_p12(
        tls_emulator, base64.b64decode(made["p12"]), made["password"], tmp_path
    )
    with httpx.Client(
        base_url=tls_emulator.url, verify=issued, headers={"x-api-key": token["token"]}
    ) as c:
        assert c.get(f"{AM}/user/me").status_code == 200
        assert c.delete(f"{AM}/api-token/{token['id']}").status_code == 204
    with client(tls_emulator, "build_engineer", issued) as c:
        revoked = c.get(f"{AM}/user/me")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["errors"][0]["message"]


def test_tls_material_is_reused_across_restarts(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=tmp_path / "d", tls=True, clock=frozen_clock) as first:
        assert first.ca_file is not None
        ca = first.ca_file.read_bytes()
        p12 = first.client_p12("lead")
    with EmulatorServer(data_dir=tmp_path / "d", tls=True, clock=frozen_clock) as second:
        assert second.ca_file is not None
        assert second.ca_file.read_bytes() == ca and second.client_p12("lead") == p12
        with client(second, "lead", context_with_client_cert(second, "lead", tmp_path)) as c:
            assert c.get(f"{STM}/keypairs").status_code == 200
