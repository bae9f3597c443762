"""Rows of the inventory cache: certificates and keypairs as compact rows (`rows.Layout`),
equal parts stored once.

A keypair embeds its certificates, and every certificate of an issuer carries the same chain
(~1.5 kB): stored as they come, 100,000 certificates and 50,000 keypairs take ~800 MB. So a
certificate is stored once by content (`CertRecord`), every nested shared value (a reference,
a chain entry) once by content too, and the items refer to them by hash; what is read back is
exactly the model that was written, and certificates equal in the store are one object again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from pydantic import BaseModel, SecretStr, ValidationError

from stm_tui import priority
from stm_tui.api import models as m
from stm_tui.cache.rows import Layout, RowError

# The collections the cache keeps: the two that can be large and are synced by change.
CACHED: tuple[str, ...] = ("certificates", "keypairs")

CERTIFICATE = Layout(m.Certificate)
KEYPAIR = Layout(m.Keypair, skip=frozenset({"certificates"}))
# The nested shared values the rows refer to, by the name their rows are stored under.
SHARED_KINDS: dict[str, type[m.SharedValue]] = {
    t.__name__: t for layout in (CERTIFICATE, KEYPAIR) for t in layout.shared_types
}

# A certificate's summary as `summary_text` writes it (~0.5 us, json.loads took 5.6).
_SUMMARY = msgspec.json.Decoder(tuple[str, str, str, datetime, datetime, str] | None)
_JSON = msgspec.json.Encoder()
_FREE_FORM = msgspec.json.Decoder(dict[str, Any])


class CacheCorrupt(Exception):
    """A row that does not read back: the whole file is quarantined and rebuilt."""


def _has_secret_field(model: type[BaseModel]) -> bool:
    for field in model.model_fields.values():
        if "SecretStr" in repr(field.annotation) or field.annotation is SecretStr:
            return True
    return False


# The cache must never hold a secret; a model that grows one must not be cached silently.
_MODELS: tuple[type[BaseModel], ...] = (m.Certificate, m.Keypair, *SHARED_KINDS.values())
for _model in _MODELS:
    if _has_secret_field(_model):  # pragma: no cover - a guard for future model changes
        raise RuntimeError(f"{_model.__name__} has a secret field: it cannot be cached")


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CertRecord:
    """One certificate by content: its row and what the lists show of it (`summary_text`)."""

    key: str
    body: bytes
    summary: bytes


def summary_text(cert: m.Certificate) -> bytes:
    """The certificate's decoded summary as a JSON array, `null` when it has none.

    Decoding a certificate for the lists (`Certificate.summary`, ~14 us) was 12% of a warm
    start's CPU at 100,000 certificates: it is stored with the certificate, decoded once
    when written (on the cache's thread; the object keeps it), and read back as it was."""
    s = cert.summary
    if s is None:
        return b"null"
    return _JSON.encode((s.subject, s.issuer, s.serial, s.not_before, s.not_after, s.fingerprint))


@dataclass(slots=True)
class Encoded:
    """What one batch of items adds to the file."""

    items: list[tuple[str, bytes | None, str]]  # (id, body or None for a certificate, refs)
    certs: dict[str, CertRecord]
    shared: dict[str, tuple[str, bytes]]  # key -> (kind, JSON)


class Memo:
    """Certificates already in the file, by object: the store shares one object per equal
    certificate between a keypair and the certificates list, so each is dumped once, not
    again for its keypair. It holds the objects it saw, so that an id cannot be reused while
    it lives (`retain` lets go of the ones the store no longer holds); drop it when a write
    fails (its rows may not be in the file)."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[m.Certificate, str]] = {}

    def get(self, cert: m.Certificate) -> str | None:
        known = self._keys.get(id(cert))
        return known[1] if known is not None and known[0] is cert else None

    def put(self, cert: m.Certificate, key: str) -> None:
        self._keys[id(cert)] = (cert, key)

    def retain(self, keep: Callable[[m.Certificate], bool]) -> None:
        self._keys = {i: entry for i, entry in self._keys.items() if keep(entry[0])}

    def __len__(self) -> int:
        return len(self._keys)


def _encode_cert(cert: m.Certificate, out: Encoded, memo: Memo) -> str:
    known = memo.get(cert)
    if known is not None:
        return known
    key = _dump_cert(cert, out)
    memo.put(cert, key)
    return key


# Shared values already encoded, by identity: one object stands for thousands of items (the
# account every certificate names, an issuer's chain entries), so each is written once per
# batch instead of once per item. Kept with their key so that their ids cannot be reused
# while remembered; bounded (the keypair reference in each certificate is one of its own).
_SHARED: dict[int, tuple[object, str, str, bytes]] = {}
_SHARED_MAX = 16384
# The kind of a free-form JSON object's row in the shared values (a keypair's HSM partition:
# one dict for all the keypairs that say the same, as `api.fast_models` reads them).
FREE_FORM = "json"


def _shared_key(value: m.SharedValue | dict[str, Any], out: Encoded) -> str:
    known = _SHARED.get(id(value))
    if known is None or known[0] is not value:
        if isinstance(value, dict):
            kind, body = FREE_FORM, _JSON.encode(value)
        else:
            kind = type(value).__name__
            if kind not in SHARED_KINDS:
                raise TypeError(f"{kind} is not a value the cache rows refer to")
            body = value.model_dump_json(exclude_unset=True).encode()
        known = (value, digest(kind.encode(), body), kind, body)
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[id(value)] = known
    out.shared.setdefault(known[1], (known[2], known[3]))
    return known[1]


def _dump_cert(cert: m.Certificate, out: Encoded) -> str:
    body = _JSON.encode(CERTIFICATE.row(cert, lambda v: _shared_key(v, out)))
    key = digest(body)
    if key not in out.certs:
        out.certs[key] = CertRecord(key, body, summary_text(cert))
    return key


def encode(resource: str, items: Iterable[m.Resource], memo: Memo | None = None) -> Encoded:
    """Rows for `items` of one cached collection. Certificates met before under `memo` are
    referred to, not written again (their rows are in the file already)."""
    memo = memo if memo is not None else Memo()
    out = Encoded(items=[], certs={}, shared={})
    for item in items:
        priority.step_aside()  # the cache thread: a key press goes first
        if resource == "certificates" and isinstance(item, m.Certificate):
            out.items.append((item.id, None, _encode_cert(item, out, memo)))
        elif resource == "keypairs" and isinstance(item, m.Keypair):
            body = _JSON.encode(KEYPAIR.row(item, lambda v: _shared_key(v, out)))
            if "certificates" in item.model_fields_set:
                refs = ",".join(_encode_cert(c, out, memo) for c in item.certificates)
            else:
                refs = "-"
            out.items.append((item.id, body, refs))
        else:
            raise TypeError(f"{type(item).__name__} is not cached as {resource}")
    return out


class Decoder:
    """Reads rows back into models, one object per distinct certificate and shared value.

    Certificates are built as their rows stream in (`add_cert`), before the items that refer
    to them: a decoded row keeps its whole batch's text alive (msgspec's raw values are views
    of it), so holding every row until its item came by kept the certificates' ~170 MB of
    JSON in memory to the end of the read (a scale load peaked at 712 MB, 463 MB after)."""

    def __init__(self, shared: Mapping[str, tuple[str, bytes]]) -> None:
        self._shared_rows = shared
        self._built: dict[str, m.Certificate] = {}
        self._values: dict[str, m.SharedValue | dict[str, Any]] = {}
        self._names: dict[str, str] = {}  # subjects and issuers repeat: one string each

    @property
    def cert_keys(self) -> Iterable[str]:
        """The certificates read so far."""
        return self._built.keys()

    @property
    def shared_used(self) -> set[str]:
        """The shared values the rows read so far refer to."""
        return set(self._values)

    def _shared(self, key: str) -> m.SharedValue | dict[str, Any]:
        value = self._values.get(key)
        if value is None:
            kind, body = self._shared_rows[key]  # KeyError: the caller's CacheCorrupt
            if kind == FREE_FORM:
                return self._free_form(key, body)
            model = SHARED_KINDS.get(kind)
            if model is None:
                raise CacheCorrupt(f"a shared value of an unknown kind ({kind[:40]!r})")
            try:
                value = self._values[key] = model.model_validate_json(body)
            except (ValidationError, ValueError, RecursionError) as exc:
                kind_of = type(exc).__name__
                raise CacheCorrupt(f"a shared value does not parse ({kind_of})") from None
        return value

    def _free_form(self, key: str, body: bytes) -> dict[str, Any]:
        try:
            value = _FREE_FORM.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise CacheCorrupt(f"a shared object does not parse ({type(exc).__name__})") from None
        self._values[key] = value
        return value

    def add_cert(self, key: str, row: msgspec.Raw, summary: msgspec.Raw) -> None:
        """Build the certificate of one row of the certificates table."""
        try:
            cert: m.Certificate = CERTIFICATE.read(row, self._shared, self._values)
            # Where `Certificate.summary` (a cached property) keeps what it decoded.
            cert.__dict__["summary"] = self._summary(summary)
        except KeyError:
            raise CacheCorrupt("a certificate row refers to a value that is missing") from None
        except (RowError, ValueError, RecursionError, msgspec.DecodeError) as exc:
            raise CacheCorrupt(f"a certificate row does not parse ({type(exc).__name__})") from None
        self._built[key] = cert

    def cert(self, key: str) -> m.Certificate:
        built = self._built.get(key)
        if built is None:
            raise CacheCorrupt("a row refers to a certificate that is missing")
        return built

    def _summary(self, text: msgspec.Raw) -> m.CertSummary | None:
        fields = _SUMMARY.decode(text)
        if fields is None:
            return None
        subject, issuer, serial, not_before, not_after, fingerprint = fields
        if not_before.tzinfo is None or not_after.tzinfo is None:
            raise ValueError("a certificate summary's time has no zone")
        names = self._names
        return m.CertSummary(
            subject=names.setdefault(subject, subject),
            issuer=names.setdefault(issuer, issuer),
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            fingerprint=fingerprint,
        )

    def item(self, resource: str, body: msgspec.Raw | None, refs: str) -> m.Resource:
        """The item of one row: `body` is the keypair's row, `refs` its certificates' keys
        (a certificate's: its own key)."""
        if resource == "certificates":
            return self.cert(refs)
        if body is None:
            raise CacheCorrupt("a keypair row has no body")
        try:
            kp: m.Keypair = KEYPAIR.read(body, self._shared, self._values)
        except KeyError:
            raise CacheCorrupt("a keypair row refers to a value that is missing") from None
        except (RowError, ValueError, RecursionError) as exc:
            raise CacheCorrupt(f"a keypair row does not parse ({type(exc).__name__})") from None
        # The embedded list is kept by reference ("-": the keypair was sent without one).
        kp.__dict__["certificates"] = (
            [self.cert(k) for k in refs.split(",")] if refs and refs != "-" else []
        )
        return kp


