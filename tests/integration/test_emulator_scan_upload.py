"""Threat detection: `POST /scans` analyses the uploaded bytes (issue 13)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client, frozen_clock

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PEM_KEY = (
    b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
)
AWS = b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
GITHUB = b"token: ghp_" + b"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + b"\n"
STM_KEY = b"SM_API_KEY=" + b"0" * 20 + b"a1b2c3_" + b"f" * 64 + b"\n"


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """Scans finish at once here (scan_delay 0); one test follows IN_PROGRESS itself."""
    with EmulatorServer(
        data_dir=tmp_path_factory.mktemp("scans"), clock=frozen_clock, scan_delay=0
    ) as emu:
        yield emu


def submit(
    c: httpx.Client, data: bytes, *, project: str = "demo-app", version: str = "1.0", **extra: str
) -> httpx.Response:
    params = {"project": project, "alias": f"{project}-{version}", "version": version, **extra}
    return c.post(
        f"{STM}/scans",
        params=params,
        content=data,
        headers={"content-type": "application/octet-stream"},
    )


def findings(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 202, r.text
    return list(r.json()["findings"])


def test_a_clean_file_passes(scanner: EmulatorServer) -> None:
    with api_client(scanner, "build_engineer") as c:
        r = submit(c, b"\x7fELF" + bytes(range(256)) * 40, project="clean-app")
    scan = r.json()
    assert (scan["status"], scan["risk_level"], scan["findings"]) == ("PASS", "NONE", [])
    assert scan["size_bytes"] == 4 + 256 * 40 and len(scan["checksum"]) == 40


def test_eicar_is_malware(scanner: EmulatorServer) -> None:
    with api_client(scanner, "build_engineer") as c:
        r = submit(c, b"MZ header\n" + EICAR + b"\n", project="eicar-app")
    (finding,) = findings(r)
    assert (finding["category"], finding["severity"], finding["offset"]) == (
        "malware",
        "CRITICAL",
        10,
    )
    assert r.json()["status"] == "FAIL" and r.json()["risk_level"] == "CRITICAL"


@pytest.mark.parametrize(
    ("payload", "title"),
    [
        (PEM_KEY, "PEM private key embedded"),
        (AWS, "AWS access key id embedded"),
        (GITHUB, "GitHub personal access token embedded"),
        (STM_KEY, "DigiCert ONE API key embedded"),
    ],
)
def test_embedded_secrets_are_found_and_never_quoted(
    scanner: EmulatorServer, payload: bytes, title: str
) -> None:
    with api_client(scanner, "build_engineer") as c:
        project = "secrets-" + title.split()[0].lower()  # one project each: no tampering
        r = submit(c, b"config\n" + payload, project=project)
        again = c.get(f"{STM}/scans/{r.json()['id']}").text
    (finding,) = findings(r)
    assert finding["category"] == "secrets" and finding["title"] == title
    assert r.json()["status"] == "FAIL"
    secret = payload.strip().split(b"=")[-1].split(b" ")[-1][-20:].decode()
    assert secret not in r.text and secret not in again


def test_known_vulnerable_libraries_carry_their_cves(scanner: EmulatorServer) -> None:
    blob = b"lib/log4j-core-2.14.1.jar\nOpenSSL 1.0.1f 6 Jan 2014\ndeflate 1.2 zlib 1.2.11\n"
    with api_client(scanner, "build_engineer") as c:
        r = submit(c, blob, project="vuln-app")
        low = submit(c, b"node_modules/lodash-4.17.15/index.js", project="low-app")
    cves = {f["cve"]: f["severity"] for f in findings(r)}
    assert cves == {
        "CVE-2021-44228": "CRITICAL",
        "CVE-2014-0160": "HIGH",
        "CVE-2018-25032": "HIGH",
    }
    assert r.json()["finding_counts"]["vulnerabilities"] == 3
    # A LOW vulnerability is reported but does not fail the scan.
    assert low.json()["status"] == "PASS" and low.json()["risk_level"] == "LOW"


def test_a_changed_checksum_for_the_same_version_is_tampering(scanner: EmulatorServer) -> None:
    with api_client(scanner, "build_engineer") as c:
        first = submit(c, b"release build 2.0", project="tamper-app", version="2.0")
        same = submit(c, b"release build 2.0", project="tamper-app", version="2.0")
        changed = submit(c, b"release build 2.0 (patched)", project="tamper-app", version="2.0")
        other = submit(c, b"release build 2.1", project="tamper-app", version="2.1")
    assert first.json()["status"] == same.json()["status"] == "PASS"
    (finding,) = findings(changed)
    assert finding["category"] == "tampering" and first.json()["checksum"] in finding["detail"]
    assert other.json()["status"] == "PASS"
    assert first.json()["project"]["id"] == other.json()["project"]["id"]


def test_scan_input_is_checked(scanner: EmulatorServer) -> None:
    with api_client(scanner, "build_engineer") as c, api_client(scanner, "signer") as signer:
        empty = submit(c, b"")
        bad_project = submit(c, b"x", project="no spaces")
        unknown_release = submit(c, b"x", release_id="no-such-window")
        denied = submit(signer, b"x")
        big = c.post(
            f"{STM}/scans",
            params={"project": "big", "alias": "big", "version": "1"},
            content=b"\0" * (20 * 1024 * 1024 + 1),
            headers={"content-type": "application/octet-stream"},
        )
    assert empty.status_code == 422 and empty.json()["error"]["message"].startswith("file")
    assert bad_project.status_code == 400
    assert unknown_release.status_code == 422
    assert denied.status_code == 403
    assert big.status_code == 413 and big.json()["error"]["status"] == "payload_too_large"


def test_a_scan_is_in_progress_first_then_finishes(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.state.scan_delay = 0.3  # type: ignore[union-attr]
    with api_client(fresh_emulator, "build_engineer") as c:
        r = submit(c, EICAR, project="slow-app")
        assert r.status_code == 202
        first = r.json()
        assert (first["status"], first["findings"], first["completed_on"]) == (
            "IN_PROGRESS",
            [],
            None,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            scan = c.get(f"{STM}/scans/{first['id']}").json()
            if scan["status"] != "IN_PROGRESS":
                break
            time.sleep(0.05)
        listed = c.get(f"{STM}/scans", params={"project": "slow-app"}).json()["items"]
    assert scan["status"] == "FAIL" and scan["findings"][0]["category"] == "malware"
    assert scan["completed_on"] == "2026-11-27T12:00:00Z"
    assert [s["status"] for s in listed] == ["FAIL"] and "findings" not in listed[0]


def test_findings_have_fingerprints_for_comparing_scans(scanner: EmulatorServer) -> None:
    with api_client(scanner, "build_engineer") as c:
        old = findings(submit(c, AWS + b"zlib 1.2.11", project="diff-app", version="1"))
        new = findings(submit(c, b"zlib 1.2.11 " + EICAR, project="diff-app", version="2"))
    old_marks = {f["fingerprint"]: f["title"] for f in old}
    new_marks = {f["fingerprint"]: f["title"] for f in new}
    assert {old_marks[m] for m in old_marks.keys() - new_marks.keys()} == {
        "AWS access key id embedded"
    }
    assert {new_marks[m] for m in new_marks.keys() - old_marks.keys()} == {"EICAR test file"}
