"""`stm-tui doctor` against the emulator, run as a user runs it (a subprocess with a private
HOME, no keyring): each factor on its own, then both; the exit code names the first problem
and the output never carries a secret.

The emulators here keep the real time (the doctor compares the server's clock with this
machine's); the `empty` seed starts in milliseconds and has the five role users with their
API keys and, under TLS, their client certificates."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from stm_tui.config import Profile
from stm_tui.connect import session_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.diagnose import CHECK_IDS, diagnose
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, frozen_clock
from tests.unit._certs import make_p12

from ._cli import cli_env

CANARY_KEY = "canary-key-DOCTOR-0123456789abcdef"
CANARY_PASSWORD = "canary-password-DOCTOR-42"


class SkewableClock:
    """The real time plus an offset a test can change."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def tls_emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    data = tmp_path_factory.mktemp("doctor-tls")
    with EmulatorServer(data_dir=data, seed="empty", tls=True) as emu:
        yield emu


@pytest.fixture(scope="module")
def plain_emu(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmulatorServer, SkewableClock]]:
    clock = SkewableClock()
    with EmulatorServer(
        data_dir=tmp_path_factory.mktemp("doctor-plain"), seed="empty", clock=clock
    ) as emu:
        yield emu, clock


def key_of(emu: EmulatorServer, role: str = "lead") -> str:
    return str(emu.credentials["users"][role]["api_key"])


def tls_env(emu: EmulatorServer, role: str = "lead", *, cert: bool = True) -> dict[str, str]:
    assert emu.ca_file is not None
    env = {"SM_HOST": emu.url, "SM_API_KEY": key_of(emu, role), "SM_CA_FILE": str(emu.ca_file)}
    if cert:
        p12, password = emu.client_p12(role)
        env.update(SM_CLIENT_CERT_FILE=str(p12), SM_CLIENT_CERT_PASSWORD=password)
    return env


def doctor(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stm_tui", "doctor", *args],
        env=cli_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def line(done: subprocess.CompletedProcess[str], title: str) -> str:
    """The checklist line (with its continuation lines) for one check title."""
    lines = done.stdout.splitlines()
    for i, text in enumerate(lines):
        if text[6:].startswith(title + " "):
            block = [text]
            for more in lines[i + 1 :]:
                if not more.startswith(" " * 8):
                    break
                block.append(more)
            return " ".join(part.strip() for part in block)
    raise AssertionError(f"no line for {title!r} in:\n{done.stdout}")


def assert_no_secret(done: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr


# ------------------------------------------------------------------ plain HTTP and TLS


def test_plain_http_passes_and_says_the_second_factor_cannot_be_checked_there(
    plain_emu: tuple[EmulatorServer, SkewableClock], tmp_path: Path
) -> None:
    emu, _clock = plain_emu
    done = doctor(tmp_path, SM_HOST=emu.url, SM_API_KEY=key_of(emu))
    assert done.returncode == 0, done.stdout + done.stderr
    assert line(done, "region").startswith("ok") and "loopback emulator" in line(done, "region")
    assert line(done, "TLS").startswith("skip")
    second = line(done, "second factor")
    assert second.startswith("warn") and "plain HTTP" in second and "cannot see a client" in second
    assert "stm-tui emulator --tls" in second
    assert line(done, "API key").startswith("ok")
    assert done.stdout.rstrip().endswith("exit 0")


def test_tls_with_the_right_key_and_certificate_exits_0(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    done = doctor(tmp_path, "-o", "json", **tls_env(tls_emu))
    assert done.returncode == 0, done.stdout + done.stderr
    report = report_of(done)
    found = checks(report)
    assert report["ok"] is True and report["exit_code"] == 0
    assert {c["status"] for c in report["checks"]} == {"ok"}
    assert found["tls"]["data"]["version"].startswith("TLSv1.")
    assert found["chain"]["data"]["trust_anchors"] == str(tls_emu.ca_file)
    lead_id = tls_emu.credentials["users"]["lead"]["id"]
    assert found["api_key"]["data"]["user_id"] == lead_id
    assert found["api_key"]["data"]["client_certificate_sent"] is False
    assert "identifies Dana Whitfield" in found["client_cert"]["summary"]
    assert found["second_factor"]["data"]["client_certificate_sent"] is True
    assert found["second_factor"]["data"]["status"] == 400
    assert found["permissions"]["data"]["can"] == {
        "sign": True,
        "generate_keypairs": True,
        "approve_releases": True,
        "revoke_certificates": True,
        "manage_users": True,
    }


def test_json_has_a_stable_shape_and_carries_no_secret(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    env = tls_env(tls_emu, "developer")
    done = doctor(tmp_path, "-o", "json", **env)
    report = report_of(done)
    assert set(report) == {
        "schema",
        "profile",
        "host",
        "ok",
        "exit_code",
        "strict",
        "counts",
        "checks",
    }
    assert report["schema"] == "stm-tui.doctor/1" and report["host"] == tls_emu.url
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    for check in report["checks"]:
        assert set(check) == {"id", "title", "status", "summary", "fix", "exit_code", "data"}
        assert check["status"] in ("ok", "warn", "fail", "skip")
    sources = checks(report)["credentials"]["data"]
    assert sources["api_key"] == "env (SM_API_KEY)"
    assert sources["client_cert_password"] == "env (SM_CLIENT_CERT_PASSWORD)"
    assert sources["client_cert_file_from"] == "env (SM_CLIENT_CERT_FILE)"
    # A Developer is no administrator: the account-wide expiries are not read for them.
    assert checks(report)["service_users"]["status"] == "skip"
    assert_no_secret(done, env["SM_API_KEY"], env["SM_CLIENT_CERT_PASSWORD"], tls_emu.admin_token)
    text = doctor(tmp_path, **env)
    assert_no_secret(text, env["SM_API_KEY"], env["SM_CLIENT_CERT_PASSWORD"])


# ------------------------------------------------------------------ each factor refused


def test_a_wrong_key_exits_3_naming_the_key_and_its_source(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "stm_key"
    key_file.write_text(CANARY_KEY + "\n")
    key_file.chmod(0o600)
    env = tls_env(tls_emu)
    del env["SM_API_KEY"]
    done = doctor(tmp_path, SM_API_KEY_FILE=str(key_file), **env)
    assert done.returncode == 3, done.stdout + done.stderr
    refused = line(done, "API key")
    assert refused.startswith("FAIL")
    assert "the API key from file (SM_API_KEY_FILE) was refused (401)" in refused
    assert "keys work only on the host that issued them" in refused
    # The certificate is checked on its own, so the report still says it is fine.
    assert line(done, "client cert").startswith("ok")
    assert line(done, "second factor").startswith("skip")
    assert_no_secret(done, CANARY_KEY)


def test_a_missing_client_certificate_exits_6_naming_sm_client_cert_file(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    done = doctor(tmp_path, "-o", "json", **tls_env(tls_emu, cert=False))
    assert done.returncode == 6
    found = checks(report_of(done))
    assert found["api_key"]["status"] == "ok"  # reads work with the key alone
    assert found["client_cert"]["status"] == "skip"
    second = found["second_factor"]
    assert second["status"] == "fail" and second["exit_code"] == 6
    assert "SM_CLIENT_CERT_FILE is not set" in second["summary"]
    assert "Missing Client Authentication Certificate" in second["summary"]
    assert "SM_CLIENT_CERT_FILE" in second["fix"]


def test_another_users_certificate_exits_6_naming_it(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    env = tls_env(tls_emu, "lead")
    signer_p12, signer_password = tls_emu.client_p12("signer")
    env.update(SM_CLIENT_CERT_FILE=str(signer_p12), SM_CLIENT_CERT_PASSWORD=signer_password)
    done = doctor(tmp_path, "-o", "json", **env)
    assert done.returncode == 6
    cert = checks(report_of(done))["client_cert"]
    assert cert["status"] == "fail"
    assert str(signer_p12) in cert["summary"] and "env (SM_CLIENT_CERT_FILE)" in cert["summary"]
    assert "belongs to Tomas Berg" in cert["summary"]
    assert "not to the API key's user Dana Whitfield" in cert["summary"]
    assert cert["data"]["cert_user_id"] == tls_emu.credentials["users"]["signer"]["id"]


def test_an_untrusted_certificate_is_refused_in_the_handshake_exit_6(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger.p12"
    stranger.write_bytes(make_p12(b"stranger-pw"))
    stranger.chmod(0o600)
    env = tls_env(tls_emu)
    env.update(SM_CLIENT_CERT_FILE=str(stranger), SM_CLIENT_CERT_PASSWORD="stranger-pw")
    done = doctor(tmp_path, "-o", "json", **env)
    assert done.returncode == 6, done.stdout + done.stderr
    found = checks(report_of(done))
    cert = found["client_cert"]["summary"]
    assert found["client_cert"]["status"] == "fail"
    assert f"refused the client certificate {stranger} (from env (SM_CLIENT_CERT_FILE), " in cert
    assert "in the TLS handshake" in cert
    assert found["api_key"]["status"] == "ok"


def test_an_untrusted_server_certificate_fails_at_the_chain_naming_sm_ca_file(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    env = tls_env(tls_emu)
    del env["SM_CA_FILE"]
    done = doctor(tmp_path, "-o", "json", **env)
    assert done.returncode == 5
    found = checks(report_of(done))
    assert found["tls"]["status"] == "ok"  # the handshake itself works
    chain = found["chain"]
    assert chain["status"] == "fail"
    assert "does not verify against the system trust store" in chain["summary"]
    assert "SM_CA_FILE" in chain["fix"] and "stm-tui emulator local CA" in chain["fix"]
    assert found["api_key"]["status"] == "skip"  # no credential over an unverified host


def test_https_to_a_plain_http_server_says_it_does_not_speak_tls(
    plain_emu: tuple[EmulatorServer, SkewableClock], tmp_path: Path
) -> None:
    emu, _clock = plain_emu
    https = emu.url.replace("http://", "https://")
    done = doctor(tmp_path, SM_HOST=https, SM_API_KEY=CANARY_KEY)
    assert done.returncode == 5
    tls = line(done, "TLS")
    assert tls.startswith("FAIL") and "does not speak TLS" in tls
    assert f"did you mean {emu.url}?" in tls


def test_a_wrong_p12_password_is_named_and_the_certificate_is_not_used(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    env = tls_env(tls_emu)
    env["SM_CLIENT_CERT_PASSWORD"] = CANARY_PASSWORD
    done = doctor(tmp_path, "-o", "json", **env)
    assert done.returncode == 6
    found = checks(report_of(done))
    cert = found["client_cert"]
    assert cert["status"] == "fail"
    assert "the password from env (SM_CLIENT_CERT_PASSWORD) does not open" in cert["summary"]
    assert env["SM_CLIENT_CERT_FILE"] in cert["summary"]
    assert found["api_key"]["status"] == "ok"
    assert found["second_factor"]["status"] == "skip"
    assert found["client_cert_expiry"]["status"] == "skip"
    assert_no_secret(done, CANARY_PASSWORD)


# ------------------------------------------------------------------ clock and expiry


def test_the_emulators_date_header_follows_its_clock(
    plain_emu: tuple[EmulatorServer, SkewableClock],
) -> None:
    emu, clock = plain_emu
    clock.offset = timedelta(hours=-2)
    try:
        response = httpx.get(f"{emu.url}/account/api/v1/user/me")
    finally:
        clock.offset = timedelta(0)
    stamped = parsedate_to_datetime(response.headers["date"])
    assert abs((stamped - (datetime.now(UTC) - timedelta(hours=2))).total_seconds()) < 5
    assert response.headers.get_list("date") == [response.headers["date"]]  # one Date only


@pytest.mark.parametrize(
    ("offset_s", "status", "code", "words"),
    [(30, "warn", 0, "s ahead of this machine's"), (-300, "fail", 7, "5 min behind")],
)
def test_a_skewed_server_clock_warns_past_10_s_and_fails_past_60_s(
    plain_emu: tuple[EmulatorServer, SkewableClock],
    tmp_path: Path,
    offset_s: int,
    status: str,
    code: int,
    words: str,
) -> None:
    emu, clock = plain_emu
    clock.offset = timedelta(seconds=offset_s)
    try:
        done = doctor(tmp_path, "-o", "json", SM_HOST=emu.url, SM_API_KEY=key_of(emu))
    finally:
        clock.offset = timedelta(0)
    assert done.returncode == code
    found = checks(report_of(done))["clock"]
    assert found["status"] == status and words in found["summary"]
    assert found["data"]["skew_seconds"] == pytest.approx(offset_s, abs=3)


def test_strict_turns_credentials_ending_soon_into_exit_8(
    tls_emu: EmulatorServer, tmp_path: Path
) -> None:
    """A new API token ending in 10 days and a client certificate issued for it: a warning
    each by default, exit 8 with --strict."""
    from tests.integration.test_emulator_tls import context_with_client_cert

    end = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d")
    ctx = context_with_client_cert(tls_emu, "build_engineer", tmp_path)
    headers = {"x-api-key": key_of(tls_emu, "build_engineer")}
    with httpx.Client(base_url=tls_emu.url, verify=ctx, headers=headers) as c:
        token = c.post(f"{AM}/api-token", json={"name": "release 2026", "end_date": end}).json()
        made = c.post(
            f"{AM}/client-certificate", json={"name": "release-2026", "token_id": token["id"]}
        ).json()
    p12 = tmp_path / "release.p12"
    p12.write_bytes(base64.b64decode(made["p12"]))
    p12.chmod(0o600)
    assert tls_emu.ca_file is not None
    env = {
        "SM_HOST": tls_emu.url,
        "SM_API_KEY": token["token"],
        "SM_CA_FILE": str(tls_emu.ca_file),
        "SM_CLIENT_CERT_FILE": str(p12),
        "SM_CLIENT_CERT_PASSWORD": made["password"],
    }
    relaxed = doctor(tmp_path, "-o", "json", **env)
    assert relaxed.returncode == 0, relaxed.stdout
    found = checks(report_of(relaxed))
    token_line, cert_line = found["api_token_expiry"], found["client_cert_expiry"]
    assert token_line["status"] == "warn" and "'release 2026'" in token_line["summary"]
    assert token_line["data"]["days_left"] in (9, 10)
    assert cert_line["status"] == "warn" and cert_line["data"]["days_left"] in (9, 10)
    strict = doctor(tmp_path, "--strict", **env)
    assert strict.returncode == 8
    assert "days left" in line(strict, "token expiry")
    assert_no_secret(strict, token["token"], made["password"])


# ------------------------------------------------------------------ unreachable


def test_an_unresolvable_host_exits_5_at_dns(tmp_path: Path) -> None:
    done = doctor(tmp_path, SM_HOST="https://stm.doctor-test.invalid", SM_API_KEY=CANARY_KEY)
    assert done.returncode == 5
    assert line(done, "DNS").startswith("FAIL") and "could not be resolved" in line(done, "DNS")
    assert line(done, "API key").startswith("skip") and "DNS failed" in line(done, "API key")
    assert_no_secret(done, CANARY_KEY)


def test_a_closed_port_exits_5_at_tcp(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    host = f"https://127.0.0.1:{port}"
    done = doctor(tmp_path, "-o", "json", SM_HOST=host, SM_API_KEY=CANARY_KEY)
    assert done.returncode == 5
    found = checks(report_of(done))
    assert found["dns"]["status"] == "ok"
    assert found["tcp"]["status"] == "fail" and "connection refused" in found["tcp"]["summary"]
    assert "is the emulator running" in found["tcp"]["fix"]
    assert found["tls"]["status"] == "skip"


# ------------------------------------------------------------------ who the key is


def creds_for(emu: EmulatorServer, role: str) -> ResolvedCredentials:
    return ResolvedCredentials(api_key=SecretStr(key_of(emu, role)), api_key_source="test")


@pytest.mark.parametrize(
    ("role", "can"),
    [
        (
            "signer",
            {
                "sign": True,
                "generate_keypairs": False,
                "approve_releases": False,
                "revoke_certificates": False,
                "manage_users": False,
            },
        ),
        (
            "team_lead",
            {
                "sign": True,
                "generate_keypairs": True,
                "approve_releases": True,
                "revoke_certificates": True,
                "manage_users": False,
            },
        ),
    ],
)
async def test_identity_names_accounts_roles_and_what_they_allow(
    emulator: EmulatorServer, role: str, can: dict[str, bool]
) -> None:
    report = await diagnose(
        Profile(host=emulator.url), creds_for(emulator, role), env={}, clock=frozen_clock
    )
    who = report.get("identity")
    allowed = report.get("permissions")
    assert who is not None and allowed is not None
    assert who.status == "ok" and "Acme Software (primary, acting)" in who.summary
    assert allowed.status == "ok" and allowed.data["can"] == can
    # A Signer may only sign: the two-factor probe is the side-effect-free sign.
    second = report.get("second_factor")
    assert second is not None
    expected = "/sign" if role == "signer" else "/keypairs"
    assert str(second.data["request"]).endswith(expected)


async def test_a_lead_sees_every_service_users_end_and_the_certcentral_key(
    fresh_emulator: EmulatorServer,
) -> None:
    lead = key_of(fresh_emulator)
    async with httpx.AsyncClient(base_url=fresh_emulator.url, headers={"x-api-key": lead}) as c:
        made = await c.post(
            f"{AM}/user",
            json={
                "user_type": "service",
                "friendly_name": "nightly-notary",
                "end_date": "2026-12-10",
                "roles": ["SSM_SIGNER"],
            },
        )
    assert made.status_code == 201, made.text
    report = await diagnose(
        Profile(host=fresh_emulator.url),
        creds_for(fresh_emulator, "lead"),
        env={},
        clock=frozen_clock,
    )
    service = report.get("service_users")
    assert service is not None and service.status == "warn" and service.code == 8
    assert "nightly-notary ends 2026-12-10 (13 days left)" in service.summary
    names = {row["name"]: row["days_left"] for row in service.data["users"]}
    assert names["nightly-notary"] == 13 and names["ci-release-bot"] > 365
    certcentral = report.get("certcentral")
    assert certcentral is not None and "region GLOBAL" in certcentral.summary
    assert "does not say when the key expires" in certcentral.summary
    assert report.exit_code() == 0  # someone else's credential ending: a warning only
    signer = await diagnose(
        Profile(host=fresh_emulator.url),
        creds_for(fresh_emulator, "signer"),
        env={},
        clock=frozen_clock,
    )
    only = signer.get("service_users")
    assert only is not None and only.status == "skip" and "only for a Lead" in only.summary


async def test_an_account_id_the_user_does_not_belong_to_is_named(emulator: EmulatorServer) -> None:
    profile = Profile(host=emulator.url, account_id="00000000-aaaa-bbbb-cccc-000000000000")
    report = await diagnose(profile, creds_for(emulator, "signer"), env={}, clock=frozen_clock)
    who = report.get("identity")
    assert who is not None and who.status == "fail" and who.code == 3
    assert "is not one of this user's accounts: Acme Software" in who.summary


async def test_the_dashboards_start_failure_carries_the_same_diagnosis(
    plain_emu: tuple[EmulatorServer, SkewableClock],
) -> None:
    from stm_tui.commands.dashboard import connect_for_dashboard
    from stm_tui.tui.screens.start_failure import StartProblem

    emu, _clock = plain_emu
    profile = Profile(name="work", host=emu.url)
    creds = ResolvedCredentials(api_key=SecretStr(CANARY_KEY), api_key_source="env (SM_API_KEY)")
    shown: list[StartProblem] = []

    async def show(problem: StartProblem) -> str:
        shown.append(problem)
        return "quit"

    code = await connect_for_dashboard(
        profile,
        creds,
        lambda c: session_for_profile(profile, c, read_only=True),
        prompt=None,
        show_failure=show,
    )
    assert code == 3
    (problem,) = shown
    assert problem.title == "The API key was refused" and problem.diagnose is not None
    report = await problem.diagnose()
    refused = report.get("api_key")
    assert refused is not None and refused.status == "fail"
    assert "the API key from env (SM_API_KEY) was refused (401)" in refused.summary
    assert report.exit_code() == 3


def test_server_text_in_the_report_cannot_drive_the_terminal(
    plain_emu: tuple[EmulatorServer, SkewableClock], tmp_path: Path
) -> None:
    from tests.hostile import FORBIDDEN, HOSTILE, HostileProxy, items_of

    def rewrite(path: str, data: Any) -> Any:
        if path.endswith("/user/me"):
            data.update(name=HOSTILE, email=HOSTILE)
            for account in data["accounts"]:
                account["name"] = HOSTILE
        for item in items_of(data):
            item["name"] = HOSTILE
        return data

    emu, _clock = plain_emu
    with HostileProxy(emu, rewrite) as proxy:
        for output in ("text", "json"):
            done = doctor(tmp_path, "-o", output, SM_HOST=proxy.url, SM_API_KEY=key_of(emu))
            shown = (done.stdout + done.stderr).encode()
            assert not [marker for marker in FORBIDDEN if marker in shown], output
            assert "PWNED-TITLE" in done.stdout  # shown, as harmless text
