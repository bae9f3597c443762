"""The hand-written DER walk in `models._raw_names` (it finds a certificate's encoded issuer
and subject without decoding them, to key the name cache) against `cryptography`'s own parser.

Its answer is a cache key for the names a list shows, so a wrong answer would show one
certificate's subject on another: for anything `cryptography` reads as a certificate it must
give exactly the encoded issuer and subject, or None (then the names are decoded directly).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_tui.api import models as m

# Ed25519 signs deterministically: the same draw gives the same bytes (hypothesis replays).
KEY = ed25519.Ed25519PrivateKey.generate()
START = datetime(2026, 1, 1, tzinfo=UTC)

ATTRIBUTES = (
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.STATE_OR_PROVINCE_NAME,
)  # UTF8String attributes: any text (PrintableString and IA5 ones refuse most of it)
# Printable text of any length a name takes: long values need long-form DER lengths.
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=300,
)

# cryptography holds a common name to 64 bytes of UTF-8; the others may be long.
attribute = st.one_of(
    st.tuples(st.just(NameOID.COMMON_NAME), TEXT.filter(lambda t: len(t.encode()) <= 64)),
    st.tuples(st.sampled_from(ATTRIBUTES[1:]), TEXT),
)
names = st.lists(attribute, min_size=1, max_size=6).map(
    lambda pairs: x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])
)


@st.composite
def certificates(draw: st.DrawFn) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(draw(names))
        .issuer_name(draw(names))
        .public_key(KEY.public_key())
        .serial_number(draw(st.integers(min_value=1, max_value=2**159 - 1)))
        .not_valid_before(START)
        .not_valid_after(START + timedelta(days=draw(st.integers(1, 40_000))))
    )
    if draw(st.booleans()):
        builder = builder.add_extension(
            x509.BasicConstraints(ca=draw(st.booleans()), path_length=None), critical=True
        )
    if draw(st.booleans()):
        sans = draw(
            st.lists(
                TEXT.map(lambda t: x509.DNSName("a" + str(len(t)) + ".example")),
                min_size=1,
                max_size=3,
            )
        )
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(KEY, None)


def der_of(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def encoded_names(cert: x509.Certificate) -> tuple[bytes, bytes]:
    return cert.issuer.public_bytes(), cert.subject.public_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates())
def test_the_walk_finds_exactly_the_names_cryptography_finds(cert: x509.Certificate) -> None:
    assert m._raw_names(der_of(cert)) == encoded_names(cert)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates())
def test_the_names_a_list_shows_are_cryptographys(cert: x509.Certificate) -> None:
    shown = m.Certificate(id="c", cert=base64.b64encode(der_of(cert)).decode())
    assert shown.subject_name == cert.subject.rfc4514_string()
    assert shown.issuer_name == cert.issuer.rfc4514_string()


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real certificate with bytes changed, inserted or cut off."""
    der = bytearray(der_of(draw(certificates())))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(der) - 1))
        action = draw(st.sampled_from(("flip", "insert", "cut")))
        if action == "flip":
            der[where] = draw(st.integers(0, 255))
        elif action == "insert":
            der[where:where] = draw(st.binary(min_size=1, max_size=4))
        else:
            del der[where:]
            if not der:
                break
    return bytes(der)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(damaged(), st.binary(max_size=600)))
def test_damaged_input_is_never_misread(data: bytes) -> None:
    found = m._raw_names(data)  # never raises
    try:
        # cryptography parses names lazily: a certificate it loads may still fail there,
        # and then the dashboard shows no summary (the walk's answer is not used either).
        expected = encoded_names(x509.load_der_x509_certificate(data))
    except ValueError:
        return  # not a certificate: whatever the walk says is never used as a key
    assert found is None or found == expected


def test_a_common_name_of_every_length_class() -> None:
    # Short-form lengths, and one- and two-byte long forms, at the boundaries.
    for size in (1, 127, 128, 255, 256, 1000):
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "x" * size)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(KEY.public_key())
            .serial_number(size)
            .not_valid_before(START)
            .not_valid_after(START + timedelta(days=1))
            .sign(KEY, None)
        )
        assert m._raw_names(der_of(cert)) == encoded_names(cert), size


def test_a_changed_name_byte_is_read_as_the_changed_name() -> None:
    # A damaged certificate that cryptography still reads (the signature is not checked on
    # load): the walk must follow the bytes, not what the certificate used to say.
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme-original")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(7)
        .not_valid_before(START)
        .not_valid_after(START + timedelta(days=1))
        .sign(KEY, None)
    )
    der = der_of(cert)
    at = der.rindex(b"original")  # in the subject, which comes after the issuer
    changed = der[:at] + b"ORIGINAL" + der[at + len(b"ORIGINAL") :]
    reread = x509.load_der_x509_certificate(changed)
    assert reread.subject != reread.issuer
    assert m._raw_names(changed) == encoded_names(reread)
