"""`stm-tui demo` removes its private keys however it ends (issue 8 item 6): a real demo
process on a pseudo-terminal, ended by real signals; stale directories of dead demos are
removed by the next demo, live ones never."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stm_tui.commands.demo import DEMO_PREFIX, PID_FILE
from tests.integration._cli import cli_env


class Demo:
    """`stm-tui demo` on a pty, with TMPDIR pointing into the test's directory."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir(exist_ok=True)
        primary, secondary = pty.openpty()
        env = cli_env(
            tmp_path,
            TMPDIR=str(self.tmp),
            TERM="xterm-256color",
            TEXTUAL_ANIMATIONS="none",
            COLUMNS="100",
            LINES="30",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stm_tui", "demo", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            start_new_session=True,
        )
        os.close(secondary)
        self.fd = primary
        self.output = b""

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    return

    def wait_for(self, needle: bytes, limit: float = 30.0) -> None:
        end = time.monotonic() + limit
        while needle not in self.output:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise AssertionError(f"{needle!r} not seen; output tail: {self.output[-400:]!r}")
            self.pump(0.1)

    def folders(self) -> list[Path]:
        return sorted(p for p in self.tmp.glob(DEMO_PREFIX + "*") if p.is_dir())

    def finish(self, limit: float = 30.0) -> int:
        end = time.monotonic() + limit
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError("the demo did not exit after the signal")
        os.close(self.fd)
        return self.proc.returncode


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_the_demo_directory_is_removed_whatever_signal_ends_the_demo(
    tmp_path: Path, signum: int
) -> None:
    demo = Demo(tmp_path)
    try:
        demo.wait_for(b"Overview")  # the dashboard is up
        (folder,) = demo.folders()
        assert (folder / PID_FILE).exists()
        assert any(folder.rglob("*.sqlite*")) or any(folder.iterdir())
        demo.proc.send_signal(signum)
        code = demo.finish()
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()
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

    demo = Demo(tmp_path)
    try:
        demo.wait_for(b"Overview")
        assert not stale.exists()
        assert live.exists() and unknown.exists()
        assert b"Removed 1 demo directory" in demo.output
        demo.proc.send_signal(signal.SIGTERM)
        demo.finish()
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()


def test_print_env_writes_a_private_env_file_that_get_can_use(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--print-env")
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
        os.write(demo.fd, b"\r")
        demo.wait_for(b"Overview")
        demo.proc.send_signal(signal.SIGTERM)
        demo.finish()
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()
    assert not folder.exists()
