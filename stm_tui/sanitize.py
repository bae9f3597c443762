"""The one sanitiser for text that came from a server (or from another user of the account).

Names, versions, descriptions and error messages are written by other people: a Developer can
put `ESC ] 52 ; c ; ... BEL` into a release version and, if it reached the terminal raw, write
to the Lead's clipboard, retitle the terminal or wipe the screen. Every path from server text
to a terminal, a file or stderr goes through `clean` (or a helper built on it):

- C0 controls, DEL and C1 controls become visible stand-ins (`␛`, `␡`, `�`), never bytes a
  terminal acts on; tab and newline survive only where the caller asks for them;
- lone surrogates (undecodable input smuggled through `surrogateescape`) become `�`;
- bidirectional overrides and isolates (the "Trojan Source" characters) are shown as `<U+202E>`
  so a name cannot display in an order other than the one it is stored in;
- line and paragraph separators become a space (or a newline where newlines are kept);
- the result is bounded: past `limit` characters it is cut and says how much was left out.

Nothing here imports anything of the project, so the API client, the CLI and the UI all use it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Past this many characters a value is cut: a widget asked to render a 6 MB user name froze
# the dashboard for minutes. Detail views show more on request (`limit=None` is refused on
# purpose: pass a large number instead, so a bound is always a decision).
DEFAULT_LIMIT = 4096
CELL_LIMIT = 512
MESSAGE_LIMIT = 2000

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"

# U+061C ARABIC LETTER MARK, LRM/RLM, the embeddings/overrides and the isolates.
BIDI_CONTROLS = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


@lru_cache(maxsize=4)
def _table(newlines: bool, tabs: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # CONTROL PICTURES: ␀ ␁ ... ␛ ... ␟
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = REPLACEMENT
    for code in range(0xD800, 0xE000):
        table[code] = REPLACEMENT
    for code in BIDI_CONTROLS:
        table[code] = f"<U+{code:04X}>"
    separator = "\n" if newlines else " "
    table[0x2028] = separator
    table[0x2029] = separator
    table[0x85] = separator  # NEL is a C1 control that some terminals treat as a newline
    table[0x09] = "\t" if tabs else " "
    table[0x0A] = "\n" if newlines else " "
    return table


def clean(
    value: object,
    *,
    limit: int = DEFAULT_LIMIT,
    newlines: bool = False,
    tabs: bool = False,
) -> str:
    """`value` as text that is safe to show in a terminal and at most about `limit` long.

    `None` becomes the empty string. Printable text within the limit is returned as the same
    object (no copy): the table builds 100,000 cells through here.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    length = len(text)
    if length <= limit and text.isprintable():
        return text
    cut = length > limit
    if cut:
        text = text[:limit]
    if newlines:
        text = text.replace("\r\n", "\n")
    text = text.translate(_table(newlines, tabs))
    if cut:
        text += f"{ELLIPSIS} ({length - limit:,} more characters)"
    return text


def clean_cell(value: object) -> str:
    """One line for a table cell or a label."""
    # The common case inline (no second call): lists build 800,000 cells through here.
    if isinstance(value, str) and len(value) <= CELL_LIMIT and value.isprintable():
        return value
    return clean(value, limit=CELL_LIMIT)


def clean_message(value: object, *, limit: int = MESSAGE_LIMIT) -> str:
    """An error or status message from a server: one line, bounded."""
    return clean(value, limit=limit)


def clean_block(value: object, *, limit: int = DEFAULT_LIMIT) -> str:
    """Multi-line free text (descriptions, notes): newlines and tabs kept, bounded."""
    return clean(value, limit=limit, newlines=True, tabs=True)


def is_clean(text: str) -> bool:
    """True when `text` holds nothing `clean` would replace (newlines and tabs allowed)."""
    return all(ch in "\n\t" or ord(ch) not in _table(False, False) for ch in text)


# Spreadsheets run a cell that starts with one of these as a formula (`=HYPERLINK(...)`):
# OWASP's CSV-injection guidance is to prefix such a cell with a single quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object, *, limit: int = DEFAULT_LIMIT) -> str:
    """A CSV cell that a spreadsheet shows as text: cleaned, and never read as a formula."""
    if value is None:
        return ""
    raw = value if isinstance(value, str) else str(value)
    if raw.startswith(_FORMULA_START) and not _is_number(raw):
        return "'" + clean(raw, limit=limit)
    return clean(raw, limit=limit)


def _is_number(text: str) -> bool:
    # A negative number is data, not a formula; keep it a number for the spreadsheet.
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


# What `json.dumps(..., ensure_ascii=False)` leaves raw although a terminal acts on it: DEL and
# the C1 controls, the bidi controls, the line/paragraph separators and lone surrogates (which
# would not even encode as UTF-8). C0 controls are already escaped by `json`.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def escape_json(text: str) -> str:
    """JSON text with every character a terminal would act on written as `\\uXXXX`.

    Lossless: a JSON parser reads back exactly the values that were dumped, so scripts get
    the server's data unchanged while a terminal showing the output is safe.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
