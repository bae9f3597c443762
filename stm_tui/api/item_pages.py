"""List pages split into items first, each item validated once per distinct content.

A 100,000-certificate account is listed again and again: a complete listing every ten
minutes, and each of its 50,000 keypairs embeds its certificates in full (about 1.2 MB per
page of keypairs), the same bytes the certificate listing already sent. Validating a
certificate costs ~50 us, almost all of it building Python objects, so the same certificate
was built two or three times per sync and the copies compared and thrown away.

Here msgspec splits a page into the raw bytes of each item (~3 us an item, nothing built),
and an item is keyed by the SHA-256 of those bytes: bytes seen before give the object built
from them before (the same bytes validate to an equal model), and only new bytes reach
pydantic. A keypair whose embedded certificates are all known is validated without them and
given the known objects. Whatever surprises this path (bad JSON, a field of another type, an
item that does not validate) returns None, and the caller's pydantic path decides, raising
exactly the errors it always raised.

Models are treated as values: nothing in the app changes a held model in place, and one that
was assigned to (`ApiModel.__setattr__` gives it its own fields set) is never handed out again.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stm_tui import memory, priority
from stm_tui.api import fast_models
from stm_tui.api import models as m
from stm_tui.api.paging import DECODE_FAILURES, Page, page_of, parse_page_fast

try:
    import msgspec
except ImportError:  # pragma: no cover - a dependency; the pydantic path still works without it
    msgspec = None  # type: ignore[assignment]

M = TypeVar("M", bound=BaseModel)

# Below this many items a page is not worth keying (the fixed cost of a split and a digest
# per item buys nothing for a page of three teams).
MIN_ITEMS = 8


class _Skipped(BaseModel):
    """Any JSON object, kept as nothing: a keypair's embedded certificates, when every one of
    them is already known by its bytes."""

    model_config = ConfigDict(extra="ignore")


class _KeypairShell(m.Keypair):
    certificates: list[_Skipped] = Field(default_factory=list)  # type: ignore[assignment]


if msgspec is not None:

    class _Envelope(msgspec.Struct):
        items: list[msgspec.Raw]
        total: int | None = None
        offset: int | None = None
        limit: int | None = None

    class _Embedded(msgspec.Struct):
        certificates: list[msgspec.Raw] | None = None

    _ENVELOPE = msgspec.json.Decoder(_Envelope)
    _EMBEDDED = msgspec.json.Decoder(_Embedded)
    _RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


# hashlib lets go of the GIL for 2,048 bytes or more and must then wait to get it back: a
# certificate's JSON is ~3.6 kB, and while the UI thread was busy the page thread waited
# once per item of every page. Fed in pieces under that size, the hash keeps the GIL.
_GIL_PIECE = 2047


def _digest(raw: bytes) -> bytes:
    if len(raw) <= _GIL_PIECE:
        return hashlib.sha256(raw).digest()[:16]
    h = hashlib.sha256()
    view = memoryview(raw)
    for start in range(0, len(raw), _GIL_PIECE):
        h.update(view[start:start + _GIL_PIECE])
    return h.digest()[:16]


class Interner:
    """Models by the digest of the JSON they were validated from, held weakly: an object
    lives as long as the store (or anyone) holds it, and no longer."""

    def __init__(self) -> None:
        self._by_model: dict[type[BaseModel], weakref.WeakValueDictionary[bytes, Any]] = {}
        self._lock = threading.Lock()  # pages are parsed on worker threads too

    def get(self, model: type[M], key: bytes) -> M | None:
        table = self._by_model.get(model)
        if table is None:
            return None
        with self._lock:
            found = table.get(key)
        # One that was assigned to no longer says what its bytes said.
        if found is None or not memory.fields_set_shared(found):
            return None
        return found  # type: ignore[no-any-return]

    def put(self, model: type[BaseModel], key: bytes, item: BaseModel) -> None:
        with self._lock:
            table = self._by_model.get(model)
            if table is None:
                table = self._by_model[model] = weakref.WeakValueDictionary()
            table[key] = item

    def __len__(self) -> int:
        return sum(len(t) for t in self._by_model.values())


# One for the process: equal bytes are equal items whoever asked (models are values).
INTERNER = Interner()


def parse_page_split(
    model: type[M], content: bytes, interner: Interner = INTERNER
) -> tuple[Page, list[M]] | None:
    """The envelope and its items, or None on any surprise (the caller's path decides)."""
    if msgspec is None:
        return None
    try:
        envelope = _ENVELOPE.decode(content)
    except (msgspec.DecodeError, *DECODE_FAILURES):
        return None
    raws = envelope.items
    if len(raws) < MIN_ITEMS:
        return None
    items: list[M] = []
    # Off the event loop a key press goes first (`priority`); on it, this is what runs.
    worker = threading.current_thread() is not threading.main_thread()
    try:
        for raw in raws:
            if worker:
                priority.step_aside()
            items.append(_item(model, bytes(raw), interner))
    except (ValidationError, msgspec.DecodeError, *DECODE_FAILURES):
        return None
    return page_of(envelope.total, envelope.offset, envelope.limit, items), items


def _item(model: type[M], raw: bytes, interner: Interner) -> M:
    key = _digest(raw)
    known = interner.get(model, key)
    if known is not None:
        return known
    item: M
    if model is m.Keypair:
        item = _keypair(raw, interner)  # type: ignore[assignment]
    elif model is m.Certificate:
        item = _certificate(raw)  # type: ignore[assignment]
    else:
        item = model.model_validate_json(raw)
    interner.put(model, key, item)
    return item


def _certificate(raw: bytes) -> m.Certificate:
    return fast_models.certificate(raw) or m.Certificate.model_validate_json(raw)


def _embedded(value: bytes, interner: Interner) -> list[m.Certificate] | None:
    """A keypair's certificates from their JSON list, each known one the object it was."""
    try:
        raws = _RAW_LIST.decode(value)
    except msgspec.DecodeError:
        return None  # not a list: pydantic says what is wrong with it
    certs: list[m.Certificate] = []
    for c in raws:
        one = bytes(c)
        key = _digest(one)
        cert = interner.get(m.Certificate, key)
        if cert is None:
            cert = _certificate(one)
            interner.put(m.Certificate, key, cert)
        certs.append(cert)
    return certs


def _keypair(raw: bytes, interner: Interner) -> m.Keypair:
    fast = fast_models.keypair(raw, lambda value: _embedded(value, interner))
    if fast is not None:
        return fast
    embedded = _EMBEDDED.decode(raw).certificates or []
    keys = [_digest(bytes(c)) for c in embedded]
    known = [interner.get(m.Certificate, k) for k in keys]
    if keys and all(c is not None for c in known):
        shell = _KeypairShell.model_validate_json(raw)
        if len(shell.certificates) == len(keys):
            # The same fields, fields set and extras as a Keypair parsed whole; only the
            # embedded list differs, and it is the known certificates, in order.
            shell.__class__ = m.Keypair  # type: ignore[assignment]
            shell.__dict__["certificates"] = known
            return shell
    kp = m.Keypair.model_validate_json(raw)
    if len(kp.certificates) == len(keys):
        for key, cert in zip(keys, kp.certificates, strict=True):
            if interner.get(m.Certificate, key) is None:
                interner.put(m.Certificate, key, cert)
    return kp


def parse_page(model: type[M], content: bytes) -> tuple[Page, list[M]] | None:
    """A page by the split path, else by pydantic's one-pass page path (`parse_page_fast`);
    None when neither takes it (the caller's slow path raises the error)."""
    return parse_page_split(model, content) or parse_page_fast(model, content)
