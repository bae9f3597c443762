"""The release monitor screen: one or several windows, live (a feed) or from a recording.

A standalone `Screen` over a `MonitorModel`: pushed by the dashboard (Releases, Overview, the
palette), by `stm-tui watch` on a terminal, or by `stm-tui replay`. From the top: the window
and its countdown, the quota gauge, the projection, the threat scan, the rate sparklines,
then the live stream beside (or, below 110 columns, above) the alerts pane, and the freshness
line. Every part repaints only when what it shows changed.

Live, the screen runs the feed in a worker and redraws after each poll; a one-second timer
moves the countdown and "updated N s ago" on. Replaying, a timer advances the recording.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen

from stm_tui.tui import keys
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.tui.widgets.monitor_alerts import AlertsView
from stm_tui.tui.widgets.monitor_budget import BudgetView
from stm_tui.tui.widgets.monitor_gauge import QuotaGauge
from stm_tui.tui.widgets.monitor_spark import RateSparks, SparkRow
from stm_tui.tui.widgets.monitor_stream import AttemptStreamView
from stm_tui.tui.widgets.monitor_text import TextLine
from stm_tui.views.monitor.alerts import Alert
from stm_tui.views.monitor.budget import BudgetReport, csv_rows
from stm_tui.views.monitor.feed import MonitorFeed
from stm_tui.views.monitor.model import MonitorModel, WindowMonitor
from stm_tui.views.monitor.recording import Replay
from stm_tui.views.monitor.spark import GLYPH_SETS
from stm_tui.views.monitor.store_feed import StoreFeed
from stm_tui.views.monitor.timing import clock_time

log = logging.getLogger(__name__)

INTERVALS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Below this width the alerts pane goes under the stream instead of beside it.
WIDE = 110
# Toasts per poll at most; the pane holds them all.
TOASTS = 4

KIND_TITLES = {
    "quota_warn": "Quota",
    "quota_full": "Quota reached",
    "unlisted_signer": "Unlisted signer",
    "outside_window": "Outside the window",
    "rate_spike": "Rate spike",
    "closing": "Window closing",
    "scan": "Threat scan",
    "failed_attempts": "Refused attempt",
}

BudgetLoader = Callable[[], Awaitable[BudgetReport]]


class MonitorScreen(Screen[None]):
    # Declared in `tui/keys.py` with the dashboard's (ids `monitor.*`, remappable).
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(*keys.MONITOR_KEYS)
    REPLAY_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"pause", "speed", "seek", "seek_edge"})
    LIVE_ONLY: ClassVar[frozenset[str]] = frozenset({"interval"})

    def __init__(
        self,
        model: MonitorModel | None = None,
        *,
        feed: MonitorFeed | StoreFeed | None = None,
        replay: Replay | None = None,
        glyphs: str = "blocks",
        budget: BudgetLoader | None = None,
        export_dir: Path | None = None,
        tz: tzinfo = UTC,
        title: str = "",
    ) -> None:
        super().__init__()
        if model is None:
            if feed is not None:
                model = feed.model
            elif replay is None:
                raise ValueError("MonitorScreen needs a model, a feed or a replay")
        self._model = model
        self.feed = feed
        self.replay = replay
        self.glyphs = glyphs if glyphs in GLYPH_SETS else "blocks"
        self._budget_loader = budget
        self._budget: BudgetReport | None = None
        self._budget_note = ""
        self.export_dir = export_dir
        self.tz = tz
        self.source_title = title
        self.selected = 0
        self.budget_mode = False
        self._real = time.monotonic()

    # ------------------------------------------------------------------ state

    @property
    def model(self) -> MonitorModel:
        if self.replay is not None:
            return self.replay.model  # a seek backwards rebuilds it
        assert self._model is not None
        return self._model

    def now(self) -> datetime:
        if self.replay is not None:
            return self.replay.position
        return self.model.clock()

    def current(self) -> WindowMonitor | None:
        windows = list(self.model.windows.values())
        if not windows:
            return None
        self.selected %= len(windows)
        return windows[self.selected]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(id="mon-top"):
            yield TextLine(id="mon-title")
            yield QuotaGauge(id="mon-gauge")
            yield TextLine(id="mon-projection")
            yield TextLine(id="mon-scan")
            yield RateSparks(id="mon-sparks")
        with Container(id="mon-body"):
            yield AttemptStreamView(id="mon-stream", tz=self.tz)
            yield AlertsView(id="mon-alerts", tz=self.tz)
        yield BudgetView(id="mon-budget")
        yield TextLine(id="mon-fresh")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#mon-budget").display = False
        self._apply_width(self.size.width)
        self.refresh_views()
        if self.feed is not None:
            self.feed.on_poll.append(self._after_poll)
            self._run_feed()
            self.set_interval(1.0, self.refresh_views, name="monitor-clock")
        if self.replay is not None:
            self._real = time.monotonic()
            self.set_interval(0.1, self._replay_tick, name="monitor-replay")
        self.query_one("#mon-stream").focus()

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()
            if self._after_poll in self.feed.on_poll:
                self.feed.on_poll.remove(self._after_poll)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)
        self.refresh_views()

    def _apply_width(self, width: int) -> None:
        self.set_class(width < WIDE, "-narrow")

    @work(exclusive=True, group="monitor-feed", exit_on_error=False)
    async def _run_feed(self) -> None:
        assert self.feed is not None
        await self.feed.run()

    def _after_poll(self, result: Any) -> None:
        self._announce(result.alerts)
        self.refresh_views()

    def _replay_tick(self) -> None:
        assert self.replay is not None
        real = time.monotonic()
        elapsed, self._real = real - self._real, real
        self._announce(self.replay.advance(elapsed))
        self.refresh_views()

    def _announce(self, alerts: list[Alert]) -> None:
        """Toast new alerts (server text: never markup) and ring the bell once."""
        if not alerts or not self.is_attached:
            return
        for alert in alerts[:TOASTS]:
            self.app.notify(alert.message, title=KIND_TITLES.get(alert.kind, "Alert"),
                            severity="error" if alert.severity == "error" else "warning",
                            timeout=10, markup=False)
        if len(alerts) > TOASTS:
            self.app.notify(f"{len(alerts) - TOASTS} more alerts in the alerts pane",
                            severity="warning", markup=False)
        if self.model.config.bell:
            self.app.bell()

    # ------------------------------------------------------------------ drawing

    def refresh_views(self) -> None:
        if not self.is_attached:
            return
        model, now, wm = self.model, self.now(), self.current()
        self.query_one("#mon-title", TextLine).show(self._title(wm, now))
        if wm is not None:
            self.query_one("#mon-gauge", QuotaGauge).show(wm.gauge(model.config), self.glyphs)
            self.query_one("#mon-projection", TextLine).show(self._projection(wm, now))
            scan = wm.scan()
            style = "bold red" if scan.blocks else ("red" if scan.failing else "")
            self.query_one("#mon-scan", TextLine).show(Text(f"Scan   {scan.text}", style))
            self.query_one("#mon-sparks", RateSparks).show(self._spark_rows(wm, now),
                                                          self.glyphs)
            self.query_one("#mon-stream", AttemptStreamView).show(
                wm.stream, wm.window, wm.stream.version)
        alerts = model.alerts
        self.query_one("#mon-alerts", AlertsView).show(alerts.pending(), alerts.acknowledged(),
                                                        alerts.version)
        self.query_one("#mon-fresh", TextLine).show(self._freshness(now))
        if self.budget_mode:
            self.query_one("#mon-budget", BudgetView).show(self._budget, self._budget_note)

    def _title(self, wm: WindowMonitor | None, now: datetime) -> Text:
        text = Text()
        if self.replay is not None:
            state = f"x{self.replay.speed:g}" + (" PAUSED" if self.replay.paused else "")
            text.append(f" REPLAY {clock_time(self.replay.position, self.tz)} {state} ",
                        "bold reverse")
            text.append(" ")
        if not self.model.freshness.connected:
            text.append(" DISCONNECTED ", "bold white on red")
            text.append(" ")
        if wm is None:
            text.append("no release window to watch", "dim")
            return text
        window = wm.window
        text.append(window.name, "bold")
        text.append(f"  {window.release_type or '?'} · {window.status_at(now)}")
        shown = wm.countdown(now)
        text.append("  ")
        text.append(shown.text, "bold yellow" if shown.precise else "bold")
        count = len(self.model.windows)
        if count > 1:
            text.append(f"   [{self.selected + 1}/{count}, w: next]", "dim")
        return text

    def _projection(self, wm: WindowMonitor, now: datetime) -> Text:
        projection = wm.projection(now, self.tz)
        style = "yellow" if projection.before_end else ""
        text = Text("Trend  ")
        text.append(projection.text, style)
        rate = f"  ({projection.rate_per_minute:.1f}/min)"
        room = self.query_one("#mon-projection", TextLine).content_size.width
        if projection.rate_per_minute and len(text) + len(rate) <= room:
            text.append(rate, "dim")
        if self.feed is not None and self.feed.history_partial:
            text.append("  (history partial: counts from the server's total)", "dim")
        return text

    def _spark_rows(self, wm: WindowMonitor, now: datetime) -> list[SparkRow]:
        per = 3 if self.size.height >= 36 else 1
        rows = [SparkRow("All signatures", tuple(wm.rates.overall.series(now)), "overall")]
        rows += [SparkRow(f"kp {s.label}", tuple(s.values), "keypair")
                 for s in wm.rates.keypairs(now)[:per]]
        rows += [SparkRow(f"by {s.label}", tuple(s.values), "signer")
                 for s in wm.rates.signers(now)[:per]]
        return rows

    def _freshness(self, now: datetime) -> Text:
        fresh = self.model.freshness
        if self.replay is not None:
            rec = self.replay.recording
            return Text(
                f" replay {clock_time(rec.start, self.tz)} to {clock_time(rec.end, self.tz)}"
                f" · as recorded: {fresh.text(now)}"
                " · space pause · f/s speed · ←/→ 30 s · home/end", "dim")
        if not fresh.connected:
            return Text(f" {fresh.text(now)}", "bold red")
        cadence = max(fresh.interval, fresh.cadence or 0.0)
        late = fresh.last_ok is not None and (now - fresh.last_ok).total_seconds() > (
            3 * cadence + 5)
        text = Text(f" {fresh.text(now)}", "yellow" if late else "dim")
        text.append(" · +/- to change", "dim")
        return text

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.REPLAY_ONLY:
            return self.replay is not None
        if action in self.LIVE_ONLY:
            return self.feed is not None
        if action == "export":
            return self.budget_mode and self._budget is not None
        if action == "window":
            return len(self.model.windows) > 1
        return True

    def action_acknowledge(self) -> None:
        selected = self.query_one("#mon-alerts", AlertsView).selected
        if selected is not None:
            self.model.acknowledge(selected.key)
            self.refresh_views()

    def action_acknowledge_all(self) -> None:
        if self.model.acknowledge():
            self.refresh_views()

    def action_window(self, step: int) -> None:
        self.selected += step
        self.refresh_views()

    def action_interval(self, step: int) -> None:
        if self.feed is None:
            return
        current = self.feed.interval
        if step > 0:
            chosen = next((s for s in INTERVALS if s > current), INTERVALS[-1])
        else:
            chosen = next((s for s in reversed(INTERVALS) if s < current), INTERVALS[0])
        self.feed.interval = chosen
        self.refresh_views()

    def action_pause(self) -> None:
        if self.replay is not None:
            self.replay.toggle_pause()
            self._real = time.monotonic()
            self.refresh_views()

    def action_speed(self, step: int) -> None:
        if self.replay is not None:
            (self.replay.faster if step > 0 else self.replay.slower)()
            self.refresh_views()

    def action_seek(self, seconds: float) -> None:
        if self.replay is not None:
            self.replay.seek_by(seconds)
            self.refresh_views()

    def action_seek_edge(self, end: int) -> None:
        if self.replay is not None:
            rec = self.replay.recording
            self.replay.seek(rec.end if end else rec.start)
            self.refresh_views()

    def action_glyphs(self) -> None:
        self.glyphs = GLYPH_SETS[(GLYPH_SETS.index(self.glyphs) + 1) % len(GLYPH_SETS)]
        self.refresh_views()

    def action_budget(self) -> None:
        self.budget_mode = not self.budget_mode
        self.query_one("#mon-body").display = not self.budget_mode
        self.query_one("#mon-budget").display = self.budget_mode
        if self.budget_mode and self._budget is None:
            if self._budget_loader is None:
                self._budget_note = "the signature budget needs a live connection"
            else:
                self._budget_note = "reading this month's signatures…"
                self._load_budget()
        self.refresh_bindings()
        self.refresh_views()

    @work(exclusive=True, group="monitor-budget", exit_on_error=False)
    async def _load_budget(self) -> None:
        assert self._budget_loader is not None
        try:
            self._budget = await self._budget_loader()
            self._budget_note = "e: export as CSV"
        except Exception as exc:  # the dashboard never crashes because the server misbehaves
            log.info("budget failed: %s", exc)
            self._budget_note = f"could not read the budget: {getattr(exc, 'message', exc)}"
        self.refresh_bindings()
        self.refresh_views()

    def action_export(self) -> None:
        if self._budget is None:
            return
        folder = self.export_dir or Path.cwd()
        target = folder / f"signature-budget-{self._budget.month}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with target.open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(csv_rows(self._budget))
        except OSError as exc:
            self.app.notify(f"could not write {target}: {exc.strerror}", severity="error",
                            markup=False)
            return
        self.app.notify(f"budget written to {target}", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

