"""`stm-tui keypair generate|update` against the emulator: names resolved to ids, keypair
profiles (Fixed and Customizable) and the account setting that requires one, every bad option
named before anything is sent, results read back through the API, and the exit codes.

The rules every write shares (audit file, prompts, outcome unknown) are proven once in
test_cli_write_rules.py; these tests prove the commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from stm_tui.cli import cli
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._api import Api, env_of, writes_seen
from ._cli import run_cli
from ._emu import clean_faults, reset_stats

PRIYA, TOMAS = "priya.raman@acme.example", "Tomas Berg"
DESKTOP = "Desktop Apps"
CUSTOM_ECDSA = "ECDSA P-256 test"  # Customizable: ECDSA P256 ONLINE TEST
FIXED_RSA = "RSA-3072 production (HSM)"  # Fixed: RSA 3072 ONLINE PRODUCTION
PRIVATE_90 = "Private code signing (90 days)"
EV_PUBLIC = "EV code signing (CertCentral)"  # RSA and ECDSA only


@pytest.fixture
def server(fresh_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    with clean_faults(fresh_emulator):
        yield fresh_emulator


def test_generate_from_a_profile_with_users_teams_and_a_certificate_named_not_numbered(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api = Api(server)
    args = (
        "keypair", "generate", "ci-build-key",
        "--profile", CUSTOM_ECDSA, "--mode", "offline",
        "--users", f"{PRIYA},{TOMAS}", "--teams", DESKTOP,
        "--cert-profile", PRIVATE_90, "--cert-alias", "ci-build-cert",
    )  # fmt: skip
    unasked = run_cli(tmp_path, *args, env=env_of(server))
    assert unasked.returncode == 20 and "--yes" in unasked.stderr
    assert writes_seen(server) == {}

    done = run_cli(tmp_path, *args, "--yes", "-o", "json", env=env_of(server))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    # The server's answer with the API's field names.
    assert (answer["alias"], answer["key_alg"], answer["curve"]) == (
        "ci-build-key", "ECDSA", "P256",
    )  # fmt: skip
    assert (answer["key_status"], answer["key_type"]) == ("OFFLINE", "TEST")
    assert [c["alias"] for c in answer["certificates"]] == ["ci-build-cert"]
    assert writes_seen(server) == {f"POST {STM}/keypairs": 1}

    kp = api.keypair("ci-build-key")
    assert kp["keypair_profile"]["name"] == CUSTOM_ECDSA
    assert {u["id"] for u in kp["users"]} == {
        api.id_of("users", "email", PRIYA),
        api.id_of("users", "name", TOMAS),
    }
    assert [g["id"] for g in kp["groups"]] == [api.id_of("teams", "name", DESKTOP)]
    cert = api.certificate("ci-build-cert")
    assert (cert["certificate_status"], cert["default_cert"]) == ("ACTIVE", True)
    assert cert["certificate_profile"]["name"] == PRIVATE_90

    again = run_cli(tmp_path, *args, "--yes", env=env_of(server))
    assert again.returncode == 22 and "already exists" in again.stderr


# Wrong on their own: refused before connecting (the host is a closed port, so a command that
# tried to connect would fail with exit 5, not 2).
OFFLINE_ENV = {"SM_HOST": "http://127.0.0.1:9", "SM_API_KEY": "options-test-key-0123456789"}
ON_THEIR_OWN = [
    (("generate", "ci-k", "--alg", "eddsa", "--size", "2048"),
     "--size: EDDSA has a curve, not a key size"),
    (("generate", "ci-k", "--alg", "rsa"), "--size: required for RSA"),
    (("generate", "ci-k", "--size", "3072"), "--alg: required without a keypair profile"),
    (("generate", "ci-k", "--alg", "ecdsa", "--curve", "P-999"), "--curve: must be one of"),
    (("generate", "ci-k", "--alg", "dsa"), "Invalid value for '--alg'"),
    (("generate", "ci-k", "--alg", "rsa", "--size", "big"), "Invalid value for '--size'"),
    (("generate", "bad alias!", "--alg", "rsa", "--size", "2048"), "ALIAS: must be 3-64"),
    (("generate", "ci-k", "--alg", "rsa", "--size", "2048", "--open", "--users", PRIYA),
     "--users: an open keypair is usable by everyone"),
    (("generate", "ci-k", "--alg", "rsa", "--size", "2048", "--cert-alias", "ci-c"),
     "--cert-profile: required to generate a certificate"),
    (("generate", "ci-k", "--alg", "rsa", "--size", "2048", "--cert-profile", "P"),
     "--cert-alias: required to generate a certificate"),
    (("update", "ci-k"), "nothing to change: give --alias, --users, --open, --teams"),
    (("update", "ci-k", "--open", "--teams", DESKTOP), "--open: an open keypair"),
    (("update", "ci-k", "--alias", "x"), "--alias: must be 3-64"),
]


@pytest.mark.parametrize(("args", "message"), ON_THEIR_OWN, ids=lambda v: str(v)[:40])
def test_an_option_wrong_on_its_own_is_named_before_connecting(
    args: tuple[str, ...], message: str
) -> None:
    result = CliRunner().invoke(cli, ["keypair", *args, "--yes"], env=OFFLINE_ENV)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_options_wrong_for_the_servers_data_are_named_and_nothing_is_sent(
    server: EmulatorServer, tmp_path: Path
) -> None:
    env = env_of(server)

    def generate(*args: str) -> tuple[int, str]:
        result = run_cli(tmp_path, "keypair", "generate", "ci-bad-key", *args, "--yes", env=env)
        return result.returncode, result.stderr

    code, err = generate("--profile", FIXED_RSA, "--alg", "ecdsa", "--curve", "P256")
    assert code == 2 and f"--alg: the Fixed keypair profile {FIXED_RSA} sets it to RSA" in err
    code, err = generate(
        "--alg", "eddsa", "--cert-profile", EV_PUBLIC, "--cert-alias", "ci-bad-cert"
    )
    assert code == 2 and f"--cert-profile: certificate profile {EV_PUBLIC} does not allow" in err
    code, err = generate("--alg", "rsa", "--size", "2048", "--users", "nobody@acme.example")
    assert code == 4 and "nobody@acme.example" in err
    code, err = generate("--profile", "work")  # a config profile's name, by mistake
    assert code == 4 and "stm-tui --profile NAME keypair generate" in err
    assert writes_seen(server) == {}
    assert Api(server).one("keypairs", alias="ci-bad-key") is None


def test_a_fixed_profile_decides_and_the_dry_run_shows_what_would_be_made(
    server: EmulatorServer, tmp_path: Path
) -> None:
    dry = run_cli(
        tmp_path, "keypair", "generate", "ci-fixed-key", "--profile", FIXED_RSA,
        "--dry-run", "-o", "json", env=env_of(server),
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    record = json.loads(dry.stdout)
    assert (record["dry_run"], record["method"], record["path"]) == (
        True, "POST", f"{STM}/keypairs",
    )  # fmt: skip
    body = record["body"]
    assert body["keypair_profile_id"] == Api(server).id_of("keypair-profiles", "name", FIXED_RSA)
    assert (body["key_alg"], body["key_size"], body["key_type"]) == ("RSA", 3072, "PRODUCTION")
    assert "curve" not in body and body["generate_cert"] is False
    eddsa = run_cli(
        tmp_path, "keypair", "generate", "ci-ed-key", "--alg", "EdDSA", "--storage", "disk",
        "--category", "production", "--dry-run", env=env_of(server),
    )  # fmt: skip
    assert eddsa.returncode == 0, eddsa.stderr
    assert "nothing sent" in eddsa.stdout and '"curve": "Ed25519"' in eddsa.stdout
    assert '"key_storage": "DISK"' in eddsa.stdout and "key_size" not in eddsa.stdout
    assert writes_seen(server) == {}


def test_the_account_setting_that_requires_a_keypair_profile_is_respected(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api = Api(server)
    api.http.put(f"{STM}/account-settings", json={"require_keypair_profile": True})
    reset_stats(server)
    custom = run_cli(
        tmp_path, "keypair", "generate", "ci-custom-key", "--alg", "rsa", "--size", "2048",
        "--yes", env=env_of(server),
    )  # fmt: skip
    assert custom.returncode == 2
    assert "--profile: required: the account requires a keypair profile" in custom.stderr
    assert writes_seen(server) == {}

    by_profile = run_cli(
        tmp_path, "keypair", "generate", "ci-profile-key", "--profile", FIXED_RSA, "--yes",
        env=env_of(server),
    )  # fmt: skip
    assert by_profile.returncode == 0, by_profile.stderr
    kp = api.keypair("ci-profile-key")
    assert (kp["key_alg"], kp["key_size"], kp["key_type"]) == ("RSA", 3072, "PRODUCTION")

    signer = run_cli(
        tmp_path, "keypair", "generate", "ci-signer-key", "--profile", FIXED_RSA, "--yes",
        env=env_of(server, "signer"),
    )  # fmt: skip
    assert signer.returncode == 3 and "GENERATE_SM_KEYPAIR" in signer.stderr
    assert api.one("keypairs", alias="ci-signer-key") is None


def test_update_alias_access_and_default_certificate_by_name(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api = Api(server)
    kp = api.post(
        "/keypairs",
        {"alias": "ci-upd-key", "key_alg": "RSA", "key_size": 2048, "generate_cert": True,
         "cert_alias": "ci-upd-cert-a"},
    )  # fmt: skip
    api.post(f"/keypairs/{kp['id']}/certificates", {"alias": "ci-upd-cert-b",
                                                    "set_as_default_cert": False})
    reset_stats(server)
    env = env_of(server)

    def update(alias: str, *args: str) -> tuple[int, str]:
        result = run_cli(tmp_path, "keypair", "update", alias, *args, env=env)
        return result.returncode, result.stderr

    dry = run_cli(
        tmp_path, "keypair", "update", "ci-upd-key", "--default-cert", "ci-upd-cert-b",
        "--dry-run", env=env,
    )  # fmt: skip
    cert_b = api.certificate("ci-upd-cert-b")
    assert f"PUT {STM}/keypairs/{kp['id']}" in dry.stdout
    assert f'"default_certificate_id": "{cert_b["id"]}"' in dry.stdout
    code, err = update("ci-upd-key", "--default-cert", "desktop-nightly-cert", "--yes")
    assert code == 2 and (
        "--default-cert: certificate desktop-nightly-cert belongs to keypair desktop-nightly, "
        "not ci-upd-key"
    ) in err
    assert writes_seen(server) == {}

    code, err = update(
        "ci-upd-key", "--alias", "ci-renamed-key", "--users", PRIYA, "--teams", DESKTOP, "--yes"
    )
    assert code == 0, err
    renamed = api.keypair("ci-renamed-key")
    assert renamed["id"] == kp["id"] and renamed["limit_by_users"] is True
    assert [u["id"] for u in renamed["users"]] == [api.id_of("users", "email", PRIYA)]
    assert [g["name"] for g in renamed["groups"]] == [DESKTOP]

    code, err = update("ci-renamed-key", "--open", "--default-cert", "ci-upd-cert-b", "--yes")
    assert code == 0, err
    assert api.keypair("ci-renamed-key")["limit_by_users"] is False
    defaults = {a: c["default_cert"] for a, c in api.certificates_of(kp["id"]).items()}
    assert defaults == {"ci-upd-cert-a": False, "ci-upd-cert-b": True}
    assert writes_seen(server) == {f"PUT {STM}/keypairs/{{keypair_id}}": 2}


def test_an_ambiguous_name_is_refused_with_the_candidates(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api = Api(server)
    # Aliases are case-sensitive on the server; a name typed in another case matches both.
    first = api.post("/keypairs", {"alias": "Ci-Twin-Key", "key_alg": "EDDSA"})
    second = api.post("/keypairs", {"alias": "ci-twin-key", "key_alg": "EDDSA"})
    reset_stats(server)
    result = run_cli(
        tmp_path, "keypair", "update", "CI-TWIN-KEY", "--open", "--yes", env=env_of(server)
    )
    assert result.returncode == 2
    assert "2 keypairs match 'CI-TWIN-KEY'" in result.stderr
    assert first["id"] in result.stderr and second["id"] in result.stderr
    assert writes_seen(server) == {}
    exact = run_cli(
        tmp_path, "keypair", "update", "ci-twin-key", "--open", "--yes", env=env_of(server)
    )
    assert exact.returncode == 0, exact.stderr
    assert api.keypair("ci-twin-key")["limit_by_users"] is False
    assert api.keypair("Ci-Twin-Key")["limit_by_users"] is True


def test_a_deletion_lists_its_impact_first(emulator: EmulatorServer, tmp_path: Path) -> None:
    api = Api(emulator)
    kp = api.keypair("desktop-installer-ev")
    signed = api.http.get(f"{STM}/signatures", params={"keypair_id": kp["id"], "limit": 1})
    writes_before = writes_seen(emulator)
    dry = run_cli(
        tmp_path, "keypair", "delete", "desktop-installer-ev", "--dry-run", env=env_of(emulator)
    )
    assert dry.returncode == 0, dry.stderr
    assert f"DELETE {STM}/keypairs/{kp['id']}" in dry.stdout
    impact = [line for line in dry.stderr.splitlines() if line.startswith("stm-tui: impact: ")]
    assert impact[:2] == [
        "stm-tui: impact: its 1 ACTIVE certificate(s) are revoked with it: "
        "desktop-installer-ev-cert",
        "stm-tui: impact: release desktop-4.3.0 (OPEN, until 2026-11-28 12:00 UTC) lists it",
    ]
    assert impact[2].startswith("stm-tui: impact: last signature 2026-11-")
    assert impact[2].endswith(f", {signed.json()['total']} in all")
    assert writes_seen(emulator) == writes_before
