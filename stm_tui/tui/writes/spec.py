"""What a request form shows and how its fields depend on each other (no widgets here).

A form is a request model (`stm_tui.api.writes.validation.RequestModel`) plus a small
presentation spec per field. The model supplies what it can (a `Literal` becomes the choices,
defaults, which fields are required, the kind of control from the type); the spec adds the
label, a help line and the dependencies:

- `choices` may be computed from the other values (the algorithm decides the allowed curves);
- `visible` hides a field that does not apply (no key size for ECDSA); a hidden field is left
  out of the request, so the model's default applies;
- `lock` fixes a value with a reason (a Fixed keypair profile decides the algorithm);
- the form's `on_change` sets other fields when one changes (a Customizable profile fills in
  its values as defaults, which the user may still change).

`evaluate` turns the raw values of the controls into the request data, the validated model
(or the messages per field) and what the screen must show. It is pure, so the rules of a form
are tested without a terminal.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, Union, get_args, get_origin

from pydantic import SecretStr

from stm_tui.api.writes.validation import M, check
from stm_tui.tui.writes.secret_input import SecretRule

Values = Mapping[str, Any]


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a Select: choices may change with the other values
    RADIO = "radio"  # a RadioSet: a few fixed choices, all visible at once
    BOOL = "bool"  # a Switch
    MULTI = "multi"  # a SelectionList with a filter box
    DATETIME = "datetime"
    NUMBER = "number"
    SECRET = "secret"  # a SecretInput


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class Choice:
    """One option. `label` is plain text (server names included): never read as markup."""

    value: Hashable
    label: str


@dataclass(frozen=True, slots=True)
class Lock:
    value: Any
    reason: str


ChoiceSource = Sequence[Choice] | Callable[[Values], Sequence[Choice]]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str = ""
    help: str = ""
    kind: Kind | None = None  # derived from the model's annotation when None
    choices: ChoiceSource | None = None  # derived from a Literal when None
    visible: Callable[[Values], bool] | None = None
    lock: Callable[[Values], Lock | None] | None = None
    default: Any = UNSET  # the model's default when UNSET
    placeholder: str = ""
    max_length: int | None = None
    blank: str | None = None  # the label of "no value" for an optional choice
    secret_rule: SecretRule | None = None


@dataclass(frozen=True)
class FormSpec:
    title: str
    fields: Sequence[FieldSpec]
    submit_label: str = "Submit"
    # Messages the model cannot know (a duplicate alias in the store, an account setting).
    validator: Callable[[Values], Mapping[str, str]] | None = None
    # (changed field, values) -> values to set on other fields.
    on_change: Callable[[str, Values], Mapping[str, Any]] | None = None
    initial: Mapping[str, Any] = field(default_factory=dict)
    intro: str = ""


@dataclass(frozen=True)
class Field:
    """A field spec resolved against its model: kind, requiredness, default, static choices."""

    spec: FieldSpec
    kind: Kind
    required: bool
    optional: bool  # None is an accepted value
    default: Any
    literal_choices: tuple[Choice, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.name.replace("_", " ").capitalize()

    def choices(self, values: Values) -> tuple[Choice, ...]:
        source = self.spec.choices
        if source is None:
            return self.literal_choices
        return tuple(source(values) if callable(source) else source)


def _strip(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without Annotated and Optional, whether None is accepted)."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def _kind_of(annotation: Any) -> Kind:
    origin = get_origin(annotation)
    if origin is Literal:
        return Kind.CHOICE
    if annotation is bool:
        return Kind.BOOL
    if annotation is int:
        return Kind.NUMBER
    if annotation is datetime:
        return Kind.DATETIME
    if annotation is SecretStr:
        return Kind.SECRET
    if origin in (tuple, list, set, frozenset):
        return Kind.MULTI
    return Kind.TEXT


def resolve(model: type[M], spec: FieldSpec) -> Field:
    info = model.model_fields.get(spec.name)
    if info is None:
        raise ValueError(f"{model.__name__} has no field {spec.name!r}")
    annotation, optional = _strip(info.annotation)
    kind = spec.kind or _kind_of(annotation)
    literal: tuple[Choice, ...] = ()
    if get_origin(annotation) is Literal:
        literal = tuple(Choice(v, str(v)) for v in get_args(annotation))
    if spec.default is not UNSET:
        default = spec.default
    elif info.is_required():
        default = None
    else:
        default = info.get_default(call_default_factory=True)
    if kind is Kind.MULTI:
        default = tuple(default or ())
    return Field(
        spec=spec,
        kind=kind,
        required=info.is_required(),
        optional=optional,
        default=default,
        literal_choices=literal,
    )


@dataclass(frozen=True)
class Evaluation(Generic[M]):
    values: dict[str, Any]  # raw values with locks and choice adjustments applied
    data: dict[str, Any]  # what is validated: visible, non-empty fields only
    visible: frozenset[str]
    choices: dict[str, tuple[Choice, ...]]
    locks: dict[str, Lock]
    messages: dict[str, str]  # visible field -> message
    general: tuple[str, ...]  # messages for no visible field ("nothing to change")
    model: M | None

    @property
    def valid(self) -> bool:
        return self.model is not None and not self.messages and not self.general


def empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, SecretStr):
        return not value.get_secret_value()
    return isinstance(value, str) and not value.strip()


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value  # the model says "must be a whole number"
    return value


class FormState(Generic[M]):
    """The rules of one form: resolved fields and `evaluate`."""

    def __init__(self, model: type[M], spec: FormSpec) -> None:
        self.model = model
        self.spec = spec
        self.fields = [resolve(model, f) for f in spec.fields]
        self.by_name = {f.name: f for f in self.fields}

    def initial_values(self) -> dict[str, Any]:
        values = {f.name: f.default for f in self.fields}
        values.update({k: v for k, v in self.spec.initial.items() if k in values})
        return values

    def evaluate(self, raw: Values) -> Evaluation[M]:
        values = dict(raw)
        locks: dict[str, Lock] = {}
        visible: set[str] = set()
        choices: dict[str, tuple[Choice, ...]] = {}
        # In form order, so a field's lock, visibility and choices see the fields above it
        # as they will be sent.
        for f in self.fields:
            lock = f.spec.lock(values) if f.spec.lock else None
            if lock is not None:
                locks[f.name] = lock
                values[f.name] = lock.value
            if f.spec.visible is None or f.spec.visible(values):
                visible.add(f.name)
            if f.kind in (Kind.CHOICE, Kind.RADIO, Kind.MULTI):
                options = f.choices(values)
                choices[f.name] = options
                allowed = {c.value for c in options}
                if f.kind is Kind.MULTI:
                    picked = tuple(v for v in values.get(f.name) or () if v in allowed)
                    values[f.name] = picked
                elif values.get(f.name) not in allowed:
                    # A value the other fields no longer allow (a curve of another algorithm)
                    # is dropped rather than sent.
                    values[f.name] = None
        data: dict[str, Any] = {}
        for f in self.fields:
            if f.name not in visible:
                continue
            value = values.get(f.name)
            if f.kind is Kind.MULTI:
                data[f.name] = tuple(value or ())
            elif f.kind is Kind.BOOL:
                data[f.name] = bool(value)
            elif not empty(value):
                data[f.name] = _as_number(value) if f.kind is Kind.NUMBER else value
        model, problems = check(self.model, data)
        found = dict(problems)
        if self.spec.validator is not None:
            for name, message in self.spec.validator(data).items():
                found.setdefault(name, message)
        messages = {k: v for k, v in found.items() if k in visible}
        general = tuple(
            v if k == "_" or k not in self.by_name else f"{self.by_name[k].label}: {v}"
            for k, v in found.items()
            if k not in visible
        )
        return Evaluation(
            values=values,
            data=data,
            visible=frozenset(visible),
            choices=choices,
            locks=locks,
            messages=messages,
            general=general,
            model=None if messages or general else model,
        )


def describe_moment(text: str, *, tz: tzinfo | None = None) -> str | None:
    """"2026-12-01 14:00 UTC · 15:00 local" for an ISO date-time, None when it does not parse."""
    raw = text.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return "add a time zone: Z for UTC, or +02:00"
    utc = moment.astimezone(UTC)
    here = utc.astimezone(tz)  # None: the machine's local time zone
    return f"{utc:%Y-%m-%d %H:%M} UTC · {here:%Y-%m-%d %H:%M} local"
