"""Opening the release monitor from the dashboard (Releases, the Overview, the palette).

The monitor there is fed by the session's store (`views.monitor.store_feed`): the dashboard
polls the signature log once for both. Esc closes it and shows the screen it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App

from stm_tui.config import app_paths
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.views.monitor.budget import BudgetReport, load_budget
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.settings import MonitorSettings, settings_for
from stm_tui.views.monitor.store_feed import (
    StoreFeed,
    one_off_reads,
    open_windows_in_store,
    windows_in_store,
)


def dashboard_monitor(host: ScreenHost, release_ids: Sequence[str] = (),
                      settings: MonitorSettings | None = None) -> MonitorScreen:
    """The monitor for these release windows, or for every open one (and those that open
    while it runs) when none are given; `settings`: the profile's alerts and budget."""
    settings = settings or settings_for(None)
    session = host.session
    store = session.store
    watch_all = not release_ids
    if watch_all:
        windows = open_windows_in_store(store, host.now())
    else:
        windows = windows_in_store(store, release_ids)
    model = MonitorModel(windows, clock=session.clock, config=settings.alerts)
    # Reads of its own only on request: the history before the store's, the month's budget.
    reads = one_off_reads(session)
    feed = StoreFeed(session, model, history_source=reads, watch_all=watch_all)

    async def budget() -> BudgetReport:
        return await load_budget(reads, session.now(), settings.budget)

    return MonitorScreen(feed=feed, budget=budget,
                         export_dir=app_paths().data_dir / "exports")


def open_monitor(app: App[Any], release_ids: Sequence[str] = ()) -> None:
    """Push the monitor on the dashboard `app` (a ScreenHost)."""
    host = app
    if not isinstance(host, ScreenHost):
        raise TypeError("the monitor opens on an app that is a ScreenHost")
    settings = getattr(app, "monitor_settings", None)
    app.push_screen(dashboard_monitor(host, release_ids, settings))
