"""The character rules of request fields: the validator and the pattern published in the
OpenAPI document say the same thing, character by character."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, ValidationError

from stm_tui.emulator import fields

FORBIDDEN = [
    "\x00",
    "\x07",
    "\t",
    "\n",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
]
ALLOWED = ["a", " ", "é", "日本", "\u00a0", "\u200e", "🙂", "ß", "'\"<>&{}[]"]


class Single(BaseModel):
    value: fields.text(50)  # type: ignore[valid-type]


class Multi(BaseModel):
    value: fields.text(50, multiline=True)  # type: ignore[valid-type]


@pytest.mark.parametrize("ch", FORBIDDEN)
def test_forbidden_characters_are_refused_by_the_model_and_the_pattern(ch: str) -> None:
    text = f"release{ch}notes"
    if ch != "\n":
        with pytest.raises(ValidationError, match=f"U\\+{ord(ch):04X}"):
            Multi(value=text)
        assert not re.fullmatch(fields.MULTI_LINE_PATTERN, text)
    with pytest.raises(ValidationError, match="control characters"):
        Single(value=text)
    assert not re.fullmatch(fields.SINGLE_LINE_PATTERN, text)


@pytest.mark.parametrize("text", ALLOWED)
def test_printable_text_passes_both(text: str) -> None:
    assert Single(value=text).value == text
    assert re.fullmatch(fields.SINGLE_LINE_PATTERN, text)


def test_a_line_feed_is_fine_in_multi_line_text_only() -> None:
    assert Multi(value="line one\nline two").value == "line one\nline two"
    assert re.fullmatch(fields.MULTI_LINE_PATTERN, "line one\nline two")


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValidationError):
        Single(value="a\ud800b")


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (fields.ALIAS_PATTERN, ["desk-key.v2", "abc_123"], ["abc-123", "deadbeef", "ab", "a b"]),
    ],
)
def test_alias_rule(pattern: str, good: list[str], bad: list[str]) -> None:
    assert all(re.fullmatch(pattern, g) for g in good)
    assert not any(re.fullmatch(pattern, b) for b in bad)
