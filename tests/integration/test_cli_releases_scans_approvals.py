"""`stm-tui release create|approve|reject|close`, `scan submit|show|diff` and `approvals`
against the emulator, each result read back through the API. The shared write rules
(dry run, --yes, audit file, exit codes) are proven in test_cli_write_rules.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._cli import run_cli
from ._emu import clean_faults, reset_stats, stats

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
FREE_KEY = "shared-python-wheels"  # active certificate until 2027-11, in no window
# In the requested window desktop-4.4.0-rc1 (2026-12-02 to 12-03): any window of this
# machine's today onwards for 30 days overlaps it.
BUSY_KEY = "desktop-mac-release"
PENDING = "desktop-4.4.0-rc1"  # the requested offline window of the demo seed


def env_of(server: EmulatorServer, role: str = "lead") -> dict[str, str]:
    return {"SM_HOST": server.url, "SM_API_KEY": server.credentials["users"][role]["api_key"]}


def api(server: EmulatorServer, path: str, role: str = "lead", **params: Any) -> Any:
    key = server.credentials["users"][role]["api_key"]
    r = httpx.get(f"{server.url}{STM}{path}", params=params, headers={"x-api-key": key})
    r.raise_for_status()
    return r.json()


def release_named(server: EmulatorServer, name: str) -> dict[str, Any] | None:
    items = api(server, "/release-windows", limit=100)["items"]
    return next((r for r in items if r["name"] == name), None)


def status_of(server: EmulatorServer, name: str) -> str | None:
    """The release window's status as the emulator has it; None when there is no such window."""
    found = release_named(server, name)
    return None if found is None else found["status"]


def soon(hours: float = 1) -> str:
    # The CLI checks "starts in the past" against this machine's clock; the emulator's is
    # frozen earlier, so a start an hour from now is in the future for both.
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%MZ")


@pytest.fixture
def server(fresh_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    with clean_faults(fresh_emulator):
        yield fresh_emulator


def test_release_create_makes_an_online_window_approved_with_what_was_asked(
    server: EmulatorServer, tmp_path: Path
) -> None:
    r = run_cli(
        tmp_path, "release", "create", "wheels-1.0", "--kind", "online", "--keypair", FREE_KEY,
        "--signer", "dana.whitfield@acme.example", "--max", "25", "--start", soon(),
        "--duration", "2h", "--purpose", "both", "--block-on-failed-scan", "--version", "1.0",
        "--yes", env=env_of(server),
    )
    assert r.returncode == 0, r.stderr
    made = release_named(server, "wheels-1.0")
    assert made is not None
    assert made["status"] == "APPROVED" and made["release_type"] == "ONLINE"
    assert [k["alias"] for k in made["keypairs"]] == [FREE_KEY]
    assert made["max_signatures"] == 25 and made["block_on_failed_scan"] is True
    assert made["purpose"] == "DETECT_THREATS_AND_SIGN" and made["version"] == "1.0"
    span = datetime.fromisoformat(made["end_time"]) - datetime.fromisoformat(made["start_time"])
    assert span == timedelta(hours=2)


def test_an_offline_window_is_requested_not_approved(
    server: EmulatorServer, tmp_path: Path
) -> None:
    r = run_cli(
        tmp_path, "release", "create", "wheels-off", "--kind", "offline", "--keypair", FREE_KEY,
        "--start", soon(), "--end", soon(5), "--yes", env=env_of(server, "developer"),
    )
    # The Developer does not see that keypair: a clear not-found, nothing created.
    assert r.returncode == 4, r.stderr
    r = run_cli(
        tmp_path, "release", "create", "wheels-off", "--kind", "offline", "--keypair", FREE_KEY,
        "--start", soon(), "--end", soon(5), "--yes", env=env_of(server),
    )
    assert r.returncode == 0, r.stderr
    made = release_named(server, "wheels-off")
    assert made is not None and made["status"] == "PENDING_APPROVAL"


@pytest.mark.parametrize(
    "args, says",
    [
        (["--keypair", BUSY_KEY], "already in the pending approval window desktop-4.4.0-rc1"),
        (["--keypair", "mobile-wearables"], "has no active certificate"),
        (["--keypair", "desktop-plugin-sdk"], "expires 2026-12-03"),  # inside a 30-day window
    ],
)
def test_guard_rails_refuse_before_sending(
    server: EmulatorServer, tmp_path: Path, args: list[str], says: str
) -> None:
    before = {k: v for k, v in stats(server).items() if k.startswith("POST")}
    r = run_cli(
        tmp_path, "release", "create", "guarded", "--kind", "online", *args,
        "--start", soon(), "--duration", "30d", "--yes", env=env_of(server),
    )
    assert r.returncode == 20, r.stderr
    assert says in r.stderr and "nothing was sent" in r.stderr
    assert {k: v for k, v in stats(server).items() if k.startswith("POST")} == before
    assert release_named(server, "guarded") is None


@pytest.mark.parametrize(
    "args, says",
    [
        (["--max", "0"], "--max: a maximum of zero allows no signature"),
        (["--start", "2020-01-01T00:00Z"], "--start: starts in the past"),
        (["--duration", "soon"], "give minutes, or a span"),
        (["--start", "tomorrow"], "is not a date and time"),
        (["--end", soon(3)], "give --end T or --duration D"),
    ],
)
def test_bad_options_are_usage_errors(
    server: EmulatorServer, tmp_path: Path, args: list[str], says: str
) -> None:
    base = ["release", "create", "bad-one", "--kind", "online", "--keypair", FREE_KEY]
    if "--duration" not in args:
        base += ["--duration", "1h"]
    r = run_cli(tmp_path, *base, *args, "--yes", env=env_of(server))
    assert r.returncode in (2, 20), r.stderr
    assert says in r.stderr
    assert release_named(server, "bad-one") is None


def test_bad_name_names_the_rule(server: EmulatorServer, tmp_path: Path) -> None:
    r = run_cli(
        tmp_path, "release", "create", "has space", "--kind", "online", "--keypair", FREE_KEY,
        "--duration", "1h", "--yes", env=env_of(server),
    )
    assert r.returncode == 2 and "NAME: must be 1-64 characters" in r.stderr


def test_approve_and_reject_a_requested_window(server: EmulatorServer, tmp_path: Path) -> None:
    r = run_cli(tmp_path, "release", "approve", PENDING, "--yes", env=env_of(server))
    assert r.returncode == 0, r.stderr
    assert status_of(server, PENDING) == "APPROVED"
    # Now it is not pending any more: the service refuses a second decision.
    r = run_cli(tmp_path, "release", "reject", PENDING, "--reason", "late", "--yes",
                env=env_of(server))
    assert r.returncode == 22 and "not PENDING_APPROVAL" in r.stderr


def test_reject_keeps_the_reason_and_a_signer_may_not(
    server: EmulatorServer, tmp_path: Path
) -> None:
    r = run_cli(tmp_path, "release", "reject", PENDING, "--yes", env=env_of(server, "signer"))
    assert r.returncode in (3, 4), r.stderr
    r = run_cli(tmp_path, "release", "reject", PENDING, "--reason", "wrong keypair", "--yes",
                env=env_of(server))
    assert r.returncode == 0, r.stderr
    made = release_named(server, PENDING)
    assert made is not None and made["status"] == "REJECTED"
    decided = api(server, f"/approval-requests/{made['id']}")
    assert decided["decision_reason"] == "wrong keypair"
    r = run_cli(tmp_path, "release", "approve", PENDING, "--reason", "x", "--yes",
                env=env_of(server))
    assert r.returncode == 2 and "--reason goes with reject" in r.stderr


def test_close_needs_the_name_typed(server: EmulatorServer, tmp_path: Path) -> None:
    r = run_cli(tmp_path, "release", "close", "desktop-4.3.0", "--yes", env=env_of(server))
    assert r.returncode == 20 and "--confirm desktop-4.3.0" in r.stderr
    assert status_of(server, "desktop-4.3.0") == "OPEN"
    r = run_cli(tmp_path, "release", "close", "desktop-4.3.0", "--yes", "--confirm",
                "desktop-4.3.0", env=env_of(server))
    assert r.returncode == 0, r.stderr
    assert status_of(server, "desktop-4.3.0") == "CLOSED"


def test_scan_submit_waits_and_fails_on_findings(server: EmulatorServer, tmp_path: Path) -> None:
    dirty = tmp_path / "dirty.bin"
    dirty.write_bytes(b"header " + EICAR + b" trailer")
    r = run_cli(
        tmp_path, "scan", "submit", str(dirty), "--project", "cli-app", "--alias", "cli-1",
        "--version", "1.0", "--fail-on", "high", "--yes", env=env_of(server),
    )
    assert r.returncode == 1, r.stderr
    assert "FAIL" in r.stdout and "EICAR" in r.stdout
    assert "at HIGH or worse" in r.stderr
    scans = api(server, "/scans", project="cli-app")["items"]
    assert [(s["alias"], s["status"], s["file_name"]) for s in scans] == [
        ("cli-1", "FAIL", "dirty.bin")
    ]


def test_a_clean_file_passes_the_gate_and_diff_shows_what_went(
    server: EmulatorServer, tmp_path: Path
) -> None:
    dirty, clean = tmp_path / "a.bin", tmp_path / "b.bin"
    dirty.write_bytes(EICAR + b" lodash-4.17.15")
    clean.write_bytes(b"lodash-4.17.15 and nothing else")  # a LOW finding passes
    for path, alias, version in ((dirty, "d-1", "1"), (clean, "d-2", "2")):
        r = run_cli(
            tmp_path, "scan", "submit", str(path), "--project", "diff-cli", "--alias", alias,
            "--version", version, "--wait", "--fail-on", "critical", "--yes",
            env=env_of(server),
        )
        assert r.returncode == (1 if alias == "d-1" else 0), r.stderr
    r = run_cli(tmp_path, "scan", "diff", "d-1", "d-2", env=env_of(server))
    assert r.returncode == 0, r.stderr
    assert "0 added, 1 removed, 1 unchanged" in r.stdout
    assert "- CRITICAL malware" in r.stdout
    r = run_cli(tmp_path, "scan", "diff", "d-1", "d-2", "-o", "json", env=env_of(server))
    data = json.loads(r.stdout)
    assert [f["category"] for f in data["removed"]] == ["malware"] and data["added"] == []
    r = run_cli(tmp_path, "scan", "show", "d-2", env=env_of(server))
    assert r.returncode == 0 and "PASS" in r.stdout and "CVE-2020-8203" in r.stdout


def test_scan_submit_refuses_bad_input(server: EmulatorServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    r = run_cli(tmp_path, "scan", "submit", str(empty), "--project", "p", "--alias", "a",
                "--version", "1", "--yes", env=env_of(server))
    assert r.returncode == 2 and "is empty" in r.stderr
    r = run_cli(tmp_path, "scan", "submit", str(tmp_path / "missing"), "--project", "p",
                "--alias", "a", "--version", "1", "--yes", env=env_of(server))
    assert r.returncode == 2 and "No such file" in r.stderr
    some = tmp_path / "x.bin"
    some.write_bytes(b"x")
    r = run_cli(tmp_path, "scan", "submit", str(some), "--project", "has space", "--alias", "a",
                "--version", "1", "--yes", env=env_of(server))
    assert r.returncode == 2 and "--project: must be letters" in r.stderr
    r = run_cli(tmp_path, "scan", "show", "no-such-scan", env=env_of(server))
    assert r.returncode == 4
    assert api(server, "/scans", project="p")["items"] == []


def test_approvals_lists_what_waits_on_the_lead_oldest_first(
    server: EmulatorServer, tmp_path: Path
) -> None:
    r = run_cli(tmp_path, "approvals", "-o", "json", env=env_of(server))
    assert r.returncode == 0, r.stderr
    kinds = sorted(item["kind"] for item in json.loads(r.stdout))
    assert kinds == [
        "CERTIFICATE_REVOCATION", "KEYPAIR_DELETE", "KEYPAIR_EXPORT", "OFFLINE_RELEASE"
    ]
    r = run_cli(tmp_path, "approvals", env=env_of(server))
    assert "offline release window desktop-4.4.0-rc1  asked by Marcus Oyelaran" in r.stdout


def test_approvals_wait_gives_up_after_its_timeout(server: EmulatorServer, tmp_path: Path) -> None:
    r = run_cli(tmp_path, "approvals", env=env_of(server, "signer"))
    assert r.returncode == 0 and "nothing waits on your approval" in r.stdout
    r = run_cli(tmp_path, "approvals", "--wait", "--timeout", "1", "--every", "1",
                env=env_of(server, "signer"))
    assert r.returncode == 5 and "no new request for your approval within 1 s" in r.stderr


def test_approvals_wait_returns_with_the_request_that_arrived(
    server: EmulatorServer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from ._cli import cli_env

    before = run_cli(tmp_path, "approvals", "-o", "json", env=env_of(server, "team_lead"))
    assert json.loads(before.stdout)  # some wait already: --wait is about new ones
    reset_stats(server)
    env = cli_env(tmp_path, **env_of(server, "team_lead"))
    waiting = subprocess.Popen(
        [sys.executable, "-m", "stm_tui", "approvals", "--wait", "--every", "1", "--timeout",
         "60", "-o", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        # The request is made only once the waiter has looked (what it saw is not new).
        for _ in range(600):
            if any("approval-requests" in k for k in stats(server)):
                break
            time.sleep(0.05)
        r = run_cli(
            tmp_path, "release", "create", "dev-asks", "--kind", "offline", "--keypair",
            "platform-helm-charts", "--start", soon(), "--duration", "1h", "--yes",
            env=env_of(server, "developer"),
        )
        assert r.returncode == 0, r.stderr
        out, err = waiting.communicate(timeout=60)
    finally:
        waiting.kill()
    assert waiting.returncode == 0, err
    assert [i["resource"]["name"] for i in json.loads(out)] == ["dev-asks"]
