"""The one sanitiser: nothing a terminal acts on survives, and size is bounded."""

from __future__ import annotations

import pytest

from stm_tui.sanitize import (
    CELL_LIMIT,
    clean,
    clean_block,
    clean_cell,
    clean_message,
    is_clean,
    spreadsheet_cell,
)

HOSTILE = "v1\x1b]52;c;SGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m\x08\x7f"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("tab\there", "tab here"),
        ("two\nlines", "two lines"),
        ("\x1b[2J", "\u241b[2J"),
        ("bell\x07", "bell\u2407"),
        ("csi\x9b1m", "csi\ufffd1m"),
        ("nel\x85x", "nel x"),
        ("del\x7f", "del\u2421"),
        ("abc\u202eevil", "abc<U+202E>evil"),
        ("iso\u2066x\u2069", "iso<U+2066>x<U+2069>"),
        ("sep\u2028x", "sep x"),
        ("surrogate\udcff", "surrogate\ufffd"),
        ("emoji 👩‍💻 ok", "emoji 👩‍💻 ok"),
        ("日本語", "日本語"),
    ],
)
def test_clean_replaces_what_a_terminal_would_act_on(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_hostile_release_version_keeps_no_escape_bytes() -> None:
    out = clean(HOSTILE)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in out)
    assert "52;c;" in out  # visible, so the user sees what was attempted
    assert is_clean(out)
    assert not is_clean(HOSTILE)


def test_newlines_and_tabs_kept_only_when_asked() -> None:
    assert clean_block("a\r\nb\tc\x1bd") == "a\nb\tc\u241bd"
    assert clean("a\r\nb") == "a\u240d b"
    assert clean("x\u2029y", newlines=True) == "x\ny"


def test_printable_text_is_returned_without_a_copy() -> None:
    name = "release-4.3.0 " * 3
    assert clean(name) is name


def test_size_is_bounded_and_says_what_was_cut() -> None:
    huge = "A" * 6_000_000
    out = clean(huge, limit=100)
    assert out.startswith("A" * 100)
    assert out.endswith("(5,999,900 more characters)")
    assert len(out) < 200
    assert len(clean_cell(huge)) < CELL_LIMIT + 40
    assert len(clean_message("\x1b" * 10_000)) < 2100


def test_non_strings_and_none() -> None:
    assert clean(None) == ""
    assert clean(42) == "42"


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "' =1"),
        ("-42", "-42"),
        ("-1.5", "-1.5"),
        ("name", "name"),
        ("a\x1b[31mb", "a\u241b[31mb"),
        (None, ""),
    ],
)
def test_spreadsheet_cells_are_never_formulas(raw: str | None, cell: str) -> None:
    assert spreadsheet_cell(raw) == cell


def test_escape_json_is_lossless_and_leaves_nothing_a_terminal_acts_on() -> None:
    import json

    from stm_tui.sanitize import escape_json

    data = {"alias": HOSTILE + "\u202eevil\u2028x\udcff", "n": -1}
    text = escape_json(json.dumps(data, ensure_ascii=False))
    assert json.loads(text) == data
    text.encode("utf-8")  # lone surrogates are escaped, so the output always encodes
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in text)
    assert "\u202e" not in text and "\\u202e" in text
