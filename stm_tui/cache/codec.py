"""Rows of the inventory cache: certificates and keypairs as JSON, equal parts stored once.

A keypair embeds its certificates, and every certificate of an issuer carries the same chain
(~1.5 kB): stored as they come, 100,000 certificates and 50,000 keypairs take ~800 MB. So a
certificate is stored once by content (`CertRecord`, its chain by content too) and the items
refer to it by hash; what is read back is exactly the model that was written (the same JSON
through the same validation), and certificates equal in the store are one object again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import msgspec
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from stm_tui import memory, priority
from stm_tui.api import fast_models
from stm_tui.api import models as m

# The collections the cache keeps: the two that can be large and are synced by change.
CACHED: tuple[str, ...] = ("certificates", "keypairs")


_CHAIN = TypeAdapter(list[m.ChainEntry])
# A certificate's summary as `summary_text` writes it (~0.5 us, json.loads took 5.6).
_SUMMARY = msgspec.json.Decoder(tuple[str, str, str, datetime, datetime, str] | None)


class CacheCorrupt(Exception):
    """A row that does not read back: the whole file is quarantined and rebuilt."""


def _has_secret_field(model: type[BaseModel]) -> bool:
    for field in model.model_fields.values():
        if "SecretStr" in repr(field.annotation) or field.annotation is SecretStr:
            return True
    return False


# The cache must never hold a secret; a model that grows one must not be cached silently.
for _model in (m.Certificate, m.Keypair, m.ChainEntry, m.Ref, m.UserRef):
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
    """One certificate by content: its JSON without the chain, the chain's hash, and what
    the lists show of it (`summary_text`)."""

    key: str
    body: bytes
    chain: str | None
    summary: bytes


def summary_text(cert: m.Certificate) -> bytes:
    """The certificate's decoded summary as a JSON array, `null` when it has none.

    Decoding a certificate for the lists (`Certificate.summary`, ~14 us) was 12% of a warm
    start's CPU at 100,000 certificates: it is stored with the certificate, decoded once
    when written (on the cache's thread; the object keeps it), and read back as it was."""
    s = cert.summary
    if s is None:
        return b"null"
    return json.dumps(
        [s.subject, s.issuer, s.serial, s.not_before.isoformat(), s.not_after.isoformat(),
         s.fingerprint],
        separators=(",", ":"),
    ).encode()


@dataclass(slots=True)
class Encoded:
    """What one batch of items adds to the file."""

    items: list[tuple[str, bytes | None, str]]  # (id, body or None for a certificate, refs)
    certs: dict[str, CertRecord]
    chains: dict[str, bytes]


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


# Chains already encoded, by the entries' identities: every certificate of an issuer carries
# the same shared, frozen entries (`SharedValue`), so encoding each chain once instead of per
# certificate took ~half of the cost of writing 100,000 certificates. The entries are kept
# with their encoding so that their ids cannot be reused while it is remembered.
_CHAINS: dict[tuple[int, ...], tuple[tuple[m.ChainEntry, ...], bytes, str]] = {}
_CHAINS_MAX = 1024


def _chain(entries: list[m.ChainEntry]) -> tuple[bytes, str]:
    ids = tuple(id(e) for e in entries)
    known = _CHAINS.get(ids)
    if known is not None and all(a is b for a, b in zip(known[0], entries, strict=True)):
        return known[1], known[2]
    chain = json.dumps(
        [e.model_dump(mode="json", exclude_unset=True) for e in entries], separators=(",", ":")
    ).encode()
    key = digest(chain)
    if len(_CHAINS) >= _CHAINS_MAX:
        _CHAINS.clear()
    _CHAINS[ids] = (tuple(entries), chain, key)
    return chain, key


def _dump_cert(cert: m.Certificate, out: Encoded) -> str:
    chain_key: str | None = None
    if "chain" in cert.model_fields_set:
        chain, chain_key = _chain(cert.chain)
        out.chains.setdefault(chain_key, chain)
    body = cert.model_dump_json(exclude={"chain"}, exclude_unset=True).encode()
    key = digest(body, (chain_key or "").encode())
    if key not in out.certs:
        out.certs[key] = CertRecord(key, body, chain_key, summary_text(cert))
    return key


def encode(resource: str, items: Iterable[m.Resource], memo: Memo | None = None) -> Encoded:
    """Rows for `items` of one cached collection. Certificates met before under `memo` are
    referred to, not written again (their rows are in the file already)."""
    memo = memo if memo is not None else Memo()
    out = Encoded(items=[], certs={}, chains={})
    for item in items:
        priority.step_aside()  # the cache thread: a key press goes first
        if resource == "certificates" and isinstance(item, m.Certificate):
            out.items.append((item.id, None, _encode_cert(item, out, memo)))
        elif resource == "keypairs" and isinstance(item, m.Keypair):
            refs = [_encode_cert(c, out, memo) for c in item.certificates]
            exclude = {"certificates"} if "certificates" in item.model_fields_set else set()
            body = item.model_dump_json(exclude=exclude, exclude_unset=True).encode()
            out.items.append((item.id, body, ",".join(refs) if exclude else "-"))
        else:
            raise TypeError(f"{type(item).__name__} is not cached as {resource}")
    return out


class Decoder:
    """Reads rows back into models, one object per distinct certificate."""

    def __init__(
        self,
        certs: Mapping[str, tuple[bytes, str | None, bytes | None]],
        chains: Mapping[str, bytes],
    ) -> None:
        self._certs = certs
        self._chains = chains
        self._built: dict[str, m.Certificate] = {}
        self._chain_entries: dict[str, list[m.ChainEntry]] = {}
        self._names: dict[str, str] = {}  # subjects and issuers repeat: one string each

    def _chain(self, key: str) -> list[m.ChainEntry]:
        entries = self._chain_entries.get(key)
        if entries is None:
            entries = self._chain_entries[key] = _CHAIN.validate_json(self._chains[key])
        return entries

    def cert(self, key: str) -> m.Certificate:
        built = self._built.get(key)
        if built is not None:
            return built
        try:
            body, chain_key, summary = self._certs[key]
            cert = fast_models.certificate(body) or m.Certificate.model_validate_json(body)
            if chain_key is not None:
                # The chain was taken out when written; it goes back as the entries of its
                # one decoding (parsing it into every certificate again was 30% of a warm
                # start's certificate), with the fields set a parsed certificate has.
                cert.__dict__["chain"] = list(self._chain(chain_key))
                object.__setattr__(
                    cert, "__pydantic_fields_set__", cert.model_fields_set | {"chain"}
                )
                memory.share_fields_set(cert)
            if summary is not None:
                # Where `Certificate.summary` (a cached property) keeps what it decoded.
                cert.__dict__["summary"] = self._summary(summary)
        except KeyError:
            raise CacheCorrupt("a row refers to a certificate or chain that is missing") from None
        except (ValidationError, ValueError, RecursionError, msgspec.DecodeError) as exc:
            raise CacheCorrupt(f"a certificate row does not parse ({type(exc).__name__})") from None
        self._built[key] = cert
        return cert

    def _summary(self, text: bytes) -> m.CertSummary | None:
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

    def item(self, resource: str, body: bytes | None, refs: str) -> m.Resource:
        if resource == "certificates":
            return self.cert(refs)
        if body is None:
            raise CacheCorrupt("a keypair row has no body")
        try:
            kp = fast_models.keypair(body, _declined) or m.Keypair.model_validate_json(body)
        except (ValidationError, ValueError, RecursionError) as exc:
            raise CacheCorrupt(f"a keypair row does not parse ({type(exc).__name__})") from None
        if refs != "-":
            certs = [self.cert(k) for k in refs.split(",")] if refs else []
            # The embedded list was left out when written; it goes back with the fields set a
            # parsed keypair has.
            kp.__dict__["certificates"] = certs
            object.__setattr__(
                kp, "__pydantic_fields_set__", kp.model_fields_set | {"certificates"}
            )
            memory.share_fields_set(kp)
        return kp


def _declined(_certificates: bytes) -> None:
    # A keypair row holds its certificates by reference; one that embeds them is not ours.
    return None
