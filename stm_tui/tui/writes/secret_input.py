"""A masked input for tokens, the CertCentral API key and TOTP codes.

Textual's `Input(password=True)` only masks how the value is drawn: the value sits in a
reactive, travels in every `Changed`/`Submitted` message (and so reaches `message_hook`, the
devtools log and anything that logs messages), and ctrl+c / ctrl+x copy the plain text to the
clipboard. This widget is not an `Input`:

- the characters live in a private list, never in a reactive and never in a message (its
  messages carry the length and whether the rule is met, nothing else);
- it draws bullets only, and cannot be selected, copied or cut (it has no such bindings, and
  it never calls `copy_to_clipboard`);
- typing appends and backspace removes the last character: there is no cursor to move, so
  there is nothing to select;
- paste is accepted (tokens are pasted), the first line only, trimmed;
- `take()` hands the value out once as a `SecretStr` and clears the widget; unmounting clears
  it too. (Python cannot promise the characters are gone from memory, only that this widget
  holds no reference to them.)
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from stm_tui.tui import keys

BULLET = "•"


@dataclass(frozen=True, slots=True)
class SecretRule:
    """What a value must look like: length bounds and the characters allowed (None: any)."""

    min_length: int = 1
    max_length: int | None = None
    charset: frozenset[str] | None = None
    charset_name: str = "allowed characters"

    @classmethod
    def digits(cls, length: int) -> SecretRule:
        """Exactly `length` ASCII digits: a TOTP code."""
        return cls(length, length, frozenset("0123456789"), "digits")

    def problem(self, length: int) -> str | None:
        if length == 0:
            return "required" if self.min_length > 0 else None
        if length < self.min_length:
            if self.max_length == self.min_length:
                return f"{self.min_length} {self.charset_name} needed ({length} so far)"
            return f"at least {self.min_length} characters ({length} so far)"
        return None

    def allows(self, char: str) -> bool:
        return self.charset is None or char in self.charset


class SecretInput(Widget, can_focus=True):
    """One masked line. Read the value with `take()` (clears) or `peek()` (for validation)."""

    ALLOW_SELECT = False

    # Only editing keys. No copy, cut or select-all: there is nothing a key can export.
    BINDINGS = keys.bindings("secret.delete", "secret.clear", "secret.submit")

    DEFAULT_CSS = """
    SecretInput {
        width: 1fr;
        height: 1;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
        }
        &.-invalid {
            background-tint: $error 20%;
        }
    }
    """

    class Changed(Message):
        """The number of characters changed. Carries no character of the value."""

        def __init__(self, secret_input: SecretInput, length: int, problem: str | None) -> None:
            super().__init__()
            self.secret_input = secret_input
            self.length = length
            self.problem = problem

        @property
        def control(self) -> SecretInput:
            return self.secret_input

    class Submitted(Message):
        """Enter was pressed. Call `take()` on `control` to read the value."""

        def __init__(self, secret_input: SecretInput, valid: bool) -> None:
            super().__init__()
            self.secret_input = secret_input
            self.valid = valid

        @property
        def control(self) -> SecretInput:
            return self.secret_input

    def __init__(
        self,
        *,
        placeholder: str = "",
        rule: SecretRule | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.placeholder = placeholder
        self.rule = rule or SecretRule()
        self._chars: list[str] = []
        self._refused: str | None = None  # why the last key or paste was not taken

    def __repr__(self) -> str:
        return f"SecretInput(id={self.id!r}, length={len(self._chars)})"

    # reading -----------------------------------------------------------------------------

    @property
    def length(self) -> int:
        return len(self._chars)

    @property
    def problem(self) -> str | None:
        """Why the value is not acceptable yet (None when it is)."""
        return self._refused or self.rule.problem(len(self._chars))

    @property
    def valid(self) -> bool:
        return self.rule.problem(len(self._chars)) is None

    def peek(self) -> SecretStr:
        """The value without clearing it: for validating a form while it is being filled."""
        return SecretStr("".join(self._chars))

    def take(self) -> SecretStr:
        """The value, once: the widget is empty afterwards."""
        value = SecretStr("".join(self._chars))
        self.clear()
        return value

    def clear(self) -> None:
        self._wipe()
        self._changed()

    # editing -----------------------------------------------------------------------------

    def _append(self, text: str) -> None:
        limit = self.rule.max_length
        bad = next((ch for ch in text if not self.rule.allows(ch) or not ch.isprintable()), None)
        if bad is not None:
            self._refused = f"only {self.rule.charset_name}: nothing was added"
        elif limit is not None and len(self._chars) + len(text) > limit:
            self._refused = f"at most {limit} characters: nothing was added"
        else:
            self._refused = None
            self._chars.extend(text)
        self._changed()

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character is not None:
            event.stop()
            event.prevent_default()
            self._append(event.character)

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        lines = event.text.splitlines()
        text = lines[0].strip() if lines else ""
        if text:
            self._append(text)

    def action_delete_left(self) -> None:
        if self._chars:
            self._chars.pop()
        self._refused = None
        self._changed()

    def action_clear(self) -> None:
        self._refused = None
        self.clear()

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.valid))

    def _changed(self) -> None:
        self.set_class(self._refused is not None, "-invalid")
        self.refresh()
        self.post_message(self.Changed(self, len(self._chars), self.problem))

    def _wipe(self) -> None:
        for index in range(len(self._chars)):
            self._chars[index] = ""
        self._chars.clear()

    def on_unmount(self) -> None:
        self._wipe()

    # drawing -----------------------------------------------------------------------------

    def render(self) -> Text:
        width = max(1, self.content_region.width or self.size.width or 1)
        focused = self.has_focus
        if not self._chars:
            line = Text()
            if focused:
                line.append(" ", style="reverse")
            line.append(self.placeholder[: max(0, width - 1)], style="dim")
            return line
        room = width - 1 if focused else width
        count = len(self._chars)
        shown = BULLET * count if count <= room else "…" + BULLET * max(0, room - 1)
        line = Text(shown)
        if focused:
            line.append(" ", style="reverse")
        return line
