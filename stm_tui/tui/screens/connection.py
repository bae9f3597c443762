"""`I` (or the palette's "Connection & credentials"): who and where the dashboard acts, where
each credential came from, and where the local files are. Never a secret's value.

The content is `stm_tui.views.connection`; this screen lays it out (labels in a column,
values wrapping below 80 columns, the whole scrolling when the terminal is short) and
redraws it once a second while it is open, so the identity and the mode it shows stay those
of the identity bar. Where a step-up code would come from is read once, when it opens.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.step_up import seed_source
from stm_tui.tui import keys
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.views.connection import Section, connection_sections

TITLE = "Connection & credentials"
LABEL_WIDTH = 16


def render_sections(sections: list[Section]) -> RenderableType:
    parts: list[RenderableType] = []
    for section in sections:
        if parts:
            parts.append(Text(""))
        parts.append(Text(section.title, style="bold"))
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=LABEL_WIDTH, no_wrap=True, style="dim")
        # Paths have no spaces to break at: fold them rather than cut them.
        grid.add_column(ratio=1, overflow="fold")
        for label, value in section.rows:
            grid.add_row(Text(label), Text(value))
        parts.append(grid)
    return Group(*parts)


class ConnectionScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("connection.close")
    HELP = "Where each credential came from; never a value. Esc closes."

    def __init__(self) -> None:
        super().__init__(id="connection")
        self._step_up = ""
        self._shown: list[Section] | None = None

    @property
    def host(self) -> ScreenHost:
        app = self.app
        if not isinstance(app, ScreenHost):
            raise TypeError("the connection view needs an app that is a ScreenHost")
        return app

    def compose(self) -> ComposeResult:
        yield Static(Text(TITLE, style="bold"), id="connection-title", markup=False)
        with VerticalScroll(id="connection-body"):
            yield Static("", id="connection-facts", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._step_up = seed_source()
        self.redraw()
        self.set_interval(1.0, self.redraw)
        self.query_one("#connection-body", VerticalScroll).focus()

    def sections(self) -> list[Section]:
        host = self.host
        return connection_sections(host.session, step_up=self._step_up, key_for=host.key_for)

    def redraw(self) -> None:
        sections = self.sections()
        if sections == self._shown:
            return  # nothing changed: nothing is written to the terminal
        self._shown = sections
        self.query_one("#connection-facts", Static).update(render_sections(sections))

    def action_close(self) -> None:
        self.dismiss(None)
