"""The Textual application: one mode per area over a connected `Session`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, ClassVar

import platformdirs
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from stm_tui import priority
from stm_tui.api.models import Scan
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.permissions import Availability
from stm_tui.sanitize import clean
from stm_tui.session import Session
from stm_tui.store.store import Diff
from stm_tui.tui import actions, keys
from stm_tui.tui.areas import AREAS, BY_COLLECTION, Area
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.inbox import InboxSignals
from stm_tui.tui.monitor_launch import open_monitor
from stm_tui.tui.palette import AreaCommands, JumpCommands
from stm_tui.tui.people.screens import AccountsScreen, TeamsScreen, UsersScreen
from stm_tui.tui.screens.audit import AuditListScreen
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.screens.certificates import CertificateListScreen
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.tui.screens.overview import OverviewScreen
from stm_tui.tui.screens.pager import PagerScreen
from stm_tui.tui.screens.releases import ReleaseListScreen
from stm_tui.tui.screens.scans import ScanListScreen
from stm_tui.tui.write_flow import WriteFlow
from stm_tui.tui.writes.command_log_screen import CommandLogScreen
from stm_tui.views import format as f
from stm_tui.views.actions import WriteAction
from stm_tui.views.monitor.settings import MonitorSettings
from stm_tui.views.render import Sanitised
from stm_tui.views.resources import VIEWS, view_of
from stm_tui.views.row_cache import RowCache
from stm_tui.views.rows import Context

log = logging.getLogger(__name__)

# What `y` copies at most: any real name fits; a hostile 6 MB one is not put on the clipboard.
COPY_LIMIT = 64 * 1024

THEMES = {
    "dark": "textual-dark",
    "light": "textual-light",
    "ansi": "ansi-dark",
    "ansi-dark": "ansi-dark",
    "ansi-light": "ansi-light",
    "textual-ansi": "ansi-dark",
}


def styles_dir() -> Path:
    """`styles/` beside the package in a source tree, `stm_tui/styles/` in a wheel."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


def _css_paths() -> list[str | PurePath]:
    folder = styles_dir()
    return [folder / "global.tcss", *sorted(p for p in folder.glob("*.tcss")
                                          if p.name != "global.tcss")]


# Lists with keys of their own; every other list area is a plain `ListScreen`.
_LIST_SCREENS: dict[str, type[ListScreen]] = {
    "certificates": CertificateListScreen,
    "audit": AuditListScreen,
    "releases": ReleaseListScreen,
    # people and access (issue 12)
    "users": UsersScreen,
    "accounts": AccountsScreen,
    "teams": TeamsScreen,
    "scans": ScanListScreen,
}


def _screen_for(area: Area) -> Callable[[], Screen[Any]]:
    def make() -> Screen[Any]:
        if area.collection is None:
            return OverviewScreen(area)
        screen = _LIST_SCREENS.get(area.collection, ListScreen)
        return screen(area, VIEWS[area.collection])

    return make


class StmApp(App[None]):
    TITLE = "stm-tui"
    CSS_PATH = _css_paths()
    MODES: ClassVar[dict[str, Any]] = {area.mode: _screen_for(area) for area in AREAS}
    DEFAULT_MODE = "overview"
    COMMANDS = App.COMMANDS | {AreaCommands, JumpCommands}
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        *(f"area.{area.mode}" for area in AREAS), "refresh", "pause", "write_mode", "help",
        "quit", "monitor", "setup_checklist", "certcentral", "command_log", "connection",
    )

    def __init__(
        self,
        session: Session,
        *,
        mouse: bool = True,
        theme: str | None = None,
        time_zone: str | None = None,
        keymap: Mapping[str, str] | None = None,
        monitor: MonitorSettings | None = None,
        approval_bell: bool = True,
    ) -> None:
        super().__init__()
        # The profile's alerts and signature budget, for the monitors opened here.
        self.monitor_settings = monitor
        # An unknown action id is refused before anything starts (KeymapError).
        self.keymap = actions.check_keymap(keymap or {})
        self._clashes_reported: set[frozenset[str]] = set()
        f.set_time_zone(time_zone)
        self.session = session
        self.mouse_enabled = mouse
        # Details waiting for a scan's report: redrawn when it lands in the store.
        self._report_waiters: dict[str, list[Callable[[], None]]] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        # One per list area: rows are built as the store changes, not when a list opens.
        self.row_caches: dict[str, RowCache] = {
            area.collection: RowCache(VIEWS[area.collection], session.store, self.context)
            for area in AREAS
            if area.collection is not None
        }
        self.writes = WriteFlow(self, session, self.key_for, self._mode_changed)
        self.inbox = InboxSignals(
            self,
            session.store,
            bell=approval_bell,
            key=lambda: self.key_for("area.approvals"),
            on_count=lambda _count: self._refresh_identity(),
        )
        if theme:
            self.theme = THEMES.get(theme, theme)

    # lifecycle ---------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            priority.note_input()  # background work steps aside while this is answered
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        store = self.session.store
        self._unsubscribe = [
            store.subscribe_status(self._on_status),
            store.subscribe(self._on_accounts, ("accounts",)),
            store.subscribe(self._on_reports, ("scan_reports",)),
        ]
        for cache in self.row_caches.values():
            cache.start()
        self.inbox.start()
        self.set_interval(1.0, self._tick)
        self.run_worker(self._start_session(), name="session start", exit_on_error=False)

    async def _start_session(self) -> None:
        await self.session.start()
        self._refresh_identity()
        self.refresh_bindings()  # who we are decides which write actions are enabled

    async def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.inbox.stop()
        for cache in self.row_caches.values():
            cache.stop()
        await self.session.stop()

    def _fatal_error(self) -> None:
        # Textual renders the crash with `show_locals=True`, which would print API keys held
        # in locals to the terminal (and to session recordings on jump hosts). No locals here.
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    # time and context --------------------------------------------------------------------

    def now(self) -> datetime:
        return self.session.now()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.session.clock

    def context(self) -> Context:
        return Context(store=self.session.store, now=self.now())

    # store notifications -----------------------------------------------------------------

    def _area_screen(self) -> AreaScreen | None:
        """The area screen on top, if any (none while the app starts or shuts down)."""
        try:
            screen = self.screen
        except ScreenStackError:
            return None
        return screen if isinstance(screen, AreaScreen) else None

    def _on_status(self, status: Any) -> None:
        screen = self._area_screen()
        if screen is not None and status.resource in screen.area.resources:
            screen.update_freshness()

    def _on_accounts(self, diff: Any) -> None:
        self._refresh_identity()

    def _on_reports(self, diff: Diff) -> None:
        for key in diff.touched:
            for redraw in self._report_waiters.pop(key, ()):
                redraw()

    def _refresh_identity(self) -> None:
        if self.session.identity is not None:
            self.session.refresh_identity()
        screen = self._area_screen()
        if screen is not None:
            screen.update_identity()

    def _tick(self) -> None:
        # Once a second: only the "updated 3 s ago" label of the visible screen changes (the
        # poller ticks the store).
        screen = self._area_screen()
        if screen is not None:
            screen.update_freshness()

    # actions -----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        # A manual refresh fetches even while polling is paused; polling stays paused.
        poller = self.session.poller
        poller.refresh()
        if poller.paused:
            self.notify("refreshing every area once; polling stays paused (p resumes)", timeout=3)
        else:
            self.notify("refreshing every area", timeout=2)

    def action_toggle_pause(self) -> None:
        poller = self.session.poller
        if poller.paused:
            poller.resume()
            self.notify("polling resumed", timeout=2)
        else:
            poller.pause()
            self.notify("polling paused: p resumes", timeout=3)
        self._tick()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_monitor(self) -> None:
        """Every open release window in the live monitor (fed by this session's store)."""
        if isinstance(self.screen, MonitorScreen):
            return  # one is open already: Esc first
        open_monitor(self)
    def action_setup_checklist(self) -> None:
        from stm_tui.tui.screens.setup_checklist import SetupChecklistScreen

        if isinstance(self.screen, SetupChecklistScreen):
            self.pop_screen()
            return
        self.push_screen(SetupChecklistScreen())

    def action_certcentral(self) -> None:
        from stm_tui.tui.screens.certcentral import CertCentralScreen

        if not isinstance(self.screen, CertCentralScreen):
            self.push_screen(CertCentralScreen())

    def action_connection(self) -> None:
        """Who, where, and where each credential came from (the key again closes it)."""
        from stm_tui.tui.screens.connection import ConnectionScreen

        if isinstance(self.screen, ConnectionScreen):
            self.pop_screen()
            return
        self.push_screen(ConnectionScreen())

    def run_screen_action(self, action: str) -> None:
        self.call_later(self.screen.run_action, action)

    # keys --------------------------------------------------------------------------------

    def key_for(self, action_id: str) -> str:
        return actions.key_for(self, self.keymap, action_id)

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: Any) -> None:
        # Textual calls this on every key press while a keymap makes two bindings share a
        # key; say so once per clash, so the user learns why a key does something else.
        ids = frozenset(b.id or b.action for b in clashed_bindings)
        if ids in self._clashes_reported:
            return
        self._clashes_reported.add(ids)
        self.notify(
            "keymap: these actions share a key now: " + ", ".join(sorted(ids)),
            severity="warning", timeout=8, markup=False,
        )

    # writes ------------------------------------------------------------------------------

    def write_availability(self, action: WriteAction, item: Any | None) -> Availability:
        return self.writes.availability(action, item)

    def request_write(self, action: WriteAction, item: Any) -> None:
        self.writes.request(action, item)

    def creation_availability(self, action_id: str) -> Availability:
        return self.writes.can(action_id)

    def confirm_write(
        self,
        call: WriteCall,
        *,
        impact: list[str] | None = None,
        then: Callable[[WriteOutcome], None] | None = None,
    ) -> None:
        self.writes.confirm_and_perform(call, impact=impact, then=then)

    def action_write_mode(self) -> None:
        self.writes.toggle_mode()

    def action_command_log(self) -> None:
        if isinstance(self.screen, CommandLogScreen):
            self.pop_screen()
            return
        self.push_screen(CommandLogScreen(self.session.command_log))

    def _mode_changed(self) -> None:
        self._refresh_identity()
        self.refresh_bindings()

    def copy_text(self, value: str, what: str) -> None:
        """Copy through OSC 52 (works over SSH where the terminal allows it).

        What is copied is the cleaned text: a name with escape sequences in it would act on
        the terminal it is pasted into.
        """
        self.copy_to_clipboard(clean(value, limit=COPY_LIMIT, newlines=True))
        self.notify(f"copied {what}: {clean(value, limit=60)}", timeout=3, markup=False)

    # palette system commands -------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                # Textual's saves to ~/Downloads, which jump hosts often do not have.
                yield SystemCommand(
                    "Screenshot",
                    "Save an SVG of the screen in stm-tui's data directory",
                    self.action_save_screenshot,
                )
            else:
                yield command

    def action_save_screenshot(self) -> None:
        folder = Path(platformdirs.user_data_dir("stm-tui")) / "screenshots"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.save_screenshot(path=str(folder))
            os.chmod(path, 0o600)
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc.strerror or exc}", severity="error",
                        markup=False)
            return
        self.notify(f"screenshot saved to {path}", title="Screenshot", markup=False)

    # navigation --------------------------------------------------------------------------

    async def jump_to(self, resource: str, key: str, *, detail: bool = True) -> None:
        """Switch to the area of `resource`, put the cursor on `key` and open its detail.

        Esc there comes back to the area the jump started from.
        """
        area = BY_COLLECTION.get(resource)
        if area is None:
            return
        origin = self.current_mode
        await self.switch_mode(area.mode)
        screen = self.screen
        if not isinstance(screen, ListScreen):
            return
        if not screen.focus_key(key):
            self.notify("that item is not in the list any more", severity="warning", timeout=3)
            return
        screen.came_from = origin if origin != area.mode else None
        if detail:
            screen.open_detail(key)

    def jump_soon(self, resource: str, key: str) -> None:
        self.run_worker(self.jump_to(resource, key), exit_on_error=False)

    def go_back(self, mode: str) -> None:
        self.call_later(self.switch_mode, mode)

    # details -----------------------------------------------------------------------------

    def label_of(self, resource: str, item: Any) -> str:
        view = view_of(resource)
        return view.label(item) if view is not None else str(getattr(item, "id", "?"))

    def detail_renderable(
        self, resource: str, key: str, on_more: Callable[[], None]
    ) -> RenderableType:
        item = self.session.store.collection(resource).get(key)
        if item is None:
            return Text("this item is gone (removed on the server)", style="dim")
        if isinstance(item, Scan) and item.findings is None:
            report = self.session.store.collection("scan_reports").get(key)
            if report is not None:
                item = item.model_copy(update={"findings": report.findings})
            else:
                self._report_waiters.setdefault(key, []).append(on_more)
                self.session.want_scan_report(key)
        view = view_of(resource)
        if view is None or view.detail is None:
            return Text("no detail view for this item", style="dim")
        return Sanitised(view.detail(item, self.context()))

    def show_full_values(self, resource: str, key: str) -> None:
        """The pager with every field of one item, uncut (up to the pager's own bound)."""
        item = self.session.store.collection(resource).get(key)
        if item is None:
            self.notify("this item is gone (removed on the server)", severity="warning")
            return
        report = self.session.store.collection("scan_reports").get(key)
        if isinstance(item, Scan) and report is not None:
            item = report
        data = item.model_dump(mode="json")  # secrets come out masked
        self.push_screen(PagerScreen(self.label_of(resource, item), data))


def _is_a_screen_host(app: StmApp) -> ScreenHost:
    # Screens check `isinstance(app, ScreenHost)` at run time; this makes mypy check it too.
    return app
