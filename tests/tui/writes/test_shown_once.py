"""A secret shown once: copy key, a warning, and nothing kept after it closes."""

from __future__ import annotations

import gc
import weakref

import pytest
from pydantic import SecretStr

from stm_tui.tui.writes.shown_once import ShownOnceScreen
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host, fully_visible

TOKEN = "tokQ8vX2canaryN41"


def dialog(secret: SecretStr) -> ShownOnceScreen:
    return ShownOnceScreen(
        secret,
        title="API token for ci-bot",
        what="Service user ci-bot: its API token (ends 2027-06-30)",
        hint="Put it in your CI secret store as SM_API_KEY.",
    )


@pytest.mark.parametrize("size", SIZES)
async def test_the_value_is_shown_copied_and_dropped_when_the_dialog_closes(
    size: tuple[int, int],
) -> None:
    secret = SecretStr(TOKEN)
    watcher = weakref.ref(secret)
    handed = [secret]
    app = Host(lambda: dialog(handed.pop()))
    del secret  # from here on only the dialog holds it
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ShownOnceScreen)
        text = screen_text(app)
        assert TOKEN in text
        assert "This is the only time it is shown: it cannot be shown again" in text
        assert fully_visible(app, "#done")
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == TOKEN
        assert "copied to the clipboard" in screen_text(app)
        await pilot.press("escape")  # copied: one Esc closes
        await pilot.pause()
        assert not isinstance(app.screen, ShownOnceScreen)
        assert TOKEN not in screen_text(app)
        assert app.clipboard == ""  # Textual's own copy is cleared too
        assert screen._secret is None
        del screen
    assert app.results == [None]  # the result carries nothing
    gc.collect()
    assert watcher() is None, gc.get_referrers(watcher())


async def test_closing_before_copying_needs_a_second_esc() -> None:
    app = Host(lambda: dialog(SecretStr(TOKEN)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ShownOnceScreen)
        assert "not copied yet: Esc again closes" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ShownOnceScreen)
    assert app.results == [None]
    assert TOKEN not in app.clipboard


async def test_the_stored_button_closes_at_once() -> None:
    app = Host(lambda: dialog(SecretStr(TOKEN)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", "enter")  # Copy has the focus; Tab moves to "I have stored it"
        await pilot.pause()
        assert not isinstance(app.screen, ShownOnceScreen)
