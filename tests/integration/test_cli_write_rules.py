"""The guard rails every headless write shares (`stm_tui.commands._write`), proven through
`stm-tui keypair suspend|unsuspend|delete` against the emulator: what a dry run prints and
that it sends nothing, the non-interactive rules, the typed confirmation, the audit file's
two lines, `-o json`, and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._cli import run_cli
from ._emu import clean_faults, set_faults, stats

ALIAS = "desktop-mac-release"


def env_of(server: EmulatorServer, role: str = "lead") -> dict[str, str]:
    return {"SM_HOST": server.url, "SM_API_KEY": server.credentials["users"][role]["api_key"]}


def writes_seen(server: EmulatorServer) -> dict[str, int]:
    return {k: v for k, v in stats(server).items() if not k.startswith("GET ")}


def keypair_on_server(server: EmulatorServer, alias: str) -> dict[str, Any] | None:
    key = server.credentials["users"]["lead"]["api_key"]
    found = httpx.get(
        f"{server.url}{STM}/keypairs", params={"alias": alias}, headers={"x-api-key": key}
    ).json()["items"]
    return found[0] if found else None


def audit_lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "data" / "stm-tui" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def server(fresh_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    with clean_faults(fresh_emulator):
        yield fresh_emulator


def test_a_dry_run_prints_the_exact_request_and_sends_nothing(
    server: EmulatorServer, tmp_path: Path
) -> None:
    text = run_cli(tmp_path, "keypair", "suspend", ALIAS, "--dry-run", env=env_of(server))
    assert text.returncode == 0, text.stderr
    kp = keypair_on_server(server, ALIAS)
    assert kp is not None
    assert f"POST {STM}/keypairs/{kp['id']}/suspend" in text.stdout
    assert "nothing sent" in text.stdout
    as_json = run_cli(
        tmp_path, "keypair", "delete", ALIAS, "--dry-run", "-o", "json", env=env_of(server)
    )
    record = json.loads(as_json.stdout)
    assert (record["dry_run"], record["method"], record["tier"]) == (True, "DELETE", "irreversible")
    assert writes_seen(server) == {} and audit_lines(tmp_path) == []
    assert kp["key_status"] == "ONLINE"


def test_without_a_terminal_a_change_needs_yes_and_nothing_is_sent(
    server: EmulatorServer, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "keypair", "suspend", ALIAS, env=env_of(server))
    assert result.returncode == 20
    assert "without a terminal a change needs --yes" in result.stderr
    assert writes_seen(server) == {} and audit_lines(tmp_path) == []


def test_a_change_is_sent_once_recorded_twice_and_answered_with_the_apis_names(
    server: EmulatorServer, tmp_path: Path
) -> None:
    result = run_cli(
        tmp_path, "keypair", "suspend", ALIAS, "--yes", "-o", "json", env=env_of(server)
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["alias"], answer["key_status"]) == (ALIAS, "OFFLINE")
    assert writes_seen(server) == {"POST /signingmanager/api/v1/keypairs/{keypair_id}/suspend": 1}
    on_server = keypair_on_server(server, ALIAS)
    assert on_server is not None and on_server["key_status"] == "OFFLINE"
    intent, outcome = audit_lines(tmp_path)
    assert (intent["kind"], intent["call"]["action"]) == ("intent", "keypair.suspend")
    assert intent["user"] != "?" and intent["host"] == server.url
    assert (outcome["kind"], outcome["id"], outcome["result"]) == ("outcome", intent["id"], "ok")

    back = run_cli(tmp_path, "keypair", "unsuspend", ALIAS, "--yes", env=env_of(server))
    assert back.returncode == 0 and back.stdout.startswith("done: Unsuspend keypair")
    on_server = keypair_on_server(server, ALIAS)
    assert on_server is not None and on_server["key_status"] == "ONLINE"


def test_an_irreversible_change_needs_the_name_typed_out(
    server: EmulatorServer, tmp_path: Path
) -> None:
    bare = run_cli(tmp_path, "keypair", "delete", ALIAS, "--yes", env=env_of(server))
    assert bare.returncode == 20 and f"--confirm {ALIAS}" in bare.stderr
    wrong = run_cli(
        tmp_path,
        "keypair",
        "delete",
        ALIAS,
        "--yes",
        "--confirm",
        ALIAS.upper(),
        env=env_of(server),
    )
    assert wrong.returncode == 20 and "does not match" in wrong.stderr
    assert writes_seen(server) == {} and keypair_on_server(server, ALIAS) is not None

    done = run_cli(
        tmp_path, "keypair", "delete", ALIAS, "--yes", "--confirm", ALIAS, env=env_of(server)
    )
    assert done.returncode == 0, done.stderr
    assert keypair_on_server(server, ALIAS) is None


def test_exit_codes_for_a_name_not_found_and_a_role_without_the_permission(
    server: EmulatorServer, tmp_path: Path
) -> None:
    missing = run_cli(tmp_path, "keypair", "suspend", "no-such-key", "--yes", env=env_of(server))
    assert missing.returncode == 4 and "no-such-key" in missing.stderr

    signer = run_cli(tmp_path, "keypair", "suspend", ALIAS, "--yes", env=env_of(server, "signer"))
    assert signer.returncode == 3 and "MANAGE_SM_KEYPAIR" in signer.stderr


def test_a_lost_answer_is_an_unknown_outcome_with_what_a_re_read_shows(
    server: EmulatorServer, tmp_path: Path
) -> None:
    set_faults(server, lost_answer_rate=1.0)  # the suspend happens; its answer never comes
    result = run_cli(tmp_path, "keypair", "suspend", ALIAS, "--yes", env=env_of(server))
    assert result.returncode == 21, result.stderr
    assert "outcome unknown" in result.stderr and "not retried" in result.stderr
    assert f"a re-read shows: {ALIAS}" in result.stderr
    # Sent once, never again, although it failed from the client's point of view.
    assert writes_seen(server) == {"POST /signingmanager/api/v1/keypairs/{keypair_id}/suspend": 1}
    intent, outcome = audit_lines(tmp_path)
    assert (intent["kind"], outcome["result"]) == ("intent", "unknown")
