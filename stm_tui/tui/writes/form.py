"""A modal form built from a request model: field messages as you type, submit when valid.

    form = RequestForm(GenerateKeypair, generate_keypair_form(...))
    app.push_screen(form, on_result)        # on_result(model | None)

Each field is one row: label and control on a line, the help line under it (or why it is
locked), and the field's message under that. Messages come from the model
(`stm_tui.api.writes.validation.check`) and the form's `validator`; a field shows its
message in the error colour once it has been touched (edited or left), before that dimmed,
so a fresh form says what it needs without shouting. The submit button stays disabled until
the whole request is valid. Keys: Tab / shift+Tab move, Enter on a text field goes to the
next one and on the last one submits (only when valid), ctrl+s submits, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.scalar import Unit
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, Switch

from stm_tui.api.writes.validation import M
from stm_tui.sanitize import clean_cell, clean_message
from stm_tui.tui import keys
from stm_tui.tui.writes.picker import Picker
from stm_tui.tui.writes.secret_input import SecretInput
from stm_tui.tui.writes.spec import (
    Choice,
    Evaluation,
    Field,
    FormSpec,
    FormState,
    Kind,
    describe_moment,
)

_TEXT_KINDS = (Kind.TEXT, Kind.DATETIME, Kind.NUMBER)
_NOTHING = Text("\0")  # never shown: "no text put yet"
HINT = "Tab next · shift+Tab back · ctrl+s submit · Esc cancel"


def _options(choices: tuple[Choice, ...]) -> list[tuple[Text, Hashable]]:
    return [(Text(clean_cell(c.label)), c.value) for c in choices]


def _hidden(widget: Widget, screen: Widget) -> bool:
    node: Any = widget
    while node is not None and node is not screen:
        if not node.display:
            return True
        node = node.parent
    return False


class FieldRow(Vertical):
    """One field of a form: label and control, help line, message."""

    def __init__(self, field: Field, control: Widget) -> None:
        super().__init__(id=f"row-{field.name}", classes="field-row")
        self.field = field
        self.control = control

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            label = self.field.label + (" *" if self.field.required else "")
            yield Label(Text(label), classes="field-label")
            yield self.control
            if self.field.kind is Kind.BOOL:
                # The switch's slider alone is easy to misread (and invisible without colour).
                yield Static("", id=f"state-{self.field.name}", classes="field-state")
        yield Static("", id=f"help-{self.field.name}", classes="field-help", markup=False)
        yield Static("", id=f"msg-{self.field.name}", classes="field-message", markup=False)


class RequestForm(ModalScreen[M | None]):
    """Fill in a request model; dismisses with the validated model, or None on Esc/Cancel."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("modal.cancel", "form.submit")

    def __init__(self, model: type[M], spec: FormSpec, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="write-modal")
        self.state: FormState[M] = FormState(model, spec)
        self.spec = spec
        self.touched: set[str] = set()
        self.valid = False
        # What each control held after the last sync (a length for secrets, never the value):
        # a difference is a change made by the user.
        self._last: dict[str, Any] = {}
        self._choices: dict[str, tuple[Choice, ...]] = {}
        self._rows: dict[str, FieldRow] = {}
        self._blank: set[str] = set()  # choice fields that may be left empty
        self._shown: dict[str, Text | None] = {}  # what each help/message line shows
        self._visible: frozenset[str] = frozenset()

    # building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        initial = self.state.initial_values()
        first = self.state.evaluate(initial)
        with Vertical(id="form-box", classes="write-box"):
            yield Static(Text(self.spec.title), classes="write-title", markup=False)
            if self.spec.intro:
                yield Static(Text(self.spec.intro), classes="write-intro", markup=False)
            with VerticalScroll(id="form-fields"):
                for field in self.state.fields:
                    control = self._control(field, first.values.get(field.name), first)
                    row = FieldRow(field, control)
                    self._rows[field.name] = row
                    yield row
            yield Static("", id="form-status", markup=False)
            with Horizontal(classes="write-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(
                    self.spec.submit_label,
                    id="submit",
                    variant="primary",
                    compact=True,
                    disabled=True,
                )
            yield Static(HINT, classes="write-hint", markup=False)

    def _control(self, field: Field, value: Any, first: Evaluation[M]) -> Widget:
        cid = f"field-{field.name}"
        spec = field.spec
        kind = field.kind
        if kind in _TEXT_KINDS:
            widget = Input(
                "" if value is None else str(value),
                placeholder=spec.placeholder
                or ("2026-12-01T14:00Z" if kind is Kind.DATETIME else ""),
                max_length=spec.max_length or 0,
                restrict=r"-?[0-9]*" if kind is Kind.NUMBER else None,
                compact=True,
                id=cid,
            )
            widget.cursor_blink = False  # bandwidth over SSH, stable snapshots
            return widget
        choices = first.choices.get(field.name, ())
        self._choices[field.name] = choices
        if kind is Kind.CHOICE:
            blank = field.optional or value is None
            if blank:
                self._blank.add(field.name)
            select: Select[Hashable] = Select(
                _options(choices),
                prompt=spec.blank or "choose…",
                allow_blank=blank,
                value=value if value in {c.value for c in choices} else Select.NULL,
                compact=True,
                id=cid,
            )
            return select
        if kind is Kind.RADIO:
            buttons = [
                RadioButton(Text(clean_cell(c.label)), value=c.value == value, compact=True)
                for c in choices
            ]
            return RadioSet(*buttons, compact=True, id=cid)
        if kind is Kind.BOOL:
            return Switch(bool(value), id=cid)
        if kind is Kind.MULTI:
            return Picker(choices, value or (), id=cid)
        return SecretInput(placeholder=spec.placeholder, rule=spec.secret_rule, id=cid)

    def on_mount(self) -> None:
        self._sync()
        self.call_after_refresh(self._fit)
        for field in self.state.fields:
            control = self._rows[field.name].control
            if control.focusable:
                control.focus()
                break

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        # As tall as the visible fields need, up to the screen: Textual sizes an auto-height
        # box from its children's natural heights, so the scrolling part gets an explicit
        # height (what its rows need, or what the screen leaves after the box's other parts).
        fields = self.query_one("#form-fields", VerticalScroll)
        box = self.query_one("#form-box")
        chrome = box.styles.gutter.height + sum(
            child.outer_size.height + child.styles.margin.height
            for child in box.children
            if child is not fields and child.display
        )
        want = max(3, min(fields.virtual_size.height, self.size.height - chrome))
        current = fields.styles.height
        if current is None or current.unit is not Unit.CELLS or current.value != want:
            fields.styles.height = want

    # reading and writing controls --------------------------------------------------------

    def _read(self, field: Field) -> Any:
        control = self._rows[field.name].control
        if isinstance(control, Input):
            return control.value
        if isinstance(control, Select):
            value = control.value
            return None if value is Select.NULL else value
        if isinstance(control, RadioSet):
            index = control.pressed_index
            choices = self._choices.get(field.name, ())
            return choices[index].value if 0 <= index < len(choices) else None
        if isinstance(control, Switch):
            return control.value
        if isinstance(control, Picker):
            return control.value
        if isinstance(control, SecretInput):
            return control.peek()
        return None

    def _write(self, field: Field, value: Any) -> None:
        control = self._rows[field.name].control
        if isinstance(control, Input):
            text = "" if value is None else str(value)
            if control.value != text:
                control.value = text
        elif isinstance(control, Select):
            allowed = {c.value for c in self._choices.get(field.name, ())}
            if value in allowed:
                if control.value != value:
                    control.value = value
            elif control.value is not Select.NULL and field.name in self._blank:
                control.clear()
        elif isinstance(control, RadioSet):
            for button, choice in zip(
                control.query(RadioButton), self._choices.get(field.name, ()), strict=False
            ):
                if choice.value == value and not button.value:
                    button.value = True
        elif isinstance(control, Switch):
            if control.value != bool(value):
                control.value = bool(value)
        elif isinstance(control, Picker):
            control.set_value(value or ())

    def _set_choices(self, field: Field, choices: tuple[Choice, ...]) -> bool:
        """Give the control new choices; True when they changed (its value must be rewritten)."""
        if self._choices.get(field.name) == choices:
            return False
        self._choices[field.name] = choices
        control = self._rows[field.name].control
        if isinstance(control, Select):
            if choices or field.name in self._blank:
                control.set_options(_options(choices))
        elif isinstance(control, Picker):
            control.set_choices(choices)
        return True

    @staticmethod
    def _fingerprint(value: Any) -> Any:
        # Secrets are compared by length: the form keeps no copy of a secret between syncs.
        if isinstance(value, SecretStr):
            return ("secret", len(value.get_secret_value()))
        return value

    def _raw(self) -> dict[str, Any]:
        return {f.name: self._read(f) for f in self.state.fields}

    # the one update path -----------------------------------------------------------------

    def _sync(self) -> Evaluation[M]:
        raw = self._raw()
        changed = [n for n, v in raw.items() if self._fingerprint(v) != self._last.get(n)]
        on_change = self.spec.on_change
        if self._last:  # the first sync only records what the controls hold
            for name in changed:
                self.touched.add(name)
                if on_change is None:
                    continue
                for key, value in on_change(name, raw).items():
                    if key in self.state.by_name and key != name:
                        raw[key] = value
                        self._write(self.state.by_name[key], value)
        ev = self.state.evaluate(raw)
        if self._visible != ev.visible:
            self._visible = ev.visible
            self.call_after_refresh(self._fit)
        for field in self.state.fields:
            name = field.name
            row = self._rows[name]
            row.display = name in ev.visible
            rechosen = name in ev.choices and self._set_choices(field, ev.choices[name])
            locked = ev.locks.get(name)
            adjusted = self._fingerprint(ev.values.get(name)) != self._fingerprint(raw.get(name))
            if rechosen or locked is not None or adjusted:
                self._write(field, ev.values.get(name))
            row.control.disabled = locked is not None
            row.set_class(locked is not None, "-locked")
            if field.kind is Kind.BOOL:
                on_off = "on" if ev.values.get(name) else "off"
                self._put(f"state-{name}", Text(on_off))
            self._show_help(field, ev)
            message = ev.messages.get(name)
            if isinstance(row.control, SecretInput) and row.control.problem is not None:
                # The input's own rule words it better ("at least 20 characters (12 so far)")
                # and also says why a key or a paste was refused.
                message = row.control.problem
            self._show_message(field, message)
        self._last = {n: self._fingerprint(v) for n, v in ev.values.items()}
        self.valid = ev.valid
        self.query_one("#submit", Button).disabled = not ev.valid
        self._show_status(ev)
        focused = self.focused
        if focused is not None and _hidden(focused, self):
            self.focus_next()
        return ev

    def _show_help(self, field: Field, ev: Evaluation[M]) -> None:
        parts = []
        lock = ev.locks.get(field.name)
        if lock is not None:
            parts.append(f"locked: {clean_message(lock.reason)}")
        elif field.spec.help:
            parts.append(field.spec.help)
        if field.kind is Kind.DATETIME:
            value = ev.values.get(field.name)
            moment = describe_moment(value) if isinstance(value, str) else None
            if moment:
                parts.append(moment)
        self._put(f"help-{field.name}", Text(" · ".join(parts)) if parts else None)

    def _show_message(self, field: Field, message: str | None) -> None:
        line = self._put(
            f"msg-{field.name}", None if message is None else Text("✗ " + clean_message(message))
        )
        line.set_class(field.name in self.touched, "-touched")

    def _put(self, widget_id: str, text: Text | None) -> Static:
        """Show `text` (None hides the line), touching the widget only when it changes.

        Every keystroke syncs the whole form; an unconditional update would re-lay out the
        form each time (tens of milliseconds per key over a slow link).
        """
        line = self.query_one(f"#{widget_id}", Static)
        if self._shown.get(widget_id, _NOTHING) != text:
            self._shown[widget_id] = text
            if text is not None:
                line.update(text)
            line.display = text is not None
        return line

    def _show_status(self, ev: Evaluation[M]) -> None:
        if ev.valid:
            status = self._put("form-status", Text("ready: ctrl+s or the button submits"))
            status.set_class(False, "-problem")
            return
        labels = [f.label for f in self.state.fields if f.name in ev.messages]
        text = Text()
        if labels:
            count = len(labels)
            text.append(f"{count} field{'s' if count > 1 else ''} to fix: " + ", ".join(labels))
        for message in ev.general:
            if text:
                text.append(" · ")
            text.append(clean_message(message))
        self._put("form-status", text).set_class(True, "-problem")

    # events ------------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    @on(Switch.Changed)
    @on(Picker.Changed)
    @on(SecretInput.Changed)
    def _changed(self) -> None:
        if self.is_mounted and self._rows:
            self._sync()

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        name = (event.input.id or "").removeprefix("field-")
        if name in self.state.by_name and name not in self.touched:
            self.touched.add(name)
            self._sync()

    @on(Input.Submitted)
    @on(SecretInput.Submitted)
    def _entered(self, event: Input.Submitted | SecretInput.Submitted) -> None:
        event.stop()
        control = event.control
        if control is None:
            return
        fields = [
            self._rows[f.name].control
            for f in self.state.fields
            if self._rows[f.name].display and not self._rows[f.name].control.disabled
        ]
        if fields and control is fields[-1]:
            # The last field: Enter submits, but only a valid form; otherwise it is inert
            # apart from showing every message.
            self.action_submit()
        else:
            self.focus_next()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    # actions -----------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self._clear_secrets()
        self.dismiss(None)

    def action_submit(self) -> None:
        ev = self._sync()
        if not ev.valid or ev.model is None:
            self.touched.update(f.name for f in self.state.fields)
            ev = self._sync()
            for field in self.state.fields:
                if field.name in ev.messages:
                    control = self._rows[field.name].control
                    if control.focusable:
                        control.focus()
                    break
            return
        model = ev.model
        self._clear_secrets()
        self.dismiss(model)

    def _clear_secrets(self) -> None:
        for secret in self.query(SecretInput):
            secret.clear()
