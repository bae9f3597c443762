"""`stm-tui watch`, `replay` and `release report|budget` as a user runs them: subprocesses
against an emulator on the real clock (the commands use this machine's time)."""

from __future__ import annotations

import csv
import io
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.integration._cli import cli_env, run_cli
from tests.integration._emu import set_faults
from tests.integration._monitor import STM, Signer, keypair_named, raw, raw_all

WAIT = 60.0  # an upper bound for a line to appear; never a measurement


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = EmulatorServer(data_dir=tmp_path_factory.mktemp("live"), seed="demo")
    with server:
        yield server


def env_for(server: EmulatorServer, role: str = "lead") -> dict[str, str]:
    return {"SM_HOST": server.url, "SM_API_KEY": server.credentials["users"][role]["api_key"]}


class Watch:
    """`stm-tui watch ...` in the background, its stdout read line by line."""

    def __init__(self, tmp: Path, server: EmulatorServer | None, *args: str,
                 **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stm_tui", "watch", *args],
            env=cli_env(tmp, **({**env_for(server), **env} if server else env)),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def until(self, predicate: Any) -> list[dict[str, Any]]:
        """Lines up to and including the first one matching `predicate`."""
        seen = []
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"watch ended: {self.stderr()}"
            seen.append(line)
            if predicate(line):
                return seen

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=WAIT)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read() if self.proc.stderr else ""


def create_release(server: EmulatorServer, name: str, keypair: str, signers: list[str],
                   **fields: Any) -> dict[str, Any]:
    key = server.credentials["users"]["lead"]["api_key"]
    body = {
        "name": name, "release_type": "ONLINE", "purpose": "SIGN", "duration_minutes": 120,
        "keypair_ids": [keypair_named(server, keypair)["id"]],
        "signer_ids": [server.credentials["users"][s]["id"] for s in signers],
        **fields,
    }
    response = httpx.post(f"{server.url}{STM}/release-windows", json=body,
                          headers={"x-api-key": key}, timeout=10)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_watch_prints_each_new_attempt_as_a_json_line(
    live: EmulatorServer, tmp_path: Path
) -> None:
    watch = Watch(tmp_path, live, "--release", "platform-fw-7.1", "-o", "jsonl",
                  "--interval", "0.2", "--duration", "120", "--record",
                  str(tmp_path / "rec.jsonl"))
    try:
        watch.until(lambda line: line["type"] == "status")
        build, developer = Signer(live, "build_engineer"), Signer(live, "developer")
        update = keypair_named(live, "platform-firmware-update")
        signed = [await build.sign(update) for _ in range(3)]
        assert await developer.sign(update) is None  # not a signer of the window: refused
        await build.aclose()
        await developer.aclose()
        seen: list[dict[str, Any]] = []
        while sum(1 for x in seen if x["type"] == "attempt") < 4:
            seen += watch.until(lambda line: line["type"] == "attempt")
        # The refusal's alert follows its attempt, at the end of that poll.
        if not any(x["type"] == "alert" for x in seen):
            seen += watch.until(lambda line: line["type"] == "alert")
    finally:
        assert watch.stop() == 0
    attempts = [x for x in seen if x["type"] == "attempt"]
    # Each once; in the log's order (one second's entries are ordered by id there).
    ids = [s for s in signed if s is not None]
    assert len(ids) == 3  # the build engineer's three were all accepted
    assert sorted(str(a["id"]) for a in attempts if a["status"] == "SUCCESS") == sorted(ids)
    log = {s["id"]: s for s in raw_all(live, "/signatures", keypair_id=update["id"])}
    for line in attempts:
        entry = log[line["id"]]
        assert {k: line[k] for k in entry} == entry  # the log's own fields, unchanged
        assert line["watched"]["name"] == "platform-fw-7.1"
    refused = next(a for a in attempts if a["status"] == "FAILED")
    assert (refused["relation"], refused["failure_reason"]) == ("failed", "NOT_A_RELEASE_SIGNER")
    alerts = [x for x in seen if x["type"] == "alert"]
    assert [a["kind"] for a in alerts] == ["failed_attempts"]

    # The recording plays back as the same lines.
    played = run_cli(tmp_path, "replay", str(tmp_path / "rec.jsonl"), "-o", "jsonl")
    assert played.returncode == 0, played.stderr
    again = [json.loads(line) for line in played.stdout.splitlines()]

    def comparable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in x.items() if k != "time"} for x in items
                if x["type"] in ("attempt", "alert")]

    assert comparable(again)[: len(comparable(seen))] == comparable(seen)


def test_watch_exits_5_when_the_service_stays_unreachable(
    live: EmulatorServer, tmp_path: Path
) -> None:
    watch = Watch(tmp_path, live, "--release", "desktop-4.3.0", "-o", "jsonl",
                  "--interval", "0.2", "--deadline", "1")
    try:
        watch.until(lambda line: line.get("state") == "watching")
        set_faults(live, error_rate=1.0, retry_after=0)
        lines = watch.until(lambda line: line.get("state") == "disconnected")
        assert lines[-1]["kind"] == "unreachable"
        code = watch.proc.wait(timeout=WAIT)
    finally:
        set_faults(live)
        watch.stop()
    assert code == 5
    assert "unreachable for more than 1 s" in watch.stderr()


def test_watch_exits_5_when_the_service_is_never_reachable(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli(tmp_path, "watch", "--release", "x", "-o", "jsonl", "--deadline", "1",
                     SM_HOST=f"http://127.0.0.1:{port}", SM_API_KEY="k")
    assert result.returncode == 5, result.stderr


@pytest.mark.parametrize(
    ("args", "role", "code", "message"),
    [
        ((), "lead", 2, "give --release NAME"),
        (("--release", "no-such-release"), "lead", 4, "no release window"),
    ],
)
def test_watch_usage_and_lookup_errors(live: EmulatorServer, tmp_path: Path,
                                       args: tuple[str, ...], role: str, code: int,
                                       message: str) -> None:
    result = run_cli(tmp_path, "watch", *args, "-o", "jsonl", env=env_for(live, role))
    assert result.returncode == code
    assert message in result.stderr


def test_watch_with_a_refused_key_exits_3(live: EmulatorServer, tmp_path: Path) -> None:
    result = run_cli(tmp_path, "watch", "--release", "desktop-4.3.0", "-o", "jsonl",
                     SM_HOST=live.url, SM_API_KEY="not-a-key")
    assert result.returncode == 3, result.stderr


async def test_release_report_exit_codes(live: EmulatorServer, tmp_path: Path) -> None:
    create_release(live, "rpt-clean", "platform-helm-charts", ["build_engineer"],
                   max_signatures=10)
    create_release(live, "rpt-refused", "platform-sbom-attest", ["build_engineer"],
                   max_signatures=3)
    build, team_lead = Signer(live, "build_engineer"), Signer(live, "team_lead")
    for _ in range(3):
        assert await build.sign(keypair_named(live, "platform-helm-charts"))
        assert await build.sign(keypair_named(live, "platform-sbom-attest"))
    # Refused, and logged: the window's maximum is reached; the team lead is not a signer
    # of desktop-4.3.0.
    assert await build.sign(keypair_named(live, "platform-sbom-attest")) is None
    assert await team_lead.sign(keypair_named(live, "desktop-installer-ev")) is None
    for who in (build, team_lead):
        await who.aclose()

    def report(*args: str) -> int:
        result = run_cli(tmp_path, "release", "report", *args, env=env_for(live))
        assert result.returncode in (0, 9, 10, 12, 14, 15), result.stderr
        return result.returncode

    assert report("rpt-clean", "--expect", "3") == 0
    assert report("rpt-clean", "--expect", "4") == 9  # too few
    assert report("rpt-refused", "--expect", "3") == 10  # a failed attempt
    assert report("rpt-refused", "--expect", "3", "--allow-failed") == 0
    assert report("desktop-4.3.0", "--expect", "1", "--allow-failed") == 12  # its scan failed
    assert report("desktop-4.3.0", "--expect", "100000") == 15  # all three

    result = run_cli(tmp_path, "release", "report", "rpt-refused", "-o", "json", env=env_for(live))
    data = json.loads(result.stdout)
    assert (data["success"], data["failed"], data["exit_code"]) == (3, 1, 10)
    assert data["failed_attempts"][0]["failure_reason"] == "QUOTA_EXCEEDED"
    assert [c["ok"] for c in data["checks"]] == [False, True]
    text = run_cli(tmp_path, "release", "report", "rpt-clean", env=env_for(live)).stdout
    assert "Signatures: 3 successful of at most 10, 0 failed attempts" in text

    missing = run_cli(tmp_path, "release", "report", "nope", env=env_for(live))
    assert missing.returncode == 4 and "no release window" in missing.stderr


def test_release_budget_csv_counts_this_months_signatures(
    live: EmulatorServer, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "release", "budget", "--budget", "100000", "-o", "csv",
                     env=env_for(live))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    month = rows[0]["month"]
    log = raw_all(live, "/signatures", status="SUCCESS", **{"from": f"{month}-01T00:00:00Z"})
    total = next(r for r in rows if r["scope"] == "total")
    assert int(total["signatures"]) == len(log)
    for scope in ("keypair", "signer", "release"):
        assert sum(int(r["signatures"]) for r in rows if r["scope"] == scope) == len(log)
    assert raw(live, "/signatures", limit=1)["total"] >= len(log)


def write_config(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "config" / "stm-tui"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_the_budget_comes_from_the_profile_unless_given(
    live: EmulatorServer, tmp_path: Path
) -> None:
    write_config(tmp_path, "[profiles.default]\nsignature_budget = 123456\n")
    result = run_cli(tmp_path, "release", "budget", "-o", "json", env=env_for(live))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["budget"] == 123456 and data["left"] == 123456 - data["total"]
    given = run_cli(tmp_path, "release", "budget", "--budget", "99", "-o", "json",
                    env=env_for(live))
    assert json.loads(given.stdout)["budget"] == 99


@pytest.mark.parametrize(
    ("table", "named"),
    [("quota_warn = 2", "alerts.quota_warn"), ("off = [\"nap\"]", "unknown kind 'nap'"),
     ("bel = true", "alerts.bel: unknown setting")],
)
def test_a_bad_alert_setting_in_the_profile_is_refused_naming_it(
    tmp_path: Path, table: str, named: str
) -> None:
    path = write_config(tmp_path, f"[profiles.default.alerts]\n{table}\n")
    # Refused before anything is asked of the server (there is none here).
    result = run_cli(tmp_path, "watch", "--release", "x", "-o", "jsonl",
                     SM_HOST="http://127.0.0.1:9", SM_API_KEY="k" * 30)
    assert result.returncode == 2, result.stderr
    assert "profile 'default'" in result.stderr and named in result.stderr
    assert "Traceback" not in result.stderr
    # The dashboard refuses it the same way, naming the file.
    dashboard = run_cli(tmp_path, SM_HOST="http://127.0.0.1:9", SM_API_KEY="k" * 30)
    assert dashboard.returncode == 2 and str(path) in dashboard.stderr
    assert named in dashboard.stderr
