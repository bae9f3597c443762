"""What every area screen has: identity bar, area strip, status line, footer."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from stm_tui.api.writes.permissions import Availability
from stm_tui.tui.areas import Area
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.widgets.area_bar import AreaBar
from stm_tui.tui.widgets.identity_bar import IdentityBar
from stm_tui.views.actions import WriteAction
from stm_tui.views.freshness import describe


class WriteState(NamedTuple):
    """One write action as the help and the palette list it."""

    key: str  # the key it is bound to now
    action: WriteAction
    availability: Availability
    target: str  # what it would act on ("keypair build-key"); empty with nothing selected


class AreaScreen(Screen[None]):
    """Base of the area screens. Subclasses yield their body from `compose_body`."""

    def __init__(self, area: Area, *, id: str | None = None) -> None:
        super().__init__(name=area.mode, id=id or f"area-{area.mode}", classes="area-screen")
        self.area = area
        self._freshness: Text | None = None

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
            yield Static("", id="freshness", markup=False)
        yield from self.compose_body()
        yield Footer(compact=True)

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
        self.query_one(IdentityBar).show(session.identity, session.read_only, error)

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
        self._freshness = label
        self.query_one("#freshness", Static).update(label, layout=not same_width)

    def set_view_info(self, info: Text) -> None:
        self.query_one("#view-info", Static).update(info)

    def write_states(self) -> list[WriteState]:
        """The write actions this screen offers on its selected item (none by default)."""
        return []

    def action_write(self, action_id: str) -> None:
        """Confirm and run one of `write_states`, or say why it may not run now."""
