"""A reason typed in an approval's confirmation: rejecting a requested release window, or
any request in the approvals inbox.

The web console asks an approver why when they reject, and `stm-tui release reject
--reason` sends it. The reason is part of the request, so the confirmation rebuilds the call
as it is typed, with the request model and the call builder the CLI uses: the preview shows
the body that will be sent, and what the model refuses (too long, control characters) is
said under the field while the confirm button stays disabled. Whether a reason is required
is the model's to say; the release's is optional, as in the CLI and the service.

`REASONS` maps an action id to its `ReasonPlan`; the write flow asks a planned action in a
`ReasonApprovalScreen` instead of the plain approval modal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from annotated_types import MaxLen
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from stm_tui.api.models import ReleaseWindow
from stm_tui.api.writes import approvals, releases
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.validation import RequestModel, check
from stm_tui.sanitize import clean_block, clean_message
from stm_tui.tui.writes.confirm import ApprovalInfo, ApprovalScreen

# How far past the request's own limit the field lets text in: room to see an over-long
# paste and shorten it (it is refused, not cut), and still a bound on what the field holds.
ROOM = 4


@dataclass(frozen=True)
class ReasonPlan:
    model: type[RequestModel]  # validates the reason, exactly as the CLI's option is
    build: Callable[[Any, Any], WriteCall]  # (the item, the valid request) -> the call
    field: str = "reason"
    label: str = "Reason"

    @property
    def limit(self) -> int:
        info = self.model.model_fields[self.field]
        return next(m.max_length for m in info.metadata if isinstance(m, MaxLen))

    @property
    def required(self) -> bool:
        return self.model.model_fields[self.field].is_required()

    def call(self, item: Any, typed: str) -> tuple[WriteCall | None, str | None]:
        """The call with this reason, or None and what is wrong with it."""
        # Blank is no reason, as the CLI sends none when `--reason` is left out.
        data = {self.field: typed} if typed.strip() else {}
        value, problems = check(self.model, data)
        if value is None:
            return None, problems.get(self.field) or "; ".join(problems.values())
        return self.build(item, value), None


def _reject_release(r: ReleaseWindow, req: releases.RejectRelease) -> WriteCall:
    return releases.reject_release(r.id, r.name or r.id, req)


REASONS: dict[str, ReasonPlan] = {
    "release.reject": ReasonPlan(releases.RejectRelease, _reject_release),
    # The inbox's reject, of any kind: the service keeps the reason with the decision (and
    # on the window, for a requested release), as it does for the Releases list's.
    "approval.reject": ReasonPlan(approvals.Decision, approvals.reject_request),
}


class ReasonInput(Input):
    """The reason line: what it cannot take is said, not dropped in silence."""

    def _on_paste(self, event: events.Paste) -> None:
        # Input keeps only a paste's first line; a reason is one line, so the lines are
        # joined instead (the request model still refuses what it must).
        event.prevent_default()
        event.stop()
        text = " ".join(event.text.splitlines())
        if self.selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *self.selection)

    def restricted(self) -> None:
        # Past the field's bound Input refuses the whole key or paste: say so.
        self.app.bell()
        self.notify(
            f"not taken: this field holds at most {self.max_length} characters",
            severity="warning",
            markup=False,
        )


class ReasonApprovalScreen(ApprovalScreen):
    """The approval modal with a reason line under the request; `call` is what was last
    valid, and what the flow sends once confirmed."""

    DEFAULT_CSS: ClassVar[str] = """
    ReasonApprovalScreen #reason-line { height: 1; margin-top: 1; }
    ReasonApprovalScreen #reason-prompt { width: auto; text-style: bold; }
    ReasonApprovalScreen #reason { width: 1fr; }
    ReasonApprovalScreen #reason-state { color: $text-muted; }
    ReasonApprovalScreen #reason-state.-error { color: $error; }
    """

    def __init__(
        self,
        call: WriteCall,
        approval: ApprovalInfo,
        plan: ReasonPlan,
        item: Any,
        *,
        affects: Sequence[str] = (),
        where: str | None = None,
        confirm_label: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(
            call, approval, affects=affects, where=where, confirm_label=confirm_label, id=id
        )
        self.plan = plan
        self.item = item
        self.problem: str | None = None
        what = "the reason" if plan.required else "a reason (optional)"
        verb = self.confirm_label.lower()
        self.HINT = f"type {what}, then Enter to {verb} · Esc cancels · Tab moves"

    def compose_after_request(self) -> ComposeResult:
        with Horizontal(id="reason-line"):
            yield Static(Text(f"{self.plan.label}: "), id="reason-prompt", markup=False)
            field = ReasonInput(
                placeholder="required" if self.plan.required else "optional",
                max_length=self.plan.limit * ROOM,
                compact=True,
                id="reason",
            )
            field.cursor_blink = False  # bandwidth over SSH, stable snapshots
            yield field
        yield Static(self._state(""), id="reason-state", markup=False)

    def first_focus(self) -> Widget:
        return self.query_one("#reason", Input)

    def on_mount(self) -> None:
        # A reason makes the request longer (its body) and a refusal's message longer: fit
        # the box again once they are laid out. The scrolling part's own virtual size never
        # shrinks below its height, so its parts' (which do, also when a scroll bar comes or
        # goes and a line rewraps) are watched, and the message's.
        parts = [*self.query_one("#confirm-body", VerticalScroll).children]
        for part in [*parts, self.query_one("#reason-state", Static)]:
            self.watch(part, "virtual_size", self._refit, init=False)

    def _state(self, typed: str) -> Text:
        if self.problem is not None:
            return Text(
                f"{self.plan.label.lower()}: {clean_message(self.problem)} ({len(typed)} typed);"
                f" the {self.confirm_label} button stays disabled until it is put right"
            )
        who = "sent with the request" if typed.strip() else "none given"
        return Text(f"{len(typed)}/{self.plan.limit} characters · {who}")

    @on(Input.Changed, "#reason")
    def _typed(self, event: Input.Changed) -> None:
        call, self.problem = self.plan.call(self.item, event.value)
        if call is not None:
            self.call = call
        # The title stays the call's first summary: a long reason there would push the
        # buttons off an 80x24 screen; the request below shows it in full, or says why not.
        preview = (
            self.call.preview()
            if call is not None
            else f"{self.call.request_line}\n(no body until the reason is put right)"
        )
        self.query_one("#request", Static).update(Text(clean_block(preview), overflow="fold"))
        self.query_one("#confirm", Button).disabled = self.problem is not None
        state = self.query_one("#reason-state", Static)
        state.update(self._state(event.value))
        state.set_class(self.problem is not None, "-error")

    def _refit(self) -> None:
        body = self.query_one("#confirm-body", VerticalScroll)
        need = sum(
            child.outer_size.height + child.styles.margin.height
            for child in body.children
            if child.display
        )
        self._fit_body(need)
        # The request is last in the scrolling part: keep it, with the reason, in view.
        self.call_after_refresh(body.scroll_end, animate=False)

    @on(Input.Submitted, "#reason")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        # Enter, y on the buttons or the button itself: never with a reason the model refuses.
        if self.problem is None:
            self.dismiss(True)
