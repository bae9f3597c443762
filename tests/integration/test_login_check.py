"""`stm-tui login` checks the key against the host with one read before storing it
(issue 8 item 26): a refused key is never stored, an unreachable host only with --force."""

from __future__ import annotations

import socket
from pathlib import Path

from stm_tui.emulator.server import EmulatorServer
from tests.integration._cli import run_cli


def secrets_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "stm-tui" / "credentials.json"


def login(tmp_path: Path, host: str, key: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        tmp_path, "login", "--stdin", "--store", "file", *extra, input=key + "\n", SM_HOST=host
    )


def test_a_key_the_host_accepts_is_checked_then_stored(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    result = login(tmp_path, emulator.url, key)
    assert result.returncode == 0, result.stderr
    assert f"checked: {emulator.url} accepts the key" in result.stderr
    assert secrets_file(tmp_path).exists()
    assert key not in result.stderr + result.stdout


def test_a_refused_key_is_not_stored_even_with_force(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    for extra in ((), ("--force",)):
        result = login(tmp_path, emulator.url, "not-a-real-key-0000000000", *extra)
        assert result.returncode == 3, result.stderr
        assert "refused the credentials" in result.stderr and "401" in result.stderr
        assert "Nothing was stored" in result.stderr
        assert not secrets_file(tmp_path).exists()


def test_an_unreachable_host_stores_only_with_force_and_says_it_was_not_checked(
    tmp_path: Path,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = login(tmp_path, host, "some-key-0123456789")
    assert result.returncode == 5
    assert "could not be checked" in result.stderr and "--force" in result.stderr
    assert not secrets_file(tmp_path).exists()

    forced = login(tmp_path, host, "some-key-0123456789", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "could not be checked" in forced.stderr
    assert secrets_file(tmp_path).exists()
