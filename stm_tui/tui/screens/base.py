"""What every area screen has: identity bar, area strip, status line, footer, and the write
actions of its resource view as keys.

A list and an item's own detail screen both offer the view's write actions on their selected
item. Each is bound on the instance (one screen class serves every resource), kept in the
footer while it fits the item (dimmed while this user or mode may not run it; 80 columns hold
no more), and explained when pressed while it may not run, instead of swallowing the key.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.api.writes.permissions import Availability
from stm_tui.sanitize import clean_cell
from stm_tui.tui import actions
from stm_tui.tui.areas import Area
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.inbox import InboxCount, waiting_count
from stm_tui.tui.widgets.area_bar import AreaBar
from stm_tui.tui.widgets.identity_bar import IdentityBar
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.views.actions import WriteAction
from stm_tui.views.freshness import describe
from stm_tui.views.resources import ResourceView


class WriteState(NamedTuple):
    """One write action as the help and the palette list it."""

    key: str  # the key it is bound to now
    action: WriteAction
    availability: Availability
    target: str  # what it would act on ("keypair build-key"); empty with nothing selected


class AreaScreen(Screen[None]):
    """Base of the area screens. Subclasses yield their body from `compose_body`."""

    def __init__(
        self, area: Area, *, id: str | None = None, view: ResourceView | None = None
    ) -> None:
        super().__init__(name=area.mode, id=id or f"area-{area.mode}", classes="area-screen")
        self.area = area
        self._freshness: Text | None = None
        self._write_view = view
        self._writes: dict[str, WriteAction] = {a.id: a for a in view.actions} if view else {}
        if self._writes:
            bound = [self.write_binding(a) for a in self._writes.values()]
            self._bindings = BindingsMap.merge([self._bindings, BindingsMap(bound)])
        # What the footer last showed for each write action (see `check_action`).
        self._footer_shows: dict[str, bool | None] = {}
        self._write_keys: dict[str, WriteAction] | None = None

    def write_binding(self, action: WriteAction) -> Binding:
        """The key of one write action (a screen may word its footer entry otherwise)."""
        return actions.write_binding(action)

    @property
    def host(self) -> ScreenHost:
        app = self.app
        if not isinstance(app, ScreenHost):
            raise TypeError(f"{type(self).__name__} needs an app that is a ScreenHost")
        return app

    def compose(self) -> ComposeResult:
        yield IdentityBar()
        yield AreaBar(self.area.mode)
        with Horizontal(id="status-line"):
            yield Static(Text(self.area.title, style="bold"), id="view-info", markup=False)
            yield InboxCount()
            yield Static("", id="freshness", markup=False)
        yield from self.compose_body()
        yield KeyFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.update_identity()
        self.update_freshness()

    def on_screen_resume(self) -> None:
        # Identity and freshness may have changed while another area was on screen.
        self.update_identity()
        self.update_freshness()

    def update_identity(self) -> None:
        session = self.host.session
        error = session.start_error.kind if session.start_error else None
        try:
            bar = self.query_one(IdentityBar)
            inbox = self.query_one(InboxCount)
        except NoMatches:
            return  # a screen switched to is on top before it is composed; on_mount shows it
        bar.show(session.identity, session.read_only, error)
        inbox.show(waiting_count(session.store), self.host.key_for("area.approvals"))

    def update_freshness(self) -> None:
        """Called every second by the app: touches only the freshness label."""
        host = self.host
        store = host.session.store
        statuses = [store.collection(r).status for r in self.area.resources]
        label = describe(statuses, host.now(), paused=host.session.poller.paused)
        if label == self._freshness:
            return
        # Same width: repaint the label alone. A layout pass would repaint the table's
        # scrollbar every second, which is wasted bandwidth over SSH.
        same_width = self._freshness is not None and label.cell_len == self._freshness.cell_len
        # Remembered only once shown: a status that arrives before the label is mounted must
        # not make the label look up to date (it stayed blank under a frozen clock). A store
        # notification or the tick can reach a screen switched to before it is composed.
        target = next(self.query("#freshness").results(Static), None)
        if target is None:
            return  # not mounted yet (or a screen without one): the next tick shows it
        target.update(label, layout=not same_width)
        self._freshness = label

    def set_view_info(self, info: Text) -> None:
        self.query_one("#view-info", Static).update(info)

    # write actions -------------------------------------------------------------------------

    def selected_item(self) -> Any | None:
        """The item the write actions act on (none by default)."""
        return None

    def write_states(self) -> list[WriteState]:
        """The write actions this screen offers on its selected item, as the help and the
        palette list them."""
        view = self._write_view
        if view is None or not self._writes:
            return []
        item = self.selected_item()
        host = self.host
        noun = view.palette or view.resource
        target = f"{noun} {clean_cell(view.label(item))}" if item is not None else ""
        # A create action does not act on the selected item: it names none.
        return [
            WriteState(host.key_for(a.id), a, host.write_availability(a, item),
                       target if a.needs_item else "")
            for a in self._writes.values()
        ]

    def _footer_state(self, action: WriteAction) -> bool | None:
        if not self.is_mounted:
            return None
        item = self.selected_item()
        if item is not None and action.applies(item) is not None:
            return False  # does not fit the item: out of the footer
        return True if self.host.write_availability(action, item) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "write":
            return True
        found = self._writes.get(str(parameters[0])) if parameters else None
        if found is None:
            return False
        state = self._footer_state(found)
        self._footer_shows[found.id] = state
        # None keeps it in the footer, dimmed: the help and the palette say why.
        return state

    def refresh_write_keys(self) -> None:
        """Redraw the footer's write keys when the selected item changes them, and only
        then: a cursor step that changes nothing sends nothing to the terminal."""
        if any(
            self._footer_state(a) != self._footer_shows.get(a.id) for a in self._writes.values()
        ):
            self.refresh_bindings()

    def _keys_of_writes(self) -> dict[str, WriteAction]:
        """Key name -> write action, with the profile's keymap applied."""
        out: dict[str, WriteAction] = {}
        for action in self._writes.values():
            keys = self.host.keymap.get(action.id) or action.key
            for key in BindingsMap([Binding(keys, "")]).key_to_bindings:
                out[key] = action
        return out

    def on_key(self, event: events.Key) -> None:
        # A disabled or hidden binding swallows its key without a word; say why instead.
        if not self._writes:
            return
        if self._write_keys is None:
            self._write_keys = self._keys_of_writes()
        action = self._write_keys.get(event.key)
        if action is None:
            return
        state = self.host.write_availability(action, self.selected_item())
        if not state:
            event.stop()
            reason = state.reason or "not available now"
            self.notify(f"{action.label}: {reason}", severity="warning", markup=False)

    def action_write(self, action_id: str) -> None:
        """Confirm and run one of the write actions, or say why it may not run now."""
        action = self._writes.get(action_id)
        if action is None:
            return
        item = self.selected_item()
        if item is None and action.needs_item:
            self.notify(f"{action.label}: nothing selected", severity="warning")
            return
        self.host.request_write(action, item)
