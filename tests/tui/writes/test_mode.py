"""Entering write mode asks (naming host and account); leaving it does not."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button

from stm_tui.tui.writes.mode import WriteModeScreen, toggle_write_mode
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host, fully_visible


def question(production: bool = False) -> WriteModeScreen:
    return WriteModeScreen(
        host="https://clientauth.one.digicert.com" if production else "https://stm.demo.test",
        account="Acme Corp",
        user="Lee Lead",
        production=production,
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("key", "entered"), [("y", True), ("enter", False), ("n", False), ("escape", False)]
)
async def test_the_question_names_where_and_focuses_cancel(
    size: tuple[int, int], key: str, entered: bool
) -> None:
    app = Host(question)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#cancel", Button)
        where = str(app.screen.query_one("#mode-where").render())
        assert where == (
            "Changes will be made on https://stm.demo.test, account Acme Corp, as Lee Lead"
        )
        assert "is never" in screen_text(app)
        assert fully_visible(app, "#enter")
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [entered]


async def test_a_production_host_is_marked() -> None:
    app = Host(lambda: question(production=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "PRODUCTION" in screen_text(app)
        assert app.screen.query_one("#mode-box").has_class("-danger")


class ModeHost(Host):
    def __init__(self) -> None:
        super().__init__(lambda: question())
        self.read_only = True
        self.changes: list[bool] = []

    def on_mount(self) -> None:  # no screen at start: the key pushes it
        pass

    def set_read_only(self, value: bool) -> None:
        self.read_only = value
        self.changes.append(value)

    def toggle(self) -> None:
        toggle_write_mode(
            self,
            read_only=self.read_only,
            set_read_only=self.set_read_only,
            host="https://stm.demo.test",
            account="Acme Corp",
        )


async def test_toggle_asks_to_enter_and_leaves_without_asking() -> None:
    app = ModeHost()
    async with app.run_test(size=(80, 24)) as pilot:
        app.toggle()
        await pilot.pause()
        assert isinstance(app.screen, WriteModeScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.read_only and app.changes == []
        app.toggle()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.read_only
        screens: list[Any] = list(app.screen_stack)
        app.toggle()  # back to read-only: no question
        await pilot.pause()
        assert list(app.screen_stack) == screens
        assert app.read_only and app.changes == [False, True]
