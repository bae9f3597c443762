"""Sparklines as text, in three glyph sets for the fonts a jump host offers.

- `blocks`: one minute per cell, eight heights (`▁▂▃▄▅▆▇█`);
- `braille`: two minutes per cell, four heights each (an hour in 30 cells);
- `ascii`: one minute per cell, for terminals or fonts without either (` .:-=+*#`).

A minute with no signature is a space in every set, so a quiet stretch reads as quiet. The
scale is given (`peak`) so rows of one kind (the keypairs, the signers) can share one and be
compared by eye.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

GLYPH_SETS = ("blocks", "braille", "ascii")
_BLOCKS = "▁▂▃▄▅▆▇█"
_ASCII = ".:-=+*#"
# Braille dots from the bottom up: left column 7, 3, 2, 1; right column 8, 6, 5, 4.
_LEFT = (0x40, 0x04, 0x02, 0x01)
_RIGHT = (0x80, 0x20, 0x10, 0x08)


def minutes_shown(width: int, glyphs: str) -> int:
    return max(0, width) * (2 if glyphs == "braille" else 1)


def _level(value: int, peak: int, levels: int) -> int:
    """0 for no signature, else 1..levels, the peak at the top."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, min(levels, math.ceil(value * levels / peak)))


def sparkline(values: Sequence[int], width: int, glyphs: str = "blocks",
              peak: int | None = None) -> str:
    """The newest values that fit `width` cells, right-aligned (the newest at the right)."""
    if width <= 0:
        return ""
    shown = list(values[-minutes_shown(width, glyphs):])
    top = max(shown, default=0) if peak is None else peak
    if glyphs == "braille":
        if len(shown) % 2:
            shown.insert(0, 0)
        cells = []
        for left, right in zip(shown[::2], shown[1::2], strict=True):
            bits = sum(_LEFT[:_level(left, top, 4)]) + sum(_RIGHT[:_level(right, top, 4)])
            cells.append(chr(0x2800 + bits) if bits else " ")
        text = "".join(cells)
    else:
        table = _ASCII if glyphs == "ascii" else _BLOCKS
        text = "".join(
            table[_level(v, top, len(table)) - 1] if v > 0 else " " for v in shown
        )
    return text.rjust(width)
