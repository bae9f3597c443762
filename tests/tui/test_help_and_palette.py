"""The help overlay shows all of itself, names the keys the footer names, and the palette's
Screenshot saves where a jump host can write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.containers import VerticalScroll

from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.help import HelpScreen
from tests.tui._pilot import recording, screen_text
from tests.tui.conftest import loaded, wait_until


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("area", ["1", "3", "4"])
async def test_help_fits_the_screen_down_to_its_last_line(
    app_factory: Callable[..., StmApp], size: tuple[int, int], area: str
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press(area, "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("#help-box", VerticalScroll)
        assert box.max_scroll_y == 0  # nothing hidden below the border
        assert "Esc or ? closes" in screen_text(app)  # the help's last line


async def test_help_names_q_for_quit_like_the_footer(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "q Quit" in footer
        await pilot.press("question_mark")
        await pilot.pause()
        box = [line for line in screen_text(app).splitlines()[:-1] if "Quit" in line]
        # The key the footer shows comes first; ^q (Textual's own) is listed after it.
        assert len(box) == 1 and "q ^q Quit" in box[0]


async def test_palette_screenshot_saves_in_the_data_directory(
    app_factory: Callable[..., StmApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/Downloads here
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        messages = recording(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Screenshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        folder = tmp_path / "data" / "stm-tui" / "screenshots"
        await wait_until(pilot, lambda: any(folder.glob("*.svg")))
        saved = next(folder.glob("*.svg"))
        assert saved.stat().st_mode & 0o077 == 0
        assert any(str(saved) in m for m in messages)
