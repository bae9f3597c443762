"""A QR code as terminal text: two module rows per line with half blocks.

Dark modules are always black on a white background, whatever the theme: phone cameras read
dark-on-light codes, and a light theme's inverted colours would give a negative image that many
authenticator apps refuse.
"""

from __future__ import annotations

import segno
from rich.style import Style
from rich.text import Text

QUIET_ZONE = 1  # modules of light border; the terminal's own margin adds to it
_STYLE = Style(color="black", bgcolor="white")
_CELLS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_lines(data: str, *, quiet_zone: int = QUIET_ZONE) -> list[Text]:
    """The code for `data` (error level L, the smallest symbol), one `Text` per terminal row."""
    code = segno.make(data, error="l", micro=False)
    matrix = [[bool(m) for m in row] for row in code.matrix]
    size = len(matrix)
    blank = [False] * (size + 2 * quiet_zone)
    rows = [blank] * quiet_zone + [
        [False] * quiet_zone + row + [False] * quiet_zone for row in matrix
    ] + [blank] * quiet_zone
    if len(rows) % 2:
        rows.append(blank)
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        cells = "".join(_CELLS[(t, b)] for t, b in zip(top, bottom, strict=True))
        lines.append(Text(cells, style=_STYLE, no_wrap=True, overflow="crop"))
    return lines


def qr_size(data: str, *, quiet_zone: int = QUIET_ZONE) -> tuple[int, int]:
    """(columns, rows) the code needs on screen."""
    modules = len(segno.make(data, error="l", micro=False).matrix) + 2 * quiet_zone
    return modules, (modules + 1) // 2
