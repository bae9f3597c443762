"""The live monitor against the emulator: what it shows is exactly the signature log.

The emulator and the monitor share a clock the test moves, so rates and projections are
exact, and nothing waits on wall time (polls are made one by one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.views.monitor.alerts import AlertConfig
from stm_tui.views.monitor.client_source import ClientSource
from stm_tui.views.monitor.feed import MonitorFeed, SourceError
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.rates import minute_of
from stm_tui.views.monitor.recording import Recorder, Recording, Replay
from tests.integration._emu import FAST, client_for, set_faults
from tests.integration._monitor import (
    ManualClock,
    Signer,
    keypair_named,
    raw_all,
    release_named,
    sign_inside,
    stamp,
    ticking_emulator,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock) -> Iterator[EmulatorServer]:
    yield from ticking_emulator(tmp_path / "emulator", clock)


@pytest.fixture
async def source(server: EmulatorServer) -> AsyncIterator[ClientSource]:
    client = client_for(server, "lead", read_only=True)
    yield ClientSource(client)
    await client.aclose()


@pytest.fixture
async def signers(server: EmulatorServer) -> AsyncIterator[dict[str, Signer]]:
    made = {role: Signer(server, role) for role in ("build_engineer", "developer", "signer")}
    yield made
    for signer in made.values():
        await signer.aclose()


async def feed_for(source: ClientSource, clock: ManualClock, *names: str,
                   config: AlertConfig | None = None, **kw: Any) -> MonitorFeed:
    windows = [await source.find_release(name) for name in names]
    model = MonitorModel(windows, clock=clock, config=config, recorder=kw.pop("recorder", None))
    return MonitorFeed(source, model, interval=0.01, meta_interval=0, **kw)


def expected(server: EmulatorServer, name: str) -> dict[str, Any]:
    """What the monitor should show for a window, computed from the raw log."""
    release = release_named(server, name)
    start, end = stamp(release["start_time"]), stamp(release["end_time"])
    keypairs = {k["id"] for k in release["keypairs"]}
    log = raw_all(server, "/signatures", **{"from": release["start_time"]})
    attributed = [s for s in log if (s["release"] or {}).get("id") == release["id"]]
    on_keypairs = [s for s in log if s["keypair"]["id"] in keypairs
                   and start <= stamp(s["created_on"]) < end
                   and (s["release"] or {}).get("id") != release["id"]]
    success = [s for s in attributed if s["status"] == "SUCCESS"]
    return {
        "release": release,
        "success": success,
        "failed": [s for s in attributed + on_keypairs if s["status"] == "FAILED"],
        "outside": [s for s in on_keypairs if s["status"] == "SUCCESS"],
        "by_keypair": Counter(s["keypair"]["id"] for s in success),
        "by_signer": Counter(s["user"]["id"] for s in success),
    }


async def test_a_signature_appears_within_one_poll(
    source: ClientSource, clock: ManualClock, server: EmulatorServer,
    signers: dict[str, Signer],
) -> None:
    feed = await feed_for(source, clock, "platform-fw-7.1")
    await feed.poll_once()
    wm = feed.model.windows[release_named(server, "platform-fw-7.1")["id"]]
    assert wm.success == 12  # the seeded history, read back to the window's start
    keypair = keypair_named(server, "platform-firmware-update")
    for _ in range(3):
        clock.advance(seconds=2)
        signed = await signers["build_engineer"].sign(keypair)
        result = await feed.poll_once()
        assert result.ok and result.attempts == 1
        assert wm.stream[0].id == signed
    assert wm.success == 15
    # Nothing new: one request for the signature log per poll.
    before = feed.requests
    feed.meta_interval = 3600
    for _ in range(5):
        await feed.poll_once()
    assert feed.requests - before == 5


async def test_counters_rates_and_projection_match_the_log(
    source: ClientSource, clock: ManualClock, server: EmulatorServer,
    signers: dict[str, Signer],
) -> None:
    feed = await feed_for(source, clock, "platform-fw-7.1", "platform-q4-hotfix")
    await feed.poll_once()
    update = keypair_named(server, "platform-firmware-update")
    root = keypair_named(server, "platform-firmware-root")
    container = keypair_named(server, "platform-container-sign")
    plan = [
        ("build_engineer", update), ("build_engineer", root), ("build_engineer", update),
        ("developer", update),  # not a signer of platform-fw-7.1: refused
        ("signer", update),  # not assigned to the keypair: refused
        ("developer", container),  # an online keypair: signed, but outside the window
        ("build_engineer", container),
    ]
    for step in range(21):  # about 14 minutes, polling as it goes
        role, keypair = plan[step % len(plan)]
        clock.advance(seconds=40)
        await signers[role].sign(keypair)
        if step % 3 == 0:
            await feed.poll_once()
    await feed.poll_once()
    now = clock.now
    for name in ("platform-fw-7.1", "platform-q4-hotfix"):
        want = expected(server, name)
        wm = feed.model.windows[want["release"]["id"]]
        assert (wm.success, wm.failed, wm.outside) == (
            len(want["success"]), len(want["failed"]), len(want["outside"]))
        assert {k: t.success for k, t in wm.by_keypair.items() if t.success} == want["by_keypair"]
        assert {k: t.success for k, t in wm.by_signer.items() if t.success} == want["by_signer"]
        assert wm.used == max(len(want["success"]), want["release"]["signature_count"])
        # The per-minute series of the last hour, bucket by bucket.
        per_minute = Counter(minute_of(stamp(s["created_on"])) for s in want["success"])
        last = minute_of(now)
        assert wm.rates.overall.series(now) == [per_minute[m] for m in range(last - 59, last + 1)]
        # The projection: the last hour over the minutes the window was open.
        opened = minute_of(stamp(want["release"]["start_time"]))
        minutes = last - max(last - 59, opened) + 1
        count = sum(per_minute[m] for m in range(last - minutes + 1, last + 1))
        projection = wm.projection(now)
        assert projection.rate_per_minute == count / minutes
        maximum = want["release"]["max_signatures"]
        if maximum is not None and count:
            left = maximum - wm.used
            assert projection.runs_out_at == now + timedelta(minutes=left / (count / minutes))
    hotfix = feed.model.windows[release_named(server, "platform-q4-hotfix")["id"]]
    assert hotfix.outside == 3 and hotfix.stream[0].user_name  # the developer's signatures


async def test_a_burst_from_the_activity_simulator_is_counted_exactly(
    source: ClientSource, clock: ManualClock, server: EmulatorServer,
) -> None:
    feed = await feed_for(source, clock, "platform-q4-hotfix", "platform-fw-7.1")
    await feed.poll_once()
    fw = release_named(server, "platform-fw-7.1")
    clock.advance(seconds=5)
    # 300 attempts in one transaction: the 28 left of its 40, the rest refused (quota).
    async with httpx.AsyncClient(timeout=60) as admin:
        response = await admin.post(
            f"{server.url}/_emulator/activity/burst",
            json={"count": 300, "release_id": fw["id"]},
            headers={"x-emulator-admin-token": server.admin_token})
    response.raise_for_status()
    made = response.json()
    assert made["attempted"] == 300 and made["signed"] == 28 and made["failed"] == 272
    result = await feed.poll_once()  # the whole burst in one poll, page by page
    assert result.ok
    for name in ("platform-q4-hotfix", "platform-fw-7.1"):
        want = expected(server, name)
        wm = feed.model.windows[want["release"]["id"]]
        assert (wm.success, wm.failed, wm.outside) == (
            len(want["success"]), len(want["failed"]), len(want["outside"])), name
        assert {k: t.success for k, t in wm.by_signer.items() if t.success} == want["by_signer"]
        per_minute = Counter(minute_of(stamp(s["created_on"])) for s in want["success"])
        last = minute_of(clock.now)
        assert wm.rates.overall.series(clock.now) == [
            per_minute[m] for m in range(last - 59, last + 1)]
    wm = feed.model.windows[fw["id"]]
    assert wm.success == 40 and wm.used == 40
    assert len({a.id for a in wm.stream}) == len(wm.stream)


async def test_each_alert_fires_at_its_threshold_and_only_once(
    source: ClientSource, clock: ManualClock, server: EmulatorServer,
    signers: dict[str, Signer],
) -> None:
    feed = await feed_for(source, clock, "platform-fw-7.1", "desktop-4.3.0")
    fired: list[tuple[str, str]] = []

    async def poll() -> list[str]:
        result = await feed.poll_once()
        fired.extend((a.window_name, a.kind) for a in result.alerts)
        return [a.kind for a in result.alerts]

    # desktop-4.3.0 signs on after its scan failed (it does not block on a failed scan): the
    # failed scan and the signing after it, two alerts at once.
    assert sorted(await poll()) == ["scan", "scan"]
    fw = release_named(server, "platform-fw-7.1")
    wm = feed.model.windows[fw["id"]]
    update = keypair_named(server, "platform-firmware-update")
    build = signers["build_engineer"]
    # A burst after a quiet quarter of an hour: a rate spike, once (and 24 of 40 used).
    clock.advance(minutes=15)
    for _ in range(12):
        await build.sign(update)
    assert await poll() == ["rate_spike"]
    clock.advance(seconds=30)
    assert await poll() == []
    # Signing on, at a steady pace, to 31 of 40: under 80%, no quota alert.
    while wm.used < 31:
        clock.advance(seconds=50)
        await build.sign(update)
        assert "quota_warn" not in await poll()
    clock.advance(seconds=50)
    await build.sign(update)  # 32 of 40: 80%
    assert await poll() == ["quota_warn"]
    for _ in range(7):  # to 39: nothing new
        clock.advance(seconds=50)
        await build.sign(update)
        assert await poll() == []
    clock.advance(seconds=50)
    await build.sign(update)  # 40 of 40
    assert await poll() == ["quota_full"]
    clock.advance(seconds=50)
    assert await build.sign(update) is None  # refused: quota exceeded, logged as FAILED
    assert await poll() == ["failed_attempts"]
    assert await build.sign(update) is None
    assert await poll() == []  # the same condition: counted, not fired again
    refused = next(a for a in feed.model.alerts.all() if a.kind == "failed_attempts")
    assert refused.count == 2 and "quota exceeded" in refused.message
    # The window closing with signatures still arriving: from 10 minutes before its end.
    developer = signers["developer"]
    installer = keypair_named(server, "desktop-installer-ev")
    end = stamp(release_named(server, "desktop-4.3.0")["end_time"])
    clock.now = end - timedelta(minutes=10, seconds=30)
    await developer.sign(installer)
    # 40 of its 50 (the seed's 39, one more): desktop-4.3.0's own 80%; not closing yet.
    assert await poll() == ["quota_warn"] and fired[-1] == ("desktop-4.3.0", "quota_warn")
    clock.now = end - timedelta(minutes=9, seconds=50)
    assert await poll() == ["closing"]
    await developer.sign(installer)
    assert await poll() == []
    assert fired.count(("desktop-4.3.0", "quota_warn")) == 1
    kinds = Counter(kind for name, kind in fired if name == "platform-fw-7.1")
    assert kinds["quota_warn"] == kinds["quota_full"] == kinds["rate_spike"] == 1


@pytest.mark.parametrize("fault", ["error_rate", "drop_rate"])
async def test_a_fault_window_loses_no_signature(
    source: ClientSource, clock: ManualClock, server: EmulatorServer, fault: str,
) -> None:
    source.client._retry = FAST  # type: ignore[attr-defined]
    # A window without a maximum, so that 30 signatures in a minute are all accepted.
    feed = await feed_for(source, clock, "platform-q4-hotfix")
    await feed.poll_once()
    window = release_named(server, "platform-q4-hotfix")
    assert window["max_signatures"] is None
    wm = feed.model.windows[window["id"]]
    keypair = keypair_named(server, "platform-container-sign")["id"]
    held = (wm.success, [a.id for a in wm.stream])
    made: list[str] = []
    set_faults(server, **{fault: 1.0, "retry_after": 0})  # the outage, not the back-off
    try:
        for n in range(30):  # 60 seconds of polls failing, signing going on
            clock.advance(seconds=2)
            made.append(sign_inside(server, "build_engineer", keypair, n))
            result = await feed.poll_once()
            assert not result.ok
            assert "DISCONNECTED since" in feed.model.freshness.text(clock.now)
            # The last good data stays on screen.
            assert (wm.success, [a.id for a in wm.stream]) == held
    finally:
        set_faults(server)
    clock.advance(seconds=2)
    result = await feed.poll_once()
    assert result.ok and result.attempts == 30
    assert feed.model.freshness.connected
    shown = [a.id for a in wm.stream]
    assert shown[:30] == list(reversed(made))
    assert len(shown) == len(set(shown))
    assert wm.success == held[0] + 30 == len(expected(server, "platform-q4-hotfix")["success"])


async def test_record_then_replay_reproduces_the_monitor(
    source: ClientSource, clock: ManualClock, server: EmulatorServer,
    signers: dict[str, Signer], tmp_path: Path,
) -> None:
    path = tmp_path / "watch.jsonl"
    recorder = Recorder(path, config=AlertConfig(), started=clock.now)
    feed = await feed_for(source, clock, "platform-fw-7.1", "platform-q4-hotfix",
                          recorder=recorder)
    await feed.poll_once()
    update = keypair_named(server, "platform-firmware-update")
    container = keypair_named(server, "platform-container-sign")
    for step in range(12):
        clock.advance(seconds=30)
        await signers["build_engineer"].sign(update)
        if step % 4 == 1:
            await signers["developer"].sign(update)  # refused
            await signers["developer"].sign(container)  # outside
        if step == 6:
            feed.model.acknowledge()
        await feed.poll_once()
    recorder.close()
    replay = Replay(Recording(path))
    replay.play_to_end()
    live, again = feed.model, replay.model
    assert list(again.windows) == list(live.windows)
    for wid, wm in live.windows.items():
        other = again.windows[wid]
        assert [a.id for a in other.stream] == [a.id for a in wm.stream]
        assert (other.success, other.failed, other.outside) == (wm.success, wm.failed,
                                                                wm.outside)
        assert other.rates.overall.series(clock.now) == wm.rates.overall.series(clock.now)
    assert [(a.key, a.count, a.acknowledged) for a in again.alerts.all()] == [
        (a.key, a.count, a.acknowledged) for a in live.alerts.all()]


async def test_a_release_by_name_and_the_errors_the_commands_map(
    source: ClientSource, server: EmulatorServer,
) -> None:
    window = await source.find_release("PLATFORM-FW-7.1")  # case is forgiven when unique
    assert window.name == "platform-fw-7.1" and len(window.keypairs) == 2
    with pytest.raises(SourceError) as missing:
        await source.find_release("no-such-release")
    assert missing.value.kind == "not_found"
    async with STMClient(server.url, SecretStr("not-a-key"), retry=FAST) as client:
        with pytest.raises(SourceError) as refused:
            await ClientSource(client).find_release("platform-fw-7.1")
    assert refused.value.kind == "refused"
