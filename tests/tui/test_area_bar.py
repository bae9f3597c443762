"""The area strip (second line): every area's key on screen at 60, 80 and 120 columns, the
current area named, and the last area reachable by a click even at 80 columns."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.app import styles_dir
from stm_tui.tui.areas import AREAS
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.widgets.area_bar import AreaBar
from tests.tui._pilot import app_of, screen_text
from tests.tui.conftest import loaded, make_app, wait_until

KEYS = [area.key for area in AREAS]


def strip_line(pilot: Pilot[Any]) -> str:
    """The strip as the terminal shows it (cut at the screen's width, as a user sees it)."""
    return screen_text(app_of(pilot)).splitlines()[1]


class Strips(App[None]):
    """The strip of each area, one under the other, styled as in the dashboard."""

    CSS_PATH = [styles_dir() / "global.tcss"]

    def compose(self) -> ComposeResult:
        for area in AREAS:
            yield AreaBar(area.mode)


# At 120 columns the short labels fit; at 80 the current area keeps its tiny label and the
# others are brief; at 60 (a split pane) the others keep only their keys.
@pytest.mark.parametrize(
    ("width", "label_of"), [(60, "smallest"), (80, "smallest"), (120, "short")]
)
async def test_every_area_key_is_on_the_strip_in_order_and_the_current_area_is_named(
    width: int, label_of: str
) -> None:
    app = Strips()
    async with app.run_test(size=(width, len(AREAS))) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        for area, line in zip(AREAS, lines, strict=True):
            assert [t for t in line.split() if t in KEYS] == KEYS, line
            assert f" {area.key} {getattr(area, label_of)}" in line, line


async def test_at_80_columns_the_last_area_is_shown_and_a_click_on_it_opens_it(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        last = AREAS[-1]
        line = strip_line(pilot)
        label = f" {last.key} {last.briefest}"
        assert line.rstrip().endswith(label), line
        await pilot.click(AreaBar, offset=(line.rindex(label) + 2, 0))
        await wait_until(
            pilot, lambda: isinstance(app.screen, AreaScreen) and app.screen.area is last
        )
