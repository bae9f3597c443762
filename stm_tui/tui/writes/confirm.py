"""Preview and confirmation, one modal per tier, each built from the `WriteCall` it confirms.

What the modal shows is `call.preview()`: the same object is then recorded in the audit file
and sent, so the preview cannot drift from the request. Every modal dismisses with a bool
(True: go ahead) and Esc always cancels.

- `ConfirmScreen` (Tier.CONFIRM): summary, what it affects, the exact request; Cancel has the
  focus; `y` confirms, `n` cancels.
- `ApprovalScreen` (Tier.APPROVAL): what is approved, who asked and when, the window, the
  exact request; same keys.
- `IrreversibleScreen` (Tier.IRREVERSIBLE): the impact list first, then a line where the
  resource's name must be typed exactly; Enter does nothing and the confirm button stays
  disabled until it matches. There is no single key that confirms.

`confirmation_for(call, ...)` picks the screen for the call's tier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.scalar import Unit
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.sanitize import clean_block, clean_cell, clean_message
from stm_tui.tui import keys


@dataclass(frozen=True, slots=True)
class ApprovalInfo:
    """The request an approval answers. Times come formatted (the caller knows the clock)."""

    what: str  # "offline release desktop-4.3.0: keypairs build-key, 500 signatures"
    requested_by: str
    requested_at: str
    window: str | None = None  # "2026-12-01 14:00 UTC to 2026-12-02 14:00 UTC (24 h)"
    notes: str | None = None


def affects_lines(call: WriteCall, extra: Sequence[str] = ()) -> list[str]:
    lines = []
    if call.target is not None:
        noun = call.target.resource.removesuffix("s").replace("_", " ")
        ident = f" ({call.target.item_id})" if call.target.item_id else " (new)"
        lines.append(f"{noun} {call.target.label}{ident}")
    lines.extend(extra)
    if call.touches:
        lines.append("then refreshes: " + ", ".join(call.touches))
    return lines


class CallModal(ModalScreen[bool]):
    """The shared frame: a title, sections, the exact request, Cancel and a confirm button."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("modal.cancel")
    CONFIRM_LABEL = "Confirm"
    HINT = "y confirm · n or Esc cancel · Tab moves"
    DANGER = False

    def __init__(
        self,
        call: WriteCall,
        *,
        affects: Sequence[str] = (),
        where: str | None = None,
        confirm_label: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="write-modal")
        self.call = call
        self.affects = tuple(affects)
        self.where = where
        self.confirm_label = confirm_label or self.CONFIRM_LABEL

    def compose(self) -> ComposeResult:
        box = Vertical(id="confirm-box", classes="write-box")
        box.set_class(self.DANGER, "-danger")
        with box:
            yield Static(self.title_text(), classes="write-title", markup=False)
            # Everything that can be long scrolls; the typed line and the buttons never leave
            # the screen, even at 80x24.
            with VerticalScroll(classes="confirm-body", id="confirm-body"):
                if self.where:
                    yield Static(Text(clean_cell(self.where), style="dim"), markup=False)
                yield from self.compose_sections()
                yield Static("Request", classes="confirm-section", markup=False)
                yield Static(
                    Text(clean_block(self.call.preview()), overflow="fold"),
                    classes="confirm-request",
                    id="request",
                    markup=False,
                )
            yield from self.compose_after_request()
            with Horizontal(classes="write-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(
                    self.confirm_label,
                    id="confirm",
                    variant="error" if self.DANGER else "primary",
                    compact=True,
                    disabled=self.DANGER,
                )
            yield Static(self.HINT, classes="write-hint", markup=False)

    def title_text(self) -> Text:
        return Text(clean_message(self.call.summary))

    def compose_sections(self) -> ComposeResult:
        yield from self.section("Affects", affects_lines(self.call, self.affects))

    def compose_after_request(self) -> ComposeResult:
        yield from ()

    @staticmethod
    def section(title: str, lines: Sequence[str], classes: str = "") -> ComposeResult:
        if not lines:
            return
        yield Static(title, classes="confirm-section", markup=False)
        body = Text("\n".join("• " + clean_message(line) for line in lines))
        yield Static(body, classes=classes, markup=False)

    def first_focus(self) -> Widget:
        return self.query_one("#cancel", Button)

    def on_mount(self) -> None:
        self.first_focus().focus()
        self.call_after_refresh(self._fit_body)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_body)

    def _fit_body(self, need: int | None = None) -> None:
        # The box is as tall as its content, up to the screen. Textual sizes an auto-height
        # box from its children's natural heights (a max-height on the scrolling part is
        # applied only afterwards), so the scrolling part gets an explicit height: what its
        # content needs, or what the screen leaves after the box's other parts. `need`: the
        # content's height when it has shrunk (the virtual size never goes below the height).
        body = self.query_one("#confirm-body", VerticalScroll)
        box = self.query_one(".write-box")
        chrome = box.styles.gutter.height + sum(
            child.outer_size.height + child.styles.margin.height
            for child in box.children
            if child is not body and child.display
        )
        content = body.virtual_size.height if need is None else need
        want = max(3, min(content, self.size.height - chrome))
        current = body.styles.height
        if current is None or current.unit is not Unit.CELLS or current.value != want:
            body.styles.height = want

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _pressed(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        self.dismiss(True)


class ConfirmScreen(CallModal):
    """Tier.CONFIRM: reversible changes and creations (y/N, the focus on Cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("confirm.cancel", "confirm.yes")


class ApprovalScreen(CallModal):
    """Tier.APPROVAL: what is approved, who asked and when, the window, the exact call."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("confirm.cancel", "approval.yes")
    CONFIRM_LABEL = "Approve"
    HINT = "y approve · n or Esc cancel · Tab moves"

    def __init__(
        self,
        call: WriteCall,
        approval: ApprovalInfo,
        *,
        affects: Sequence[str] = (),
        where: str | None = None,
        confirm_label: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(call, affects=affects, where=where, confirm_label=confirm_label, id=id)
        self.approval = approval

    def compose_sections(self) -> ComposeResult:
        info = self.approval
        lines = [
            f"what: {info.what}",
            f"asked by {info.requested_by} at {info.requested_at}",
        ]
        if info.window:
            lines.append(f"window: {info.window}")
        if info.notes:
            lines.append(f"notes: {info.notes}")
        yield from self.section("Approval", lines)
        yield from super().compose_sections()


class IrreversibleScreen(CallModal):
    """Tier.IRREVERSIBLE: impact first, then the name typed exactly; no key confirms alone."""

    HINT = "type the name, then Enter · Esc cancels"
    DANGER = True

    def __init__(
        self,
        call: WriteCall,
        impact: Sequence[str] = (),
        *,
        affects: Sequence[str] = (),
        where: str | None = None,
        confirm_label: str | None = None,
        id: str | None = None,
    ) -> None:
        if call.tier is not Tier.IRREVERSIBLE or not call.confirm_text:
            raise ValueError(f"{call.action} is not an irreversible write")
        verb = call.action.rsplit(".", 1)[-1].replace("_", " ").capitalize()
        super().__init__(
            call, affects=affects, where=where, confirm_label=confirm_label or verb, id=id
        )
        self.impact = tuple(impact)
        self.expected = call.confirm_text

    def title_text(self) -> Text:
        summary = clean_message(self.call.summary)
        if "undone" in summary:
            return Text(summary)
        return Text(f"{summary} (cannot be undone)")

    def compose_sections(self) -> ComposeResult:
        yield from self.section(
            "Impact", self.impact or ["no other resource is known to depend on it"],
            classes="confirm-impact",
        )
        yield from super().compose_sections()

    def compose_after_request(self) -> ComposeResult:
        with Horizontal(id="typed-line"):
            yield Static(
                Text(f"Type {clean_cell(self.expected)} to confirm: "),
                id="typed-prompt",
                markup=False,
            )
            # No placeholder: a greyed-out name in the field reads as if it were typed.
            typed = Input(id="typed", compact=True)
            typed.cursor_blink = False
            yield typed
        yield Static(self._state_text(False), id="typed-state", markup=False)

    def _state_text(self, match: bool) -> Text:
        if match:
            return Text("matches: Enter or the button confirms")
        return Text(f"the {self.confirm_label} button stays disabled until the name matches")

    @property
    def matches(self) -> bool:
        return self.query_one("#typed", Input).value == self.expected

    def first_focus(self) -> Widget:
        # Textual runs every class's on_mount; the focus is chosen in one place instead.
        return self.query_one("#typed", Input)

    @on(Input.Changed, "#typed")
    def _typed(self) -> None:
        match = self.matches
        self.query_one("#confirm", Button).disabled = not match
        state = self.query_one("#typed-state", Static)
        state.update(self._state_text(match))
        state.set_class(match, "-match")

    @on(Input.Submitted, "#typed")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self.matches:
            self.dismiss(True)

    def action_confirm(self) -> None:
        # The button is disabled until the text matches; check again all the same.
        if self.matches:
            self.dismiss(True)


def confirmation_for(
    call: WriteCall,
    *,
    impact: Sequence[str] = (),
    approval: ApprovalInfo | None = None,
    affects: Sequence[str] = (),
    where: str | None = None,
) -> CallModal:
    """The modal for `call.tier`. An approval needs `approval`; irreversible calls take `impact`."""
    if call.tier is Tier.IRREVERSIBLE:
        return IrreversibleScreen(call, impact, affects=affects, where=where)
    if call.tier is Tier.APPROVAL:
        if approval is None:
            raise ValueError(f"{call.action}: an approval needs who asked and what")
        return ApprovalScreen(call, approval, affects=affects, where=where)
    return ConfirmScreen(call, affects=affects, where=where)
