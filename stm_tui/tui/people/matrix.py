"""A team's nine member permissions as a matrix: members down, permissions across in their
three groups (Manage, Approve, Operation).

Arrows move, space toggles, ctrl+s sends one call per member changed (each confirmed), Esc
leaves without sending. Two kinds of row are locked, and the line under the matrix says why
when the cursor is on one: your own (nobody edits their own team permissions) and a member
with the Lead role (a Lead is a superuser: every permission, whatever is set).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.api.models import Team
from stm_tui.api.writes.teams import PERMISSIONS, MemberPermissions, UpdateMember, update_member
from stm_tui.sanitize import clean_cell, clean_message
from stm_tui.tui import keys
from stm_tui.tui.people.flow import send
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.views.access import SELF_EDIT

LEAD_LOCK = "a member with the Lead role is a superuser: every permission, whatever is set"
# Column headings short enough for 80 columns; the line under the matrix spells out the
# permission under the cursor.
_SHORT = {
    "manage_keypairs_and_certificates": "Keys",
    "manage_team": "Team",
    "approve_keypair_deletion": "Del",
    "approve_certificate_revocation": "Revk",
    "approve_keypair_export": "Expt",
    "approve_offline_releases": "Rel",
    "generate_keypairs_and_certificates": "Gen",
    "sign": "Sign",
    "scan": "Scan",
}
_GROUP_SHORT = {"Manage": "Mng", "Approve": "Appr", "Operation": "Oper"}


class TeamMatrixScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "modal.cancel", "form.submit", "matrix.up", "matrix.down", "matrix.left",
        "matrix.right", "matrix.flip",
    )

    def __init__(self, team: Team, me_id: str | None) -> None:
        super().__init__()
        self.team = team
        self.me_id = me_id
        self.names = [p for p, _, _ in PERMISSIONS]
        self.rows = [m for m in team.members if m.user_id]
        self.values: list[dict[str, bool]] = [
            {p: bool(m.permissions.get(p)) for p in self.names} for m in self.rows
        ]
        self.original = [dict(v) for v in self.values]
        self.row = 0
        self.col = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="matrix-box"):
            yield Static(
                Text(f"Team permissions: {clean_cell(self.team.name or self.team.id)}",
                     style="bold"),
                markup=False,
            )
            yield Static(id="matrix", markup=False)
            yield Static(id="matrix-legend", markup=False)
            yield Static(id="matrix-state", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def locked_reason(self, index: int) -> str | None:
        member = self.rows[index]
        if member.user_id == self.me_id:
            return SELF_EDIT
        if "SSM_LEAD" in (getattr(member, "roles", None) or []):
            return LEAD_LOCK
        return None

    def changed(self) -> list[int]:
        return [i for i, (a, b) in enumerate(zip(self.values, self.original, strict=True))
                if a != b]

    def _draw(self) -> None:
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        narrow = self.size.width < 100
        table.add_column("\nMember", no_wrap=True, overflow="ellipsis",
                         max_width=18 if narrow else 26)
        previous = ""
        for name, group, _ in PERMISSIONS:
            shown = _GROUP_SHORT[group] if narrow else group
            heading = (shown if group != previous else "") + "\n" + _SHORT[name]
            previous = group
            table.add_column(Text(heading), no_wrap=True, justify="center")
        for i, member in enumerate(self.rows):
            locked = self.locked_reason(i) is not None
            label = Text(clean_cell(member.name or member.user_id or "?"))
            if member.is_lead:
                label.append(" (lead)", style="dim")
            if locked:
                label.append(" [locked]", style="dim")
            cells: list[Text] = [label]
            for j, name in enumerate(self.names):
                on = self.values[i][name]
                mark = "[x]" if on else "[ ]"
                style = "dim" if locked else ("green" if on else "")
                if i == self.row and j == self.col:
                    style = "reverse"
                if self.values[i][name] != self.original[i][name]:
                    mark = mark.replace("[", "<").replace("]", ">")
                cells.append(Text(mark, style=style))
            table.add_row(*cells)
        self.query_one("#matrix", Static).update(table)
        name, group, words = PERMISSIONS[self.col]
        self.query_one("#matrix-legend", Static).update(
            Text(f"{group}: {words}  (<x> changed, not sent yet)")
        )
        state = ""
        if self.rows:
            reason = self.locked_reason(self.row)
            if reason:
                state = f"locked: {reason}"
            elif self.changed():
                state = f"{len(self.changed())} member(s) changed: ctrl+s sends, Esc discards"
            else:
                state = "space toggles · ctrl+s sends · Esc leaves"
        else:
            state = "no members yet: add one with + on the Teams list"
        self.query_one("#matrix-state", Static).update(Text(clean_message(state)))

    def action_move(self, drow: int, dcol: int) -> None:
        if not self.rows:
            return
        self.row = (self.row + drow) % len(self.rows)
        self.col = (self.col + dcol) % len(self.names)
        self._draw()

    def action_flip(self) -> None:
        if not self.rows:
            return
        reason = self.locked_reason(self.row)
        if reason:
            self.notify(reason, severity="warning", markup=False)
            return
        name = self.names[self.col]
        self.values[self.row][name] = not self.values[self.row][name]
        self._draw()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        changed = self.changed()
        if not changed:
            self.notify("nothing changed: nothing sent", timeout=3)
            return
        label = self.team.name or self.team.id
        calls = []
        for i in changed:
            member = self.rows[i]
            perms = MemberPermissions(**{p: self.values[i][p] for p in self.names
                                         if self.values[i][p] != self.original[i][p]})
            call = update_member(self.team.id, label, member.user_id or "",
                                 member.name or member.user_id or "?",
                                 UpdateMember(permissions=perms))
            calls.append(call)
        app = self.app
        self.dismiss(None)
        for call in calls:  # each confirmed on its own
            send(app, call)

    def current(self) -> dict[str, Any]:
        """The matrix as values (for tests): member name -> permission -> on."""
        pairs = zip(self.rows, self.values, strict=True)
        return {m.name or m.user_id or "?": dict(v) for m, v in pairs}
