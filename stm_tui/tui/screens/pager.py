"""`v`: every field of one item in full, in a scrollable pager.

Detail panes cut a value at a few kB so that one hostile 6 MB string cannot freeze the screen;
this is where the whole value can be read. It is still bounded (`PAGER_LIMIT` characters in
all) and cleaned like everything else from the server. Lines are folded to the pager's width
before they reach the widget, which draws only the lines on screen.
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Log, Static

from stm_tui.sanitize import clean_block, clean_cell
from stm_tui.tui import keys
from stm_tui.tui.widgets.key_footer import KeyFooter

PAGER_LIMIT = 1 << 20  # 1 MiB of text in all
INDENT = "  "


def field_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, default=str)


def fold(text: str, width: int) -> list[str]:
    """`text` as lines of at most `width` characters (each of its own lines folded)."""
    out: list[str] = []
    width = max(8, width)
    for line in text.split("\n"):
        if not line:
            out.append("")
            continue
        # Slices by index: cutting the head off a 1 MB line again and again is quadratic.
        out.extend(line[i : i + width] for i in range(0, len(line), width))
    return out


def pager_lines(data: dict[str, Any], width: int, limit: int = PAGER_LIMIT) -> list[str]:
    """`name:` then the folded value, field after field, until `limit` characters are used."""
    lines: list[str] = []
    budget = limit
    for name, value in data.items():
        if budget <= 0:
            lines.append(f"… the remaining fields are not shown (over {limit:,} characters)")
            break
        shown = clean_block(field_text(value), limit=budget)
        budget -= len(shown)
        lines.append(f"{clean_cell(name)}:")
        lines += [INDENT + part for part in fold(shown, width - len(INDENT))]
    return lines


class PagerScreen(Screen[None]):
    BINDINGS = keys.bindings(
        "pager.close", "pager.down", "pager.up", "pager.top", "pager.bottom"
    )

    DEFAULT_CSS = """
    PagerScreen #pager-title { height: 1; background: $panel; text-style: bold; }
    PagerScreen Log { height: 1fr; }
    """

    def __init__(self, title: str, data: dict[str, Any]) -> None:
        super().__init__(id="pager")
        self.title_text = clean_cell(title)
        self.data = data

    def compose(self) -> ComposeResult:
        yield Static(f" {self.title_text}: every field in full", id="pager-title", markup=False)
        yield Log(highlight=False, auto_scroll=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        log = self.query_one(Log)
        width = (self.size.width or 80) - 2
        log.write_lines(pager_lines(self.data, width))
        log.scroll_home(animate=False)
        log.focus()

    def action_scroll(self, direction: str) -> None:
        log = self.query_one(Log)
        if direction == "down":
            log.scroll_down(animate=False)
        else:
            log.scroll_up(animate=False)

    def action_edge(self, where: str) -> None:
        log = self.query_one(Log)
        if where == "home":
            log.scroll_home(animate=False)
        else:
            log.scroll_end(animate=False)
