"""Shared bench plumbing: the cached 100,000-certificate emulator and a pty to run the app in.

Not a benchmark itself. The scale data dir is seeded once (about 40 s) into
`bench/.cache/scale-<N>` and reused by every later run.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
BIN = Path(sys.executable).parent
STM_TUI = str(BIN / "stm-tui") if (BIN / "stm-tui").exists() else "stm-tui"
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[\]P][^\x07\x1b]*(\x07|\x1b\\)|\x1b.")


def scale_dir(count: int) -> Path:
    """The cached data dir for `seed=scale:count`, seeded on first use."""
    folder = CACHE / f"scale-{count}"
    if not (folder / "emulator.sqlite3").exists() or not (folder / ".seeded").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        from stm_tui.emulator.server import EmulatorServer

        print(f"seeding {count} certificates into {folder} (once)…", file=sys.stderr)
        server = EmulatorServer(data_dir=folder, seed=f"scale:{count}")
        server.start()
        server.stop()
        (folder / ".seeded").touch()
    return folder


@contextmanager
def emulator_process(data_dir: Path, seed: str = "demo", *, copy: bool = False,
                     activity: bool = False, port: int = 0) -> Iterator[dict[str, Any]]:
    """`stm-tui emulator` in its own process (its own core, as a real STM would be);
    yields the credentials dict (`url`, `users`). `copy` runs on a throw-away copy. A fixed
    `port` keeps the host (and so the dashboard's inventory cache) the same across runs."""
    with tempfile.TemporaryDirectory(prefix="stm-bench-") as tmp:
        work = Path(tmp) / "data"
        if copy:
            shutil.copytree(data_dir, work)
        else:
            work = data_dir
        creds_file = Path(tmp) / "creds.json"
        args = [STM_TUI, "emulator", "--data", str(work), "--seed", seed,
                "--credentials-file", str(creds_file),
                "--activity" if activity else "--no-activity", "--port", str(port)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=ROOT)
        try:
            deadline = time.monotonic() + 300
            while not creds_file.exists() or not creds_file.stat().st_size:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"the emulator did not start: {err[-400:]}")
                time.sleep(0.05)
            time.sleep(0.05)
            yield json.loads(creds_file.read_text())
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(creds: dict[str, Any], role: str = "lead", **extra: str) -> dict[str, str]:
    """Environment for `stm-tui` against the emulator, isolated from the user's config."""
    home = tempfile.mkdtemp(prefix="stm-bench-home-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    env.update(
        HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share",
        XDG_CACHE_HOME=f"{home}/.cache", XDG_STATE_HOME=f"{home}/.local/state",
        SM_HOST=creds["url"], SM_API_KEY=creds["users"][role]["api_key"],
        TERM="xterm-256color", COLORTERM="truecolor", **extra,
    )
    return env


def screen_text(data: bytes) -> str:
    """Terminal output with escape sequences removed (good enough to find words)."""
    return _ESCAPES.sub(b"", data).decode("utf-8", "replace")


class PtyApp:
    """A command on a pseudo-terminal (120x40). Output is collected with arrival times."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None,
                 cols: int = 120, rows: int = 40) -> None:
        self.chunks: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                                     env=env, cwd=ROOT, start_new_session=True)
        os.close(slave)
        self.master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    if self.proc.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.chunks.append((time.perf_counter(), data))

    def output(self, since: float = 0.0) -> bytes:
        with self._lock:
            return b"".join(d for t, d in self.chunks if t >= since)

    def wait_for(self, found: Callable[[str], bool], timeout: float) -> float:
        """Seconds from start until the output so far satisfies `found`."""
        deadline = time.perf_counter() + timeout
        seen = 0
        text = ""
        while time.perf_counter() < deadline:
            with self._lock:
                fresh = self.chunks[seen:]
                seen = len(self.chunks)
            for stamp, data in fresh:
                text += screen_text(data)
                if found(text):
                    return stamp - self.started
            if self.proc.poll() is not None and seen == len(self.chunks):
                raise RuntimeError(f"exited early ({self.proc.returncode}): {text[-300:]}")
            time.sleep(0.005)
        raise TimeoutError(f"not seen within {timeout} s; last output: {text[-300:]!r}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.send(b"q")
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        self._reader.join(timeout=2)
        os.close(self.master)


def figure(name: str, value: float | None, unit: str, target: float | None,
           baseline: float | None = None, note: str = "") -> dict[str, Any]:
    """One benchmark figure; met when at most its target (no target: informational)."""
    ok = value is not None and (target is None or value <= target)
    return {"name": name, "value": value, "unit": unit, "target": target,
            "baseline": baseline, "ok": ok, "note": note}


def print_figures(results: Sequence[dict[str, Any]]) -> int:
    """One line a figure (value, target, the baseline's value); 0 when every target is met."""
    for r in results:
        target = "-" if r["target"] is None else f"{r['target']:.2f}"
        baseline = "" if r["baseline"] is None else f"  before {r['baseline']:.2f}"
        value = "-" if r["value"] is None else f"{r['value']:.2f}"
        print(f"{r['name']:<32} {value:>10} {r['unit']:<3} target {target}{baseline}"
              f"  {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1
