"""Launching without configuration explains what to do and offers the demo: no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stm_tui.cli import cli


def test_no_configuration_says_how_to_configure_and_offers_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SM_HOST", "SM_API_KEY", "SM_API_KEY_FILE", "STM_TUI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 2
    assert "SM_HOST" in result.output
    assert "stm-tui demo" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("given", "expected"),
    [("dark", "textual-dark"), ("light", "textual-light"), ("ansi", "ansi-dark")],
)
async def test_theme_names(emulator: object, given: str, expected: str) -> None:
    from tests.tui.conftest import make_app

    app = make_app(emulator, theme=given)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == expected
