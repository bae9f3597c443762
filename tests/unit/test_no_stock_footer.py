"""Every screen's footer is `KeyFooter`: Textual's own `Footer` keeps every key it replaces
alive (textual#6666), which grew the 30-minute soak from 105 MB to 831 MB."""

from __future__ import annotations

import re
from pathlib import Path

import stm_tui

STOCK = re.compile(r"(?<![A-Za-z_])Footer\(|from textual\.widgets import [^\n]*\bFooter\b")


def test_no_module_uses_textuals_footer() -> None:
    root = Path(stm_tui.__file__).parent
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "key_footer.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if STOCK.search(line)
    ]
    assert found == [], f"use stm_tui.tui.widgets.key_footer.KeyFooter: {found}"
