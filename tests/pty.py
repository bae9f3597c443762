"""Run `stm-tui` on a real pseudo-terminal and keep every byte it writes to the terminal.

The one pty helper of the suite (end-to-end, terminal-injection, canary and headless-start
tests). What a test asserts on is what a terminal would receive: no Textual driver stand-in,
no headless mode. Waits are bounded conditions on the output, never timing assertions.

    with PtyRun.stm_tui(tmp_path, "demo", SM_HOST=...) as run:
        run.wait_for(b"Overview")
        run.send(b"q")
        assert run.finish() == 0
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
from typing import Self

from tests.integration._cli import cli_env as _headless_env

Wanted = bytes | Callable[[bytes], bool]


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A user's environment on a terminal: nothing configured, no keyring (a headless jump
    host), a colour terminal, and the same `stm_tui` as the test imports."""
    terminal = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "TEXTUAL_ANIMATIONS": "none"}
    if "PYTHONPATH" in os.environ:
        terminal["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return _headless_env(tmp, **{**terminal, **extra})


def _predicate(wanted: Wanted) -> Callable[[bytes], bool]:
    if isinstance(wanted, bytes):
        return lambda out: wanted in out
    return wanted


class PtyRun:
    """`python -m stm_tui ARGS` on a pty of `size` (columns, lines)."""

    def __init__(
        self,
        args: list[str],
        env: Mapping[str, str],
        size: tuple[int, int] = (120, 40),
        *,
        executable: list[str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.output = bytearray()
        master, slave = pty.openpty()
        columns, lines = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self._master = master
        command = executable if executable is not None else [sys.executable, "-m", "stm_tui"]
        self.process = subprocess.Popen(
            [*command, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            close_fds=True,
            start_new_session=True,
            cwd=cwd,
        )
        os.close(slave)
        self._open = True
        self._closed = False

    @classmethod
    def stm_tui(
        cls, tmp: Path, *args: str, size: tuple[int, int] = (100, 30), **env: str
    ) -> Self:
        """`stm-tui ARGS` as a user on a jump host runs it, TMPDIR inside the test's folder
        (so what the run leaves there can be inspected: `run.tmp`)."""
        temp = tmp / "tmp"
        temp.mkdir(exist_ok=True)
        run = cls(list(args), cli_env(tmp, TMPDIR=str(temp), **env), size)
        run.tmp = temp
        return run

    tmp: Path

    @property
    def text(self) -> str:
        return bytes(self.output).decode(errors="replace")

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

    def wait_for(self, wanted: Wanted, limit: float = 30.0) -> None:
        """Read until the output holds `wanted` (bytes, or a predicate on all the output);
        AssertionError with the tail of the output when it never does or the process ends."""
        predicate = _predicate(wanted)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate(bytes(self.output)):
                return
            if not self._read(0.1):
                break
        if not predicate(bytes(self.output)):
            tail = bytes(self.output[-2000:])
            raise AssertionError(f"the terminal never showed what was expected; tail: {tail!r}")

    def pump(self, seconds: float) -> None:
        """Read whatever arrives for `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and self._read(min(0.05, max(0.0, end - time.monotonic()))):
            pass

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

    press = send

    def finish(self, limit: float = 20.0) -> int:
        """Wait for the process to exit, reading the rest of its output; its exit code."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.process.poll() is None:
            self._read(0.1)
        while self._read(0.1):
            pass
        if self.process.poll() is None:
            self.kill()
            raise AssertionError("stm-tui did not exit")
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group (the app and anything it started)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        if not self._closed:
            self._closed = True
            os.close(self._master)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
