"""Connection failures name the URL that was tried and the real cause (issue 8 items 3, 11
and 18): plain HTTP where TLS was assumed, a malformed URL, a dead port, a TLS server that
wants a client certificate (asked once, not 1+3 times), plain HTTP to a remote host."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api.client import STMClient
from stm_tui.api.tls import build_ssl_context
from tests.integration._cli import run_cli
from tests.integration._emu import FAST
from tests.integration._hostile import CertRefusingServer, Reply, hostile, loopback_tls

KEY = "conn-test-key-0123456789"


def test_a_scheme_less_host_on_a_plain_http_server_says_it_does_not_speak_tls(
    tmp_path: Path,
) -> None:
    with hostile(lambda _r: Reply.json({"id": "me"})) as server:
        host = server.url.removeprefix("http://")  # SM_HOST=127.0.0.1:PORT
        result = run_cli(tmp_path, "get", "keypairs", SM_HOST=host, SM_API_KEY=KEY)
    assert result.returncode != 0
    assert f"the server at https://{host} does not speak TLS" in result.stderr
    assert f"did you mean http://{host}?" in result.stderr
    assert "client certificate" not in result.stderr  # none is configured: not the cause
    assert "Traceback" not in result.stderr


def test_a_malformed_host_is_a_usage_error_quoting_what_was_given(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "get", "keypairs", SM_HOST="not a url", SM_API_KEY=KEY)
    assert result.returncode == 2
    assert "'not a url'" in result.stderr and "SM_HOST" in result.stderr


def test_plain_http_to_a_remote_host_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "get", "keypairs", SM_HOST="http://stm.example.com", SM_API_KEY=KEY)
    assert result.returncode == 2
    assert "API key would travel in clear" in result.stderr


def test_a_dead_port_names_the_url_and_the_failure_class(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    host = f"http://127.0.0.1:{port}"
    result = run_cli(tmp_path, "get", "keypairs", SM_HOST=host, SM_API_KEY=KEY)
    assert result.returncode == 5
    assert f"cannot reach http://127.0.0.1:{port}" in result.stderr
    assert "connection refused" in result.stderr


@pytest.mark.parametrize("silent", [True, False], ids=["closes-silently", "tls-alert"])
async def test_a_server_that_wants_a_client_certificate_is_asked_once(
    tmp_path: Path, silent: bool
) -> None:
    ctx, ca_file = loopback_tls(tmp_path)
    with CertRefusingServer(ctx, silent=silent) as server:
        client = STMClient(
            server.url, SecretStr(KEY), ssl_context=build_ssl_context(ca_file=ca_file), retry=FAST
        )
        async with client:
            with pytest.raises(errors.AuthError) as info:
                await client.me()
    assert server.connections == 1  # not 1 + 3 retries
    assert "client certificate" in info.value.message
    assert "none is configured" in info.value.message


def test_a_missing_second_factor_is_an_auth_exit_that_names_the_certificate(
    tmp_path: Path,
) -> None:
    body = {
        "error": {
            "status": "access_denied",
            "message": "User is not multi-factor authenticated. Missing Client Authentication "
            "Certificate. As per compliance rules, user needs to be authenticated using "
            "multi-factor for performing sign operation.",
        }
    }
    with hostile(lambda _r: Reply.json(body, status=403)) as server:
        result = run_cli(tmp_path, "get", "keypairs", SM_HOST=server.url, SM_API_KEY=KEY)
        assert server.count("/signingmanager/api/v1/keypairs") == 1
    assert result.returncode == 3
    assert "second factor missing" in result.stderr
    assert "SM_CLIENT_CERT_FILE" in result.stderr
