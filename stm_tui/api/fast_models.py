"""Certificates and keypairs built from JSON without pydantic validating every field.

Validating a certificate cost ~50 us, most of it Python calls pydantic makes for this app's
own rules: an after-validator per timestamp, one per nested reference (to share equal
references), one per model (to share its fields set). At 100,000 certificates and 50,000
keypairs that was ~20 s of a cold start and ~10 s of a warm one.

Here msgspec decodes the flat fields (strings, numbers, booleans, timestamps, free-form lists)
in C, and every nested model (a reference, a chain, a list of users) arrives as its raw JSON
bytes: those repeat across thousands of items (every certificate of an issuer has the same
chain, every keypair the same account), so each distinct one is validated once, by pydantic
with the model's own validators, and reused (it is a frozen, shared value already). A
reference that is unique to its item (a certificate's keypair) is put together from
msgspec's plain decoding instead, extra fields and all. The model is then put together as
pydantic's own `model_construct` does. A free-form object (`dict[str, Any]`, such as a
keypair's `hsm_partition_details`, ~1 kB that is the same in every keypair of a partition) is
decoded by msgspec once per distinct JSON too, and that one dict is every such model's value.
On the scale data's items (measured when the cache still read its JSON rows through here)
this is a certificate in 23.5 us against 28.8 and a keypair in 14.3 against 27.2; in the
demo's pages 15 against 29 and 21 against 70.

The result must be exactly what `model_validate_json` gives: the same values, fields set and
extras (`tests/unit/test_fast_models.py` holds them side by side). So this path takes only
what it is sure of: an unknown top-level field (pydantic would keep it as an extra), a value
msgspec reads differently or not at all, or a model with a field it does not know how to
read gives None, and the caller validates with pydantic, which also raises its own errors.
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, TypeGuard

from pydantic import BaseModel, TypeAdapter, ValidationError

from stm_tui import memory
from stm_tui.api import models as m

try:
    import msgspec
except ImportError:  # pragma: no cover - a dependency; pydantic validates everything without it
    msgspec = None  # type: ignore[assignment]

# Bound per nested field: a keypair's own reference repeats only in its certificates, so a
# long listing would otherwise remember every one of them.
_MEMO_MAX = 16384
# Bound per free-form object field. Its memo's keys are the raw JSON (~1 kB for a keypair's
# HSM partition), and an account has a handful of distinct ones: a small bound keeps what a
# listing of all-different objects costs beyond the models themselves to ~1 MB.
_FREE_MEMO_MAX = 1024

_FLAT = (str, int, bool)

# Short strings, one object per distinct value as pydantic-core's string cache gives them: a
# status, an algorithm or a user's id repeats across 100,000 items, and msgspec builds a new
# object for each (~100 MB more than pydantic at 150,000 items). Bounded; cleared when full.
_TEXTS: dict[str, str] = {}
_TEXT_MAX = 64
_TEXTS_MAX = 16384


def _flat_type(annotation: Any) -> Any | None:
    """The msgspec type for a field msgspec reads exactly as pydantic does, else None."""
    if annotation in _FLAT:
        return annotation
    if annotation is dt.datetime:
        return dt.datetime
    if annotation == list[str]:
        return list[str]
    if annotation == list[Any]:
        return annotation
    return None


def _is_free_object(annotation: Any) -> bool:
    # A free-form JSON object: decoded by msgspec (as a flat field was) once per distinct JSON.
    return bool(annotation == dict[str, Any])


def _is_timestamp(annotation: Any) -> bool:
    # Exactly `models.Timestamp` (its validator is the one reproduced here); any other
    # annotated datetime is left to pydantic.
    return bool(annotation == m.Timestamp)


class _Field:
    """How one field is read: flat by msgspec, or nested by pydantic once per distinct JSON."""

    __slots__ = (
        "adapter", "default", "factory", "free", "items", "memo", "name", "optional", "required",
        "shared", "text", "timestamp",
    )

    def __init__(self, name: str, info: Any) -> None:
        self.name = name
        self.required = info.is_required()
        self.default: Any = None
        self.factory: Callable[[], Any] | None = info.default_factory
        if self.factory is None:
            self.default = info.default
        self.timestamp = False
        self.text = False
        self.items = False  # a flat list whose short strings are shared (`_TEXTS`)
        self.free: Any = None  # a free-form object's msgspec decoder (`Builder._free_value`)
        self.adapter: TypeAdapter[Any] | None = None
        self.shared: _SmallValue | None = None  # a single shared value, such as a reference
        self.optional = False
        self.memo: dict[bytes, Any] = {}

    def unset_value(self) -> Any:
        return self.factory() if self.factory is not None else self.default


def _plan(model: type[BaseModel], skip: frozenset[str]) -> tuple[type, list[_Field]] | None:
    """A msgspec struct type for `model`'s fields and how each is turned into its value."""
    fields: list[_Field] = []
    spec: list[tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias is not None or info.metadata:
            return None  # constraints or validators on the field itself: pydantic's to apply
        field = _Field(name, info)
        annotation = info.annotation
        args = typing.get_args(annotation)
        optional = typing.get_origin(annotation) in (typing.Union, types.UnionType) and (
            type(None) in args
        )
        inner = [a for a in args if a is not type(None)] if optional else [annotation]
        if name in skip:
            kind: Any = msgspec.Raw
        elif len(inner) == 1 and _is_timestamp(inner[0]):
            field.timestamp = True
            kind = dt.datetime | None if optional else dt.datetime
        elif len(inner) == 1 and _is_free_object(inner[0]):
            field.free = msgspec.json.Decoder(dict[str, Any] | None if optional else dict[str, Any])
            kind = msgspec.Raw
        elif len(inner) == 1 and (flat := _flat_type(inner[0])) is not None:
            field.text = flat is str
            field.items = typing.get_origin(flat) is list
            kind = flat | None if optional else flat
        else:
            # Nested models (and anything else): pydantic validates each distinct JSON once.
            field.adapter = TypeAdapter(annotation)  # type: ignore[arg-type]
            field.optional = optional
            if len(inner) == 1 and _shared_value(inner[0]):
                # A reference unique to its item (a certificate's keypair) misses the memo
                # every time: built here too, without pydantic.
                field.shared = _builder(inner[0])
            kind = msgspec.Raw
        fields.append(field)
        spec.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
    struct = msgspec.defstruct(
        f"_{model.__name__}Fields", spec, forbid_unknown_fields=True, kw_only=True
    )
    return struct, fields


@dataclass(frozen=True, slots=True)
class _Shape:
    """What to do for items that have exactly these fields."""

    fields_set: set[str]  # shared by every model of this shape (`memory.share_fields_set`)
    defaults: list[_Field]
    nested: list[_Field]  # and free-form objects: both are looked up in their memo
    skipped: list[str]
    texts: list[str]
    lists: list[str]
    timestamps: list[str]


_SHAPES_MAX = 256


class Builder:
    """Builds one model class from JSON bytes; None when pydantic must decide."""

    def __init__(self, model: type[BaseModel], skip: frozenset[str] = frozenset()) -> None:
        self.model = model
        self.skip = skip
        self._lock = threading.Lock()  # pages are parsed on worker threads too
        plan = _plan(model, skip) if msgspec is not None else None
        self._decoder: Any = msgspec.json.Decoder(plan[0]) if plan is not None else None
        fields = plan[1] if plan is not None else []
        self._fields = fields
        self._extra: dict[str, Any] | None = (
            {} if model.model_config.get("extra") == "allow" else None
        )
        self._shapes: dict[tuple[bool, ...], _Shape] = {}

    def _shape(self, present: tuple[bool, ...]) -> _Shape | None:
        if len(present) != len(self._fields):
            return None
        there = [f for f, p in zip(self._fields, present, strict=True) if p]
        if any(f.required for f, p in zip(self._fields, present, strict=True) if not p):
            return None
        shape = _Shape(
            fields_set={f.name for f in there},
            defaults=[f for f, p in zip(self._fields, present, strict=True) if not p],
            nested=[f for f in there if f.adapter is not None or f.free is not None],
            skipped=[f.name for f in there if f.name in self.skip],
            texts=[f.name for f in there if f.text],
            lists=[f.name for f in there if f.items],
            timestamps=[f.name for f in there if f.timestamp],
        )
        with self._lock:
            if len(self._shapes) < _SHAPES_MAX:
                self._shapes[present] = shape
        return shape

    def build(
        self, raw: bytes, nested: Callable[[str, bytes], Any] | None = None
    ) -> BaseModel | None:
        """The model `raw` validates to, or None. Fields in `skip` are given to `nested`
        (name, raw JSON) for their value."""
        if self._decoder is None:
            return None
        try:
            values: dict[str, Any] = msgspec.structs.asdict(self._decoder.decode(raw))
        except (msgspec.DecodeError, ValueError, RecursionError):
            return None
        # Which fields the JSON had, as one tuple made in C; items of one listing have one or
        # two such shapes, and each shape says once what to fill in and what to look at.
        present = tuple(map(operator.is_not, values.values(), repeat(msgspec.UNSET)))
        shape = self._shapes.get(present) or self._shape(present)
        if shape is None:
            return None  # a required field is missing: pydantic says so
        for field in shape.defaults:
            values[field.name] = field.unset_value()
        try:
            for field in shape.nested:  # nested models and free-form objects
                name = field.name
                raw = bytes(values[name])
                value = field.memo.get(raw, _MISSING)  # (looked up here: a call less each)
                if value is _MISSING:
                    value = self._value(field, raw)
                    if value is _MISSING:
                        return None  # not an object (or a null it may not be): pydantic says so
                elif isinstance(value, tuple):
                    value = list(value)  # each model's own list, as `_value` gives it
                values[name] = value
        except ValidationError:
            return None
        for name in shape.skipped:
            if nested is None:
                return None
            values[name] = nested(name, bytes(values[name]))
        texts = _TEXTS
        for name in shape.texts:
            value = values[name]
            if value.__class__ is str and len(value) <= _TEXT_MAX:
                values[name] = texts.setdefault(value, value)
        for name in shape.lists:
            # The list is this model's own (msgspec's); its short strings (a team's id in
            # every keypair of the team) are the shared ones.
            value = values[name]
            if value:
                for i, item in enumerate(value):
                    if item.__class__ is str and len(item) <= _TEXT_MAX:
                        value[i] = texts.setdefault(item, item)
        if len(texts) > _TEXTS_MAX:
            texts.clear()
        for name in shape.timestamps:
            value = values[name]
            if value is not None and value.tzinfo is None:
                values[name] = value.replace(tzinfo=dt.UTC)  # what `models.Timestamp` does
        fields_set = shape.fields_set
        obj = self.model.__new__(self.model)
        object.__setattr__(obj, "__dict__", values)
        object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
        object.__setattr__(
            obj, "__pydantic_extra__", {} if self._extra is not None else None
        )
        object.__setattr__(obj, "__pydantic_private__", None)
        memory.share_fields_set(obj)
        return obj

    def _value(self, field: _Field, raw: bytes) -> Any:
        if field.free is not None:
            return self._free_value(field, raw)
        memo = field.memo
        value = memo.get(raw, _MISSING)
        if value is _MISSING:
            if field.shared is not None:
                if raw == b"null":
                    value = None if field.optional else _MISSING
                else:
                    built = field.shared.build(raw)
                    value = built if built is not None else _MISSING
            if value is _MISSING:
                assert field.adapter is not None
                value = field.adapter.validate_json(raw)
                if isinstance(value, list):
                    value = tuple(value)
            with self._lock:
                if len(memo) >= _MEMO_MAX:
                    memo.clear()
                memo[raw] = value
        # Lists are each model's own (nobody changes one, but nobody has to know that).
        return list(value) if isinstance(value, tuple) else value

    def _free_value(self, field: _Field, raw: bytes) -> Any:
        """A free-form object not in its memo yet, or _MISSING when the JSON is not one.

        One dict per distinct JSON is every model's value (the dicts and lists nested in it
        too). Safe because models are read-only data: nothing in the app changes such a value
        in place (screens and commands read it; a dump, `model_copy(deep=True)` or validation
        into another model builds new containers), a write builds a new request object from a
        form, and a refresh replaces the model whole."""
        try:
            value = field.free.decode(raw)
        except (msgspec.DecodeError, ValueError, RecursionError):
            return _MISSING
        memo = field.memo
        with self._lock:
            if len(memo) >= _FREE_MEMO_MAX:
                memo.clear()
            memo[raw] = value
        return value


class _SmallValue:
    """Builds a shared value whose fields are all optional strings (a reference), extras and
    all, from msgspec's plain decoding: a certificate's keypair reference is unique to its
    keypair and carries extra fields, so neither the memo nor a strict decoder takes it."""

    def __init__(self, model: type[m.SharedValue]) -> None:
        self.model = model
        self.names = tuple(model.model_fields)
        self._plain = msgspec.json.Decoder()

    def build(self, raw: bytes) -> m.SharedValue | None:
        try:
            data = self._plain.decode(raw)
        except (msgspec.DecodeError, ValueError, RecursionError):
            return None
        if data.__class__ is not dict:
            return None
        values: dict[str, Any] = {}
        fields_set: set[str] = set()
        for name in self.names:
            value = data.pop(name, _MISSING)
            if value is _MISSING:
                values[name] = None
            elif value is None or value.__class__ is str:
                values[name] = value
                fields_set.add(name)
            else:
                return None  # pydantic says what is wrong with it
        obj = self.model.__new__(self.model)
        object.__setattr__(obj, "__dict__", values)
        object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
        object.__setattr__(obj, "__pydantic_extra__", data)
        object.__setattr__(obj, "__pydantic_private__", None)
        memory.share_fields_set(obj)
        return memory.shared_instance(obj)


_MISSING = object()


def _checked(model: type[BaseModel], shared: bool = False) -> bool:
    """Whether a model has only the model-level validators this module reproduces."""
    decorators = model.__pydantic_decorators__
    allowed = {"_share_fields_set", "_shared_instance"} if shared else {"_share_fields_set"}
    return set(decorators.model_validators) <= allowed and not decorators.field_validators


def _shared_value(annotation: Any) -> TypeGuard[type[m.SharedValue]]:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, m.SharedValue)
        and _checked(annotation, shared=True)
    )


_BUILDERS: dict[type[BaseModel], _SmallValue] = {}


def _builder(model: type[m.SharedValue]) -> _SmallValue | None:
    for info in model.model_fields.values():
        if info.annotation != str | None or info.default is not None or info.alias:
            return None
    found = _BUILDERS.get(model)
    if found is None:
        found = _BUILDERS[model] = _SmallValue(model)
    return found


CERTIFICATE = Builder(m.Certificate) if _checked(m.Certificate) else None
KEYPAIR = (
    Builder(m.Keypair, skip=frozenset({"certificates"})) if _checked(m.Keypair) else None
)


def certificate(raw: bytes) -> m.Certificate | None:
    if CERTIFICATE is None:
        return None
    return CERTIFICATE.build(raw)  # type: ignore[return-value]


def keypair(
    raw: bytes, certificates: Callable[[bytes], list[m.Certificate] | None]
) -> m.Keypair | None:
    """A keypair whose embedded certificates (the raw JSON list) `certificates` provides."""
    if KEYPAIR is None:
        return None

    def nested(_name: str, value: bytes) -> Any:
        certs = certificates(value)
        if certs is None:
            raise _Declined
        return certs

    try:
        return KEYPAIR.build(raw, nested)  # type: ignore[return-value]
    except _Declined:
        return None


class _Declined(Exception):
    pass


