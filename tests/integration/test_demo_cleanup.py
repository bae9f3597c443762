"""`stm-tui demo` removes its private keys however it ends (issue 8 item 6): a real demo
process on a pseudo-terminal, ended by real signals; stale directories of dead demos are
removed by the next demo, live ones never."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stm_tui.commands.demo import DEMO_PREFIX, PID_FILE
from tests.integration._cli import cli_env
from tests.pty import PtyRun


class Demo(PtyRun):
    """`stm-tui demo ARGS` on a pty."""

    @classmethod
    def start(cls, tmp_path: Path, *args: str) -> Demo:
        return cls.stm_tui(tmp_path, "demo", *args)

    def folders(self) -> list[Path]:
        return sorted(p for p in self.tmp.glob(DEMO_PREFIX + "*") if p.is_dir())


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_the_demo_directory_is_removed_whatever_signal_ends_the_demo(
    tmp_path: Path, signum: int
) -> None:
    demo = Demo.start(tmp_path)
    try:
        demo.wait_for(b"Overview")  # the dashboard is up
        (folder,) = demo.folders()
        assert (folder / PID_FILE).exists()
        assert any(folder.rglob("*.sqlite*")) or any(folder.iterdir())
        demo.process.send_signal(signum)
        code = demo.finish()
    finally:
        demo.close()
    assert code == 128 + signum
    assert not folder.exists()
    assert b"Traceback" not in demo.output


def test_the_next_demo_removes_dead_demos_directories_and_keeps_live_ones(
    tmp_path: Path,
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp / f"{DEMO_PREFIX}stale"
    stale.mkdir(mode=0o700)
    (stale / PID_FILE).write_text(f"{dead.pid} -\n")
    (stale / "emulator.sqlite").write_bytes(b"private keys were here")
    live = tmp / f"{DEMO_PREFIX}live"
    live.mkdir(mode=0o700)
    (live / PID_FILE).write_text(f"{os.getpid()} -\n")  # this test process: alive
    unknown = tmp / f"{DEMO_PREFIX}nopid"  # no pid file: cannot tell, so kept
    unknown.mkdir(mode=0o700)

    demo = Demo.start(tmp_path)
    try:
        demo.wait_for(b"Overview")
        assert not stale.exists()
        assert live.exists() and unknown.exists()
        assert b"Removed 1 demo directory" in demo.output
        demo.process.send_signal(signal.SIGTERM)
        demo.finish()
    finally:
        demo.close()


def test_print_env_writes_a_private_env_file_that_get_can_use(tmp_path: Path) -> None:
    demo = Demo.start(tmp_path, "--print-env")
    try:
        demo.wait_for(b"Press Enter")
        (folder,) = demo.folders()
        env_file = folder / "demo.env"
        assert env_file.stat().st_mode & 0o777 == 0o600
        exports = [line.removeprefix("export ") for line in env_file.read_text().splitlines()]
        lines = dict(line.split("=", 1) for line in exports if line)
        key_file = Path(lines["SM_API_KEY_FILE"])
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        assert key.encode() not in demo.output  # never on the screen
        got = subprocess.run(
            [sys.executable, "-m", "stm_tui", "get", "teams", "-o", "json"],
            env=cli_env(tmp_path, **lines),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert got.returncode == 0, got.stderr
        assert '"name"' in got.stdout
        demo.press(b"\r")
        demo.wait_for(b"Overview")
        demo.process.send_signal(signal.SIGTERM)
        demo.finish()
    finally:
        demo.close()
    assert not folder.exists()
