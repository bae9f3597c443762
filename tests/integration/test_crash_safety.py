"""kill -9 during writes loses nothing acknowledged and corrupts nothing (reliability
checklist 15, issue 16 item 9).

A writer process (the client's `Session.write`: audit intent, the call, audit outcome) keeps
creating keypairs against an emulator process on a fixed port; at a random moment during
the writes one of the two is killed with SIGKILL, alternately, and started again (the other
carries on: a writer retries against the restarted emulator). After every iteration: the emulator's
database passes `PRAGMA integrity_check`, every keypair whose creation the writer was told
succeeded (2xx) is in it, and every line of the audit file is complete JSON, no outcome
without its intent. Both with WAL and with the rollback journal (`journal_mode=DELETE`,
what a network filesystem gets).

CI runs 6 iterations per journal mode (each restarts a process: about 1.5 s of CPU);
`STM_TUI_LONG=1 pytest --timeout 0 tests/integration/test_crash_safety.py` runs 200 per
mode (`STM_TUI_CRASH_ITERATIONS=N` any other number).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

LONG = os.environ.get("STM_TUI_LONG") == "1"
ITERATIONS = int(os.environ.get("STM_TUI_CRASH_ITERATIONS", "200" if LONG else "6"))

# Each iteration starts a process: 6 per journal mode stay well under the suite's 120 s on an
# idle machine; a loaded one, or the long run, needs more.
pytestmark = pytest.mark.timeout(0 if LONG else 400)

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from pydantic import SecretStr
    from stm_tui.api.client import STMClient
    from stm_tui.api.errors import StmError
    from stm_tui.api.retry import RetryPolicy
    from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair
    from stm_tui.session import Session

    url, key, audit, prefix = sys.argv[1:5]

    async def main():
        fast = RetryPolicy(base_delay=0.01, max_delay=0.05)
        client = STMClient(url, SecretStr(key), retry=fast, deadline=5.0)
        session = Session(client, read_only=False, resources=(), audit_path=Path(audit))
        n = 0
        while True:
            n += 1
            call = generate_keypair(GenerateKeypair(alias=f"{prefix}-{n}", key_alg="EDDSA"))
            try:
                done = await session.write(call)
            except StmError as exc:
                print("FAILED", exc.kind, flush=True)
                await asyncio.sleep(0.05)
                continue
            print("ACK", done.resource.id, flush=True)

    asyncio.run(main())
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    """`stm-tui emulator` as its own process on a data dir and a port that outlive it."""

    def __init__(self, data: Path, journal: str) -> None:
        self.data = data
        self.port = free_port()
        self.creds = data.parent / f"{data.name}-creds.json"
        self.env = {**os.environ, "STM_EMULATOR_JOURNAL_MODE": journal}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.key = ""

    def start(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            self.creds.unlink(missing_ok=True)
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stm_tui", "emulator", "--data", str(self.data),
                 "--port", str(self.port), "--seed", "empty", "--no-activity",
                 "--credentials-file", str(self.creds)],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            while not self.creds.exists() and self.proc.poll() is None:
                assert time.monotonic() < deadline, "the emulator took more than 60 s to start"
                time.sleep(0.02)
            if self.creds.exists():
                break
            # The port of the killed one is not free yet: ask again.
            assert time.monotonic() < deadline, "the emulator could not start"
            time.sleep(0.2)
        doc = json.loads(self.creds.read_text())
        self.url, self.key = doc["url"], doc["users"]["lead"]["api_key"]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)


class Writer:
    """The writer process; its acknowledgements collected as they are printed."""

    def __init__(self, emulator: Emulator, audit: Path, prefix: str) -> None:
        self.acks: list[str] = []
        self.answers = 0
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, emulator.url, emulator.key, str(audit), prefix],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parts = line.split()
            with self._lock:
                self.answers += 1
                # Only a whole line counts: one cut by the kill acknowledged nothing.
                if line.endswith(b"\n") and len(parts) == 2 and parts[0] == b"ACK":
                    self.acks.append(parts[1].decode())

    def wait_for_answers(self, more_than: int) -> None:
        deadline = time.monotonic() + 60
        while self.answers <= more_than:
            assert self.proc.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline, "no write was answered within 60 s"
            time.sleep(0.01)

    def kill(self) -> list[str]:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        return self.acks


def check_database(path: Path, acknowledged: set[str], journal: str) -> None:
    # Read-write, as the next start opens it: a rollback journal left by the kill is rolled
    # back first (that is the recovery being tested).
    conn = sqlite3.connect(path, timeout=10)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].upper() == journal
        stored = {row[0] for row in conn.execute("SELECT id FROM keypairs")}
    finally:
        conn.close()
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged keypairs lost"


def check_audit(path: Path) -> int:
    intents: set[str] = set()
    outcomes = 0
    for number, raw in enumerate(path.read_bytes().splitlines(keepends=True), 1):
        assert raw.endswith(b"\n"), f"line {number} was cut short"
        line = json.loads(raw)  # complete JSON, or this raises
        if line["kind"] == "intent":
            intents.add(line["id"])
        else:
            assert line["id"] in intents, f"line {number}: an outcome without its intent"
            outcomes += 1
    return outcomes


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_kill_9_of_the_emulator_or_the_writer_loses_no_acknowledged_write(
    tmp_path: Path, journal: str
) -> None:
    rng = random.Random(f"crash-{journal}")
    emulator = Emulator(tmp_path / "emulator", journal)
    audit = tmp_path / "state" / "audit.jsonl"
    acknowledged: set[str] = set()
    kills = {"emulator": 0, "writer": 0}
    emulator.start()
    writer = Writer(emulator, audit, "crash-0")
    try:
        for iteration in range(ITERATIONS):
            writer.wait_for_answers(writer.answers)  # writes are flowing now
            time.sleep(rng.uniform(0.0, 0.3))
            if iteration % 2 == 0:
                kills["emulator"] += 1
                emulator.kill()
                # What the emulator acknowledged before it died must be on disk.
                check_database(emulator.data / "emulator.sqlite3", set(writer.acks), journal)
                emulator.start()
            else:
                kills["writer"] += 1
                acknowledged |= set(writer.kill())
                check_audit(audit)
                writer = Writer(emulator, audit, f"crash-{iteration}")
    finally:
        acknowledged |= set(writer.kill())
        emulator.kill()
    check_database(emulator.data / "emulator.sqlite3", acknowledged, journal)
    outcomes = check_audit(audit)
    assert kills["emulator"] >= 1 and kills["writer"] >= 1
    assert len(acknowledged) >= ITERATIONS  # writes really went through between the kills
    assert outcomes >= len(acknowledged)
