"""The client certificate's private key never reaches a file unencrypted, and a wrong p12
password fails before any connection (reliability checklist 6, issue 16 item 4).

The first test runs the client in a child process under an audit hook (`sys.addaudithook`)
that sees every file the process opens for writing, renames or removes, whoever does it
(stm_tui, httpx, ssl, tempfile): each such file is read just before it is removed or
renamed and once more at the end, and none may hold the key in PEM or DER form unless
encrypted. The key goes through both loading paths: the memfd one Linux uses, and the
encrypted temp file other systems use (called directly: it is not reached on Linux).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.config import Profile
from stm_tui.connect import client_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from tests.integration._cli import run_cli

TRACED = textwrap.dedent(
    """
    import asyncio, base64, json, os, sys

    given = json.loads(sys.argv[1])
    written, checked, busy = set(), [], [False]
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def look(path):
        busy[0] = True
        try:
            with open(path, "rb") as fh:
                checked.append((str(path), fh.read()))
        except OSError:
            pass
        finally:
            busy[0] = False

    def hook(event, args):
        if busy[0]:
            return
        if event == "open" and args[0] is not None and not isinstance(args[0], int):
            mode, flags = args[1] or "", args[2] or 0
            if any(c in str(mode) for c in "wax+") or flags & WRITE_FLAGS:
                written.add(os.fsdecode(args[0]))
        elif event in ("os.remove", "os.rename", "os.truncate"):
            look(os.fsdecode(args[0]))

    sys.addaudithook(hook)

    from pydantic import SecretStr
    from cryptography.hazmat.primitives.serialization import pkcs12
    from stm_tui.api import tls
    from stm_tui.config import Profile
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import ResolvedCredentials

    profile = Profile(host=given["url"], client_cert_file=given["p12"], ca_file=given["ca"])
    creds = ResolvedCredentials(
        api_key=SecretStr(given["key"]), api_key_source="test",
        client_cert_password=SecretStr(given["password"]), client_cert_password_source="test",
    )

    async def use():
        async with client_for_profile(profile, creds) as client:
            return (await client.me()).role_codes

    roles = asyncio.run(use())
    # The non-Linux path, on purpose: a temp file under a one-time passphrase.
    import ssl
    key, cert, _ = pkcs12.load_key_and_certificates(
        open(given["p12"], "rb").read(), given["password"].encode()
    )
    from cryptography.hazmat.primitives import serialization as s
    chain = cert.public_bytes(s.Encoding.PEM)
    tls._load_via_encrypted_tempfile(ssl.create_default_context(), key, chain)

    for path in sorted(written):
        look(path)
    print(json.dumps({
        "roles": roles,
        "written": sorted(written),
        "checked": [[p, base64.b64encode(data).decode()] for p, data in checked],
    }))
    """
)


def key_forms(p12: bytes, password: str) -> dict[str, bytes]:
    """The unencrypted key as it could land in a file: PEM (whole, and one body line), DER."""
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, _cert, _extra = pkcs12.load_key_and_certificates(p12, password.encode())
    assert key is not None
    pem = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())
    der = key.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
    traditional = key.private_bytes(
        s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()
    )
    return {
        "PEM PKCS#8 header": b"-----BEGIN PRIVATE KEY-----",
        "PEM traditional header": traditional.splitlines()[0],
        "PEM body line": pem.splitlines()[1],
        "DER": der,
    }


def test_no_file_the_process_writes_holds_the_private_key_unencrypted(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    import base64

    source, password = tls_emulator.client_p12("lead")
    p12 = tmp_path / "client.p12"
    p12.write_bytes(source.read_bytes())
    p12.chmod(0o600)
    given = {
        "url": tls_emulator.url,
        "ca": str(tls_emulator.ca_file),
        "p12": str(p12),
        "password": password,
        "key": tls_emulator.credentials["users"]["lead"]["api_key"],
    }
    done = subprocess.run(
        [sys.executable, "-c", TRACED, json.dumps(given)],
        capture_output=True, text=True, timeout=120, env={"TMPDIR": str(tmp_path), "PATH": ""},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert "SSM_LEAD" in report["roles"]  # the certificate was really used
    checked = {path: base64.b64decode(data) for path, data in report["checked"]}
    # The encrypted temp file was written, and read before it was removed.
    temp = [data for path, data in checked.items() if path.endswith(".pem")]
    assert temp and all(b"BEGIN ENCRYPTED PRIVATE KEY" in data for data in temp)
    forms = key_forms(p12.read_bytes(), password)
    found = {
        path: [name for name, form in forms.items() if form in data]
        for path, data in checked.items()
    }
    assert {path: names for path, names in found.items() if names} == {}


class CountingListener:
    """A TCP listener that only counts who connects."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.url = f"https://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> CountingListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)


def test_a_wrong_p12_password_fails_without_opening_a_connection(
    tls_emulator: EmulatorServer, tmp_path: Path
) -> None:
    source, _password = tls_emulator.client_p12("lead")
    p12 = tmp_path / "client.p12"
    p12.write_bytes(source.read_bytes())
    p12.chmod(0o600)
    with CountingListener() as listener:
        profile = Profile(host=listener.url, client_cert_file=p12)
        creds = ResolvedCredentials(
            api_key=SecretStr("k" * 24), api_key_source="test",
            client_cert_password=SecretStr("wrong-password-1234"),
            client_cert_password_source="test",
        )
        with pytest.raises(errors.ClientCertPasswordError):
            client_for_profile(profile, creds)
        # and the CLI, as a user meets it
        cli = run_cli(
            tmp_path, "get", "keypairs", SM_HOST=listener.url, SM_API_KEY="k" * 24,
            SM_CLIENT_CERT_FILE=str(p12), SM_CLIENT_CERT_PASSWORD="wrong-password-1234",
        )
    assert cli.returncode == 3, cli.stderr  # an authentication problem
    assert "wrong password" in cli.stderr and "wrong-password-1234" not in cli.stderr
    assert listener.connections == 0
