"""The TLS listener with client-certificate authentication, for real."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, frozen_clock


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with EmulatorServer(
        data_dir=tmp_path_factory.mktemp("tls"), tls=True, clock=frozen_clock
    ) as emu:
        yield emu


def context_with_client_cert(emu: EmulatorServer, role: str, tmp_path: Path) -> ssl.SSLContext:
    assert emu.ca_file is not None
    ctx = ssl.create_default_context(cafile=str(emu.ca_file))
    p12_path, password = emu.client_p12(role)
    key, cert, _extra = pkcs12.load_key_and_certificates(p12_path.read_bytes(), password.encode())
    assert key is not None and cert is not None
    one_time = b"test-only-passphrase"
    pem = tmp_path / "client.pem"
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


def test_https_with_a_client_certificate_works(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    assert tls_emulator.url.startswith("https://127.0.0.1:")
    ctx = context_with_client_cert(tls_emulator, "signer", tmp_path)
    key = tls_emulator.credentials["users"]["signer"]["api_key"]
    with httpx.Client(base_url=tls_emulator.url, verify=ctx, headers={"x-api-key": key}) as c:
        r = c.get(f"{STM}/keypairs")
    assert r.status_code == 200 and r.json()["total"] > 0


def test_without_a_client_certificate_the_handshake_fails(tls_emulator: EmulatorServer) -> None:
    assert tls_emulator.ca_file is not None
    ctx = ssl.create_default_context(cafile=str(tls_emulator.ca_file))
    with (
        pytest.raises((httpx.ReadError, httpx.ConnectError, httpx.RemoteProtocolError)),
        httpx.Client(base_url=tls_emulator.url, verify=ctx) as c,
    ):
        c.get("/_emulator/health")


def test_an_untrusted_server_certificate_is_rejected(tls_emulator: EmulatorServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(tls_emulator.url + "/_emulator/health", verify=ssl.create_default_context())


def test_issued_client_certificates_are_accepted(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """POST /client-certificate returns a PKCS#12 that the listener accepts."""
    import base64

    ctx = context_with_client_cert(tls_emulator, "lead", tmp_path)
    key = tls_emulator.credentials["users"]["lead"]["api_key"]
    with httpx.Client(base_url=tls_emulator.url, verify=ctx, headers={"x-api-key": key}) as c:
        made = c.post(
            "/account/api/v1/client-certificate",
            json={"name": "ci-runner", "password": "pw-for-this-test"},
        ).json()
        listed = c.get("/account/api/v1/client-certificate").json()
    assert made["name"] == "ci-runner" and "p12" not in listed[0]
    p12 = base64.b64decode(made["p12"])
    new_key, new_cert, _ = pkcs12.load_key_and_certificates(p12, b"pw-for-this-test")
    assert new_key is not None and new_cert is not None
    one_time = b"another-one-time-pass"
    pem = tmp_path / "issued.pem"
    pem.write_bytes(
        new_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(one_time),
        )
        + new_cert.public_bytes(serialization.Encoding.PEM)
    )
    assert tls_emulator.ca_file is not None
    ctx2 = ssl.create_default_context(cafile=str(tls_emulator.ca_file))
    ctx2.load_cert_chain(str(pem), password=one_time)
    with httpx.Client(base_url=tls_emulator.url, verify=ctx2, headers={"x-api-key": key}) as c:
        assert c.get("/account/api/v1/user/me").status_code == 200


def test_tls_material_is_reused_across_restarts(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=tmp_path / "d", tls=True, clock=frozen_clock) as first:
        assert first.ca_file is not None
        ca = first.ca_file.read_bytes()
        p12 = first.client_p12("lead")
    with EmulatorServer(data_dir=tmp_path / "d", tls=True, clock=frozen_clock) as second:
        assert second.ca_file is not None
        assert second.ca_file.read_bytes() == ca and second.client_p12("lead") == p12
