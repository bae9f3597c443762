"""The Textual application: one mode per area over a connected `Session`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from stm_tui.api.errors import StmError
from stm_tui.api.models import Scan
from stm_tui.session import Session
from stm_tui.tui.areas import AREAS, BY_MODE, Area
from stm_tui.tui.details import DETAILS
from stm_tui.tui.palette import AreaCommands, JumpCommands
from stm_tui.tui.row_cache import RowCache
from stm_tui.tui.rows import VIEWS, Context
from stm_tui.tui.screens.audit import AuditListScreen
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.screens.certificates import CertificateListScreen
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.overview import OverviewScreen

log = logging.getLogger(__name__)

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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _screen_for(area: Area) -> Callable[[], Screen[Any]]:
    def make() -> Screen[Any]:
        if area.mode == "overview":
            return OverviewScreen(area)
        if area.mode == "certificates":
            return CertificateListScreen(area, VIEWS[area.mode])
        if area.mode == "audit":
            return AuditListScreen(area, VIEWS[area.mode])
        return ListScreen(area, VIEWS[area.mode])

    return make


class StmApp(App[None]):
    TITLE = "stm-tui"
    CSS_PATH = _css_paths()
    MODES: ClassVar[dict[str, Any]] = {area.mode: _screen_for(area) for area in AREAS}
    DEFAULT_MODE = "overview"
    COMMANDS = App.COMMANDS | {AreaCommands, JumpCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(area.key, f"switch_mode('{area.mode}')", area.title, show=False,
                    id=f"area.{area.mode}")
            for area in AREAS
        ),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        session: Session,
        *,
        mouse: bool = True,
        theme: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.mouse_enabled = mouse
        self.clock = clock or _utcnow
        self.scan_reports: dict[str, Scan] = {}
        self.reports_loaded: list[Callable[[], None]] = []
        self._report_requests: set[str] = set()
        self._unsubscribe: list[Callable[[], None]] = []
        # One per list area: rows are built as the store changes, not when a list opens.
        self.row_caches: dict[str, RowCache] = {
            area.mode: RowCache(VIEWS[area.mode], session.store, self.context)
            for area in AREAS
            if area.mode in VIEWS
        }
        if theme:
            self.theme = THEMES.get(theme, theme)

    # lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        store = self.session.store
        self._unsubscribe = [
            store.subscribe_status(self._on_status),
            store.subscribe(self._on_accounts, ("accounts",)),
        ]
        for cache in self.row_caches.values():
            cache.start()
        self.set_interval(1.0, self._tick)
        self.run_worker(self._start_session(), name="session start", exit_on_error=False)

    async def _start_session(self) -> None:
        await self.session.start()
        self._refresh_identity()

    async def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
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
        return self.clock()

    def context(self) -> Context:
        return Context(store=self.session.store, now=self.now())

    # store notifications -----------------------------------------------------------------

    def _on_status(self, status: Any) -> None:
        if not self.screen_stack:
            return
        screen = self.screen
        if isinstance(screen, AreaScreen) and status.resource in screen.area.resources:
            screen.update_freshness()

    def _on_accounts(self, diff: Any) -> None:
        self._refresh_identity()

    def _refresh_identity(self) -> None:
        if self.session.identity is not None:
            self.session.refresh_identity()
        screen = self.screen
        if isinstance(screen, AreaScreen):
            screen.update_identity()

    def _tick(self) -> None:
        # Once a second: only the "updated 3 s ago" label of the visible screen changes.
        self.session.store.tick(self.now())
        if not self.screen_stack:  # shutting down: the timer can outlive the screens
            return
        screen = self.screen
        if isinstance(screen, AreaScreen):
            screen.update_freshness()

    # actions -----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.session.poller.refresh()
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

    def run_screen_action(self, action: str) -> None:
        self.call_later(self.screen.run_action, action)

    def copy_text(self, value: str, what: str) -> None:
        """Copy through OSC 52 (works over SSH where the terminal allows it)."""
        self.copy_to_clipboard(value)
        shown = value if len(value) <= 60 else value[:57] + "…"
        self.notify(Text(f"copied {what}: {shown}").plain, timeout=3, markup=False)

    # navigation --------------------------------------------------------------------------

    async def jump_to(self, resource: str, key: str) -> None:
        """Switch to the area of `resource` and put the cursor on `key`."""
        if resource not in BY_MODE:
            return
        await self.switch_mode(resource)
        screen = self.screen
        if isinstance(screen, ListScreen) and not screen.focus_key(key):
            self.notify("that item is not in the list any more", severity="warning", timeout=3)

    def jump_soon(self, resource: str, key: str) -> None:
        self.run_worker(self.jump_to(resource, key), exit_on_error=False)

    # details -----------------------------------------------------------------------------

    def label_of(self, resource: str, item: Any) -> str:
        view = VIEWS.get(resource)
        return view.label(item) if view is not None else str(getattr(item, "id", "?"))

    def detail_renderable(
        self, resource: str, key: str, on_more: Callable[[], None]
    ) -> RenderableType:
        item = self.session.store.collection(resource).get(key)
        if item is None:
            return Text("this item is gone (removed on the server)", style="dim")
        if isinstance(item, Scan) and item.findings is None:
            report = self.scan_reports.get(key)
            if report is not None:
                item = item.model_copy(update={"findings": report.findings})
            else:
                self.load_scan_reports([key], on_more)
        return DETAILS[resource](item, self.context())

    def load_scan_reports(
        self, ids: Iterable[str], then: Callable[[], None] | None = None
    ) -> None:
        """Fetch full scans (the list omits findings) once each, in the background."""
        wanted = [i for i in ids if i not in self.scan_reports and i not in self._report_requests]
        if not wanted:
            return
        self._report_requests.update(wanted)
        self.run_worker(
            self._fetch_reports(wanted, then), name="scan reports", exit_on_error=False
        )

    async def _fetch_reports(self, ids: list[str], then: Callable[[], None] | None) -> None:
        try:
            for scan_id in ids:
                report = await self.session.client.get_scan(scan_id)  # type: ignore[attr-defined]
                if isinstance(report, Scan):
                    self.scan_reports[scan_id] = report
        except StmError as exc:
            log.info("scan report not loaded: %s", exc.kind)
        finally:
            self._report_requests.difference_update(ids)
        if then is not None:
            then()
        for callback in list(self.reports_loaded):
            callback()

