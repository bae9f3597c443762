"""What happened after a write: done, refused, or not known. Three looks, never confused.

A creating call is sent once and never retried, so a timeout or a dropped connection after
sending leaves the outcome unknown: it is said as such, with what a re-read of the resource
shows ("re-read shows: keypair build-key exists, OFFLINE"), and never as success or failure.

`show_outcome(app, outcome)`: a success is a toast; a failure or an unknown outcome opens a
modal that must be acknowledged (a toast is never the only signal for something that needs
attention). Every server-provided string goes through the sanitiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from stm_tui.api.errors import StmError
from stm_tui.api.writes.call import WriteCall
from stm_tui.sanitize import clean_cell, clean_message
from stm_tui.tui import keys

PAST = {
    "generate": "generated",
    "create": "created",
    "update": "updated",
    "suspend": "suspended (OFFLINE)",
    "unsuspend": "unsuspended (ONLINE)",
    "delete": "deleted",
    "revoke": "revoked",
    "approve": "approved",
    "reject": "rejected",
    "close": "closed",
    "enable": "enabled",
    "disable": "disabled",
    "deactivate": "deactivated",
    "setup": "set up",
    "validate": "validated",
    "set_default": "made the default",
}

# What a person can do about a failure, by error kind.
ADVICE = {
    "permission": "your role does not allow this; ask a Lead",
    "auth": "the credentials were refused; check the API key and client certificate",
    "not_found": "it is gone on the server; the list will refresh",
    "rate_limited": "the service asks to slow down; try again in a moment",
    "offline": "the service could not be reached; nothing was sent",
    "config": "nothing was sent",
}


class OutcomeKind(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    headline: str
    details: tuple[str, ...] = ()

    @classmethod
    def success(cls, call: WriteCall, note: str | None = None) -> Outcome:
        """"keypair build-key generated" (from the call's action and target)."""
        noun, verb = _parts(call)
        label = call.target.label if call.target is not None else ""
        if verb in PAST and noun and label:
            headline = f"{noun} {label} {PAST[verb]}"
        else:
            headline = f"done: {call.summary}"
        return cls(OutcomeKind.SUCCESS, headline, (note,) if note else ())

    @classmethod
    def failure(cls, call: WriteCall, error: StmError | str) -> Outcome:
        message = error.message if isinstance(error, StmError) else error
        details = [message]
        if isinstance(error, StmError) and error.kind in ADVICE:
            details.append(ADVICE[error.kind])
        return cls(OutcomeKind.FAILURE, f"failed: {call.summary}", tuple(details))

    @classmethod
    def unknown(cls, call: WriteCall, reread: str | None = None) -> Outcome:
        """`reread`: what a fresh read of the target shows, or None when that failed too."""
        details = ["the service did not answer: it may or may not have happened (not retried)"]
        if reread:
            details.append(f"re-read shows: {reread}")
        else:
            details.append("the re-read failed too: check the resource before trying again")
        return cls(OutcomeKind.UNKNOWN, f"outcome unknown: {call.summary}", tuple(details))

    @classmethod
    def from_error(cls, call: WriteCall, error: StmError, reread: str | None = None) -> Outcome:
        if error.kind == "outcome_unknown":
            return cls.unknown(call, reread)
        return cls.failure(call, error)

    def text(self) -> Text:
        """The outcome as one block of text, headline first (all of it sanitised)."""
        style = {"success": "bold green", "failure": "bold red", "unknown": "bold yellow"}
        text = Text(clean_message(self.headline), style=style[self.kind.value])
        for line in self.details:
            text.append("\n" + clean_message(line))
        return text


def _parts(call: WriteCall) -> tuple[str, str]:
    noun, _, verb = call.action.partition(".")
    return noun.replace("_", " "), verb


class OutcomeScreen(ModalScreen[None]):
    """A failure or an unknown outcome, until acknowledged (Enter or Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("outcome.close")

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(classes="write-modal")
        self.outcome = outcome

    def compose(self) -> ComposeResult:
        kind = self.outcome.kind.value
        with Vertical(id="outcome-box", classes=f"write-box outcome-{kind}"):
            label = {"success": "Done", "failure": "Failed", "unknown": "Outcome unknown"}[kind]
            yield Static(Text(label), classes="write-title", markup=False)
            yield Static(Text(clean_message(self.outcome.headline)), markup=False)
            for line in self.outcome.details:
                yield Static(Text(clean_message(line)), classes="outcome-detail", markup=False)
            with Horizontal(classes="write-buttons"):
                yield Button("OK", id="ok", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)


def notify_outcome(app: App[Any], outcome: Outcome) -> None:
    severity = {"success": "information", "failure": "error", "unknown": "warning"}
    body = "\n".join(clean_message(line) for line in outcome.details)
    app.notify(
        body or clean_cell(outcome.headline),
        title=clean_cell(outcome.headline) if body else "",
        severity=severity[outcome.kind.value],  # type: ignore[arg-type]
        markup=False,
        timeout=4 if outcome.kind is OutcomeKind.SUCCESS else 10,
    )


def show_outcome(app: App[Any], outcome: Outcome) -> None:
    """A toast for success; a modal to acknowledge for a failure or an unknown outcome."""
    if outcome.kind is OutcomeKind.SUCCESS:
        notify_outcome(app, outcome)
    else:
        app.push_screen(OutcomeScreen(outcome))
