"""The identity bar: who, where and in which mode the dashboard acts. Always visible."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from stm_tui.sanitize import clean_cell
from stm_tui.session import Identity


class IdentityBar(Horizontal):
    """One line: mode badge, user and role @ account, profile and host, local user@host."""

    DEFAULT_CLASSES = "identity-bar"

    def compose(self) -> ComposeResult:
        yield Static("", id="mode", markup=False)
        yield Static("", id="who", markup=False)
        yield Static("", id="local", markup=False)

    def show(self, identity: Identity | None, read_only: bool, error: str | None = None) -> None:
        mode = self.query_one("#mode", Static)
        mode.update(Text(" READ-ONLY " if read_only else " WRITE ", style="bold"))
        mode.set_class(not read_only, "-write")
        self.set_class(bool(identity and identity.is_production), "-production")
        who = self.query_one("#who", Static)
        local = self.query_one("#local", Static)
        if identity is None:
            who.update(Text(" connecting…", style="dim"))
            local.update("")
            return
        # Names come from the server (and the host from a config file): cleaned, bounded.
        line = Text(" ")
        line.append(clean_cell(identity.user_name), style="bold")
        if identity.roles:
            line.append(f" ({clean_cell(', '.join(identity.roles))})")
        line.append(" @ ")
        line.append(clean_cell(identity.account_name), style="bold")
        line.append(f"  {clean_cell(identity.profile)}", style="dim")
        line.append(f" {clean_cell(identity.host)}", style="dim")
        if identity.is_production:
            line.append("  PRODUCTION", style="bold red")
        if error:
            line.append(f"  ({clean_cell(error)})", style="red")
        who.update(line)
        local.update(Text(clean_cell(identity.local) + " "))
