"""The exact four requests jsign (storetype DIGICERTONE) sends, and real signature checks
for every algorithm family. jsign sends `/keypairs/{id}` with one slash since DigiCert made
`//` paths fail (C: N1)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client


def test_jsign_request_sequence_yields_a_verifiable_signature(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "signer") as c:
        # 1) alias listing
        listing = c.get(
            f"{STM}/certificates", params={"limit": 100, "certificate_status": "ACTIVE"}
        )
        assert listing.status_code == 200
        rsa_certs = [
            item for item in listing.json()["items"] if item["alias"] == "shared-java-jars-cert"
        ]
        assert rsa_certs and all(
            i["certificate_status"] == "ACTIVE" for i in listing.json()["items"]
        )
        # 2) certificate by alias
        by_alias = c.get(f"{STM}/certificates", params={"alias": "shared-java-jars-cert"}).json()
        assert by_alias["total"] == 1
        cert_obj = by_alias["items"][0]
        # 3) keypair (one slash: production now refuses jsign's old `//keypairs`)
        keypair_resp = c.get(f"{STM}/keypairs/{cert_obj['keypair']['id']}")
        assert keypair_resp.status_code == 200
        keypair = keypair_resp.json()
        assert keypair["key_alg"] == "RSA"
        # 4) sign, echoing the account object and with Java's casing of sig_alg
        digest = hashlib.sha256(b"hello from jsign").digest()
        signed = c.post(
            f"{STM}/keypairs/{keypair['id']}/sign",
            json={
                "account": keypair["account"],
                "sig_alg": "SHA256withRSA",
                "hash": base64.b64encode(digest).decode(),
            },
        )
    assert signed.status_code == 200
    body = signed.json()
    assert set(body) == {"id", "signature"}
    signature = base64.b64decode(body["signature"])
    assert len(signature) == keypair["key_size"] // 8
    public = serialization.load_der_public_key(base64.b64decode(keypair["public_key"]))
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    cert_key = x509.load_der_x509_certificate(base64.b64decode(cert_obj["cert"])).public_key()
    assert isinstance(cert_key, rsa.RSAPublicKey)
    cert_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def _keypair(c: Any, alias: str) -> dict[str, Any]:
    return dict(c.get(f"{STM}/keypairs", params={"alias": alias}).json()["items"][0])


@pytest.mark.parametrize(
    ("alias", "sig_alg", "hash_alg"),
    [
        ("platform-deb-repo", "sha512WITHrsa", hashes.SHA512()),
        ("platform-container-sign", "SHA256withECDSA", hashes.SHA256()),
        ("platform-sbom-attest", "SHA384WithECDSA", hashes.SHA384()),
    ],
)
def test_rsa_and_ecdsa_signatures_verify(
    fresh_emulator: EmulatorServer, alias: str, sig_alg: str, hash_alg: hashes.HashAlgorithm
) -> None:
    with api_client(fresh_emulator) as c:
        kp = _keypair(c, alias)
        h = hashes.Hash(hash_alg)
        h.update(b"payload")
        digest = h.finalize()
        r = c.post(
            f"{STM}/keypairs/{kp['id']}/sign",
            json={"hash": base64.b64encode(digest).decode(), "sig_alg": sig_alg},
        )
        assert r.status_code == 200, r.text
        sig_id = r.json()["id"]
        record = c.get(f"{STM}/signatures/{sig_id}").json()
    assert record["keypair"]["alias"] == alias and record["status"] == "SUCCESS"
    public = serialization.load_der_public_key(base64.b64decode(kp["public_key"]))
    signature = base64.b64decode(r.json()["signature"])
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, digest, padding.PKCS1v15(), Prehashed(hash_alg))
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, digest, ec.ECDSA(Prehashed(hash_alg)))


def test_ed25519_signs_the_bytes_sent(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        kp = _keypair(c, "platform-helm-charts")
        message = b"chart digest bytes"
        r = c.post(
            f"{STM}/keypairs/{kp['id']}/sign",
            json={"hash": base64.b64encode(message).decode(), "sig_alg": "ed25519"},
        )
    assert r.status_code == 200
    public = serialization.load_der_public_key(base64.b64decode(kp["public_key"]))
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(base64.b64decode(r.json()["signature"]), message)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"hash": "not base64!", "sig_alg": "SHA256withRSA"}, "hash"),
        ({"hash": base64.b64encode(bytes(32)).decode(), "sig_alg": "MD5withRSA"}, "sig_alg"),
        ({"sig_alg": "SHA256withRSA"}, "hash"),
    ],
)
def test_bad_sign_requests_are_400_naming_the_field(
    emulator: EmulatorServer, body: dict[str, Any], fragment: str
) -> None:
    with api_client(emulator) as c:
        kp = _keypair(c, "shared-java-jars")
        r = c.post(f"{STM}/keypairs/{kp['id']}/sign", json=body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["status"] == "invalid_input_field" and error["message"].startswith(fragment)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"hash": base64.b64encode(b"short").decode(), "sig_alg": "SHA256withRSA"}, "hash"),
        ({"hash": base64.b64encode(bytes(32)).decode(), "sig_alg": "SHA256withECDSA"}, "sig_alg"),
    ],
)
def test_sign_requests_that_do_not_fit_the_keypair_are_422(
    emulator: EmulatorServer, body: dict[str, Any], fragment: str
) -> None:
    """Each field is valid on its own; together with this RSA keypair they are not."""
    with api_client(emulator) as c:
        kp = _keypair(c, "shared-java-jars")
        r = c.post(f"{STM}/keypairs/{kp['id']}/sign", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["status"] == "invalid_input_field" and error["message"].startswith(fragment)


def test_unknown_keypair_gives_the_production_404_on_get_and_sign(emulator: EmulatorServer) -> None:
    missing = "0b0e3a6c-1111-4222-8333-944455556666"
    with api_client(emulator) as c:
        got = c.get(f"{STM}/keypairs/{missing}")
        signed = c.post(
            f"{STM}/keypairs/{missing}/sign",
            json={"hash": base64.b64encode(bytes(32)).decode(), "sig_alg": "SHA256withRSA"},
        )
    expected = {
        "error": {
            "status": "invalid_input_field",
            "message": f"Keypair not present for given keypairId {missing}. "
            "Please provide correct keypairId.",
        }
    }
    assert got.status_code == signed.status_code == 404
    assert got.json() == signed.json() == expected
