"""Decoding list responses: the STM envelope and Account Manager's bare arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from stm_tui.api.errors import BadResponse

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    offset: int
    limit: int
    items: list[Any]  # raw JSON objects, validated by the caller


def decode_json(content: bytes, where: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
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


def validate_items(model: type[M], items: list[Any], where: str) -> list[M]:
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        raise BadResponse(_describe(exc, model, where)) from None


def validate_one(model: type[M], content: bytes, where: str) -> M:
    data = decode_json(content, where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadResponse(_describe(exc, model, where)) from None


def _describe(exc: ValidationError, model: type[BaseModel], where: str) -> str:
    # Name the first bad field but never echo the offending value: it is server data of any
    # size and shape, and could be a secret returned once (a token).
    first = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
    return (
        f"unexpected {model.__name__} shape ({where}): {loc}: {first.get('msg', 'invalid')}"
        f" ({exc.error_count()} problem(s))"
    )
