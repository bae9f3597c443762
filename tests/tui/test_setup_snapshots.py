"""SVG snapshots of the setup checklist, the CertCentral screen and the keypair profile form
(pytest-textual-snapshot; refresh with --snapshot-update), deterministic as test_snapshots."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from stm_tui.tui.writes.form import RequestForm
from tests.tui.conftest import loaded, make_app, wait_until
from tests.tui.test_snapshots import after_load


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_setup_checklist(snap_compare: Any, emulator: Any, size: tuple[int, int]) -> None:
    shown = after_load("exclamation_mark")
    assert snap_compare(make_app(emulator), terminal_size=size, run_before=shown)


def test_certcentral_at_80x24(snap_compare: Any, emulator: Any) -> None:
    assert snap_compare(make_app(emulator), terminal_size=(80, 24), run_before=after_load("Z"))


async def _keypair_profile_form_filled(pilot: Pilot[Any]) -> None:
    # Each step waits for what it opens: under a loaded CI machine a key pressed before its
    # screen is up lands elsewhere, and the picture differs.
    app: Any = pilot.app
    await loaded(pilot)
    await pilot.press("W")
    await wait_until(pilot, lambda: app.screen.is_modal)
    await pilot.press("y")
    await wait_until(pilot, lambda: not app.session.read_only and not app.screen.is_modal)
    await pilot.press("K")
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
    await pilot.press(*"ci-release-keys")
    await wait_until(pilot, lambda: app.screen.query(Input).first().value == "ci-release-keys")
    # The write-mode toast is timed: on a slow machine it is gone before the picture is taken.
    app.clear_notifications()
    await pilot.pause()


def test_keypair_profile_form_at_80x24(snap_compare: Any, emulator: Any) -> None:
    assert snap_compare(
        make_app(emulator), terminal_size=(80, 24), run_before=_keypair_profile_form_filled
    )
