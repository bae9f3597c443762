"""A model as a compact row of the cache: its field values in declaration order, an array
msgspec writes and reads in C, with nested shared values as numbers.

A warm start read 100,000 certificates and 50,000 keypairs back from JSON: field names in
every row, every nested reference parsed again, then a Python step per field to build the
model (~60 us an item, 9-13 s of CPU on this repo's 2-core bench machine). A row here is
`[fields set, extras, value, ...]`: the fields set as a bit mask, the extras (rarely any)
as JSON, each flat value as JSON's own, and each nested shared value (a reference, a chain
entry: one frozen object for thousands of items, `models.SharedValue`; a free-form JSON
object) as the key of its row in the file's table of shared values, each read once per
file. Reading a row is one typed msgspec decode (which checks every value's type) and a few
list lookups.

What is read back must be the model that was written: the same values, fields set and
extras (`tests/unit/test_cache_rows.py`). A model with a field of a kind this layout does
not know fails at import (`Layout`), not at run time.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec
from pydantic import BaseModel

from stm_tui import memory
from stm_tui.api import models as m

FLAT, SHARED, SHARED_LIST = 0, 1, 2

# Distinct values a text field may have and still be shared per value (msgspec makes a new
# string for each value it reads: a status or an algorithm repeats across 100,000 items).
_FIELD_TEXTS = 512


class RowError(ValueError):
    """A row that does not read back (wrong shape, type or reference)."""


def _parts(annotation: Any) -> tuple[bool, Any]:
    """(optional, the annotation without None)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return True, inner[0]
    return False, annotation


def _shared_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, m.SharedValue)


def _flat(annotation: Any) -> Any | None:
    """The msgspec type that reads a flat field exactly as pydantic does, else None."""
    if annotation in (str, int, bool, float) or annotation == m.Timestamp:
        return dt.datetime if annotation == m.Timestamp else annotation
    if annotation is dt.datetime:
        return None  # a datetime without the model's own rule: not ours to read
    if annotation in (list[str], list[Any]):
        return annotation
    return None


class Layout:
    """How one model class is written as a row and read back."""

    def __init__(self, model: type[BaseModel], skip: frozenset[str] = frozenset()) -> None:
        self.model = model
        self.all_names = tuple(model.model_fields)
        self.names = tuple(n for n in self.all_names if n not in skip)
        kinds: list[int] = []
        shared_types: list[type[m.SharedValue]] = []
        types_: list[Any] = []
        self.timestamps: list[int] = []
        self.texts: list[int] = []
        for position, name in enumerate(self.names):
            info = model.model_fields[name]
            if info.alias not in (None, name) or info.validation_alias is not None or (
                info.metadata
            ):
                raise TypeError(f"{model.__name__}.{name}: a field the cache rows cannot hold")
            optional, inner = _parts(info.annotation)
            origin = typing.get_origin(inner)
            item_type = typing.get_args(inner)[0] if origin is list else None
            if _shared_type(inner) or inner == dict[str, Any]:
                # A free-form object (a keypair's HSM partition) repeats like a reference:
                # stored once as a shared value too, and read back as one dict for all.
                if inner != dict[str, Any]:
                    shared_types.append(inner)
                kinds.append(SHARED)
                kind: Any = str
            elif origin is list and _shared_type(item_type):
                shared_types.append(item_type)  # type: ignore[arg-type]
                kinds.append(SHARED_LIST)
                kind = list[str]
            elif (flat := _flat(inner)) is not None:
                kinds.append(FLAT)
                kind = flat
                if inner == m.Timestamp:
                    self.timestamps.append(position)
                elif flat is str:
                    self.texts.append(position)
            else:
                raise TypeError(f"{model.__name__}.{name}: a field the cache rows cannot hold")
            types_.append(kind | None if optional else kind)
        self.shared_types = tuple(dict.fromkeys(shared_types))
        self.shared_at = tuple(i for i, k in enumerate(kinds) if k == SHARED)
        self.lists_at = tuple(i for i, k in enumerate(kinds) if k == SHARED_LIST)
        # The fields set and the extras go last: `dict(zip(names, values))` then stops
        # before them without a copy of the values.
        types_ += [int, dict[str, Any] | None]
        self._decoder = msgspec.json.Decoder(tuple.__class_getitem__(tuple(types_)))
        # Text fields whose values repeat (a status, an algorithm), each with the one string
        # per value; a field found to hold mostly distinct values (an id) stops being
        # looked at once it has `_FIELD_TEXTS` of them.
        self._texts: tuple[tuple[int, dict[str, str]], ...] = tuple((i, {}) for i in self.texts)
        self._bits = {name: 1 << i for i, name in enumerate(self.all_names)}
        self._masks: dict[int, tuple[set[str], int]] = {}  # id(fields set) -> (it, mask)
        self._sets: dict[int, set[str]] = {}  # mask -> the shared fields set
        self._extra = model.model_config.get("extra") == "allow"

    # writing --------------------------------------------------------------------------------

    def _mask(self, fields_set: set[str]) -> int:
        known = self._masks.get(id(fields_set))
        if known is not None and known[0] is fields_set:
            return known[1]
        bits = self._bits
        mask = 0
        for name in fields_set:
            bit = bits.get(name)
            if bit is None:
                raise RowError(f"{name!r} is not a field of {self.model.__name__}")
            mask |= bit
        if len(self._masks) >= 1024:
            self._masks.clear()
        self._masks[id(fields_set)] = (fields_set, mask)
        return mask

    def row(self, model: BaseModel, shared: Callable[[Any], str]) -> list[Any]:
        """`model` as a row; `shared` gives a shared value's key in the file (a shared
        model's, or a free-form object's)."""
        values = model.__dict__
        extra = model.__pydantic_extra__
        # The fields set lists extras too; only declared fields have a bit.
        fields_set = model.__pydantic_fields_set__
        if extra:
            fields_set = fields_set - extra.keys()
        out: list[Any] = [values[n] for n in self.names]
        for i in self.shared_at:
            if out[i] is not None:
                out[i] = shared(out[i])
        for i in self.lists_at:
            if out[i] is not None:
                out[i] = [shared(v) for v in out[i]]
        out += [self._mask(fields_set), dict(extra) if extra else None]
        return out

    # reading --------------------------------------------------------------------------------

    def read(
        self, raw: bytes | msgspec.Raw, shared: Callable[[str], Any], known: dict[str, Any]
    ) -> Any:
        """The model of `raw` (a row `row` wrote). A shared value's key is looked up in
        `known` first, else `shared(key)` gives it. Raises `RowError` for a row that does
        not read back."""
        try:
            values = self._decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise RowError(f"a {self.model.__name__} row does not read: {exc}") from None
        return self._build(values, shared, known)

    def _build(
        self, decoded: tuple[Any, ...], shared: Callable[[str], Any], known: dict[str, Any]
    ) -> Any:
        values = list(decoded)
        get = known.get
        try:
            for i in self.shared_at:
                key = values[i]
                if key is not None:
                    values[i] = get(key) or shared(key)
            for i in self.lists_at:
                keys = values[i]
                if keys:
                    values[i] = [get(k) or shared(k) for k in keys]
        except KeyError:
            raise RowError(f"a {self.model.__name__} row refers to a missing value") from None
        for i in self.timestamps:
            when = values[i]
            if when is not None and when.tzinfo is None:
                values[i] = when.replace(tzinfo=dt.UTC)  # what `models.Timestamp` does
        if self._texts:
            self._share_texts(values)
        mask, extra = values[-2], values[-1]
        if extra is not None and not self._extra:
            raise RowError(f"a {self.model.__name__} row has extra fields")
        fields_set = self._sets.get(mask) if not extra else None
        if fields_set is None:
            fields_set = self._fields_set(mask, extra)
        obj = self.model.__new__(self.model)
        object.__setattr__(obj, "__dict__", dict(zip(self.names, values, strict=False)))
        object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
        object.__setattr__(obj, "__pydantic_extra__", extra or ({} if self._extra else None))
        object.__setattr__(obj, "__pydantic_private__", None)
        return obj

    def _share_texts(self, values: list[Any]) -> None:
        for i, texts in self._texts:
            text = values[i]
            if text is not None:
                values[i] = texts.setdefault(text, text)
                if len(texts) > _FIELD_TEXTS:
                    # Mostly distinct values (an id): not worth a lookup per item.
                    self._texts = tuple(entry for entry in self._texts if entry[0] != i)

    def _fields_set(self, mask: int, extra: dict[str, Any] | None) -> set[str]:
        if mask >> len(self.all_names):
            raise RowError(f"a {self.model.__name__} row's fields set is not one of its fields")
        names = {n for n, bit in self._bits.items() if mask & bit}
        if extra:
            names |= extra.keys()
            return names  # an item with extras keeps its own (rare)
        holder = self.model.__new__(self.model)
        object.__setattr__(holder, "__pydantic_fields_set__", names)
        memory.share_fields_set(holder)
        shared: set[str] = holder.__pydantic_fields_set__
        if len(self._sets) < 256:
            self._sets[mask] = shared
        return shared
