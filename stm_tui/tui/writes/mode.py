"""Entering write mode is asked for; leaving it is not.

`WriteModeScreen` says what write mode allows and where (host, account, user), with the
focus on Cancel; `y` or the button enters it. `toggle_write_mode` is what the app's key
calls: from read-only it pushes the screen, from write mode it goes back to read-only at once
(becoming safer never needs a question). The mode lives for the session only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from stm_tui.sanitize import clean_cell
from stm_tui.tui import keys

ALLOWS = (
    "generate, update, suspend and delete keypairs",
    "generate, set as default and revoke certificates",
    "request, approve and close release windows",
    "manage users, tokens, teams and profiles (as your role allows)",
)


class WriteModeScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "confirm.cancel", "write_mode.enter"
    )

    def __init__(
        self,
        *,
        host: str,
        account: str,
        user: str | None = None,
        production: bool = False,
        key: str = "W",
    ) -> None:
        super().__init__(classes="write-modal")
        self.host = host
        self.account = account
        self.user = user
        self.production = production
        self.key = key

    def compose(self) -> ComposeResult:
        box = Vertical(id="mode-box", classes="write-box")
        box.set_class(self.production, "-danger")
        with box:
            yield Static("Enter write mode?", classes="write-title", markup=False)
            where = Text("Changes will be made on ")
            where.append(clean_cell(self.host), style="bold")
            where.append(", account ")
            where.append(clean_cell(self.account), style="bold")
            if self.user:
                where.append(", as ")
                where.append(clean_cell(self.user), style="bold")
            if self.production:
                where.append("  PRODUCTION", style="bold red")
            yield Static(where, id="mode-where", markup=False)
            yield Static("Write mode lets this session:", classes="confirm-section", markup=False)
            yield Static(Text("\n".join("• " + line for line in ALLOWS)), markup=False)
            yield Static(
                Text(
                    "Every change still shows its exact request and asks first; irreversible "
                    "ones need the name typed. It lasts for this session only and is never "
                    f"saved. Press {self.key} again to go back to read-only (no question asked)."
                ),
                classes="write-intro",
                markup=False,
            )
            with Horizontal(classes="write-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Enter write mode", id="enter", variant="warning", compact=True)
            yield Static("y enter · n or Esc cancel", classes="write-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#enter")
    def _enter_pressed(self) -> None:
        self.action_enter()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_enter(self) -> None:
        self.dismiss(True)


def toggle_write_mode(
    app: App[Any],
    *,
    read_only: bool,
    set_read_only: Callable[[bool], None],
    host: str,
    account: str,
    user: str | None = None,
    production: bool = False,
    key: str = "W",
) -> None:
    """From read-only: ask, then `set_read_only(False)`. From write mode: `set_read_only(True)`."""
    if not read_only:
        set_read_only(True)
        return

    def answered(enter: bool | None) -> None:
        if enter:
            set_read_only(False)

    app.push_screen(
        WriteModeScreen(host=host, account=account, user=user, production=production, key=key),
        answered,
    )
