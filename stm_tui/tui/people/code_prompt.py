"""A six-digit authenticator code for one request (step-up), masked like every secret."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from stm_tui.sanitize import clean_message
from stm_tui.totp import normalise_code
from stm_tui.tui import keys
from stm_tui.tui.writes.secret_input import SecretInput, SecretRule

# ASCII and full-width digits: what a phone or an input method may type. Both are folded
# to ASCII before the code is used, so a used code in full-width digits is the same code.
CODE_RULE = SecretRule(
    6, 6, frozenset("0123456789") | frozenset(chr(0xFF10 + i) for i in range(10)), "digits"
)


def folded(code: SecretStr) -> SecretStr | None:
    digits = normalise_code(code.get_secret_value())
    return SecretStr(digits) if digits is not None and len(digits) == 6 else None


class CodePrompt(ModalScreen[SecretStr | None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("modal.cancel")

    def __init__(self, what: str) -> None:
        super().__init__(classes="write-modal")
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(classes="write-box"):
            yield Static(Text("Authenticator code needed"), classes="write-title", markup=False)
            yield Static(
                Text(
                    "The account requires two-factor authentication: "
                    + clean_message(self.what)
                    + " needs a current code from your authenticator app."
                ),
                markup=False,
            )
            yield SecretInput(placeholder="6 digits", rule=CODE_RULE, id="code")
            yield Static("", id="code-state", markup=False)
            with Horizontal(classes="write-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Send", id="send", variant="primary", compact=True)
            yield Static("Enter sends · Esc cancels", classes="write-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#code", SecretInput).focus()

    @on(SecretInput.Submitted)
    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        field = self.query_one("#code", SecretInput)
        if not field.valid:
            self.query_one("#code-state", Static).update(Text(field.problem or "6 digits"))
            return
        code = folded(field.take())
        if code is None:
            self.query_one("#code-state", Static).update(Text("6 digits"))
            return
        self.dismiss(code)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.query_one("#code", SecretInput).clear()
        self.dismiss(None)
