"""Storage: a restart keeps everything (and never re-seeds), file modes, journal modes,
acknowledged writes surviving kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from stm_tui.emulator.db import Database, choose_journal_mode
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client, frozen_clock


def test_restart_keeps_data_and_does_not_reseed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmulatorServer(data_dir=data, clock=frozen_clock) as first:
        creds = first.credentials["users"]
        with api_client(first) as c:
            created = c.post(f"{STM}/keypairs", json={"alias": "survivor", "key_alg": "EDDSA"})
            assert created.status_code == 201
            keys_before = c.get(f"{STM}/keypairs", params={"limit": 100}).json()
    with EmulatorServer(data_dir=data, clock=frozen_clock, rng_seed=99) as second:
        assert second.credentials["users"] == creds  # same API keys still work
        with api_client(second) as c:
            keys_after = c.get(f"{STM}/keypairs", params={"limit": 100}).json()
    assert keys_after["total"] == keys_before["total"]
    assert [k["public_key"] for k in keys_after["items"]] == [
        k["public_key"] for k in keys_before["items"]
    ]
    assert "survivor" in {k["alias"] for k in keys_after["items"]}


def test_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with EmulatorServer(
            data_dir=tmp_path / "d" / "nested", clock=frozen_clock, tls=True
        ) as emu:
            data_dir = emu.data_dir
            assert data_dir is not None
            files = [p for p in data_dir.rglob("*") if p.is_file()]
            dirs = [data_dir.parent, data_dir, *[p for p in data_dir.rglob("*") if p.is_dir()]]
            file_modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
            dir_modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in dirs}
    finally:
        os.umask(old)
    assert "emulator.sqlite3" in file_modes and any(n.endswith(".p12") for n in file_modes)
    assert set(file_modes.values()) == {0o600}, file_modes
    assert set(dir_modes.values()) == {0o700}, dir_modes


def test_journal_mode_is_wal_locally_and_configurable(tmp_path: Path, monkeypatch: object) -> None:
    wal = Database(tmp_path / "a.sqlite3")
    rollback = Database(tmp_path / "b.sqlite3", journal_mode="DELETE")
    try:
        assert wal.journal_mode == "WAL"
        assert rollback.journal_mode == "DELETE"
        with wal.read() as c:
            assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        wal.close()
        rollback.close()
    os.environ["STM_EMULATOR_JOURNAL_MODE"] = "delete"
    try:
        assert choose_journal_mode(tmp_path, None) == "DELETE"
    finally:
        del os.environ["STM_EMULATOR_JOURNAL_MODE"]


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    """Run the CLI in a child process, create keypairs, SIGKILL it, reopen the database."""
    data, creds_file = tmp_path / "data", tmp_path / "creds.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stm_tui",
            "emulator",
            "--data",
            str(data),
            "--seed",
            "empty",
            "--no-activity",
            "--credentials-file",
            str(creds_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not creds_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        creds = json.loads(creds_file.read_text())
        key = creds["users"]["lead"]["api_key"]
        acked = []
        with httpx.Client(base_url=creds["url"], headers={"x-api-key": key}) as c:
            for i in range(5):
                r = c.post(f"{STM}/keypairs", json={"alias": f"acked-{i}-key", "key_alg": "EDDSA"})
                assert r.status_code == 201
                acked.append(r.json()["id"])
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    conn = sqlite3.connect(data / "emulator.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT id FROM keypairs")}
    finally:
        conn.close()
    assert set(acked) <= stored


def test_a_schema_2_data_dir_gets_signature_sequences_in_time_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmulatorServer(data_dir=data, clock=frozen_clock):
        pass
    db_file = data / "emulator.sqlite3"
    with sqlite3.connect(db_file) as conn:  # what schema 2 wrote: no sequence anywhere
        conn.execute("DROP INDEX signatures_sequence")
        conn.execute("ALTER TABLE signatures DROP COLUMN sequence")
        conn.execute("UPDATE signatures SET data=json_remove(data, '$.sequence')")
        conn.execute("PRAGMA user_version=2")
    with EmulatorServer(data_dir=data, clock=frozen_clock) as again, api_client(again) as c:
        page = c.get(f"{STM}/signatures", params={"limit": 100}).json()
        newest = c.get(f"{STM}/signatures", params={"order": "desc", "limit": 1}).json()
    sequences = [s["sequence"] for s in page["items"]]
    assert sequences == list(range(1, len(sequences) + 1))
    assert newest["items"][0]["sequence"] == page["total"]
