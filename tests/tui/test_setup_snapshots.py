"""SVG snapshots of the setup checklist, the CertCentral screen and the keypair profile form
(pytest-textual-snapshot; refresh with --snapshot-update), deterministic as test_snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import make_app
from tests.tui.test_snapshots import after_load


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_setup_checklist(snap_compare: Any, emulator: Any, size: tuple[int, int]) -> None:
    shown = after_load("exclamation_mark")
    assert snap_compare(make_app(emulator), terminal_size=size, run_before=shown)


def test_certcentral_at_80x24(snap_compare: Any, emulator: Any) -> None:
    assert snap_compare(make_app(emulator), terminal_size=(80, 24), run_before=after_load("Z"))


def test_keypair_profile_form_at_80x24(snap_compare: Any, emulator: Any) -> None:
    run_before = after_load("W", "y", "K", "n", *"ci-release-keys")
    assert snap_compare(make_app(emulator), terminal_size=(80, 24), run_before=run_before)
