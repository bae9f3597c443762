"""`stm-tui` on a pseudo-terminal, as a user runs it, for end-to-end tests."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.integration._cli import cli_env


class TerminalRun:
    """`stm-tui ARGS` on a pty, with TMPDIR pointing into the test's directory."""

    def __init__(self, tmp_path: Path, *args: str, **env: str) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir(exist_ok=True)
        primary, secondary = pty.openpty()
        full_env = cli_env(
            tmp_path,
            TMPDIR=str(self.tmp),
            TERM="xterm-256color",
            TEXTUAL_ANIMATIONS="none",
            COLUMNS="100",
            LINES="30",
            **env,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stm_tui", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=full_env,
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

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def finish(self, limit: float = 30.0) -> int:
        end = time.monotonic() + limit
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError("stm-tui did not exit")
        os.close(self.fd)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
