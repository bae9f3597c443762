"""A key press on the dashboard tells the background work to step aside (stm_tui/priority.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stm_tui import priority
from stm_tui.tui.app import StmApp
from tests.tui.conftest import loaded


async def test_every_key_press_is_noted_before_it_is_handled(
    app_factory: Callable[..., StmApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        noted: list[str] = []
        monkeypatch.setattr(priority, "note_input", lambda: noted.append(app.current_mode))
        await pilot.press("2", "1")
        # Noted while the area it leaves is still current: before the key is acted on (a
        # key reaches the app's handler more than once on its way; noting is idempotent).
        assert list(dict.fromkeys(noted)) == ["overview", "keypairs"]
