"""`stm-tui keypair-profile`, `cert-profile`, `certcentral` and `setup --check` against the
emulator: each command's result read back through the API, bad options named, and the
CertCentral key never in argv, output or the audit file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._cli import run_cli

# Shaped like a CertCentral key, so the emulator reports it connected; a canary in output.
CANARY = "CanaryKey7e1d44c0ffee0123456789abcdef"


def env_of(server: EmulatorServer, role: str = "lead") -> dict[str, str]:
    return {"SM_HOST": server.url, "SM_API_KEY": server.credentials["users"][role]["api_key"]}


def read(server: EmulatorServer, path: str, **params: str) -> Any:
    key = server.credentials["users"]["lead"]["api_key"]
    return httpx.get(f"{server.url}{STM}{path}", params=params, headers={"x-api-key": key}).json()


def profile(server: EmulatorServer, kind: str, name: str) -> dict[str, Any]:
    found = read(server, f"/{kind}-profiles", name=name)["items"]
    assert len(found) == 1, found
    return dict(found[0])


def test_keypair_profile_create_update_disable_enable_and_require(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator)
    made = run_cli(
        tmp_path, "keypair-profile", "create", "ci-ecdsa", "--alg", "ECDSA", "--curve", "P384",
        "--kind", "customizable", "--status", "offline", "--category", "production",
        "--storage", "disk", "--inactive-until", "2027-01-01T00:00Z", "--team", "Desktop Apps",
        "--yes", env=env,
    )
    assert made.returncode == 0, made.stderr
    held = profile(fresh_emulator, "keypair", "ci-ecdsa")
    assert (held["key_alg"], held["curve"], held["profile_type"], held["key_status"]) == (
        "ECDSA", "P384", "CUSTOMIZABLE", "OFFLINE"
    )
    assert (held["key_type"], held["key_storage"], held["status"]) == ("PRODUCTION", "DISK",
                                                                      "INACTIVE")
    assert [t["name"] for t in held["teams"]] == ["Desktop Apps"]

    changed = run_cli(tmp_path, "keypair-profile", "update", "ci-ecdsa", "--active-now",
                      "--alg", "RSA", "--size", "4096", "--yes", env=env)
    assert changed.returncode == 0, changed.stderr
    held = profile(fresh_emulator, "keypair", "ci-ecdsa")
    assert (held["status"], held["key_alg"], held["key_size"], held["curve"]) == (
        "ACTIVE", "RSA", 4096, None
    )

    assert run_cli(tmp_path, "keypair-profile", "disable", "ci-ecdsa", "--yes",
                   env=env).returncode == 0
    assert profile(fresh_emulator, "keypair", "ci-ecdsa")["status"] == "DISABLED"
    again = run_cli(tmp_path, "keypair-profile", "disable", "ci-ecdsa", "--yes", env=env)
    assert again.returncode == 22 and "already disabled" in again.stderr
    assert run_cli(tmp_path, "keypair-profile", "enable", "ci-ecdsa", "--yes",
                   env=env).returncode == 0
    assert profile(fresh_emulator, "keypair", "ci-ecdsa")["status"] == "ACTIVE"

    assert run_cli(tmp_path, "keypair-profile", "require", "on", "--yes", env=env).returncode == 0
    assert read(fresh_emulator, "/account-settings")["require_keypair_profile"] is True


def test_bad_profile_options_are_usage_errors_that_name_the_option(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator)
    cases = [
        (("keypair-profile", "create", "x", "--alg", "RSA", "--curve", "P256"),
         "--curve: RSA has no curve"),
        (("keypair-profile", "create", "x", "--alg", "RSA"), "--size: required for RSA"),
        (("keypair-profile", "create", "x", "--alg", "EDDSA", "--inactive-until", "soon"),
         "--inactive-until: must be a date and time"),
        (("keypair-profile", "update", "RSA-3072 production (HSM)"), "nothing to change"),
        (("cert-profile", "create", "x", "--validity-days", "0"), "--validity-days: must be at "
         "least 1"),
        (("cert-profile", "create", "x", "--country", "Germany"), "--country:"),
        (("cert-profile", "create", "x", "--hierarchy", "private", "--type", "EV"),
         "--type: a private hierarchy issues PRIVATE certificates"),
        (("cert-profile", "create", "x", "--organization", "Acme"),
         "--common-name: required when the subject template has other fields"),
    ]
    for args, message in cases:
        result = run_cli(tmp_path, *args, "--yes", env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    assert read(fresh_emulator, "/keypair-profiles", name="x")["items"] == []


def test_cert_profile_create_update_clone_disable_enable(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator)
    made = run_cli(
        tmp_path, "cert-profile", "create", "ci-private", "--validity-days", "90",
        "--key-algs", "RSA,ECDSA", "--common-name", "Acme CI", "--country", "de", "--yes",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    held = profile(fresh_emulator, "certificate", "ci-private")
    assert (held["hierarchy"], held["certificate_type"], held["validity_days"]) == (
        "PRIVATE", "PRIVATE", 90
    )
    assert held["allowed_key_algs"] == ["RSA", "ECDSA"]
    assert held["subject_template"] == {"common_name": "Acme CI", "organization": None,
                                        "country": "DE"}

    assert run_cli(tmp_path, "cert-profile", "update", "ci-private", "--organization", "Acme",
                   "--validity-days", "30", "--yes", env=env).returncode == 0
    held = profile(fresh_emulator, "certificate", "ci-private")
    assert held["validity_days"] == 30
    # The template is sent whole: the fields not given are kept.
    assert held["subject_template"] == {
        "common_name": "Acme CI", "organization": "Acme", "country": "DE"
    }

    cloned = run_cli(tmp_path, "cert-profile", "clone", "ci-private", "ci-copy", "--yes",
                     "-o", "json", env=env)
    assert cloned.returncode == 0, cloned.stderr
    assert json.loads(cloned.stdout)["cloned_from"]["name"] == "ci-private"
    assert profile(fresh_emulator, "certificate", "ci-copy")["validity_days"] == 30

    assert run_cli(tmp_path, "cert-profile", "disable", "ci-copy", "--yes", env=env).returncode == 0
    assert profile(fresh_emulator, "certificate", "ci-copy")["status"] == "DISABLED"
    assert run_cli(tmp_path, "cert-profile", "enable", "ci-copy", "--yes", env=env).returncode == 0
    assert profile(fresh_emulator, "certificate", "ci-copy")["status"] == "ACTIVE"

    # CertCentral is not connected in the demo: the service refuses a public profile.
    public = run_cli(tmp_path, "cert-profile", "create", "ci-ev", "--hierarchy", "certcentral",
                     "--yes", env=env)
    assert public.returncode == 22 and "CertCentral" in public.stderr


def test_certcentral_key_from_a_file_is_never_echoed_logged_or_audited(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator)
    key_file = tmp_path / "cc.key"
    key_file.write_text(CANARY + "\n")
    outputs = []
    steps = [
        ("certcentral", "delete", "--yes", "--confirm", "Acme Software"),
        ("certcentral", "setup", "--region", "europe", "--api-key-file", str(key_file), "--yes"),
        ("certcentral", "validate", "--yes"),
        ("certcentral", "disable", "--yes"),
        ("certcentral", "enable", "--yes", "-o", "json"),
        ("certcentral", "update", "--region", "global", "--yes"),
        ("certcentral", "setup", "--api-key-file", str(key_file), "--dry-run", "-o", "json"),
    ]
    for args in steps:
        result = run_cli(tmp_path, *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append(result.stdout + result.stderr)
    cc = read(fresh_emulator, "/account-settings")["certcentral"]
    assert (cc["configured"], cc["enabled"], cc["connected"], cc["region"]) == (
        True, True, True, "GLOBAL"
    )
    assert cc["api_key_hint"] == "…" + CANARY[-4:]
    assert any(f"key …{CANARY[-4:]}" in out for out in outputs)
    audit = (tmp_path / "data" / "stm-tui" / "audit.jsonl").read_text()
    everything = "\n".join(outputs) + audit
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != key_file:
            everything += path.read_text(errors="replace")
    assert CANARY not in everything
    assert '"api_key":"***"' in audit.replace(' ', '')


def test_certcentral_setup_without_a_terminal_or_file_asks_for_the_file_and_sends_nothing(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "certcentral", "setup", "--yes", env=env_of(fresh_emulator))
    assert result.returncode == 2
    assert "give --api-key-file" in result.stderr
    # The key is never an option: there is no --api-key to put it in argv.
    refused = run_cli(tmp_path, "certcentral", "setup", "--api-key", CANARY,
                      env=env_of(fresh_emulator))
    assert refused.returncode == 2 and "No such option" in refused.stderr


def test_certcentral_validate_exits_22_while_not_connected(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "certcentral", "validate", "--yes", env=env_of(fresh_emulator))
    assert result.returncode == 22
    assert "CertCentral: not connected: CertCentral refused the API key" in result.stderr


def test_a_developer_is_refused_profile_and_certcentral_changes(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator, "developer")
    for args in (
        ("keypair-profile", "create", "dev-x", "--alg", "EDDSA"),
        ("cert-profile", "clone", "Private code signing (1 year)", "dev-copy"),
        ("certcentral", "disable"),
    ):
        result = run_cli(tmp_path, *args, "--yes", env=env)
        assert result.returncode == 3, (args, result.stderr)


def test_setup_check_lists_the_steps_and_fails_until_the_required_ones_are_done(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(fresh_emulator)
    text = run_cli(tmp_path, "setup", "--check", env=env)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("✗  1. Two-factor authentication required")
    assert "not required for Acme Software; 2 users have no authenticator" in lines[0]
    assert "8 keypairs have no active certificate" in text.stdout
    assert lines[-1].startswith("not ready: 2 required steps not done")

    as_json = run_cli(tmp_path, "setup", "--check", "-o", "json", env=env)
    doc = json.loads(as_json.stdout)
    assert doc["ready"] is False
    states = {s["step"]: s["state"] for s in doc["steps"]}
    assert states["certcentral"] == "optional" and states["keypair"] == "done"
    assert run_cli(tmp_path, "setup", env=env).returncode == 2
