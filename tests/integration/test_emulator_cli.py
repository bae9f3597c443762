"""`stm-tui emulator` in the foreground: URL on stdout, 0600 credentials file, clean Ctrl-C,
and no API key on stdout or stderr."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_cli_serves_writes_private_credentials_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    creds_file = tmp_path / "creds.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stm_tui",
            "emulator",
            "--port",
            "0",
            "--data",
            str(tmp_path / "data"),
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
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        assert set(creds["users"]) == {"lead", "team_lead", "developer", "signer", "build_engineer"}
        assert creds["url"].startswith("http://127.0.0.1:")
        me = httpx.get(
            creds["url"] + "/account/api/v1/user/me",
            headers={"x-api-key": creds["users"]["signer"]["api_key"]},
        )
        assert me.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"listening on {creds['url']}" in out
    assert str(creds_file) in out
    for user in creds["users"].values():
        assert user["api_key"] not in out and user["api_key"] not in err


def test_cli_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stm_tui.commands.emulator import emulator

    result = CliRunner().invoke(emulator, ["--data", str(tmp_path), "--faults", "drop_rate=9"])
    assert result.exit_code != 0 and "drop_rate" in result.output


def test_tls_credentials_file_carries_admin_token_and_second_factors(tmp_path: Path) -> None:
    """A user running `stm-tui emulator --tls` by hand gets everything the file needs: the
    admin token (faults, stats) and each role's .p12 and password (the mTLS path)."""
    import ssl

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    creds_file = tmp_path / "creds.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stm_tui",
            "emulator",
            "--tls",
            "--data",
            str(tmp_path / "data"),
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
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        ca = ssl.create_default_context(cafile=creds["ca_file"])
        stats = httpx.get(
            creds["url"] + "/_emulator/stats",
            headers={"x-emulator-admin-token": creds["admin_token"]},
            verify=ca,
        )
        lead = creds["users"]["lead"]
        key, cert, _ = pkcs12.load_key_and_certificates(
            Path(lead["p12"]).read_bytes(), lead["p12_password"].encode()
        )
        assert key is not None and cert is not None
        pem = tmp_path / "lead.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"one-time"),
            )
            + cert.public_bytes(serialization.Encoding.PEM)
        )
        ca.load_cert_chain(str(pem), password=b"one-time")
        me = httpx.get(
            creds["url"] + "/account/api/v1/user/me",
            headers={"x-api-key": lead["api_key"]},
            verify=ca,
        )
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert stats.status_code == 200 and me.status_code == 200
    assert set(creds["users"]) == {"lead", "team_lead", "developer", "signer", "build_engineer"}
    for user in creds["users"].values():
        assert Path(user["p12"]).exists()
        for secret in (user["api_key"], user["p12_password"], creds["admin_token"]):
            assert secret not in out and secret not in err
