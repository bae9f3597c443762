"""`?` / F1: the keys of the screen underneath, the area keys and the filter grammar.

Laid out in as many columns as the terminal allows, so that the whole help is on screen at
80x24 without scrolling; the box takes the height of what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from stm_tui.tui import keys
from stm_tui.tui.areas import AREAS
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.screens.base import AreaScreen, WriteState

# Generic keys every Textual app has; they would bury the ones that matter here.
SKIPPED_ACTIONS = frozenset(
    {
        "scroll_left", "scroll_right", "page_left", "page_right", "focus_next",
        "focus_previous", "app.focus_next", "app.focus_previous", "screen.copy_text",
        "app.copy_text", "copy_text",
        # The last line of the help says what ^p does; a column entry too would cost a line.
        "command_palette", "app.command_palette",
    }
)

# One line at 80 columns (the help must fit 80x24 with every area's write actions).
FILTER_HELP = '/ filter: words, field:value, !word, "a phrase"; Esc clears'

PALETTE_HELP = "^p palette: actions, jump to anything by name · Esc or ? closes"

COLUMN_WIDTH = 21  # one "keys  description" entry, and the gap after it

Entry = tuple[str, str]  # (keys, description); a description alone is a heading

# Write actions are listed apart from the other keys, each with why it may not run now.
WRITE_PREFIX = "write("


def keys_of(screen: Screen[object]) -> list[Entry]:
    """One entry per description, with every key that does it; footer keys first, so that
    the help and the footer name the same key (`q` Quit, also `^q`)."""
    keys: dict[str, list[tuple[bool, str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        action = binding.action
        if (
            not binding.description
            or action in SKIPPED_ACTIONS
            or action.startswith(("switch_mode", "app.switch_mode", WRITE_PREFIX))
        ):
            continue
        shown = binding.key_display or screen.app.get_key_display(binding)
        found = keys.setdefault(binding.description, [])
        if all(shown != name for _, name in found):
            found.append((not binding.show, shown))
    return [
        (" ".join(name for _, name in sorted(found, key=lambda k: k[0])), description)
        for description, found in keys.items()
    ]


def areas(key_for: Callable[[str], str] | None = None) -> list[Entry]:
    """The area keys, as a profile's keymap binds them when `key_for` is given."""
    return [
        (key_for(f"area.{area.mode}") if key_for else area.key, area.title) for area in AREAS
    ]


def write_lines(states: Iterable[WriteState]) -> Text:
    """Each write action on the selected item: its key, and why it may not run now. Actions
    disabled for the same reason share a line (read-only mode dims them all), so a list
    with several actions still fits 24 lines."""
    groups: list[tuple[str | None, list[WriteState]]] = []
    for state in states:
        reason = None if state.availability else (state.availability.reason or "")
        if reason is not None and groups and groups[-1][0] == reason:
            groups[-1][1].append(state)
        else:
            groups.append((reason, [state]))
    out = Text()
    for reason, members in groups:
        if out:
            out.append("\n")
        for i, state in enumerate(members):
            if i:
                out.append(" · ")
            out.append(state.key, style="bold")
            out.append(f" {state.action.label}")
        if reason is None:
            target = members[0].target
            out.append(f": {target}" if target else "")
        else:
            out.append(f": {reason}", style="dim")
    return out


class Columns:
    """The screen's keys flowed top to bottom into as many columns as fit, the area keys
    in a column of their own beside them (below them on a very narrow terminal)."""

    def __init__(self, keys: Iterable[Entry], areas: Iterable[Entry]) -> None:
        self.keys = list(keys)
        self.areas = [("", "Areas"), *areas]

    @staticmethod
    def columns_for(width: int) -> int:
        return max(1, min(3, width // COLUMN_WIDTH))

    def chunks(self, count: int) -> list[list[Entry]]:
        if count == 1:
            return [[*self.keys, ("", ""), *self.areas]]
        per_column = max(-(-len(self.keys) // (count - 1)), 1)
        flowed = [self.keys[i : i + per_column] for i in range(0, len(self.keys), per_column)]
        return [*flowed, self.areas]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        chunks = self.chunks(self.columns_for(options.max_width))
        grid = Table.grid(padding=(0, 2), expand=True)
        for _ in chunks:
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        widths = [max((len(k) for k, _ in chunk), default=1) for chunk in chunks]
        for row in range(max(len(chunk) for chunk in chunks)):
            cells = []
            for chunk, width in zip(chunks, widths, strict=True):
                cells.append(self._cell(chunk[row], width) if row < len(chunk) else Text(""))
            grid.add_row(*cells)
        yield grid

    @staticmethod
    def _cell(entry: Entry, key_width: int) -> Text:
        keys, description = entry
        if not keys:
            return Text(description, style="bold")
        cell = Text(keys.ljust(key_width), style="bold")
        cell.append(f" {description}")
        return cell

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(COLUMN_WIDTH, options.max_width)


class HelpScreen(ModalScreen[None]):
    BINDINGS = keys.bindings("help.close")

    def __init__(self, under: Screen[object]) -> None:
        super().__init__(id="help")
        self.under = under

    def compose(self) -> ComposeResult:
        title = getattr(getattr(self.under, "area", None), "title", "") or "Keys"
        with VerticalScroll(id="help-box"):
            yield Static(Text(f"{title}: keys", style="bold"), markup=False)
            host = self.app if isinstance(self.app, ScreenHost) else None
            yield Static(
                Columns(keys_of(self.under), areas(host.key_for if host else None)),
                markup=False,
            )
            states = self.under.write_states() if isinstance(self.under, AreaScreen) else []
            if states:
                # No heading: the line must fit 80 columns, and its reason says what it is.
                yield Static(write_lines(states), markup=False, id="help-writes")
            hint = getattr(self.under, "HELP", None)
            if hint:
                yield Static(Text(hint, style="italic"), markup=False)
            yield Static(Text(FILTER_HELP), markup=False)
            yield Static(Text(PALETTE_HELP, style="dim"), markup=False, id="help-last")
