"""The monitor inside the dashboard: opened from Releases (`m` on the selected window), from
an open window's row of the Overview, and from the palette ("Monitor releases"); Esc comes
back. There it is fed by the session's store: the signature log is polled once, for both.

The emulator and the session share a clock the test moves, so every store poll is a new
status (as in real life) and nothing waits on wall time but the polls themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.message import Message
from textual.notifications import Notification
from textual.pilot import Pilot

from stm_tui.api.client import STMClient
from stm_tui.api.command_log import CallRecord
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.tui.screens.overview import OverviewScreen
from stm_tui.tui.widgets.monitor_alerts import AlertsView
from stm_tui.tui.widgets.monitor_stream import AttemptStreamView
from stm_tui.views.monitor.store_feed import StoreFeed
from tests.integration._monitor import (
    ManualClock,
    Signer,
    keypair_named,
    release_named,
    ticking_emulator,
)
from tests.tui._pilot import top
from tests.tui.conftest import LOCAL, SHOWN_HOST, loaded, wait_until


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock) -> Iterator[EmulatorServer]:
    yield from ticking_emulator(tmp_path / "emulator", clock)


def dashboard(server: EmulatorServer, clock: ManualClock) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True)
    client.host = SHOWN_HOST
    session = Session(client, profile_name="demo", clock=clock, local=LOCAL)
    return StmApp(session)


def monitor_of(pilot: Pilot[Any]) -> MonitorScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MonitorScreen)
    return screen


def watched(screen: MonitorScreen) -> list[str]:
    return [wm.window.name for wm in screen.model.windows.values()]


async def ticking(
    pilot: Pilot[Any], clock: ManualClock, predicate: Callable[[], bool]
) -> None:
    """Move the shared clock on while waiting, so each store poll is news."""

    def moved() -> bool:
        clock.advance(seconds=0.2)
        return predicate()

    await wait_until(pilot, moved)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_m_on_a_release_window_monitors_it_and_esc_comes_back(
    server: EmulatorServer, clock: ManualClock, size: tuple[int, int]
) -> None:
    app = dashboard(server, clock)
    fw = release_named(server, "platform-fw-7.1")
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("4")
        releases = top(app, ListScreen)
        assert releases.focus_key(fw["id"])
        footer = " ".join(str(b[1].description) for b in releases.active_bindings.values()
                          if b[1].show)
        assert "Monitor" in footer
        await pilot.press("m")
        screen = monitor_of(pilot)
        assert watched(screen) == ["platform-fw-7.1"]
        assert isinstance(screen.feed, StoreFeed)
        # A signature made now shows in the monitor once the dashboard's poll brings it.
        signer = Signer(server, "build_engineer")
        signed = await signer.sign(keypair_named(server, "platform-firmware-update"))
        await signer.aclose()
        stream = screen.query_one("#mon-stream", AttemptStreamView)
        await ticking(pilot, clock, lambda: any(a.id == signed for a in stream.shown))
        wm = next(iter(screen.model.windows.values()))
        assert wm.success == 13  # the seed's 12 and this one
        assert screen.feed.requests == 0  # everything came from the store
        await pilot.press("escape")
        assert app.screen is releases and releases.table.cursor_key == fw["id"]


async def test_an_open_windows_row_on_the_overview_opens_its_monitor(
    server: EmulatorServer, clock: ManualClock
) -> None:
    app = dashboard(server, clock)
    desktop = release_named(server, "desktop-4.3.0")
    toasts: list[str] = []

    def hook(message: Message) -> None:
        notification = getattr(message, "notification", None)
        if isinstance(notification, Notification):
            toasts.append(notification.message)

    async with app.run_test(size=(120, 40), notifications=True, message_hook=hook) as pilot:
        await loaded(pilot)
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        table = overview.table
        keys = table.visible_keys()
        not_a_release = next(k for k in keys if not k.startswith("releases:"))
        assert table.move_cursor_to_key(not_a_release)
        await pilot.pause()
        await pilot.press("m")
        assert app.screen is overview  # nothing to monitor there: it says so instead
        assert any("monitors a release window" in t for t in toasts)
        assert table.move_cursor_to_key(f"releases:{desktop['id']}")
        await pilot.pause()
        await pilot.press("m")
        screen = monitor_of(pilot)
        assert watched(screen) == ["desktop-4.3.0"]
        # desktop-4.3.0 signs on after its scan failed: both alerts are in the pane.
        pane = screen.query_one("#mon-alerts", AlertsView)
        await ticking(pilot, clock, lambda: len(pane.alerts) == 2)
        assert {a.kind for a in pane.alerts} == {"scan"}
        await pilot.press("escape")
        assert app.screen is overview


async def test_the_palette_monitors_every_open_window(
    server: EmulatorServer, clock: ManualClock
) -> None:
    app = dashboard(server, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        overview = app.screen
        await pilot.press("ctrl+p")
        await pilot.press(*"Monitor releases")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        screen = monitor_of(pilot)
        assert sorted(watched(screen)) == ["desktop-4.3.0", "platform-fw-7.1",
                                           "platform-q4-hotfix"]
        # The help lists the monitor's keys, from the registry.
        await pilot.press("question_mark")
        top(app, HelpScreen)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is overview


async def test_the_signature_log_is_polled_once_with_the_monitor_open(
    server: EmulatorServer, clock: ManualClock
) -> None:
    app = dashboard(server, clock)
    reads: list[tuple[str, ...]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)

        def on_call(record: CallRecord) -> None:
            if record.path.endswith("/signatures"):
                reads.append(record.query_keys)

        app.session.command_log.subscribe(on_call)
        await pilot.press("M")  # every open window
        screen = monitor_of(pilot)
        assert isinstance(screen.feed, StoreFeed)
        signer = Signer(server, "build_engineer")
        signed = await signer.sign(keypair_named(server, "platform-firmware-update"))
        await signer.aclose()
        stream = screen.query_one("#mon-stream", AttemptStreamView)
        await ticking(pilot, clock, lambda: any(a.id == signed for a in stream.shown))
        await ticking(pilot, clock, lambda: len(reads) >= 6)  # a few more polls
        # The log was read only the dashboard's way (its store pages by limit and offset);
        # never the monitor's way (`from` the windows' start).
        assert reads and all("from" not in keys for keys in reads)
        assert screen.feed.requests == 0
        assert screen.model.freshness.last_ok is not None  # the store's polls are its own
