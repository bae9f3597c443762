"""From a write action on an item to a confirmed call, and the mode that allows it.

`availability` answers, for every place that shows an action (footer, help, palette, the key
itself), whether it may run now and why not; `request` builds the action's `WriteCall`,
shows the modal of its tier and hands a confirmed call to `perform`, the one place a write
leaves the UI. An action whose call needs fields filled in (`WriteAction.build` is None)
runs its workflow from `tui/writes/workflows.py` instead; the workflow's form ends in
`confirm`, the same preview, tier modal and `perform`. `toggle_mode` asks before entering
write mode and never before leaving it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from textual.app import App

from stm_tui.api.errors import OutcomeUnknown, StmError
from stm_tui.api.models import Resource
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.permissions import Availability, action_availability
from stm_tui.audit_file import AuditUnavailable
from stm_tui.sanitize import clean_cell
from stm_tui.session import Session
from stm_tui.tui.writes.confirm import (
    ApprovalInfo,
    ApprovalScreen,
    CallModal,
    confirmation_for,
)
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.form_plans import plan_for
from stm_tui.tui.writes.mode import toggle_write_mode
from stm_tui.tui.writes.outcome import Outcome, show_outcome
from stm_tui.tui.writes.reason import REASONS, ReasonApprovalScreen
from stm_tui.tui.writes.workflows import WORKFLOWS
from stm_tui.views.actions import WriteAction
from stm_tui.views.rows.base import Context

log = logging.getLogger(__name__)


class WriteFlow:
    def __init__(
        self,
        app: App[Any],
        session: Session,
        key_for: Callable[[str], str],
        on_mode: Callable[[], None],
    ) -> None:
        self.app = app
        self.session = session
        self.key_for = key_for
        self.on_mode = on_mode  # the identity bar and the footers change with the mode

    def availability(self, action: WriteAction, item: Any | None) -> Availability:
        me = self.session.me
        return action.availability(
            item,
            permissions=getattr(me, "permissions", None) or (),
            role_codes=getattr(me, "role_codes", None) or (),
            read_only=self.session.read_only,
            write_key=self.key_for("write_mode"),
        )

    def request(self, action: WriteAction, item: Any) -> None:
        """Confirm the action's call on `item` (the modal for its tier), then perform it."""
        state = self.availability(action, item)
        if not state:
            self.app.notify(state.reason or "not available", severity="warning", markup=False)
            return
        if action.build is None or action.form:
            workflow = WORKFLOWS.get(action.id)
            if workflow is not None:
                workflow(self, item)
            else:
                self._ask_form(action, item)
            return
        wanted = action.refers_to(item) if action.refers_to is not None else None
        store = self.session.store
        if wanted is not None and wanted[0] in store.names \
                and store.collection(wanted[0]).get(wanted[1]) is None:
            # The approval names something no poll has brought yet: read it first, so the
            # approver sees what exactly is approved, not just its name.
            self.app.run_worker(
                self._load_then_ask(action, item, wanted),
                name=f"load {wanted[0]} for {action.id}",
                group="writes",
                exit_on_error=False,
            )
            return
        self._ask(action, item)

    async def _load_then_ask(self, action: WriteAction, item: Any, wanted: tuple[str, str]) -> None:
        await self.session.load_item(*wanted)
        self._ask(action, item)

    def _ask(self, action: WriteAction, item: Any) -> None:
        assert action.build is not None
        try:
            call = action.build(item)
            modal = self._modal(action, item, call)
        except ValueError as exc:
            # An item the server sent oddly (no usable id, say) must not end the dashboard.
            log.warning("%s not offered: %s", action.id, exc)
            self.app.notify(
                f"{action.label}: this item cannot be changed from here",
                severity="error",
                markup=False,
            )
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                # The modal's call: a reason typed in it is part of the request.
                self.perform(modal.call)

        self.app.push_screen(modal, answered)

    def _ask_form(self, action: WriteAction, item: Any) -> None:
        """The action's form (tui/writes/form_plans.py), then the confirmation of the call
        the filled-in request builds."""
        factory = plan_for(action.id)
        if factory is None:
            self.app.notify(f"{action.label}: no form for this action", severity="error")
            return
        identity = self.session.identity
        account = identity.account_name if identity else "the account"
        try:
            plan = factory(self.session.store, item, account)
        except (ValueError, AttributeError) as exc:
            log.warning("%s form not offered: %s", action.id, exc)
            self.app.notify(
                f"{action.label}: this item cannot be changed from here",
                severity="error",
                markup=False,
            )
            return

        def filled(request: Any) -> None:
            if request is None:
                return
            try:
                call = plan.build(request)
                modal = confirmation_for(call, impact=action.impact(item), where=self._where())
            except ValueError as exc:
                self.app.notify(f"{action.label}: {exc}", severity="error", markup=False)
                return

            def answered(confirmed: bool | None) -> None:
                if confirmed:
                    self.perform(call)

            self.app.push_screen(modal, answered)

        self.app.push_screen(RequestForm(plan.model, plan.spec), filled)

    def _modal(self, action: WriteAction, item: Any, call: WriteCall) -> CallModal:
        if call.tier is Tier.APPROVAL and action.approval is not None:
            context = Context(store=self.session.store, now=self.session.now())
            info = ApprovalInfo(**action.approval(item, context))  # type: ignore[arg-type]
            reason = REASONS.get(action.id)
            if reason is not None:
                return ReasonApprovalScreen(
                    call, info, reason, item, where=self._where(),
                    confirm_label=action.confirm_label,
                )
            return ApprovalScreen(
                call, info, where=self._where(), confirm_label=action.confirm_label
            )
        return confirmation_for(call, impact=action.impact(item), where=self._where())

    def can(self, action_id: str) -> Availability:
        """Whether a write that acts on no selected item (a creation) may start now."""
        me = self.session.me
        return action_availability(
            action_id,
            permissions=getattr(me, "permissions", None) or (),
            role_codes=getattr(me, "role_codes", None) or (),
            read_only=self.session.read_only,
            write_key=self.key_for("write_mode"),
        )

    def confirm_and_perform(
        self,
        call: WriteCall,
        *,
        impact: list[str] | None = None,
        then: Callable[[WriteOutcome], None] | None = None,
    ) -> None:
        """The tier's confirmation for a call a form built, then `perform`."""
        self.confirm(call, impact=impact or (), then=then)

    def confirm(
        self,
        call: WriteCall,
        *,
        impact: Sequence[str] = (),
        then: Callable[[WriteOutcome], None] | None = None,
        cancelled: Callable[[], None] | None = None,
    ) -> None:
        """The preview and the modal of the call's tier; `perform` once confirmed.

        `cancelled` runs on Esc or Cancel (a form may open again with what was filled in)."""
        modal = confirmation_for(call, impact=impact, where=self._where())

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.perform(call, then)
            elif cancelled is not None:
                cancelled()

        self.app.push_screen(modal, answered)

    def perform(self, call: WriteCall, then: Callable[[WriteOutcome], None] | None = None) -> None:
        """Send a confirmed write through `Session.write` (audit, send once, store, refresh)
        and say how it went; `then` gets an accepted outcome (a value shown once, a file to
        save). The worker never raises: a failed write is an outcome on screen, not a crash."""
        self.app.run_worker(
            self._send(call, then),
            name=f"write {call.action}",
            group="writes",
            exit_on_error=False,
        )

    async def _send(self, call: WriteCall, then: Callable[[WriteOutcome], None] | None) -> None:
        try:
            outcome = await self.session.write(call)
        except AuditUnavailable as exc:
            show_outcome(self.app, Outcome.failure(call, f"not sent: {exc}"))
            return
        except OutcomeUnknown as exc:
            reread = _describe(exc.current) if exc.checked else None
            if exc.checked and exc.current is None:
                reread = "nothing there"
            show_outcome(self.app, Outcome.unknown(call, reread))
            return
        except StmError as exc:
            show_outcome(self.app, Outcome.failure(call, exc))
            return
        note = None if outcome.audited else "the local audit file could not record the outcome"
        show_outcome(self.app, Outcome.success(call, note))
        if then is not None:
            then(outcome)

    def toggle_mode(self) -> None:
        identity = self.session.identity
        toggle_write_mode(
            self.app,
            read_only=self.session.read_only,
            set_read_only=self._set_read_only,
            host=identity.host if identity else "?",
            account=identity.account_name if identity else "?",
            user=identity.user_name if identity else None,
            production=bool(identity and identity.is_production),
            key=self.key_for("write_mode"),
        )

    def _set_read_only(self, read_only: bool) -> None:
        self.session.read_only = read_only
        self.on_mode()
        self.app.notify(
            "read-only: no writes" if read_only else "write mode: for this session", timeout=3
        )

    def _where(self) -> str | None:
        identity = self.session.identity
        return f"{identity.host} · account {identity.account_name}" if identity else None


_STATUS_FIELDS = ("key_status", "certificate_status", "status")


def _describe(item: Resource | None) -> str | None:
    """What a re-read found, in words: "build-key (OFFLINE)"."""
    if item is None:
        return None
    name = getattr(item, "alias", None) or getattr(item, "name", None) or item.id
    status = next((getattr(item, f) for f in _STATUS_FIELDS if getattr(item, f, None)), None)
    return clean_cell(f"{name} ({status})" if status else str(name))
