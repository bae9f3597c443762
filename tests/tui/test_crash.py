"""A crash must not print local variables (API keys live in locals) and must exit non-zero."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from stm_tui.tui.app import StmApp
from tests.tui.conftest import make_app

CANARY = "sk_CANARY_do_not_print_42"


class CrashingApp(StmApp):
    BINDINGS = [("x", "explode", "Explode")]

    def action_explode(self) -> None:
        api_key = CANARY  # a secret in scope when the crash happens
        raise RuntimeError(f"boom ({len(api_key)} chars)")


def test_a_crash_prints_no_locals_and_sets_a_failure_code(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base = make_app(emulator)
    app = CrashingApp(base.session)

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("x")

    app.run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
    out, err = capsys.readouterr()
    assert app.return_code == 1
    assert "RuntimeError" in out + err  # the traceback is still shown…
    assert CANARY not in out + err  # …without the locals that held the key
