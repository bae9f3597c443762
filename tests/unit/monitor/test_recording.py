"""A recording replays into the same states, with pause, speed and seek."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stm_tui.views.monitor.alerts import AlertConfig
from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.recording import Recorder, Recording, RecordingError, Replay
from tests.unit.monitor._log import EVE, T0, Clock, attempt, failed, scan, window


def state(model: MonitorModel) -> dict[str, object]:
    """What the screen shows, as plain data."""
    out: dict[str, object] = {"fresh": model.freshness.text(model.clock())}
    for wid, wm in model.windows.items():
        out[wid] = {
            "stream": [a.id for a in wm.stream],
            "counts": (wm.success, wm.failed, wm.outside, wm.used),
            "by_signer": {k: (t.success, t.failed) for k, t in wm.by_signer.items()},
            "series": wm.rates.overall.series(model.clock()),
            "scan": wm.scan().text,
        }
    out["alerts"] = [(a.key, a.count, a.acknowledged) for a in model.alerts.all()]
    return out


def live_session(path: Path) -> tuple[MonitorModel, list[tuple[float, dict[str, object]]]]:
    """A model driven as the feed drives it, recorded; its state after every poll."""
    clock = Clock(T0)
    config = AlertConfig(quota_warn=0.5)
    recorder = Recorder(path, config=config, started=clock.now)
    model = MonitorModel([window(max_signatures=20)], clock=clock, config=config,
                         recorder=recorder)
    states = []
    n = 0
    for poll in range(30):
        clock.advance(seconds=2)
        if poll == 3:
            model.set_scans("w-1", [scan("FAIL")])
        if poll in (10, 11, 12):
            model.poll_failed("connection refused")
        else:
            batch = [attempt(n + i, clock.now - timedelta(seconds=1)) for i in range(poll % 3)]
            if poll == 7:
                batch += [failed(900, clock.now), attempt(901, clock.now, user=EVE)]
            n += len(batch)
            model.ingest(batch)
            model.poll_ok()
        model.evaluate()
        if poll == 20:
            model.acknowledge(model.alerts.pending()[-1].key)
        states.append((clock.now.timestamp(), state(model)))
    recorder.close()
    return model, states


def test_replay_reproduces_every_state(tmp_path: Path) -> None:
    path = tmp_path / "watch.jsonl"
    live, states = live_session(path)
    replay = Replay(Recording(path))
    for stamp, expected in states:
        replay.seek(datetime.fromtimestamp(stamp, tz=UTC))  # forward, event by event
        assert state(replay.model) == expected
    assert replay.done
    assert state(replay.model) == state(live)


def test_recorded_alerts_and_counters_are_readable(tmp_path: Path) -> None:
    path = tmp_path / "watch.jsonl"
    live, _ = live_session(path)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert events[0]["type"] == "header" and events[0]["config"]["quota_warn"] == 0.5
    recorded = [e["alert"]["key"] for e in events if e["type"] == "alert"]
    assert recorded == [a.key for a in live.alerts.all()]
    last = [e for e in events if e["type"] == "counters"][-1]
    wm = live.windows["w-1"]
    assert (last["used"], last["success"], last["failed"]) == (wm.used, wm.success, wm.failed)
    assert path.stat().st_mode & 0o777 == 0o600


def test_pause_speed_and_seek(tmp_path: Path) -> None:
    path = tmp_path / "watch.jsonl"
    _, states = live_session(path)
    replay = Replay(Recording(path))
    assert replay.position == replay.recording.start
    replay.advance(4)
    assert replay.position == replay.recording.start + timedelta(seconds=4)
    replay.toggle_pause()
    replay.advance(10)
    assert replay.position == replay.recording.start + timedelta(seconds=4)
    replay.toggle_pause()
    assert replay.faster() == 2.0 and replay.faster() == 4.0 and replay.slower() == 2.0
    replay.advance(5)  # 10 replayed seconds
    assert replay.position == replay.recording.start + timedelta(seconds=14)
    # Seek forward, then back: the same state as a straight replay to that time.
    target_stamp, expected = states[20]
    at = datetime.fromtimestamp(target_stamp, tz=UTC)
    replay.seek(at)
    assert state(replay.model) == expected
    replay.seek(at - timedelta(seconds=20))
    back_stamp, back_expected = states[10]
    assert replay.position.timestamp() == back_stamp
    assert state(replay.model) == back_expected
    replay.seek(replay.recording.end + timedelta(hours=1))
    assert replay.done and replay.position == replay.recording.end


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not JSON"),
        ('{"type": "header", "format": "other"}\n', "not a stm-tui monitor recording"),
        ('{"type": "header", "format": "stm-tui-monitor", "version": 9}\n', "version 9"),
        ('{"type": "header", "format": "stm-tui-monitor", "version": 1, '
         '"started": "2026-11-27T12:00:00Z"}\n[1]\n', "line 2: not an event"),
        ('{"type": "header", "format": "stm-tui-monitor", "version": 1, '
         '"started": "2026-11-27T12:00:00Z"}\n{"type": "poll"}\n', "line 2: no time"),
    ],
)
def test_a_bad_recording_is_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(RecordingError, match=message):
        Recording(path)
