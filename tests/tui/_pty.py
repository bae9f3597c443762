"""Run `stm-tui` on a real pseudo-terminal and keep every byte it writes to the terminal.

What a test asserts on is what a terminal would receive: no Textual driver stand-in, no
headless mode. Waits are bounded conditions on the output, never timing assertions.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A user's environment with nothing configured and no keyring (a headless jump host)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp / "home"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "XDG_STATE_HOME": str(tmp / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "NO_PROXY": "127.0.0.1,localhost",
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "TEXTUAL_ANIMATIONS": "none",
        # So that the child imports the same stm_tui as the test (a checkout on PYTHONPATH).
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        **extra,
    }


class PtyRun:
    """`python -m stm_tui ARGS` on a pty of `size` (columns, lines)."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], size: tuple[int, int] = (120, 40)
    ) -> None:
        self.output = bytearray()
        master, slave = pty.openpty()
        columns, lines = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self._master = master
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stm_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self._open = True

    def _read(self, timeout: float) -> bool:
        """Read what is there within `timeout`; False once the terminal is closed."""
        if not self._open:
            return False
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._master, 1 << 16)
        except OSError:  # EIO: the child closed its side
            data = b""
        if not data:
            self._open = False
            return False
        self.output.extend(data)
        return True

    def wait_for(self, predicate: Callable[[bytes], bool], limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate(bytes(self.output)):
                return
            if not self._read(0.1):
                break
        if not predicate(bytes(self.output)):
            tail = bytes(self.output[-2000:])
            raise AssertionError(f"the terminal never showed what was expected; tail: {tail!r}")

    def settle(self, quiet: float = 0.6, limit: float = 10.0) -> None:
        """Read until nothing arrived for `quiet` seconds (bounded by `limit`)."""
        deadline = time.monotonic() + limit
        last = len(self.output)
        calm_since = time.monotonic()
        while time.monotonic() < deadline and self._read(0.05):
            if len(self.output) != last:
                last, calm_since = len(self.output), time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return

    def send(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def finish(self, limit: float = 20.0) -> int:
        """Wait for the process to exit, reading the rest of its output; its exit code."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.process.poll() is None:
            self._read(0.1)
        while self._read(0.1):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            raise AssertionError("stm-tui did not exit")
        return self.process.returncode

    def __enter__(self) -> PtyRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        os.close(self._master)
