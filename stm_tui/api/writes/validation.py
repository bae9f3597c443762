"""Request models and their field-level messages.

A form and a CLI command validate the same pydantic model; `check` turns pydantic's errors
and each model's cross-field rules into one message per field, in words a person reads
("must be 3-64 characters ..."), not pydantic's ("String should match pattern ...").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from stm_tui.sanitize import is_clean

M = TypeVar("M", bound="RequestModel")

# What STM accepts for keypair and certificate aliases (docs/api-contract.md).
_ALIAS = re.compile(r"[A-Za-z0-9._-]{3,64}")
_HEXLIKE = re.compile(r"[0-9a-fA-F-]+")
# Release names: no spaces (stm-console.md).
_RELEASE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Scan projects and aliases, and versions (the scan upload's query rules).
_SCAN_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_SCAN_VERSION = re.compile(r"[A-Za-z0-9._+-]{1,64}")
# API token and client-certificate names, service-user friendly names (stm-api.md N12, N13).
_CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9 _-]{1,64}")


def _alias(value: str) -> str:
    if not _ALIAS.fullmatch(value):
        raise ValueError("must be 3-64 characters of letters, digits, '.', '_' or '-'")
    if _HEXLIKE.fullmatch(value):
        raise ValueError("must contain a letter other than a-f (it would read as an id)")
    return value


def _release_name(value: str) -> str:
    if not _RELEASE_NAME.fullmatch(value):
        raise ValueError("must be 1-64 characters of letters, digits, '.', '_' or '-' (no spaces)")
    return value


def _scan_name(value: str) -> str:
    if not _SCAN_NAME.fullmatch(value):
        raise ValueError("must be letters, digits, '.', '_' or '-' (no spaces)")
    return value


def _scan_version(value: str) -> str:
    if not _SCAN_VERSION.fullmatch(value):
        raise ValueError("must be 1-64 letters, digits, '.', '_', '+' or '-'")
    return value


def _credential_name(value: str) -> str:
    if not _CREDENTIAL_NAME.fullmatch(value) or not value.strip():
        raise ValueError("must be 1-64 characters of letters, digits, spaces, '-' or '_'")
    return value


def _free_text(value: str) -> str:
    if not is_clean(value):
        raise ValueError("must not contain control characters or direction overrides")
    return value


Alias = Annotated[str, AfterValidator(_alias)]
ReleaseName = Annotated[str, AfterValidator(_release_name)]
CredentialName = Annotated[str, AfterValidator(_credential_name)]
ScanName = Annotated[str, AfterValidator(_scan_name)]
ScanVersion = Annotated[str, AfterValidator(_scan_version)]
FreeText = Annotated[str, AfterValidator(_free_text)]


class RequestModel(BaseModel):
    """Base of every request model: strict about unknown fields, values stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    def problems(self) -> dict[str, str]:
        """Rules across fields (EdDSA with a key size, ...): field name -> message."""
        return {}


def check(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, dict[str, str]]:
    """Validate `data`: the model when it is valid, else None and one message per field."""
    try:
        value = model.model_validate(dict(data))
    except ValidationError as exc:
        return None, _messages(exc)
    problems = value.problems()
    return (None, problems) if problems else (value, {})


def _messages(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        loc = error.get("loc") or ()
        key = str(loc[0]) if loc else "_"
        out.setdefault(key, _message(error))
    return out


def _message(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "invalid")))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"must be one of {expected.replace(' or ', ', ')}"
    if kind == "extra_forbidden":
        return "not a field of this request"
    # too_*: the bounds of a SecretStr (its text) or of a list (its items).
    listed = ctx.get("field_type") in ("List", "Tuple", "Set")
    if kind in ("string_too_long", "too_long"):
        return f"at most {ctx.get('max_length')} {'items' if listed else 'characters'}"
    if kind in ("string_too_short", "too_short"):
        wanted = ctx.get("min_length", 1)
        if listed:
            return "pick at least one" if wanted == 1 else f"pick at least {wanted}"
        return "required" if wanted == 1 else f"at least {wanted} characters"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind.startswith("datetime"):
        return "must be a date and time such as 2026-12-01T14:00Z"
    if kind.startswith("date"):
        return "must be a date such as 2026-12-31"
    return str(error.get("msg", "invalid"))
