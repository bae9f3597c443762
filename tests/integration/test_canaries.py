"""No secret reaches any output (reliability checklist 5, issue 16 item 3).

Real secrets in real use, each unique: the Lead's API key and its client certificate's
PKCS#12 password (mTLS against the emulator's TLS listener), a TOTP seed in the environment
(`SM_TOTP_SECRET`, as a user of step-up would set it), a CertCentral API key sent through
`Session.write`, and the client certificate's private key in PEM. They then go through
what a user does: `get`, `config show`, `doctor` and a recorded `watch` at DEBUG logging,
a refused key, the dashboard on a real pty walked through every area with both exports, and
a dashboard forced to crash. None of them may appear in stdout, stderr, the raw bytes the
terminal received, the command log, the audit file, the exports, or any other file the runs
left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr

from stm_tui.api.writes.settings import SetCertCentral, set_certcentral
from stm_tui.config import Profile
from stm_tui.connect import client_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from tests.pty import PtyRun, cli_env

# Five processes and a TLS emulator seeded first (this module often runs first in a session):
# about 30 s on an idle machine, more than the suite's 120 s on a loaded one.
pytestmark = pytest.mark.timeout(400)

CERTCENTRAL_CANARY = "cc-CANARY-7d1f0b2e94a6c3"
WRONG_KEY_CANARY = "sk-CANARY-refused-4be9d1c0aa"
AREAS = (b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9", b"K", b"C")

# Run in the dashboard's own process: `r` raises with secrets in scope, then the CLI runs.
CRASHING = """
import os, sys
from stm_tui.tui.app import StmApp

def explode(self):
    api_key = os.environ["SM_API_KEY"]  # a secret in a local when it crashes
    client = self.session.client
    raise RuntimeError(f"forced crash ({len(api_key)} chars, {client!r})")

StmApp.action_refresh = explode
from stm_tui.cli import main
sys.exit(main())
"""


def pem_key_lines(p12: bytes, password: str) -> list[str]:
    key, _cert, _extra = pkcs12.load_key_and_certificates(p12, password.encode())
    assert key is not None
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return [line for line in pem.splitlines() if line and "-----" not in line]


async def write_a_secret(
    profile: Profile, creds: ResolvedCredentials, audit: Path
) -> dict[str, bytes]:
    """Set the CertCentral key through `Session.write`; what it leaves outside the file."""
    session = Session(client_for_profile(profile, creds), read_only=False, audit_path=audit)
    try:
        await session.connect()
        outcome = await session.write(
            set_certcentral("acme", SetCertCentral(api_key=SecretStr(CERTCENTRAL_CANARY)))
        )
        assert outcome.audited
        log = [json.dumps(r.as_dict(), default=str) for r in session.command_log]
        return {
            "command log": "\n".join(log).encode(),
            "repr": f"{session.client!r} {outcome!r} {outcome.call!r}".encode(),
        }
    finally:
        await session.client.aclose()


def leaks(text: bytes, canaries: dict[str, str]) -> list[str]:
    return [name for name, value in canaries.items() if value.encode() in text]


def test_no_canary_reaches_any_output_or_file(
    tls_emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = tls_emulator.credentials["users"]["lead"]
    p12_source, p12_password = tls_emulator.client_p12("lead")
    home = tmp_path / "home"
    home.mkdir()
    p12 = home / "client.p12"
    shutil.copyfile(p12_source, p12)
    os.chmod(p12, 0o600)
    key_lines = pem_key_lines(p12.read_bytes(), p12_password)
    canaries = {
        "API key": user["api_key"],
        "p12 password": p12_password,
        "TOTP seed": user["totp_secret"],
        "CertCentral key": CERTCENTRAL_CANARY,
        "refused API key": WRONG_KEY_CANARY,
        "PEM private key header": "PRIVATE KEY-----",
        "PEM private key body": key_lines[1],
    }
    assert all(len(v) >= 16 for v in canaries.values())
    env = cli_env(
        tmp_path,
        SM_HOST=tls_emulator.url,
        SM_API_KEY=user["api_key"],
        SM_CLIENT_CERT_FILE=str(p12),
        SM_CLIENT_CERT_PASSWORD=p12_password,
        SM_CA_FILE=str(tls_emulator.ca_file),
        SM_TOTP_SECRET=user["totp_secret"],
        SM_LOG_LEVEL="DEBUG",
        TMPDIR=str(tmp_path / "tmp"),
    )
    (tmp_path / "tmp").mkdir()
    work = tmp_path / "work"  # where the exports land (the current directory)
    work.mkdir()
    seen: dict[str, bytes] = {}

    # 1. A write carrying a secret, in-process: the audit file, the command log, the logs.
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "data" / "stm-tui" / "audit.jsonl"
    profile = Profile(host=tls_emulator.url, client_cert_file=p12, ca_file=tls_emulator.ca_file)
    creds = ResolvedCredentials(
        api_key=SecretStr(user["api_key"]),
        api_key_source="env (SM_API_KEY)",
        client_cert_password=SecretStr(p12_password),
        client_cert_password_source="env (SM_CLIENT_CERT_PASSWORD)",
    )
    seen.update(asyncio.run(write_a_secret(profile, creds, audit)))
    seen["in-process logs"] = caplog.text.encode()
    assert b"certcentral.set" in audit.read_bytes()

    # 2. The CLI, with every log record on stderr.
    for args, want in (
        (["get", "keypairs", "-o", "json"], 0),
        (["config", "show"], 0),
        (["doctor", "-o", "json"], None),
        # The monitor, headless, recording what it saw: the recording is a file left behind.
        (["watch", "--all", "-o", "jsonl", "--record", "watch.jsonl", "--interval", "0.5",
          "--duration", "3"], None),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "stm_tui", *args], env=env, cwd=work, capture_output=True,
            timeout=120, stdin=subprocess.DEVNULL,
        )
        assert want is None or done.returncode == want, done.stderr[-2000:]
        seen[" ".join(args)] = done.stdout + done.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "stm_tui", "get", "keypairs"],
        env={**env, "SM_API_KEY": WRONG_KEY_CANARY}, cwd=work, capture_output=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 3
    seen["refused key"] = refused.stdout + refused.stderr
    assert b"DEBUG" in seen["get keypairs -o json"]  # the logs were really on
    assert b'"type": "header"' in (work / "watch.jsonl").read_bytes()  # it recorded

    # 3. The dashboard on a pty: every area, the detail of each first row, the connection
    # view, both exports; then it is forced to crash with secrets in scope.
    wrapper = tmp_path / "crashing.py"
    wrapper.write_text(CRASHING)
    dashboard = [sys.executable, str(wrapper)]
    with PtyRun([], env, size=(120, 40), executable=dashboard, cwd=work) as run:
        run.wait_for(b"Overview", limit=60)
        for area in AREAS:
            run.send(area)
            run.settle(quiet=0.25)
            run.send(b"\r")
            run.settle(quiet=0.25)
            run.send(b"\x1b")  # alone: ESC followed at once by a key reads as Alt+key
            run.settle(quiet=0.25)
        # The connection view names where every secret came from, and shows none of them.
        run.send(b"I")
        run.wait_for(b"environment variable SM_CLIENT_CERT_PASSWORD")
        run.wait_for(b"environment variable SM_TOTP_SECRET")
        run.wait_for(b"mTLS: the client certificate and the API key")
        run.send(b"q")
        run.settle(quiet=0.25)
        for key in (b"2", b"e", b"E"):
            run.send(key)
            run.settle(quiet=0.3)
        run.wait_for(lambda out: out.count(b"rows written to") >= 2)
        run.send(b"r")
        code = run.finish()
        seen["dashboard terminal"] = bytes(run.output)
    assert code != 0
    assert b"forced crash" in seen["dashboard terminal"]

    # 5. Every file the runs left: config, data, cache, state, temp, exports, the audit file.
    # Of the keypairs, or of the area before it when the machine is slow to switch: either way
    # server text went through both writers and is scanned below.
    exports = sorted(work.glob("stm-*"))
    assert {p.suffix for p in exports} == {".csv", ".json"}
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p not in (p12, wrapper)]
    assert audit in files
    for path in files:
        seen[str(path.relative_to(tmp_path))] = path.read_bytes()

    found = {where: leaks(text, canaries) for where, text in seen.items()}
    assert {where: names for where, names in found.items() if names} == {}
