"""`?` / F1: the keys of the screen underneath, the area keys and the filter grammar."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from stm_tui.tui.areas import AREAS

# Generic keys every Textual app has; they would bury the ones that matter here.
SKIPPED_ACTIONS = frozenset(
    {
        "scroll_left", "scroll_right", "page_left", "page_right", "focus_next",
        "focus_previous", "app.focus_next", "app.focus_previous", "screen.copy_text",
        "app.copy_text", "copy_text",
    }
)

FILTER_HELP = (
    "Filter grammar: words are ANDed substrings over every column; field:value matches one "
    "column (by its title or key); !word excludes; \"two words\" is one term. Esc clears."
)


def keys_of(screen: Screen[object]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        action = binding.action
        if (
            binding.description in seen
            or not binding.description
            or action in SKIPPED_ACTIONS
            or action.startswith(("switch_mode", "app.switch_mode"))
        ):
            continue
        seen.add(binding.description)
        shown = binding.key_display or screen.app.get_key_display(binding)
        table.add_row(Text(shown), Text(binding.description))
    return table


def areas() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for area in AREAS:
        table.add_row(Text(area.key), Text(area.title))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "app.pop_screen", "Close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__(id="help")
        self.under = under

    def compose(self) -> ComposeResult:
        title = getattr(getattr(self.under, "area", None), "title", "") or "Keys"
        with VerticalScroll(id="help-box"):
            yield Static(Text(f"{title}: keys", style="bold"), markup=False)
            yield Static(keys_of(self.under), markup=False)
            hint = getattr(self.under, "HELP", None)
            if hint:
                yield Static(Text(hint, style="italic"), markup=False)
            yield Static(Text("\nAreas", style="bold"), markup=False)
            yield Static(areas(), markup=False)
            yield Static(Text("\n" + FILTER_HELP), markup=False)
            yield Static(
                Text("\nctrl+p opens the command palette: actions and jump to any resource "
                     "by name. Esc or ? closes this help.", style="dim"),
                markup=False,
            )
