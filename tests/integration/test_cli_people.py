"""`stm-tui account mfa`, `user`, `token`, `client-cert` and `team` against the emulator:
each command's call, its names and options, and the result read back through the API.
Values shown once (a token, a p12 password) reach stdout once and nothing else."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, FROZEN_NOW, STM

from ._cli import run_cli


def env_of(server: EmulatorServer, role: str = "lead", **more: str) -> dict[str, str]:
    return {
        "SM_HOST": server.url,
        "SM_API_KEY": server.credentials["users"][role]["api_key"],
        **more,
    }


def api(server: EmulatorServer, method: str, path: str, **kw: Any) -> Any:
    key = server.credentials["users"]["lead"]["api_key"]
    response = httpx.request(method, f"{server.url}{path}", headers={"x-api-key": key}, **kw)
    response.raise_for_status()
    return response.json() if response.content else None


def main_account(server: EmulatorServer) -> dict[str, Any]:
    me = api(server, "GET", f"{AM}/user/me")
    return dict(api(server, "GET", f"{AM}/account/{me['primary_account_id']}"))


def every_file_text(tmp_path: Path) -> str:
    """Everything the command left on disk: the audit file, logs, caches (not the .p12)."""
    out = []
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            if name.endswith(".p12") or "emulator" in root:
                continue
            with contextlib.suppress(OSError):
                out.append(Path(root, name).read_text(errors="replace"))
    return "\n".join(out)


@pytest.fixture
def server(fresh_emulator: EmulatorServer) -> EmulatorServer:
    return fresh_emulator


def test_mfa_show_lists_who_is_ready(server: EmulatorServer, tmp_path: Path) -> None:
    run = run_cli(tmp_path, "account", "mfa", "show", "-o", "json", env=env_of(server))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["required"] is False
    ready = {u["name"]: u["ready"] for u in data["users"]}
    assert ready["Omar Haddad"] is False and ready["Dana Whitfield"] is True


def test_mfa_require_names_who_is_not_ready_then_relax_sends_a_step_up_code(
    server: EmulatorServer, tmp_path: Path
) -> None:
    run = run_cli(tmp_path, "account", "mfa", "require", "--yes", env=env_of(server))
    assert run.returncode == 0, run.stderr
    assert "Sofia Russo: no authenticator and no client certificate" in run.stderr
    assert main_account(server)["sign_in_methods"][0]["mfaStatus"] == "enabled"
    # Relaxing without a code: the service asks for one (nothing changes).
    run = run_cli(tmp_path, "account", "mfa", "relax", "--yes", env=env_of(server))
    assert run.returncode == 3 and "x-totp-code" in run.stderr
    secret = server.credentials["users"]["lead"]["totp_secret"]
    run = run_cli(tmp_path, "account", "mfa", "relax", "--yes",
                  env=env_of(server, SM_TOTP_SECRET=secret))
    assert run.returncode == 0, run.stderr
    assert main_account(server)["sign_in_methods"][0]["mfaStatus"] == "disabled"
    assert secret not in every_file_text(tmp_path) + run.stdout + run.stderr


def test_user_create_with_roles_by_name_and_a_bad_role_is_a_usage_error(
    server: EmulatorServer, tmp_path: Path
) -> None:
    bad = run_cli(tmp_path, "user", "create", "x@acme.example", "--role", "Boss", "--yes",
                  env=env_of(server))
    assert bad.returncode == 2 and "not a role: Boss" in bad.stderr
    bad = run_cli(tmp_path, "user", "create", "not-mail", "--yes", env=env_of(server))
    assert bad.returncode == 2 and "EMAIL: must be an e-mail address" in bad.stderr
    run = run_cli(tmp_path, "user", "create", "new.person@acme.example", "--name", "New Person",
                  "--role", "Developer,SSM_SIGNER", "--yes", env=env_of(server))
    assert run.returncode == 0, run.stderr
    made = [u for u in api(server, "GET", f"{AM}/user") if u["email"] == "new.person@acme.example"]
    roles = {r["code"] for a in made[0]["applications"] for r in a["roles"]}
    assert made[0]["name"] == "New Person" and roles == {"SSM_DEVELOPER", "SSM_SIGNER"}


def test_create_service_prints_its_token_once_to_stdout_only(
    server: EmulatorServer, tmp_path: Path
) -> None:
    run = run_cli(tmp_path, "user", "create-service", "release-bot", "--role", "Lead",
                  "--end-date", "2027-06-30", "--yes", env=env_of(server))
    assert run.returncode == 0, run.stderr
    token = run.stdout.strip().splitlines()[-1]
    assert run.stdout.count(token) == 1
    assert token not in run.stderr and token not in every_file_text(tmp_path)
    assert "advises against giving Lead" in run.stderr
    assert "cannot be shown again" in run.stderr
    me = httpx.get(f"{server.url}{AM}/user/me", headers={"x-api-key": token}).json()
    assert me["friendly_name"] == "release-bot" and me["end_date"].startswith("2027-06-30")


def test_user_roles_and_deactivate_by_email(server: EmulatorServer, tmp_path: Path) -> None:
    who = "omar.haddad@acme.example"
    run = run_cli(tmp_path, "user", "roles", who, "--role", "signer", "--yes", env=env_of(server))
    assert run.returncode == 0, run.stderr
    # Irreversible: without --confirm nothing is sent.
    refused = run_cli(tmp_path, "user", "deactivate", who, "--yes", env=env_of(server))
    assert refused.returncode == 20
    run = run_cli(tmp_path, "user", "deactivate", who, "--yes", "--confirm", "Omar Haddad",
                  env=env_of(server))
    assert run.returncode == 0, run.stderr
    omar = next(u for u in api(server, "GET", f"{AM}/user") if u["email"] == who)
    assert omar["status"] == "DISABLED"
    assert [r["code"] for a in omar["applications"] for r in a["roles"]] == ["SSM_SIGNER"]


def test_token_create_list_and_revoke(server: EmulatorServer, tmp_path: Path) -> None:
    bad = run_cli(tmp_path, "token", "create", "bad/name", "--yes", env=env_of(server))
    assert bad.returncode == 2 and "NAME: must be 1-64 characters" in bad.stderr
    run = run_cli(tmp_path, "token", "create", "ci token", "--end-date", "2027-01-31", "--yes",
                  env=env_of(server))
    assert run.returncode == 0, run.stderr
    value = run.stdout.strip().splitlines()[-1]
    assert value not in every_file_text(tmp_path) and value not in run.stderr
    listed = run_cli(tmp_path, "token", "list", "-o", "json", env=env_of(server))
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["ci token"]["ends"].startswith("2027-01-31") and rows["ci token"]["days"] > 0
    run = run_cli(tmp_path, "token", "revoke", "ci token", "--yes", "--confirm", "ci token",
                  env=env_of(server))
    assert run.returncode == 0, run.stderr
    names = [t["name"] for t in api(server, "GET", f"{AM}/api-token")]
    assert "ci token" not in names


def test_client_cert_saves_the_p12_0600_and_prints_the_password_once(
    server: EmulatorServer, tmp_path: Path
) -> None:
    run_cli(tmp_path, "token", "create", "laptop", "--yes", env=env_of(server))
    out = tmp_path / "laptop.p12"
    run = run_cli(tmp_path, "client-cert", "create", "laptop", "--out", str(out), "--yes",
                  env=env_of(server))
    assert run.returncode == 0, run.stderr
    assert f"will be saved to {out}" in run.stderr
    password = run.stdout.strip().splitlines()[-1]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key, cert, _ = pkcs12.load_key_and_certificates(out.read_bytes(), password.encode())
    assert key is not None and cert is not None
    assert password not in run.stderr and password not in every_file_text(tmp_path)
    # An existing file is never overwritten: refused before anything is sent.
    again = run_cli(tmp_path, "client-cert", "create", "laptop", "--out", str(out), "--yes",
                    env=env_of(server))
    assert again.returncode == 20 and "exists" in again.stderr


def test_team_commands_from_create_to_delete(server: EmulatorServer, tmp_path: Path) -> None:
    def cli(*args: str) -> None:
        run = run_cli(tmp_path, "team", *args, "--yes", env=env_of(server))
        assert run.returncode == 0, run.stderr

    def team() -> dict[str, Any]:
        items = api(server, "GET", f"{STM}/teams", params={"name": "it-team"})["items"]
        return dict(api(server, "GET", f"{STM}/teams/{items[0]['id']}"))

    cli("create", "it-team", "--description", "release crew")
    cli("add-member", "it-team", "priya.raman@acme.example")
    cli("set-permissions", "it-team", "Priya Raman", "--on", "approve_keypair_export",
        "--off", "scan")
    cli("map", "it-team", "--keypair", "desktop-mac-release")
    member = team()["members"][0]
    assert member["permissions"]["approve_keypair_export"] is True
    assert member["permissions"]["scan"] is False
    assert [k["alias"] for k in team()["resources"]["keypairs"]] == ["desktop-mac-release"]
    own = run_cli(tmp_path, "team", "set-permissions", "it-team", "Dana Whitfield", "--on",
                  "sign", "--yes", env=env_of(server))
    assert own.returncode == 20 and "cannot edit their own" in own.stderr
    bad = run_cli(tmp_path, "team", "set-permissions", "it-team", "Priya Raman", "--on",
                  "fly", "--yes", env=env_of(server))
    assert bad.returncode == 2 and "not a team permission" in bad.stderr
    cli("remove-member", "it-team", "Priya Raman")
    assert team()["members"] == []
    cli("delete", "it-team", "--confirm", "it-team")
    assert api(server, "GET", f"{STM}/teams", params={"name": "it-team"})["items"] == []


def test_a_team_lead_outside_its_team_gets_a_clear_403(
    server: EmulatorServer, tmp_path: Path
) -> None:
    teams = api(server, "GET", f"{STM}/teams", params={"limit": 100})["items"]
    lead_id = server.credentials["users"]["team_lead"]["id"]
    other = next(t for t in teams if all(m["user_id"] != lead_id for m in t["members"]))
    run = run_cli(tmp_path, "team", "add-member", other["name"], "grace.chen@acme.example",
                  "--yes", env=env_of(server, "team_lead"))
    assert run.returncode == 3, run.stderr
    assert "Manage all teams" in run.stderr or "MANAGE_SM_ALL_TEAMS" in run.stderr


def test_a_code_from_sm_totp_secret_is_made_on_the_servers_clock() -> None:
    from email.utils import format_datetime

    from stm_tui.step_up import signer_from_env

    secret = pyotp.random_base32()
    signer = signer_from_env(
        format_datetime(FROZEN_NOW, usegmt=True), {"SM_TOTP_SECRET": secret}
    )
    assert signer is not None
    code = signer.next_code()
    assert pyotp.TOTP(secret).verify(code, for_time=FROZEN_NOW, valid_window=1)
    with pytest.raises(RuntimeError):
        signer.next_code()  # the same step is never sent twice
