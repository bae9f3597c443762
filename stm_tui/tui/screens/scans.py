"""The threat reports list adds scanning a file (n) and comparing two scans (d, twice).

A submitted scan is followed: the scans are refreshed every few seconds while it is in
progress, then a toast gives its verdict and the list opens its report. The comparison waits
for both reports (the findings) to be in the store; it never asks the service itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.api.models import Scan
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.scans import SubmitScan, submit_scan
from stm_tui.sanitize import clean_cell
from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.scan_form import ScanFileRequest, scan_file_form
from stm_tui.views.scan_compare import compare_renderable
from stm_tui.views.scan_diff import diff_scans

# How often, and how many times, a submitted scan is looked at again while in progress.
FOLLOW_EVERY = 2.0
FOLLOW_TRIES = 90


class ScanListScreen(ListScreen):
    BINDINGS = keys.bindings("scans.submit", "scans.compare")
    HELP = "n scans a file; d on two scans compares them; Enter opens a report; Esc back."

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.compare_from: str | None = None

    # submit ------------------------------------------------------------------------------

    def action_submit_scan(self) -> None:
        host = self.host
        state = host.creation_availability("scan.submit")
        if not state:
            self.notify(f"Scan a file: {state.reason}", severity="warning", markup=False)
            return
        scans = list(host.session.store.collection("scans").items.values())
        spec = scan_file_form(
            projects={s.project.alias for s in scans if s.project and s.project.alias},
            aliases={s.alias for s in scans if s.alias},
        )

        def filled(req: ScanFileRequest | None) -> None:
            if req is not None:
                self._send(req)

        self.app.push_screen(RequestForm(ScanFileRequest, spec, id="scan-form"), filled)

    def _send(self, req: ScanFileRequest) -> None:
        path = Path(req.path).expanduser()
        try:
            content = path.read_bytes()
            name = path.name if _safe(path.name) else None
            call = submit_scan(
                SubmitScan(project=req.project, alias=req.alias, version=req.version,
                           file_name=name),
                content,
            )
        except (OSError, ValueError) as exc:
            text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.notify(f"not sent: {text}", severity="error", markup=False)
            return
        self.host.confirm_write(call, then=self._follow)

    def _follow(self, outcome: WriteOutcome) -> None:
        made = outcome.resource
        if isinstance(made, Scan):
            Follower(self.host, made.id, self.app).start()

    # compare -----------------------------------------------------------------------------

    def action_compare_scans(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        scans = self.host.session.store.collection("scans")
        if self.compare_from is None or self.compare_from not in scans.items:
            self.compare_from = key
            label = clean_cell(scans.items[key].alias if key in scans.items else key)
            self.notify(f"compare {label} with…: select the other scan and press d",
                        timeout=6, markup=False)
            return
        first, self.compare_from = self.compare_from, None
        if first == key:
            self.notify("pick a different scan to compare with", severity="warning")
            return
        self.app.push_screen(ScanCompareScreen(first, key))


def _safe(name: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9._ +()-]{1,200}", name))


class Follower:
    """Refreshes the scans until one submitted scan has its verdict, then says it."""

    def __init__(self, host: ScreenHost, scan_id: str, app: Any) -> None:
        self.host = host
        self.scan_id = scan_id
        self.app = app
        self.tries = 0

    def start(self) -> None:
        self.app.set_timer(FOLLOW_EVERY, self.check)

    def check(self) -> None:
        store = self.host.session.store
        found = store.collection("scans").get(self.scan_id)
        if isinstance(found, Scan) and found.status not in (None, "IN_PROGRESS"):
            self.app.notify(
                f"scan {clean_cell(found.alias)}: {clean_cell(found.status)}, risk "
                f"{clean_cell(found.risk_level)}",
                title="Threat scan", severity="error" if found.status == "FAIL" else
                "information", markup=False,
            )
            self.host.jump_soon("scans", self.scan_id)
            return
        self.tries += 1
        if self.tries > FOLLOW_TRIES:
            return
        self.host.session.poller.refresh("scans")
        self.app.set_timer(FOLLOW_EVERY, self.check)


class ScanCompareScreen(Screen[None]):
    """Two scans side by side: findings added and removed."""

    BINDINGS = keys.bindings("pager.close")
    DEFAULT_CSS = """
    ScanCompareScreen #compare-title { height: 1; background: $panel; text-style: bold; }
    ScanCompareScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    def __init__(self, first: str, second: str) -> None:
        super().__init__(id="scan-compare")
        self.first = first
        self.second = second
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def host(self) -> ScreenHost:
        app = self.app
        if not isinstance(app, ScreenHost):
            raise TypeError("ScanCompareScreen needs a ScreenHost")
        return app

    def compose(self) -> ComposeResult:
        yield Static(" Compare threat scans", id="compare-title", markup=False)
        with VerticalScroll():
            yield Static(Text("loading both reports…", style="dim"), id="compare-body",
                         markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        session = self.host.session
        self._unsubscribe = session.store.subscribe(self._changed, ("scan_reports", "scans"))
        for key in (self.first, self.second):
            session.want_scan_report(key)
        self._draw()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _changed(self, diff: Diff) -> None:
        if {self.first, self.second} & (diff.touched | diff.removed):
            self._draw()

    def _report(self, key: str) -> Scan | None:
        store = self.host.session.store
        report = store.collection("scan_reports").get(key)
        if isinstance(report, Scan) and report.findings is not None:
            return report
        listed = store.collection("scans").get(key)
        # A scan without findings has no report to wait for (a clean pass lists none).
        if isinstance(listed, Scan) and not any(listed.finding_counts.values()) and \
                listed.status not in (None, "IN_PROGRESS"):
            return listed.model_copy(update={"findings": []})
        return None

    def _draw(self) -> None:
        a, b = self._report(self.first), self._report(self.second)
        body = self.query_one("#compare-body", Static)
        if a is None or b is None:
            body.update(Text("loading both reports…", style="dim"))
            return
        body.update(compare_renderable(diff_scans(a, b)))
