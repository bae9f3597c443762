"""Real cryptography for the emulator: keys, a private demo CA hierarchy, code-signing
certificates, hash signing, and the local TLS CA with PKCS#12 client certificates."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

CURVES: dict[str, ec.EllipticCurve] = {
    "P256": ec.SECP256R1(),
    "P384": ec.SECP384R1(),
    "P521": ec.SECP521R1(),
}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1,
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
    "SHA3-224": hashes.SHA3_224,
    "SHA3-256": hashes.SHA3_256,
    "SHA3-384": hashes.SHA3_384,
    "SHA3-512": hashes.SHA3_512,
}

# lower-cased sig_alg -> (key_alg, hash name or None for pure Ed25519)
SIG_ALGS: dict[str, tuple[str, str | None]] = {
    **{f"{h.lower()}withrsa": ("RSA", h) for h in _HASHES},
    **{f"{h.lower()}withecdsa": ("ECDSA", h) for h in ("SHA256", "SHA384", "SHA512")},
    "ed25519": ("EDDSA", None),
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def generate_key(key_alg: str, key_size: int | None = None, curve: str | None = None) -> PrivateKey:
    if key_alg == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size or 3072)
    if key_alg == "ECDSA":
        return ec.generate_private_key(CURVES[curve or "P256"])
    return ed25519.Ed25519PrivateKey.generate()


def private_der(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private(der: bytes) -> PrivateKey:
    """A key the emulator generated or already checked on import: OpenSSL's RSA
    consistency check (a quarter of a second for RSA-4096 under load) is skipped."""
    key = serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    )
    return key


def load_importable(der: bytes) -> PrivateKey:
    """An imported PKCS#8 key; ValueError for anything the emulator cannot sign with."""
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError("only RSA, ECDSA and Ed25519 keys can be imported")
    describe_key(key)
    return key


def describe_key(key: PrivateKey) -> tuple[str, int | None, str | None]:
    """(key_alg, key_size, curve) as the API names them; ValueError for unsupported sizes."""
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size not in (2048, 3072, 4096):
            raise ValueError("RSA keys must be 2048, 3072 or 4096 bits")
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        for name, curve in CURVES.items():
            if isinstance(key.curve, type(curve)):
                return "ECDSA", None, name
        raise ValueError("ECDSA keys must be on P-256, P-384 or P-521")
    return "EDDSA", None, "Ed25519"


def public_der(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class SignError(ValueError):
    """The request cannot be signed as asked (bad algorithm or digest); message is user-facing."""


def sign_digest(key: PrivateKey, key_alg: str, sig_alg: str, digest: bytes) -> bytes:
    spec = SIG_ALGS.get(sig_alg.lower())
    if spec is None:
        raise SignError(f"sig_alg: unsupported signature algorithm {sig_alg!r}")
    family, hash_name = spec
    if family != key_alg:
        raise SignError(f"sig_alg: {sig_alg} does not match the keypair's key_alg {key_alg}")
    if hash_name is None:
        if not digest:
            raise SignError("hash: must not be empty")
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key.sign(digest)
    algorithm = _HASHES[hash_name]()
    if len(digest) != algorithm.digest_size:
        raise SignError(
            f"hash: a {hash_name} digest is {algorithm.digest_size} bytes, got {len(digest)}"
        )
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), Prehashed(algorithm))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(digest, ec.ECDSA(Prehashed(algorithm)))


def _name(
    common_name: str, organization: str | None = None, country: str | None = None
) -> x509.Name:
    attrs = []
    if country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _sign_hash(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


@dataclass
class Authority:
    """A CA certificate and its key (DER both)."""

    cert_der: bytes
    key_der: bytes

    def __post_init__(self) -> None:
        self.cert = x509.load_der_x509_certificate(self.cert_der)
        self.key = load_private(self.key_der)


def make_ca(
    common_name: str,
    organization: str,
    not_before: datetime,
    years: int,
    issuer: Authority | None = None,
    key: PrivateKey | None = None,
    path_length: int | None = None,
) -> Authority:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name, organization, "US")
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(signer_key, _sign_hash(signer_key))
    return Authority(cert.public_bytes(serialization.Encoding.DER), private_der(key))


_CODE_SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class CertFactory:
    """Issues code-signing certificates from one CA, caching what does not change between
    certificates (parsed public keys, names, extensions): bulk seeding issues 100,000."""

    def __init__(self, issuer: Authority) -> None:
        self.issuer = issuer
        self._aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        self._hash = _sign_hash(issuer.key)
        self._keys: dict[bytes, CertificatePublicKeyTypes] = {}
        self._names: dict[tuple[str, str | None, str | None], x509.Name] = {}

    def issue(
        self,
        public_key_der: bytes,
        *,
        common_name: str,
        organization: str | None,
        country: str | None,
        serial: int,
        not_before: datetime,
        not_after: datetime,
    ) -> bytes:
        public_key = self._keys.get(public_key_der)
        if public_key is None:
            public_key = self._keys[public_key_der] = cast(
                CertificatePublicKeyTypes, serialization.load_der_public_key(public_key_der)
            )
        name_key = (common_name, organization, country)
        name = self._names.get(name_key)
        if name is None:
            name = self._names[name_key] = _name(common_name, organization, country)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(self.issuer.cert.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(_END_ENTITY, critical=True)
            .add_extension(_CODE_SIGNING_USAGE, critical=True)
            .add_extension(_CODE_SIGNING_EKU, critical=False)
            .add_extension(self._aki, critical=False)
            .sign(self.issuer.key, self._hash)
        )
        return cert.public_bytes(serialization.Encoding.DER)


_END_ENTITY = x509.BasicConstraints(ca=False, path_length=None)
_CODE_SIGNING_EKU = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
_FACTORIES: dict[int, CertFactory] = {}


def issue_code_signing(
    issuer: Authority,
    public_key_der: bytes,
    *,
    common_name: str,
    organization: str | None,
    country: str | None,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> bytes:
    """A real X.509 code-signing certificate (base64 DER is what the API serves)."""
    factory = _FACTORIES.get(id(issuer))
    if factory is None or factory.issuer is not issuer:
        factory = _FACTORIES[id(issuer)] = CertFactory(issuer)
        if len(_FACTORIES) > 64:
            _FACTORIES.clear()
            _FACTORIES[id(issuer)] = factory
    return factory.issue(
        public_key_der,
        common_name=common_name,
        organization=organization,
        country=country,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )


def fingerprint_b64(der: bytes) -> str:
    return b64(hashlib.sha256(der).digest())


def subject_string(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def der_to_pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


# ---- TLS (local CA, server certificate, PKCS#12 client certificates) -----------------------


def issue_tls_server(ca: Authority, now: datetime, hosts: list[str]) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for the loopback listener."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("stm-tui emulator"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.key, _sign_hash(ca.key))
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def issue_client_p12(
    ca: Authority, common_name: str, password: str, not_before: datetime, not_after: datetime
) -> tuple[bytes, x509.Certificate]:
    """A client-authentication certificate as password-protected PKCS#12."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, "stm-tui emulator"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca.key, _sign_hash(ca.key))
    )
    p12 = pkcs12.serialize_key_and_certificates(
        common_name.encode(),
        key,
        cert,
        [ca.cert],
        serialization.BestAvailableEncryption(password.encode()),
    )
    return p12, cert
