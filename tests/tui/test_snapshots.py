"""SVG snapshots of every screen (pytest-textual-snapshot); refresh with --snapshot-update.

Deterministic: the emulator's fixed clock and the app's frozen clock agree, the identity bar
shows a fixed host and user@host, the cursor does not blink and animations are off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from stm_tui.tui.areas import AREAS
from tests.tui.conftest import loaded, make_app

Before = Callable[[Pilot[Any]], Awaitable[None]]


def after_load(*keys: str) -> Before:
    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("area", AREAS, ids=[a.mode for a in AREAS])
def test_area_at_120x40(snap_compare: Any, emulator: Any, area: Any) -> None:
    app = make_app(emulator)
    assert snap_compare(app, terminal_size=(120, 40), run_before=after_load(area.key))


def test_overview_at_80x24(snap_compare: Any, emulator: Any) -> None:
    assert snap_compare(make_app(emulator), terminal_size=(80, 24), run_before=after_load())


def test_team_detail_at_120x40(snap_compare: Any, emulator: Any) -> None:
    # Not a certificate or keypair detail: their fingerprints come from keys the emulator
    # generates afresh in every process.
    app = make_app(emulator)
    assert snap_compare(app, terminal_size=(120, 40), run_before=after_load("8", "enter"))


def test_team_detail_at_80x24(snap_compare: Any, emulator: Any) -> None:
    # The team's own screen: its six actions in the footer.
    app = make_app(emulator)
    assert snap_compare(app, terminal_size=(80, 24), run_before=after_load("8", "enter"))


def test_release_detail_at_80x24(snap_compare: Any, emulator: Any) -> None:
    app = make_app(emulator)
    assert snap_compare(app, terminal_size=(80, 24), run_before=after_load("4", "enter"))


def test_filtered_list_at_80x24(snap_compare: Any, emulator: Any) -> None:
    app = make_app(emulator)
    run_before = after_load("2", "slash", *"ecdsa")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_help_at_80x24(snap_compare: Any, emulator: Any) -> None:
    app = make_app(emulator)
    assert snap_compare(app, terminal_size=(80, 24), run_before=after_load("3", "question_mark"))
