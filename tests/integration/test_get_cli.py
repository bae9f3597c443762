"""`stm-tui get` as a user runs it: a subprocess with only SM_HOST and SM_API_KEY set and no
usable keyring (a headless jump host)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import frozen_clock

CANARY_KEY = "sk_CANARY_key_7f3e9d1c5b"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [sys.executable, "-m", "stm_tui", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def lead_env(emulator: EmulatorServer) -> dict[str, str]:
    return {"SM_HOST": emulator.url, "SM_API_KEY": emulator.credentials["users"]["lead"]["api_key"]}


def server_keypair_ids(emulator: EmulatorServer) -> list[str]:
    key = emulator.credentials["users"]["lead"]["api_key"]
    ids: list[str] = []
    offset = 0
    while True:
        page = httpx.get(
            f"{emulator.url}/signingmanager/api/v1/keypairs",
            params={"limit": 100, "offset": offset},
            headers={"x-api-key": key},
        ).json()
        ids += [item["id"] for item in page["items"]]
        offset += page["limit"]
        if offset >= page["total"]:
            return ids


def test_json_with_only_host_and_key_and_no_keyring(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run(tmp_path, "get", "keypairs", "-o", "json", **lead_env(emulator))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [item["id"] for item in data] == server_keypair_ids(emulator)
    assert {"id", "alias", "key_alg", "public_key"} <= set(data[0])
    # Nothing was written under the user's directories.
    assert not any(p.exists() for p in (tmp_path / "config", tmp_path / "data", tmp_path / "cache"))


def test_csv_and_table_outputs(emulator: EmulatorServer, tmp_path: Path) -> None:
    result = run(tmp_path, "get", "certificates", "-o", "csv", **lead_env(emulator))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {"id", "alias", "certificate_status"} <= set(rows[0])
    table = run(tmp_path, "get", "certificates", **lead_env(emulator))
    assert table.returncode == 0
    header, *lines = table.stdout.splitlines()
    assert header.split()[:3] == ["ID", "ALIAS", "STATUS"]
    assert len(lines) == len(rows)
    assert rows[0]["alias"] in table.stdout


def test_filters_and_single_items(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = lead_env(emulator)
    result = run(tmp_path, "get", "keypairs", "-o", "json", "--filter", "key_alg=RSA", **env)
    assert result.returncode == 0
    rsa = json.loads(result.stdout)
    assert rsa and all(item["key_alg"] == "RSA" for item in rsa)
    one = run(tmp_path, "get", "keypairs", rsa[0]["id"], "-o", "json", **env)
    assert one.returncode == 0 and json.loads(one.stdout)["id"] == rsa[0]["id"]
    nested = run(
        tmp_path,
        "get",
        "certificates",
        "-o",
        "json",
        "--filter",
        "keypair.id=" + rsa[0]["id"],
        **env,
    )
    assert nested.returncode == 0
    assert all(c["keypair"]["id"] == rsa[0]["id"] for c in json.loads(nested.stdout))


def test_exit_codes(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = lead_env(emulator)
    assert run(tmp_path, "get", "nonsense", **env).returncode == 2
    assert run(tmp_path, "get", "keypairs", "--filter", "novalue", **env).returncode == 2
    assert run(tmp_path, "get", "keypairs").returncode == 2  # nothing configured
    missing = run(tmp_path, "get", "keypairs", str(uuid.uuid4()), **env)
    assert missing.returncode == 4 and "not found" in missing.stderr
    bad_key = run(tmp_path, "get", "keypairs", SM_HOST=emulator.url, SM_API_KEY="wrong-key-123")
    assert bad_key.returncode == 3
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    offline = run(
        tmp_path, "get", "keypairs", SM_HOST=f"http://127.0.0.1:{port}", SM_API_KEY="k-1234"
    )
    assert offline.returncode == 5 and "cannot reach" in offline.stderr
    refused = run(tmp_path, "get", "keypairs", SM_TLS_SKIP_VERIFY="1", **env)
    assert refused.returncode == 2 and "never turns TLS verification off" in refused.stderr


def test_a_permission_error_exits_3(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = {
        "SM_HOST": emulator.url,
        "SM_API_KEY": emulator.credentials["users"]["signer"]["api_key"],
    }
    result = run(tmp_path, "get", "scans", **env)  # a Signer lacks VIEW_SM_THREAT_DETECTION
    assert result.returncode == 3 and "permission" in result.stderr


def test_canary_secrets_never_reach_output_at_debug(
    emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    outputs: list[str] = []
    # A 401 with a canary API key, logging at DEBUG.
    r401 = run(
        tmp_path,
        "get",
        "keypairs",
        SM_HOST=emulator.url,
        SM_API_KEY=CANARY_KEY,
        SM_LOG_LEVEL="DEBUG",
    )
    assert r401.returncode == 3
    assert "DEBUG" in r401.stderr  # debug logging really was on
    outputs += [r401.stdout, r401.stderr]

    # TLS failures: a wrong p12 password, and an untrusted server certificate.
    with EmulatorServer(
        data_dir=tmp_path_factory.mktemp("tls-canary"), seed="demo", tls=True, clock=frozen_clock
    ) as tls:
        p12, password = tls.client_p12("lead")
        private = tmp_path / "client.p12"
        shutil.copy(p12, private)
        private.chmod(0o600)
        common = {
            "SM_HOST": tls.url,
            "SM_API_KEY": CANARY_KEY,
            "SM_LOG_LEVEL": "DEBUG",
            "SM_CLIENT_CERT_FILE": str(private),
        }
        wrong = run(
            tmp_path,
            "get",
            "keypairs",
            SM_CLIENT_CERT_PASSWORD="pw-CANARY-wrong-91",
            SM_CA_FILE=str(tls.ca_file),
            **common,
        )
        assert wrong.returncode == 3 and "wrong password" in wrong.stderr
        untrusted = run(tmp_path, "get", "keypairs", SM_CLIENT_CERT_PASSWORD=password, **common)
        assert untrusted.returncode == 5 and "verify failed" in untrusted.stderr
        outputs += [wrong.stdout, wrong.stderr, untrusted.stdout, untrusted.stderr]
    for text in outputs:
        for canary in (CANARY_KEY, "pw-CANARY-wrong-91", password):
            assert canary not in text
