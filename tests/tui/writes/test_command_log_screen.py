"""The command-log screen: live, newest first, per-endpoint stats and the verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stm_tui.api.command_log import CommandLog
from stm_tui.tui.writes.command_log_screen import CallList, CommandLogScreen
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host

STM = "/signingmanager/api/v1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def seeded() -> CommandLog:
    log = CommandLog(clock=Clock())
    log.record("GET", f"{STM}/keypairs?limit=100&offset=0", status=200, latency_ms=41)
    log.record(
        "GET", f"{STM}/certificates?alias=canary-filter-value", status=200, latency_ms=87, retries=1
    )
    log.record("POST", f"{STM}/keypairs", status=409, latency_ms=30)
    return log


@pytest.mark.parametrize("size", SIZES)
async def test_calls_show_newest_first_and_new_ones_arrive_live(size: tuple[int, int]) -> None:
    log = seeded()
    app = Host(lambda: CommandLogScreen(log))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        calls = app.screen.query_one(CallList)
        assert [r.method for r in calls.records] == ["POST", "GET", "GET"]
        text = screen_text(app)
        assert "12:00:03 POST   409" in text
        assert "/certificates ?alias" in text
        assert "canary" not in text  # query values are never kept, so never shown
        assert "3 calls, 3 kept" in text

        log.record("GET", "/account/api/v1/user/me", status=503, latency_ms=12)
        await pilot.pause(0.4)  # past the redraw delay
        assert calls.records[0].path == "/account/api/v1/user/me"
        assert "12:00:04 GET    503" in screen_text(app)
        assert "4 calls, 4 kept" in screen_text(app)


async def test_the_verdict_says_when_the_service_is_failing() -> None:
    log = seeded()
    for _ in range(6):
        log.record("GET", f"{STM}/keypairs", status=503, latency_ms=5)
    app = Host(lambda: CommandLogScreen(log))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        verdict = app.screen.query_one("#log-verdict")
        assert verdict.has_class("-failing")
        assert str(verdict.render()).startswith(
            "the service is failing: 6 of the last 9 calls failed on its side"
        )
        text = screen_text(app)
        assert "GET /keypairs" in text and "6 (6 service)" in text
        await pilot.press("e")  # errors only
        await pilot.pause()
        records = app.screen.query_one(CallList).records
        assert {r.status for r in records} == {503, 409}
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_closing_the_screen_unsubscribes_it() -> None:
    log = seeded()
    app = Host(lambda: CommandLogScreen(log))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert len(log._subscribers) == 1
        await pilot.press("q")
        await pilot.pause()
        assert log._subscribers == []
        log.record("GET", f"{STM}/keypairs", status=200)  # nothing left to notify
