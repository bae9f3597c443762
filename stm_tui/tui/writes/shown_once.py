"""A secret the service shows exactly once (an API token, a client-certificate password).

The dialog shows the value with a copy key (OSC 52 through `App.copy_to_clipboard`, which
works over SSH where the terminal allows it) and says it cannot be shown again. Closing
before copying asks for a second Esc. When it closes, the dialog drops the value: the
widget showing it is emptied, the dialog's own reference is cleared, the result carries
nothing, and Textual's in-app clipboard copy is cleared too if it still holds the value (the
terminal's clipboard keeps it: that is where the user pastes from).
"""

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

from stm_tui.sanitize import clean, clean_message
from stm_tui.tui import keys


class ShownOnceScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "shown_once.copy", "shown_once.close"
    )

    def __init__(
        self,
        secret: SecretStr,
        *,
        title: str,
        what: str,
        hint: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="write-modal")
        self._secret: SecretStr | None = secret
        self.title_text = title
        self.what = what
        self.hint = hint
        self.copied = False
        self._armed = False  # a first Esc before copying: the second one closes

    def compose(self) -> ComposeResult:
        with Vertical(id="shown-box", classes="write-box"):
            yield Static(Text(clean_message(self.title_text)), classes="write-title", markup=False)
            yield Static(Text(clean_message(self.what)), markup=False)
            shown = clean(self._secret.get_secret_value() if self._secret else "", limit=512)
            yield Static(Text(shown), id="shown-secret", markup=False)
            yield Static(
                Text(
                    "This is the only time it is shown: it cannot be shown again, here or in "
                    "STM. Store it now (c copies it)."
                ),
                id="shown-warning",
                markup=False,
            )
            if self.hint:
                yield Static(Text(clean_message(self.hint), style="dim"), markup=False)
            yield Static("", id="shown-state", markup=False)
            with Horizontal(classes="write-buttons"):
                yield Button("Copy", id="copy", compact=True)
                yield Button("I have stored it", id="done", variant="primary", compact=True)
            yield Static(
                "c copy · Enter on a button · Esc close", classes="write-hint", markup=False
            )

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    @on(Button.Pressed, "#copy")
    def _copy_pressed(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#done")
    def _done_pressed(self) -> None:
        self._close()

    def action_copy(self) -> None:
        if self._secret is None:
            return
        self.app.copy_to_clipboard(self._secret.get_secret_value())
        self.copied = True
        self._armed = False
        self._state(
            "copied to the clipboard (through the terminal: OSC 52; if your terminal does not "
            "allow it, select the value instead)"
        )

    def action_close(self) -> None:
        if self.copied or self._armed:
            self._close()
            return
        self._armed = True
        self._state("not copied yet: Esc again closes, and the value is gone for good")

    def _state(self, message: str) -> None:
        self.query_one("#shown-state", Static).update(Text(message))

    def _close(self) -> None:
        self._drop()
        self.dismiss(None)

    def _drop(self) -> None:
        secret = self._secret
        self._secret = None
        if secret is not None and self.app.clipboard == secret.get_secret_value():
            # Textual keeps a copy for its own paste; the terminal's clipboard is unaffected.
            self.app._clipboard = ""
        for shown in self.query("#shown-secret").results(Static):
            shown.update("")

    def on_unmount(self) -> None:
        self._drop()
