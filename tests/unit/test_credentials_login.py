"""`stm-tui login` and `stm-tui config` as a user runs them (click's runner, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stm_tui.cli import cli
from stm_tui.config import app_paths


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("SM_HOST", "https://127.0.0.1:9")  # nothing listens: checks fail fast
    for var in ("SM_API_KEY", "SM_API_KEY_FILE", "SM_CLIENT_CERT_FILE", "STM_TUI_PROFILE"):
        monkeypatch.delenv(var, raising=False)


def test_login_without_a_keyring_refuses_to_write_plain_text_silently() -> None:
    result = CliRunner().invoke(cli, ["login", "--stdin", "--force"], input="key-from-stdin-1\n")
    assert result.exit_code == 2
    assert "--store file" in result.output
    assert not app_paths().secrets_file.exists()


def test_login_to_the_file_store_then_config_show_names_the_source() -> None:
    runner = CliRunner()
    stored = runner.invoke(
        cli, ["login", "--stdin", "--store", "file", "--force"], input="key-from-stdin-2\n"
    )
    assert stored.exit_code == 0, stored.output
    assert "plain text" in stored.output
    assert app_paths().secrets_file.stat().st_mode & 0o777 == 0o600
    shown = runner.invoke(cli, ["config", "show"])
    assert shown.exit_code == 0
    assert "file store (plain text)" in shown.output
    assert "keyring:        unavailable" in shown.output
    assert "key-from-stdin-2" not in shown.output + stored.output


def test_config_path_lists_every_location() -> None:
    result = CliRunner().invoke(cli, ["config", "path"])
    assert result.exit_code == 0
    for label in ("config file:", "data:", "cache:", "state:", "logs:"):
        assert label in result.output
    assert str(app_paths().config_file) in result.output
