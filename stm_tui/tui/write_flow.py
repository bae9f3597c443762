"""From a write action on an item to a confirmed call, and the mode that allows it.

`availability` answers, for every place that shows an action (footer, help, palette, the key
itself), whether it may run now and why not; `request` builds the action's `WriteCall`,
shows the modal of its tier and hands a confirmed call to `perform`, the one place a write
leaves the UI. `toggle_mode` asks before entering write mode and never before leaving it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual.app import App

from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.permissions import Availability
from stm_tui.session import Session
from stm_tui.tui.writes.confirm import confirmation_for
from stm_tui.tui.writes.mode import toggle_write_mode
from stm_tui.views.actions import WriteAction

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
        try:
            call = action.build(item)
            modal = confirmation_for(call, impact=action.impact(item), where=self._where())
        except ValueError as exc:
            # An item the server sent oddly (no usable id, say) must not end the dashboard.
            log.warning("%s not offered: %s", action.id, exc)
            self.app.notify(f"{action.label}: this item cannot be changed from here",
                            severity="error", markup=False)
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.perform(call)

        self.app.push_screen(modal, answered)

    def perform(self, call: WriteCall) -> None:
        """Send a confirmed write: the execution hook. Once `Session.write` exists this runs
        `outcome = await self.session.write(call)` in a worker, then `show_outcome(...)`;
        until then the call is only announced."""
        self.app.notify(
            f"not wired yet: {call.summary}", title=call.action, severity="warning",
            markup=False,
        )

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
