"""The monitor screen under Pilot: live against the emulator, and over a hand-built scene."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.widget import Widget

from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.monitor_app import MonitorApp
from stm_tui.tui.screens.monitor import MonitorScreen
from stm_tui.tui.widgets.monitor_alerts import AlertsView
from stm_tui.tui.widgets.monitor_gauge import QuotaGauge
from stm_tui.tui.widgets.monitor_stream import AttemptStreamView
from stm_tui.tui.widgets.monitor_text import TextLine
from stm_tui.views.monitor.client_source import ClientSource
from stm_tui.views.monitor.feed import MonitorFeed
from stm_tui.views.monitor.model import MonitorModel
from tests.integration._emu import client_for
from tests.integration._monitor import ManualClock, Signer, keypair_named, ticking_emulator
from tests.tui._monitor_scene import NOW, scene_model
from tests.tui.conftest import wait_until

SIZES = [(80, 24), (120, 40)]
SELECTORS = ("#mon-title", "#mon-gauge", "#mon-projection", "#mon-scan", "#mon-sparks",
             "#mon-stream", "#mon-alerts", "#mon-fresh")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock) -> Iterator[EmulatorServer]:
    yield from ticking_emulator(tmp_path / "emulator", clock)


@pytest.fixture
async def feed(server: EmulatorServer, clock: ManualClock) -> AsyncIterator[MonitorFeed]:
    client = client_for(server, "lead", read_only=True)
    source = ClientSource(client)
    windows = [await source.find_release(n) for n in ("platform-fw-7.1", "desktop-4.3.0")]
    yield MonitorFeed(source, MonitorModel(windows, clock=clock), interval=0.05,
                      meta_interval=0)
    await client.aclose()


def screen_of(pilot: Pilot[Any]) -> MonitorScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MonitorScreen)
    return screen


def line_text(widget: AttemptStreamView | AlertsView, y: int) -> str:
    return widget.render_line(y).text


def assert_fits(screen: MonitorScreen, width: int, height: int) -> None:
    """Every part of the monitor is on screen, inside it, none squeezed to nothing."""
    for selector in ("#mon-title", "#mon-gauge", "#mon-projection", "#mon-scan",
                     "#mon-sparks", "#mon-fresh", "Footer"):
        region = screen.query_one(selector, Widget).region
        assert region.height >= 1 and region.right <= width and region.bottom <= height, selector
    stream = screen.query_one("#mon-stream", AttemptStreamView).region
    alerts = screen.query_one("#mon-alerts", AlertsView).region
    assert stream.height >= 6 and alerts.height >= 4  # a header plus rows each
    assert stream.right <= width and alerts.right <= width and alerts.bottom <= height
    assert not stream.overlaps(alerts)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_a_new_signature_shows_in_the_stream(
    feed: MonitorFeed, server: EmulatorServer, clock: ManualClock, size: tuple[int, int]
) -> None:
    app = MonitorApp(lambda: MonitorScreen(feed=feed))
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: feed.polls >= 1)
        screen = screen_of(pilot)
        assert_fits(screen, *size)
        stream = screen.query_one("#mon-stream", AttemptStreamView)
        clock.advance(seconds=3)
        signer = Signer(server, "build_engineer")
        signed = await signer.sign(keypair_named(server, "platform-firmware-update"))
        refused = Signer(server, "developer")
        assert await refused.sign(keypair_named(server, "platform-firmware-update")) is None
        await signer.aclose()
        await refused.aclose()
        # Both attempts, not only the signature: the refused one can come a poll later.
        await wait_until(
            pilot,
            lambda: any(a.id == signed for a in stream.shown)
            and any(a.status == "FAILED" for a in stream.shown),
        )
        rows = [line_text(stream, y) for y in (1, 2)]
        ok = next(r for r in rows if " OK" in r)
        # Time to the second, keypair (cut in the middle), signer, algorithm, hash, the IP the
        # emulator saw (this test's loopback), status.
        assert ok.startswith(" 12:00:03 platfo…") and "update Kenji W" in ok
        assert " SHA256/ECDSA " in ok and " 127.0.0.1 " in ok
        failed = next(r for r in rows if "FAILED" in r)
        assert "✗ not a listed signer" in failed and "Priya" in failed
        header = line_text(stream, 0)
        assert header.split()[:5] == ["time", "UTC", "keypair", "signer", "algorithm"]


async def test_alerts_stay_until_acknowledged_and_are_toasted_as_text(
    feed: MonitorFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    toasts: list[Notification] = []

    def hook(message: Message) -> None:
        notification = getattr(message, "notification", None)
        if isinstance(notification, Notification):
            toasts.append(notification)

    app = MonitorApp(lambda: MonitorScreen(feed=feed))
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(120, 40), message_hook=hook, notifications=True) as pilot:
        await wait_until(pilot, lambda: feed.polls >= 3)
        screen = screen_of(pilot)
        pane = screen.query_one("#mon-alerts", AlertsView)
        # desktop-4.3.0 signs on after its scan failed: two alerts, one bell.
        assert len(pane.alerts) == 2 and bells == [1]
        assert {t.title for t in toasts} == {"Threat scan"}
        assert all(not t.markup for t in toasts)
        assert line_text(pane, 0).strip() == "Alerts: 2 to acknowledge"
        await pilot.pause()
        assert len(screen.model.alerts.pending()) == 2  # polls go on; the alerts stay
        first = pane.selected
        assert first is not None
        await pilot.press("a")
        assert [a.key for a in screen.model.alerts.pending()] != [first.key]
        assert len(screen.model.alerts.pending()) == 1
        assert line_text(pane, 0).strip() == "Alerts: 1 to acknowledge"
        await pilot.press("A")
        assert screen.model.alerts.pending() == []
        assert "✓" in "".join(line_text(pane, y) for y in range(1, 8))
        assert bells == [1]  # acknowledging rings nothing; nothing fired again


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_the_scene_fits_and_reads_right(size: tuple[int, int]) -> None:
    model = scene_model()
    app = MonitorApp(lambda: MonitorScreen(model))
    async with app.run_test(size=size) as pilot:
        screen = screen_of(pilot)
        await pilot.pause()
        assert_fits(screen, *size)
        title = screen.query_one("#mon-title", TextLine).text.plain
        assert title.startswith("platform-fw-7.1  OFFLINE · OPEN  ends in 48:27")
        gauge = screen.query_one("#mon-gauge", QuotaGauge)
        assert gauge.has_class("-amber")
        assert "32/40 (80%)" in gauge.render().plain
        projection = screen.query_one("#mon-projection", TextLine).text.plain
        assert "the quota runs out at 12:18, before the window ends" in projection
        await pilot.press("w")  # the other window
        title = screen.query_one("#mon-title", TextLine).text.plain
        assert title.startswith("desktop-4.3.0")
        assert "blocks signing" in screen.query_one("#mon-scan", TextLine).text.plain
        assert not screen.query_one("#mon-gauge", QuotaGauge).has_class("-amber")


async def test_glyphs_cycle_to_an_ascii_fallback() -> None:
    app = MonitorApp(lambda: MonitorScreen(scene_model()))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = screen_of(pilot)
        sparks = screen.query_one("#mon-sparks")
        shown = sparks.render().plain  # type: ignore[union-attr]
        assert any(ch in shown for ch in "▁▂▃▄▅▆▇█")
        await pilot.press("g")  # braille
        assert any(0x2801 <= ord(ch) <= 0x28FF for ch in sparks.render().plain)  # type: ignore[union-attr]
        await pilot.press("g")  # ascii
        plain = sparks.render().plain  # type: ignore[union-attr]
        assert plain.isascii() and "#" in plain
        gauge = screen.query_one("#mon-gauge", QuotaGauge).render().plain
        assert gauge.isascii() and "#" in gauge


async def test_a_poll_that_changes_nothing_repaints_nothing() -> None:
    model = scene_model()
    app = MonitorApp(lambda: MonitorScreen(model))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = screen_of(pilot)
        await pilot.pause()
        widgets = [screen.query_one(s) for s in SELECTORS]
        before = [w.repaints for w in widgets]  # type: ignore[attr-defined]
        model.poll_ok()
        model.evaluate()
        screen.refresh_views()
        assert [w.repaints for w in widgets] == before  # type: ignore[attr-defined]
        # One new signature: the stream, the gauge, the trend and the sparklines change; the
        # title, the scan line, the alerts pane and the freshness line do not.
        wm = screen.current()
        assert wm is not None
        model.ingest([replace(wm.stream[0], id="one-more", created_on=NOW)])
        model.evaluate()
        screen.refresh_views()
        after = [w.repaints for w in widgets]  # type: ignore[attr-defined]
        changed = {s for s, b, a in zip(SELECTORS, before, after, strict=True) if a != b}
        assert changed == {"#mon-gauge", "#mon-projection", "#mon-sparks", "#mon-stream"}


def recording(path: Path) -> Path:
    """Ten minutes of a window being signed in, a signature every 30 s."""
    from stm_tui.views.monitor.alerts import AlertConfig
    from stm_tui.views.monitor.recording import Recorder
    from tests.tui._monitor_scene import FIRMWARE, scene_model

    clock = ManualClock(NOW)
    recorder = Recorder(path, config=AlertConfig(), started=NOW)
    model = MonitorModel([FIRMWARE], clock=clock, recorder=recorder)
    sample = next(iter(scene_model().windows[FIRMWARE.id].stream))
    for n in range(20):
        clock.advance(seconds=30)
        model.ingest([replace(sample, id=f"rec-{n}", created_on=clock.now)])
        model.poll_ok()
        model.evaluate()
    recorder.close()
    return path


async def test_replay_pauses_speeds_up_and_seeks(tmp_path: Path) -> None:
    from datetime import timedelta

    from stm_tui.views.monitor.recording import Recording, Replay

    replay = Replay(Recording(recording(tmp_path / "rec.jsonl")))
    app = MonitorApp(lambda: MonitorScreen(replay=replay))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot)
        stream = screen.query_one("#mon-stream", AttemptStreamView)
        await pilot.press("space")  # pause at the start
        assert replay.paused
        assert "PAUSED" in screen.query_one("#mon-title", TextLine).text.plain
        position = replay.position
        await pilot.pause(0.3)
        assert replay.position == position  # paused: the replayed clock stands still
        await pilot.press("right")  # 30 s on: the first signature
        assert [a.id for a in stream.shown] == ["rec-0"]
        await pilot.press("end")
        assert len(stream.shown) == 20 and stream.shown[0].id == "rec-19"
        await pilot.press("left", "left")  # a minute back: the model is rebuilt to there
        assert stream.shown[0].id == "rec-17"
        await pilot.press("home")
        assert len(stream.shown) == 0
        await pilot.press("f", "f")
        assert replay.speed == 4.0
        assert "x4" in screen.query_one("#mon-title", TextLine).text.plain
        await pilot.press("space")
        await wait_until(pilot, lambda: len(stream.shown) >= 1)
        assert replay.position > replay.recording.start + timedelta(seconds=29)
        await pilot.press("plus")  # live-only: ignored in a replay
        assert replay.model.freshness.interval == 2.0
