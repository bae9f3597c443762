"""`stm-tui certificate generate|set-default|revoke|download|copy-as` against the emulator:
names resolved, results read back through the API, the typed confirmation of a revocation,
files written 0644 and never over an existing one, the CI lines, and the exit codes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stm_tui.cli import cli
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._api import Api, env_of, writes_seen
from ._cli import run_cli
from ._emu import clean_faults, reset_stats
from ._hostile import Reply, Request, hostile

PRIVATE_1Y = "Private code signing (1 year)"
EV_PUBLIC = "EV code signing (CertCentral)"  # RSA and ECDSA only
EV_CERT, EV_KEYPAIR = "desktop-mac-release-cert", "desktop-mac-release"
REVOKED_CERT = "mobile-beta-channel-cert"
REASONS = "unspecified, key_compromise, superseded, cessation_of_operation"


@pytest.fixture
def server(fresh_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    with clean_faults(fresh_emulator):
        yield fresh_emulator


OFFLINE_ENV = {"SM_HOST": "http://127.0.0.1:9", "SM_API_KEY": "options-test-key-0123456789"}
ON_THEIR_OWN = [
    (("revoke", "c-1", "--reason", "stolen", "--yes"), f"--reason: must be one of {REASONS}"),
    (("generate", "kp-1", "--alias", "ci-cert"), "Missing option '--profile'"),
    (("generate", "kp-1", "--profile", "P", "--alias", "a b"), "--alias: must be 3-64"),
    (("download", "c-1", "--format", "der"), "--out: DER is binary"),
    (("download", "c-1", "--format", "der", "--chain", "--out", "c.der"),
     "--chain: DER holds one certificate"),
]


@pytest.mark.parametrize(("args", "message"), ON_THEIR_OWN, ids=lambda v: str(v)[:40])
def test_an_option_wrong_on_its_own_is_named_before_connecting(
    args: tuple[str, ...], message: str
) -> None:
    # The host is a closed port: a command that tried to connect would exit 5, not 2.
    result = CliRunner().invoke(cli, ["certificate", *args], env=OFFLINE_ENV)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_generate_for_a_keypair_then_make_it_the_default(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api, env = Api(server), env_of(server)
    kp = api.keypair("desktop-driver-kit")
    args = ("certificate", "generate", "desktop-driver-kit", "--profile", PRIVATE_1Y,
            "--alias", "ci-driver-2027")  # fmt: skip
    dry = run_cli(tmp_path, *args, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    record = json.loads(dry.stdout)
    assert record["path"] == f"{STM}/keypairs/{kp['id']}/certificates"
    assert record["body"]["certificate_profile_id"] == api.id_of(
        "certificate-profiles", "name", PRIVATE_1Y
    )
    assert record["body"]["set_as_default_cert"] is False
    assert writes_seen(server) == {}

    made = run_cli(tmp_path, *args, "--yes", "-o", "json", env=env)
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert (answer["alias"], answer["certificate_status"], answer["default_cert"]) == (
        "ci-driver-2027", "ACTIVE", False,
    )  # fmt: skip
    assert answer["keypair"]["alias"] == "desktop-driver-kit"
    assert api.certificate("ci-driver-2027")["certificate_profile"]["name"] == PRIVATE_1Y
    duplicate = run_cli(tmp_path, *args, "--yes", env=env)
    assert duplicate.returncode == 22 and "already exists" in duplicate.stderr
    eddsa = run_cli(
        tmp_path, "certificate", "generate", "mobile-wearables", "--profile", EV_PUBLIC,
        "--alias", "ci-wearables-ev", "--yes", env=env,
    )  # fmt: skip
    assert eddsa.returncode == 2
    assert f"--profile: certificate profile {EV_PUBLIC} does not allow EDDSA" in eddsa.stderr

    unasked = run_cli(tmp_path, "certificate", "set-default", "ci-driver-2027", env=env)
    assert unasked.returncode == 20
    done = run_cli(tmp_path, "certificate", "set-default", "ci-driver-2027", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert "default certificate of keypair desktop-driver-kit" in done.stdout
    defaults = {a: c["default_cert"] for a, c in api.certificates_of(kp["id"]).items()}
    assert defaults == {"desktop-driver-kit-cert": False, "ci-driver-2027": True}
    assert writes_seen(server) == {
        f"POST {STM}/keypairs/{{keypair_id}}/certificates": 2,
        f"PUT {STM}/keypairs/{{keypair_id}}": 1,
    }


def test_revoke_needs_the_alias_typed_and_records_the_reason(
    server: EmulatorServer, tmp_path: Path
) -> None:
    api, env = Api(server), env_of(server)
    cert = api.certificate("desktop-nightly-cert")
    by_id = run_cli(tmp_path, "certificate", "revoke", cert["id"], "--yes", env=env)
    assert by_id.returncode == 20 and "--confirm desktop-nightly-cert" in by_id.stderr
    # Before the refusal, what it would do to the keypair (its only certificate).
    assert (
        "impact: keypair desktop-nightly is left without an ACTIVE certificate" in by_id.stderr
    )
    # (A --confirm that does not match is proven once for every write: test_cli_write_rules.)
    dry = run_cli(
        tmp_path, "certificate", "revoke", "desktop-nightly-cert", "--reason", "key-compromise",
        "--dry-run", "-o", "json", env=env,
    )  # fmt: skip
    record = json.loads(dry.stdout)
    assert (record["path"], record["tier"]) == (
        f"{STM}/certificates/{cert['id']}/revoke", "irreversible",
    )  # fmt: skip
    assert record["body"] == {"reason": "key_compromise"}
    signer = run_cli(
        tmp_path, "certificate", "revoke", "desktop-nightly-cert", "--yes",
        "--confirm", "desktop-nightly-cert", env=env_of(server, "signer"),
    )  # fmt: skip
    # desktop-nightly is open: the Signer sees the certificate but may not revoke it.
    assert signer.returncode == 3 and "REVOKE_SM_CERTIFICATE" in signer.stderr
    assert api.certificate("desktop-nightly-cert")["certificate_status"] == "ACTIVE"
    reset_stats(server)

    args = ("certificate", "revoke", "desktop-nightly-cert", "--reason", "key-compromise",
            "--yes", "--confirm", "desktop-nightly-cert")  # fmt: skip
    done = run_cli(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stderr
    revoked = api.certificate("desktop-nightly-cert")
    assert (revoked["certificate_status"], revoked["revocation_reason"]) == (
        "REVOKED", "key_compromise",
    )  # fmt: skip
    again = run_cli(tmp_path, *args, env=env)
    assert again.returncode == 22 and "already revoked" in again.stderr
    assert writes_seen(server) == {f"POST {STM}/certificates/{{certificate_id}}/revoke": 2}


def _der_of(cert: dict[str, Any]) -> bytes:
    return base64.b64decode(cert["cert"])


def test_download_writes_0644_and_never_over_an_existing_file(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    api, env = Api(emulator), env_of(emulator)
    cert = api.certificate(EV_CERT)
    writes_before = writes_seen(emulator)

    to_stdout = run_cli(tmp_path, "certificate", "download", EV_CERT, env=env)
    assert to_stdout.returncode == 0, to_stdout.stderr
    leaf = x509.load_pem_x509_certificates(to_stdout.stdout.encode())
    assert [c.public_bytes(Encoding.DER) for c in leaf] == [_der_of(cert)]

    out = tmp_path / "certs" / "ev.pem"
    out.parent.mkdir()
    old_umask = os.umask(0o077)  # inherited by the command: its file is 0644 all the same
    try:
        saved = run_cli(
            tmp_path, "certificate", "download", EV_CERT, "--chain", "--out", str(out), env=env
        )
    finally:
        os.umask(old_umask)
    assert saved.returncode == 0, saved.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert str(out.resolve()) in saved.stderr and "2 chain certificates" in saved.stderr
    assert saved.stdout == ""
    written = x509.load_pem_x509_certificates(out.read_bytes())
    chain = [c.public_bytes(Encoding.DER) for c in written]
    assert chain == [_der_of(cert), *(base64.b64decode(e["blob"]) for e in cert["chain"])]

    kept = tmp_path / "certs" / "mine.der"
    kept.write_bytes(b"someone else's file")
    kept.chmod(0o600)
    link = tmp_path / "certs" / "link.der"
    link.symlink_to(kept)
    for target in (kept, link):
        refused = run_cli(
            tmp_path, "certificate", "download", EV_CERT, "--format", "der",
            "--out", str(target), env=env,
        )  # fmt: skip
        assert refused.returncode == 20 and "--force" in refused.stderr
    assert kept.read_bytes() == b"someone else's file"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    forced = run_cli(
        tmp_path, "certificate", "download", EV_CERT, "--format", "DER", "--out", str(kept),
        "--force", env=env,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert kept.read_bytes() == _der_of(cert)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o644
    assert sorted(p.name for p in kept.parent.iterdir()) == ["ev.pem", "link.der", "mine.der"]

    missing = run_cli(tmp_path, "certificate", "download", "no-such-cert", env=env)
    assert missing.returncode == 4 and "no-such-cert" in missing.stderr
    assert writes_seen(emulator) == writes_before  # a read: nothing sent


def test_copy_as_prints_the_ci_lines_with_the_sha1_thumbprint(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    api, env = Api(emulator), env_of(emulator)
    cert = api.certificate(EV_CERT)
    der = _der_of(cert)
    sha1 = hashlib.sha1(der).hexdigest().upper()
    sha256 = hashlib.sha256(der).hexdigest().upper()

    text = run_cli(tmp_path, "certificate", "copy-as", EV_CERT, env=env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[:2] == [f"SM_KEYPAIR_ALIAS={EV_KEYPAIR}", f"SM_CODE_SIGNING_CERT_SHA1_HASH={sha1}"]
    assert all(line.startswith("#") for line in lines[2:])  # the rest: shell comments
    rest = "\n".join(lines[2:])
    assert EV_CERT in rest and cert["id"] in rest and sha256 in rest
    assert text.stderr == ""  # an ACTIVE certificate whose stated fingerprint matches

    env_only = run_cli(tmp_path, "certificate", "copy-as", cert["id"], "--env", env=env)
    assert env_only.stdout.splitlines() == lines[:2]

    as_json = run_cli(tmp_path, "certificate", "copy-as", EV_CERT, "-o", "json", env=env)
    record = json.loads(as_json.stdout)
    assert (record["id"], record["alias"], record["certificate_status"]) == (
        cert["id"], EV_CERT, "ACTIVE",
    )  # fmt: skip
    assert record["keypair"] == {"id": cert["keypair"]["id"], "alias": EV_KEYPAIR}
    assert (record["sha1_fingerprint"], record["sha256_fingerprint"]) == (sha1, sha256)
    assert record["env"] == {
        "SM_KEYPAIR_ALIAS": EV_KEYPAIR,
        "SM_CODE_SIGNING_CERT_SHA1_HASH": sha1,
    }

    revoked = run_cli(tmp_path, "certificate", "copy-as", REVOKED_CERT, "--env", env=env)
    assert revoked.returncode == 0
    assert f"warning: certificate {REVOKED_CERT} is REVOKED" in revoked.stderr


# A server that names a keypair with a line break in it, or sends a certificate that is not
# one: neither may reach a CI environment file or a certificate file.
EVIL_ID = "0b6a8f3e-0000-4000-8000-00000000beef"


def _evil_certificate(cert_b64: str, keypair_alias: str) -> dict[str, Any]:
    return {
        "id": EVIL_ID, "alias": "evil-cert", "cert": cert_b64, "chain": [],
        "certificate_status": "ACTIVE", "keypair": {"id": "kp-1", "alias": keypair_alias},
    }  # fmt: skip


def _serve(cert: dict[str, Any]) -> Any:
    def handler(request: Request) -> Reply:
        if request.path.startswith(f"{STM}/certificates/"):
            return Reply.json(cert)
        if request.path.startswith(f"{STM}/certificates"):
            return Reply.json({"total": 1, "offset": 0, "limit": 100, "items": [cert]})
        return Reply.json({"error": {"status": "not_found", "message": "no"}}, status=404)

    return handler


def test_hostile_answers_reach_neither_an_env_file_nor_a_certificate_file(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    genuine = Api(emulator).certificate(EV_CERT)["cert"]
    injected = _evil_certificate(genuine, "build-key\nSM_EVIL=1")
    with hostile(_serve(injected)) as server:
        env = {"SM_HOST": server.url, "SM_API_KEY": "hostile-test-key-0123456789"}
        result = run_cli(tmp_path, "certificate", "copy-as", "evil-cert", "--env", env=env)
    assert result.returncode == 5
    assert "SM_EVIL" not in result.stdout and result.stdout == ""
    assert "not safe in an environment file" in result.stderr

    garbage = _evil_certificate(base64.b64encode(b"not a certificate").decode(), "build-key")
    out = tmp_path / "evil.pem"
    with hostile(_serve(garbage)) as server:
        env = {"SM_HOST": server.url, "SM_API_KEY": "hostile-test-key-0123456789"}
        result = run_cli(
            tmp_path, "certificate", "download", "evil-cert", "--out", str(out), env=env
        )
    assert result.returncode == 5 and "not a certificate" in result.stderr
    assert not out.exists()
