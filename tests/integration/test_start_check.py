"""What happens before the dashboard opens (issue 8 item 17): a refused key typed at the
prompt is asked for again (three keys in all); any other refused key, a dead host or a TLS
problem goes to the start-failure screen, which names the host, the request and where the
key came from; an unreachable host can still be opened anyway."""

from __future__ import annotations

import socket
from typing import Any

from pydantic import SecretStr

from stm_tui.commands.dashboard import MAX_PROMPTS, connect_for_dashboard
from stm_tui.config import Profile
from stm_tui.connect import session_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.screens.start_failure import StartProblem

WRONG = "wrong-key-000000000000000000"


class Recorder:
    def __init__(self, answers: list[str], choices: list[str]) -> None:
        self.answers = list(answers)
        self.choices = list(choices)
        self.prompts: list[str] = []
        self.problems: list[StartProblem] = []

    def prompt(self, label: str) -> str | None:
        self.prompts.append(label)
        return self.answers.pop(0) if self.answers else None

    async def show(self, problem: StartProblem) -> str:
        self.problems.append(problem)
        return self.choices.pop(0)


async def connect(host: str, key: str, source: str, rec: Recorder) -> Session | int:
    profile = Profile(name="work", host=host)
    creds = ResolvedCredentials(api_key=SecretStr(key), api_key_source=source)
    result = await connect_for_dashboard(
        profile,
        creds,
        lambda c: session_for_profile(profile, c, read_only=True),
        prompt=rec.prompt,
        show_failure=rec.show,
    )
    if isinstance(result, Session):
        await result.client.aclose()
    return result


def lead_key(server: EmulatorServer) -> str:
    return str(server.credentials["users"]["lead"]["api_key"])


async def test_a_refused_key_typed_at_the_prompt_is_asked_for_again(
    emulator: EmulatorServer,
) -> None:
    rec = Recorder(answers=[WRONG, lead_key(emulator)], choices=[])
    result = await connect(emulator.url, WRONG, "prompt", rec)
    assert isinstance(result, Session)
    assert result.me is not None and "SSM_LEAD" in result.me.role_codes
    assert len(rec.prompts) == 2 and emulator.url in rec.prompts[0]
    assert rec.problems == []


async def test_after_three_refused_keys_the_screen_explains_and_quit_exits_3(
    emulator: EmulatorServer,
) -> None:
    rec = Recorder(answers=[WRONG] * 5, choices=["quit"])
    assert await connect(emulator.url, WRONG, "prompt", rec) == 3
    assert len(rec.prompts) == MAX_PROMPTS - 1  # three keys in all: the first and two more
    (problem,) = rec.problems
    assert problem.title == "The API key was refused"
    facts = dict(problem.facts)
    assert facts["Host"] == emulator.url
    assert facts["Tried"] == f"GET {emulator.url}/account/api/v1/user/me"
    assert facts["API key from"] == "prompt"
    assert "401" in facts["Answer"]
    assert not problem.can_continue


async def test_a_refused_key_from_the_environment_is_not_prompted_for(
    emulator: EmulatorServer,
) -> None:
    rec = Recorder(answers=[], choices=["retry", "quit"])
    assert await connect(emulator.url, WRONG, "env (SM_API_KEY)", rec) == 3
    assert rec.prompts == []
    assert len(rec.problems) == 2  # retry asked again, then quit
    checks = " ".join(rec.problems[0].checks)
    assert "env (SM_API_KEY)" in checks and "stm-tui login --profile work" in checks


async def test_a_dead_host_names_the_url_and_the_cause_and_can_be_opened_anyway() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{sock.getsockname()[1]}"
    rec = Recorder(answers=[], choices=["continue"])
    result = await connect(host, WRONG, "keyring", rec)
    (problem,) = rec.problems
    assert problem.title == "The host cannot be reached" and problem.can_continue
    answer = dict(problem.facts)["Answer"]
    assert host in answer and "connection refused" in answer
    assert isinstance(result, Session)  # the dashboard opens and keeps trying


async def test_a_role_that_may_not_read_itself_still_opens_the_dashboard(
    emulator: EmulatorServer, monkeypatch: Any
) -> None:
    from stm_tui.api import errors
    from stm_tui.api.client import STMClient

    async def forbidden(self: STMClient) -> Any:
        raise errors.PermissionDenied("permission denied (403): no", status=403)

    monkeypatch.setattr(STMClient, "me", forbidden)
    rec = Recorder(answers=[], choices=[])
    assert isinstance(await connect(emulator.url, lead_key(emulator), "keyring", rec), Session)
    assert rec.problems == []


def test_a_wrong_key_shows_the_start_failure_screen_not_an_empty_dashboard(
    emulator: EmulatorServer, tmp_path: Any
) -> None:
    from tests.pty import PtyRun

    run = PtyRun.stm_tui(tmp_path, SM_HOST=emulator.url, SM_API_KEY=WRONG)
    try:
        run.wait_for(b"The API key was refused")
        run.pump(0.5)
        screen = run.text
        assert "env (SM_API_KEY)" in screen
        assert "user/me" in screen
        assert WRONG not in screen
        assert "nothing needs attention" not in screen
        run.press(b"q")
        code = run.finish()
    finally:
        run.close()
    assert code == 3
