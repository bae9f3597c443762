"""The write-side UI kit: forms from request models, previews and confirmation tiers,
outcomes, secret inputs, shown-once secrets, the write-mode question and the command log.

Nothing here sends a request: screens return values (a validated model, a bool) and the
caller turns them into `WriteCall`s and executes them.
"""

from stm_tui.tui.writes.command_log_screen import CommandLogScreen
from stm_tui.tui.writes.confirm import (
    ApprovalInfo,
    ApprovalScreen,
    ConfirmScreen,
    IrreversibleScreen,
    confirmation_for,
)
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.mode import WriteModeScreen, toggle_write_mode
from stm_tui.tui.writes.outcome import Outcome, OutcomeKind, OutcomeScreen, show_outcome
from stm_tui.tui.writes.secret_input import SecretInput, SecretRule
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from stm_tui.tui.writes.spec import Choice, FieldSpec, FormSpec, Kind, Lock

__all__ = [
    "ApprovalInfo",
    "ApprovalScreen",
    "Choice",
    "CommandLogScreen",
    "ConfirmScreen",
    "FieldSpec",
    "FormSpec",
    "IrreversibleScreen",
    "Kind",
    "Lock",
    "Outcome",
    "OutcomeKind",
    "OutcomeScreen",
    "RequestForm",
    "SecretInput",
    "SecretRule",
    "ShownOnceScreen",
    "WriteModeScreen",
    "confirmation_for",
    "show_outcome",
    "toggle_write_mode",
]
