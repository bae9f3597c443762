"""Decoding list responses: the STM envelope and Account Manager's bare arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, create_model

from stm_tui.api.errors import BadResponse

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    offset: int
    limit: int
    items: list[Any]  # raw JSON objects, validated by the caller


# What decoding hostile bytes can raise: bad syntax or encoding (ValueError and its
# UnicodeDecodeError), nesting deeper than the interpreter's stack (`[[[[...` 200,000 deep
# raises RecursionError) and, for absurd bodies, MemoryError. All mean "bad response".
DECODE_FAILURES = (ValueError, RecursionError, MemoryError)


def decode_json(content: bytes, where: str) -> Any:
    try:
        # Strict UTF-8 (RFC 8259): `json.loads(bytes)` would let encoded surrogates through
        # (it decodes with "surrogatepass"), and those break every later encode.
        return json.loads(content.decode("utf-8"))
    except DECODE_FAILURES:
        raise BadResponse(f"response is not valid JSON ({where})") from None


def parse_envelope(content: bytes, where: str) -> Page:
    data = decode_json(content, where)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise BadResponse(f"expected a paged envelope with 'items' ({where})")
    items: list[Any] = data["items"]
    try:
        total = int(data.get("total", len(items)))
        offset = int(data.get("offset", 0))
        limit = int(data.get("limit", len(items)))
    except (TypeError, ValueError):
        raise BadResponse(f"paged envelope has non-numeric total/offset/limit ({where})") from None
    return Page(total=total, offset=offset, limit=limit, items=items)


def parse_array(content: bytes, where: str) -> list[Any]:
    data = decode_json(content, where)
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        # Tolerate an envelope where a bare array was documented.
        items: list[Any] = data["items"]
        return items
    if not isinstance(data, list):
        raise BadResponse(f"expected a JSON array ({where})")
    return data


class _Envelope(BaseModel):
    """The STM envelope for the fast path; defaults are filled in as `parse_envelope` does."""

    total: int | None = None
    offset: int | None = None
    limit: int | None = None
    items: list[Any]


@cache
def _envelope_of(model: type[BaseModel]) -> type[_Envelope]:
    # One envelope model per item model, built on first use: pydantic then parses the page
    # body straight into models (no intermediate dicts), ~2.5x faster than json + validate.
    envelope: type[_Envelope] = create_model(
        f"{model.__name__}Page", __base__=_Envelope, items=(list[model], ...)  # type: ignore[valid-type]
    )
    return envelope


def parse_page_fast(model: type[M], content: bytes) -> tuple[Page, list[M]] | None:
    """An envelope and its validated items in one pass, or None on any surprise (bad JSON,
    a missing field, a bad item): the caller then takes the slow path (`parse_envelope` +
    `validate_items`), which raises exactly the errors it always raised."""
    try:
        parsed = _envelope_of(model).model_validate_json(content)
    except (ValidationError, *DECODE_FAILURES):
        return None
    items: list[M] = parsed.items
    return page_of(parsed.total, parsed.offset, parsed.limit, items), items


def page_of(total: int | None, offset: int | None, limit: int | None, items: list[Any]) -> Page:
    """A page with the envelope's defaults for what the server left out (as
    `parse_envelope` fills them in)."""
    return Page(
        total=len(items) if total is None else total,
        offset=0 if offset is None else offset,
        limit=len(items) if limit is None else limit,
        items=items,
    )


def validate_items(model: type[M], items: list[Any], where: str) -> list[M]:
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        raise BadResponse(_describe(exc, model, where)) from None
    except DECODE_FAILURES:
        raise BadResponse(f"unexpected {model.__name__} shape ({where})") from None


def validate_one(model: type[M], content: bytes, where: str) -> M:
    data = decode_json(content, where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadResponse(_describe(exc, model, where)) from None
    except DECODE_FAILURES:
        raise BadResponse(f"unexpected {model.__name__} shape ({where})") from None


def _describe(exc: ValidationError, model: type[BaseModel], where: str) -> str:
    # Name the first bad field but never echo the offending value: it is server data of any
    # size and shape, and could be a secret returned once (a token).
    first = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
    return (
        f"unexpected {model.__name__} shape ({where}): {loc}: {first.get('msg', 'invalid')}"
        f" ({exc.error_count()} problem(s))"
    )
