"""String fields of request bodies: one length limit and one character rule each, enforced
by the model and published, unchanged, in the OpenAPI document (so a generated client or
fuzzer knows exactly what is accepted).

Free text refuses what could break the screen of the next person who reads it: C0 and C1
control characters, DEL, the bidirectional overrides and isolates, and lone surrogates.
Names and identifiers follow the character rules the documentation gives (release names
`[A-Za-z0-9._-]`, token and certificate names letters, digits, spaces, `-`, `_`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

# What free text may not contain. Kept as one list so the validator and the pattern in the
# OpenAPI document cannot drift apart (tests/unit/test_emulator_fields.py checks both).
FORBIDDEN_RANGES = (
    (0x00, 0x1F),  # C0, including tab and line breaks (single-line text)
    (0x7F, 0x9F),  # DEL and C1
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2066, 0x2069),  # bidi isolates
)
_SURROGATES = (0xD800, 0xDFFF)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)


SINGLE_LINE_PATTERN = f"^[^{_class(FORBIDDEN_RANGES)}]*$"
# Multi-line text (notes, descriptions) may also hold line feeds.
_MULTI_RANGES = ((0x00, 0x09), (0x0B, 0x1F), *FORBIDDEN_RANGES[1:])
MULTI_LINE_PATTERN = f"^[^{_class(_MULTI_RANGES)}]*$"

_SINGLE = re.compile(f"[{_class(FORBIDDEN_RANGES)}\\ud800-\\udfff]")
_MULTI = re.compile(f"[{_class(_MULTI_RANGES)}\\ud800-\\udfff]")


def first_forbidden(text: str, *, multiline: bool = False) -> str | None:
    """`U+XXXX` of the first character free text may not hold, or None."""
    found = (_MULTI if multiline else _SINGLE).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _plain(multiline: bool) -> Any:
    def check(value: str) -> str:
        bad = first_forbidden(value, multiline=multiline)
        if bad is not None:
            raise ValueError(
                f"must not contain control characters or bidirectional overrides ({bad})"
            )
        return value

    return AfterValidator(check)


def _rule(pattern: str, message: str) -> Any:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def name(max_length: int = 100) -> Any:
    """A display name: free text without leading or trailing spaces, never empty."""
    cls = _class(FORBIDDEN_RANGES)
    pattern = f"^[^ {cls}](?:[^{cls}]*[^ {cls}])?$"
    return Annotated[
        str,
        Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": pattern}),
        _plain(False),
        _rule(pattern, "must not start or end with a space"),
    ]


def text(max_length: int, *, min_length: int = 0, multiline: bool = False) -> Any:
    """Free text: any printable characters, bounded."""
    return Annotated[
        str,
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": MULTI_LINE_PATTERN if multiline else SINGLE_LINE_PATTERN},
        ),
        _plain(multiline),
    ]


def matching(pattern: str, message: str, *, max_length: int, min_length: int = 1) -> Any:
    """A string of a character rule (`pattern` is anchored, ECMA- and Python-compatible)."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": pattern}),
        _rule(pattern, message),
    ]


# Aliases of keypairs and certificates: 3-64 of [A-Za-z0-9._-] (I), never only hex digits and
# dashes, which jsign would read as an id (C: its `[0-9a-f-]+` test).
ALIAS_PATTERN = r"^(?![0-9a-fA-F-]+$)[A-Za-z0-9._-]{3,64}$"
Alias = matching(
    ALIAS_PATTERN,
    "must be 3-64 characters of letters, digits, '.', '_' or '-', with a letter other "
    "than a-f (a value of hex digits and dashes would read as an id)",
    max_length=64,
    min_length=3,
)
# Release names: unique, no spaces, [A-Za-z0-9._-] (C).
ReleaseName = matching(
    r"^[A-Za-z0-9._-]{1,100}$",
    "letters, digits, '.', '_' or '-' only (no spaces), at most 100",
    max_length=100,
)
Version = matching(
    r"^[A-Za-z0-9._+-]{1,64}$",
    "letters, digits, '.', '_', '+' or '-' only, at most 64",
    max_length=64,
)
ProjectAlias = matching(
    r"^[A-Za-z0-9._-]{1,64}$", "letters, digits, '.', '_' or '-' only, at most 64", max_length=64
)
# API token and client certificate names, service-user friendly names (C).
CredentialName = matching(
    r"^[A-Za-z0-9 _-]{1,64}$",
    "letters, digits, spaces, '-' or '_' only, at most 64",
    max_length=64,
)
# Ids in bodies are UUIDs; keypair references may also be aliases (I).
Ref = matching(
    r"^[A-Za-z0-9._-]{1,64}$", "must be an id (letters, digits, '.', '_', '-')", max_length=64
)
Email = matching(
    r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}$",
    "must be an e-mail address",
    max_length=254,
)


# A calendar day; credentials end at 23:59:59 UTC that day (C). The document says `date`;
# a full timestamp is also accepted and cut to its day.
def _day(value: str) -> str:
    from datetime import datetime

    try:
        datetime.strptime(value[:10], "%Y-%m-%d")
    except ValueError:
        raise ValueError("must be a date such as 2027-06-30") from None
    return value


Day = Annotated[
    str, Field(max_length=40, json_schema_extra={"format": "date"}), AfterValidator(_day)
]


# Timestamps: RFC 3339 (`date-time`), any offset; stored and answered in UTC with `Z`.
def _timestamp(value: str) -> str:
    from stm_tui.emulator.util import parse_ts

    try:
        parse_ts(value)
    except ValueError:
        raise ValueError("must be an ISO-8601 timestamp such as 2026-11-27T10:00:00Z") from None
    return value


Timestamp = Annotated[
    str, Field(max_length=40, json_schema_extra={"format": "date-time"}), AfterValidator(_timestamp)
]
Base64 = matching(
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    "must be standard base64",
    max_length=1024,
    min_length=4,
)
