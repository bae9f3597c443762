"""SVG snapshots of the monitor over the hand-built scene (refresh with --snapshot-update):
platform-fw-7.1 at 80% (the gauge amber, the quota alert in the pane), at both sizes, and
the budget view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from stm_tui.tui.monitor_app import MonitorApp
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.views.monitor.budget import BudgetConfig, BudgetTally, budget_report, month_start
from tests.tui._monitor_scene import NOW, scene_model


def monitor_app(**kw: Any) -> MonitorApp:
    model = scene_model()
    return MonitorApp(lambda: MonitorScreen(model, **kw))


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()


def test_monitor_at_120x40(snap_compare: Any) -> None:
    assert snap_compare(monitor_app(), terminal_size=(120, 40), run_before=settle)


def test_monitor_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(monitor_app(), terminal_size=(80, 24), run_before=settle)


def test_budget_view_at_80x24(snap_compare: Any) -> None:
    model = scene_model()
    tally = BudgetTally(month_start(NOW))
    for wm in model.windows.values():
        tally.add_all(wm.stream)

    async def load() -> Any:
        return budget_report(tally, NOW + timedelta(minutes=1), BudgetConfig(monthly=60))

    app = MonitorApp(lambda: MonitorScreen(model, budget=load))

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("b")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
