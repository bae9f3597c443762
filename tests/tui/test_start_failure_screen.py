"""The start-failure screen: what it says, which keys it offers, and that server text in it
cannot drive the terminal (issue 8 item 17)."""

from __future__ import annotations

import pytest
from rich.console import Group
from textual.widgets import Static

from stm_tui.api import errors
from stm_tui.tui.screens.start_failure import (
    StartFailureApp,
    describe_start_failure,
)


def text_of(app: StartFailureApp) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, color_system=None)
    widget = app.screen.query_one("#start-problem", Static)
    assert isinstance(widget.content, Group)  # what the screen shows, keys as bound
    console.print(widget.content)
    return console.export_text()


def refused() -> errors.StmError:
    return errors.error_for_status(
        401,
        b'{"error": {"status": "invalid_api_key", "message": "bad\\u001b]0;owned\\u0007 key"}}',
        method="GET",
        path="/account/api/v1/user/me",
    )


@pytest.mark.parametrize(("key", "choice"), [("r", "retry"), ("q", "quit")])
async def test_keys_choose_and_continue_is_offered_only_for_an_unreachable_host(
    key: str, choice: str
) -> None:
    problem = describe_start_failure(
        refused(), host="https://stm.example", credential_source="keyring", profile="p"
    )
    app = StartFailureApp(problem)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")  # not offered for a refused key: nothing happens
        await pilot.pause()
        assert app.is_running
        await pilot.press(key)
        await pilot.pause()
    assert app.return_value == choice


async def test_an_unreachable_host_can_be_opened_anyway() -> None:
    offline = errors.OfflineError(
        "cannot reach https://stm.example (GET /account/api/v1/user/me): connection refused",
        method="GET",
        path="/account/api/v1/user/me",
    )
    problem = describe_start_failure(
        offline, host="https://stm.example", credential_source="keyring", profile="p"
    )
    app = StartFailureApp(problem)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "c opens the dashboard anyway" in text_of(app)
        await pilot.press("c")
        await pilot.pause()
    assert app.return_value == "continue"


async def test_the_screen_names_host_request_and_source_and_shows_no_control_bytes() -> None:
    problem = describe_start_failure(
        refused(), host="https://stm.example", credential_source="env (SM_API_KEY)", profile="p"
    )
    app = StartFailureApp(problem)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = text_of(app)
    assert "The API key was refused" in shown
    assert "https://stm.example" in shown
    assert "GET https://stm.example/account/api/v1/user/me" in shown
    assert "env (SM_API_KEY)" in shown
    assert "\x1b" not in shown and "\x07" not in shown


async def test_the_screen_adds_the_doctors_findings_once_they_are_in(emulator: object) -> None:
    """The same checks as `stm-tui doctor`, run by the screen: a refused key is named with
    its source and what to do, the passed checks are only counted."""
    from functools import partial

    from pydantic import SecretStr

    from stm_tui.config import Profile
    from stm_tui.credentials import ResolvedCredentials
    from stm_tui.diagnose import diagnose
    from stm_tui.emulator.server import EmulatorServer
    from tests.conftest import frozen_clock

    assert isinstance(emulator, EmulatorServer)
    creds = ResolvedCredentials(api_key=SecretStr("wrong-\x1b]0;key"), api_key_source="keyring")
    run = partial(diagnose, Profile(host=emulator.url), creds, env={}, clock=frozen_clock)
    problem = describe_start_failure(
        refused(), host=emulator.url, credential_source="keyring", profile="p", diagnose=run
    )
    app = StartFailureApp(problem)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        from rich.console import Console

        console = Console(width=100, record=True, color_system=None)
        console.print(app.screen.query_one("#start-problem", Static).content)
        shown = console.export_text()
    assert "Diagnosis" in shown
    assert "✖ API key: the API key from keyring was refused (401)" in " ".join(shown.split())
    assert "checks passed · `stm-tui doctor` lists them all" in shown
    assert "\x1b" not in shown
async def test_the_profile_keymap_applies_and_the_screen_names_the_keys_it_binds() -> None:
    problem = describe_start_failure(
        refused(), host="https://stm.example", credential_source="keyring", profile="p"
    )
    app = StartFailureApp(problem, keymap={"start.retry": "f5"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "f5 retries · q quits" in text_of(app)
        await pilot.press("r")  # no longer bound
        await pilot.pause()
        assert app.is_running
        await pilot.press("f5")
        await pilot.pause()
    assert app.return_value == "retry"
