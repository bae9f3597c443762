"""Mistakes a user makes on the command line get a clear message and exit 2, never a
traceback (issue 8 item 14), and the small CLI defects of item 26."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.integration._cli import run_cli

KEY = "usage-test-key-0123456789"


def write_config(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "config" / "stm-tui"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_an_unknown_theme_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--theme", "neon", SM_HOST="https://127.0.0.1:9", SM_API_KEY=KEY)
    assert result.returncode == 2, result.stderr
    assert "unknown theme 'neon'" in result.stderr and "--theme" in result.stderr
    assert "dark" in result.stderr and "light" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unknown_theme_in_the_config_names_the_file_profile_and_key(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, '[profiles.default]\nhost = "https://127.0.0.1:9"\ntheme = "neon"\n'
    )
    result = run_cli(tmp_path, SM_API_KEY=KEY)
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and "profile 'default'" in result.stderr
    assert "theme" in result.stderr and "'neon'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_refuses_an_unknown_theme_before_starting_anything(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", "--theme", "neon")
    assert result.returncode == 2
    assert "unknown theme 'neon'" in result.stderr
    assert "Starting the STM emulator" not in result.stderr


def test_emulator_on_a_port_in_use_says_so_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(
            tmp_path,
            "emulator",
            "--port",
            str(port),
            "--data",
            str(tmp_path / "emu"),
            "--seed",
            "empty",
            "--no-activity",
        )
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "in use" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_login_help_describes_the_command(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "login", "--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    description = " ".join(lines[1:6]).lower()
    assert "api key" in description and "keyring" in description


def test_config_path_is_the_one_documented_command_and_locate_stays_hidden(
    tmp_path: Path,
) -> None:
    listing = run_cli(tmp_path, "config", "--help")
    assert "path" in listing.stdout and "locate" not in listing.stdout
    located = run_cli(tmp_path, "config", "locate")
    assert located.returncode == 0
    assert located.stdout == run_cli(tmp_path, "config", "path").stdout
