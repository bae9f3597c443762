"""Each alert fires at its threshold, once per condition, and stays until acknowledged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stm_tui.views.monitor.alerts import ALERT_KINDS, AlertConfig
from stm_tui.views.monitor.model import MonitorModel
from tests.unit.monitor._log import BOT, EVE, KP2, SIGNER, T0, Clock, attempt, failed, scan
from tests.unit.monitor._log import window as make_window

M = timedelta(minutes=1)


def model_for(clock: Clock, config: AlertConfig | None = None, **window: object) -> MonitorModel:
    return MonitorModel([make_window(**window)], clock=clock, config=config)


def kinds(model: MonitorModel) -> list[str]:
    return [a.kind for a in model.evaluate()]


@pytest.mark.parametrize(
    ("used", "fired"),
    [
        (7, []),
        (8, ["quota_warn"]),  # 80% of 10
        (9, ["quota_warn"]),
        (10, ["quota_warn", "quota_full"]),  # both thresholds crossed in one poll
    ],
)
def test_quota_thresholds(used: int, fired: list[str]) -> None:
    clock = Clock()
    model = model_for(clock, max_signatures=10)
    model.ingest([attempt(i, T0 - i * M) for i in range(used)])
    assert sorted(kinds(model)) == sorted(fired)


def test_quota_alerts_fire_once_however_many_more_arrive() -> None:
    clock = Clock()
    # 14 signatures in 70 s after a quiet hour is also a rate spike: not this test's subject.
    config = AlertConfig.from_mapping({"off": ["rate_spike"]})
    model = model_for(clock, config, max_signatures=10)
    fired: list[str] = []
    for i in range(14):
        model.ingest([attempt(i, clock.advance(seconds=5))])
        fired += kinds(model)
    assert fired == ["quota_warn", "quota_full"]
    warn = next(a for a in model.alerts.all() if a.kind == "quota_warn")
    assert warn.message == "desktop-4.3.0: 8 of 10 signatures used (80%)"
    assert warn.count == 1  # a state that still holds is not counted again each poll


def test_quota_thresholds_come_from_the_config() -> None:
    config = AlertConfig(quota_warn=0.5, quota_full=0.9)
    model = model_for(Clock(), config, max_signatures=10)
    model.ingest([attempt(i, T0) for i in range(5)])
    assert kinds(model) == ["quota_warn"]
    model.ingest([attempt(i, T0) for i in range(5, 9)])
    assert kinds(model) == ["quota_full"]


def test_the_servers_count_counts_when_the_history_held_is_shorter() -> None:
    model = model_for(Clock(), max_signatures=10, signature_count=9)
    assert kinds(model) == ["quota_warn"]


def test_unlisted_signer_once_per_user() -> None:
    clock = Clock()
    model = model_for(clock)
    model.ingest([attempt(1, T0, user=EVE), attempt(2, T0, user=EVE), attempt(3, T0, user=SIGNER)])
    alerts = model.evaluate()
    assert [(a.kind, a.count) for a in alerts] == [("unlisted_signer", 2)]
    assert alerts[0].message == (
        "desktop-4.3.0: Eve Outsider is not a listed signer but signed with "
        "desktop-installer-ev at 12:00:00")
    model.ingest([attempt(4, T0 + M, user=EVE)])
    assert kinds(model) == []


def test_a_signature_on_a_keypair_of_an_open_window_outside_it() -> None:
    clock = Clock()
    model = model_for(clock)
    # Not attributed to the window (release None) while it is open: outside it.
    model.ingest([attempt(1, T0, user=EVE, release=None), attempt(2, T0, user=EVE, release=None)])
    # Another keypair, or before the window opened: not this window's business.
    model.ingest([attempt(3, T0, keypair=KP2, release=None),
                  attempt(4, T0 - 7 * timedelta(hours=1), release=None)])
    alerts = model.evaluate()
    assert [(a.kind, a.count) for a in alerts] == [("outside_window", 2)]
    assert "not counted in it; not a listed signer" in alerts[0].message
    wm = model.windows["w-1"]
    assert (wm.success, wm.outside, wm.used) == (0, 2, 0)


def test_no_outside_alert_for_a_window_that_was_never_open() -> None:
    model = model_for(Clock(), status="PENDING_APPROVAL")
    model.ingest([attempt(1, T0, user=EVE, release=None)])
    assert kinds(model) == []


def test_failed_attempts_once_per_reason_and_user_then_counted() -> None:
    clock = Clock()
    model = model_for(clock)
    model.ingest([failed(1, T0), failed(2, T0 + M)])
    model.ingest([failed(3, T0, reason="QUOTA_EXCEEDED", user=BOT)])
    alerts = model.evaluate()
    assert [(a.kind, a.severity, a.count) for a in alerts] == [
        ("failed_attempts", "warning", 2), ("failed_attempts", "error", 1)]
    assert alerts[0].message == (
        "desktop-4.3.0: attempt refused (not a listed signer) for Eve Outsider on "
        "desktop-installer-ev at 12:00:00")
    assert model.windows["w-1"].failures == {"not a listed signer": 2, "quota exceeded": 1}


def steady(model: MonitorModel, clock: Clock, per_minute: int, minutes: int, start: int) -> int:
    """`per_minute` signatures in each of `minutes` minutes, evaluating every minute."""
    n = start
    for _ in range(minutes):
        model.ingest([attempt(n + i, clock.now + timedelta(seconds=i)) for i in range(per_minute)])
        n += per_minute
        clock.advance(minutes=1)
        assert "rate_spike" not in kinds(model)
    return n


def test_rate_spike_fires_once_per_episode_and_rearms() -> None:
    clock = Clock(T0)
    model = model_for(clock, max_signatures=None, start_time=T0)
    n = steady(model, clock, 2, 30, 0)  # half an hour at 2 a minute
    # 8 a minute: 4 times the hour's rate, above 5/min: one alert, however long it lasts.
    fired: list[str] = []
    for _ in range(4):
        model.ingest([attempt(n + i, clock.now + timedelta(seconds=i)) for i in range(8)])
        n += 8
        fired += kinds(model)
        clock.advance(minutes=1)
    assert fired == ["rate_spike"]
    # Back to normal long enough for the recent minutes to calm down, then a second burst.
    clock.advance(minutes=3)
    assert kinds(model) == []
    model.ingest([attempt(n + i, clock.now + timedelta(seconds=i)) for i in range(30)])
    assert kinds(model) == ["rate_spike"]
    assert len([a for a in model.alerts.all() if a.kind == "rate_spike"]) == 2


def test_no_spike_in_a_windows_first_minutes_or_at_a_trickle() -> None:
    clock = Clock(T0)
    model = model_for(clock, max_signatures=None, start_time=T0)
    model.ingest([attempt(i, T0) for i in range(40)])  # a window's first minute
    assert kinds(model) == []
    config = AlertConfig(spike_min_per_minute=50)
    quiet = model_for(Clock(T0 + 30 * M), config, max_signatures=None, start_time=T0)
    quiet.ingest([attempt(i, T0 + 30 * M) for i in range(40)])  # 20/min, under the floor
    assert kinds(quiet) == []


@pytest.mark.parametrize(
    ("left", "last_signature", "fires"),
    [
        (timedelta(minutes=11), timedelta(minutes=1), False),  # not yet within 10 minutes
        (timedelta(minutes=10), timedelta(minutes=1), True),
        (timedelta(minutes=3), timedelta(minutes=4), True),
        (timedelta(minutes=3), timedelta(minutes=6), False),  # signing stopped 6 min ago
        (timedelta(seconds=-1), timedelta(seconds=30), False),  # already ended
    ],
)
def test_window_closing_with_signatures_still_arriving(
    left: timedelta, last_signature: timedelta, fires: bool
) -> None:
    clock = Clock(T0)
    model = model_for(clock, end_time=T0 + left)
    model.ingest([attempt(1, T0 - last_signature)])
    assert kinds(model) == (["closing"] if fires else [])
    assert kinds(model) == []  # once


def test_failed_scan_that_blocks_signing_and_signing_that_goes_on() -> None:
    clock = Clock()
    model = model_for(clock)
    model.set_scans("w-1", [scan("FAIL")])
    alerts = model.evaluate()
    assert [(a.kind, a.severity) for a in alerts] == [("scan", "error")]
    assert alerts[0].message == (
        "desktop-4.3.0: scan desktop-client-4.3.0-scan: FAIL, risk HIGH; blocks signing")
    model.ingest([attempt(1, T0)])  # signing although the scan blocks it
    alerts = model.evaluate()
    assert [a.key for a in alerts] == ["w-1:scan-signing:scan-1"]
    assert kinds(model) == []


def test_signing_after_a_failed_scan_that_does_not_block_is_a_warning() -> None:
    clock = Clock()
    model = model_for(clock, block_on_failed_scan=False)
    model.set_scans("w-1", [scan("FAIL", T0)])
    assert [(a.kind, a.severity) for a in model.evaluate()] == [("scan", "warning")]
    model.ingest([attempt(1, T0 - 40 * M)])  # before the scan: nothing to call out
    assert kinds(model) == []
    clock.now = T0 + 5 * M
    model.ingest([attempt(2, T0 + M)])
    alerts = model.evaluate()
    assert [(a.key, a.severity) for a in alerts] == [("w-1:scan-signing:scan-1", "warning")]
    assert "signing goes on after scan desktop-client-4.3.0-scan FAIL" in alerts[0].message
    assert alerts[0].message.endswith(
        "FAIL, which the window does not block on (last signature at 12:01:00)")
    model.ingest([attempt(3, T0 + 2 * M)])
    assert kinds(model) == []  # once per scan


@pytest.mark.parametrize(
    ("status", "block", "severity"),
    [("FAIL", False, "warning"), ("ERROR", True, "error"), ("PASS", True, None),
     ("IN_PROGRESS", True, None)],
)
def test_scan_states(status: str, block: bool, severity: str | None) -> None:
    model = model_for(Clock(), block_on_failed_scan=block)
    model.set_scans("w-1", [scan("PASS", T0 - 30 * 60 * M, id="old"), scan(status)])
    assert [a.severity for a in model.evaluate()] == ([severity] if severity else [])


def test_a_deleted_scan_does_not_count() -> None:
    model = model_for(Clock())
    model.set_scans("w-1", [scan("PASS", T0 - 40 * M, id="ok"), scan("FAIL", deleted=True)])
    assert kinds(model) == []


def test_switched_off_kinds_never_fire() -> None:
    config = AlertConfig.from_mapping({"off": ["scan", "unlisted_signer"]})
    model = model_for(Clock(), config)
    model.set_scans("w-1", [scan("FAIL")])
    model.ingest([attempt(1, T0, user=EVE)])
    assert kinds(model) == []


def test_alerts_stay_until_acknowledged() -> None:
    model = model_for(Clock(), max_signatures=2)
    model.ingest([attempt(1, T0), attempt(2, T0, user=EVE)])
    model.evaluate()
    pending = [a.kind for a in model.alerts.pending()]
    assert sorted(pending) == ["quota_full", "quota_warn", "unlisted_signer"]
    model.evaluate()
    assert len(model.alerts.pending()) == 3  # still there, not fired again
    first = model.alerts.pending()[0]
    assert model.acknowledge(first.key) == 1
    assert first.key not in [a.key for a in model.alerts.pending()]
    assert [a.key for a in model.alerts.acknowledged()] == [first.key]
    assert model.acknowledge() == 2 and model.alerts.pending() == []
    model.ingest([attempt(3, T0, user=EVE)])
    assert kinds(model) == []  # acknowledged is not forgotten: the condition fired


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quota_warn": "high"}, "alerts.quota_warn: must be a non-negative number"),
        ({"off": ["spikes"]}, "alerts.off: unknown kind 'spikes'"),
        ({"off": "spike"}, "alerts.off: must be a list of alert kinds"),
        ({"bell": "yes"}, "alerts.bell: must be true or false"),
        ({"quota_warn": 1.2}, "alerts.quota_warn: must be above 0 and at most quota_full"),
        ({"loud": 1}, "alerts.loud: unknown setting"),
    ],
)
def test_alert_config_from_a_profile_names_the_bad_key(values: dict[str, object],
                                                        message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        AlertConfig.from_mapping(values)


def test_alert_config_round_trips() -> None:
    config = AlertConfig.from_mapping({"quota_warn": 0.7, "spike_minutes": 3, "bell": False,
                                       "off": ["closing"]})
    assert config.spike_minutes == 3 and isinstance(config.spike_minutes, int)
    assert config.enabled == frozenset(ALERT_KINDS) - {"closing"}
    assert AlertConfig.from_mapping(config.as_mapping()) == config
