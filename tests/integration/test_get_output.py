"""`stm-tui get` output a user reads or feeds to a spreadsheet: hostile server text made
harmless, filters by the names people type, items by their natural name, honest labels."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.hostile import FORBIDDEN, HOSTILE, CannedServer, HostileProxy, items_of
from tests.integration.test_get_cli import lead_env, run


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def test_hostile_names_never_reach_the_terminal_from_a_get_table(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    def poison(path: str, data: Any) -> Any:
        for item in items_of(data):
            item["alias"] = f"kp{HOSTILE}"
        return data

    with HostileProxy(emulator, poison) as proxy:
        env = {**lead_env(emulator), "SM_HOST": proxy.url}
        table = run(tmp_path, "get", "keypairs", **env)
        as_json = run(tmp_path, "get", "keypairs", "-o", "json", **env)
    assert table.returncode == 0, table.stderr
    for forbidden in FORBIDDEN:
        assert forbidden not in _raw(table.stdout)
        assert forbidden not in _raw(as_json.stdout)
    assert "kp\u241b]52;c;" in table.stdout  # shown, visibly
    # JSON keeps the value exactly (scripts read the server's data) with the controls escaped.
    assert "\\u001b]52;c;" in as_json.stdout and "\\u009b31m" in as_json.stdout
    assert json.loads(as_json.stdout)[0]["alias"] == f"kp{HOSTILE}"


def test_a_hostile_error_body_is_printed_cleaned_on_stderr(tmp_path: Path) -> None:
    body = {"error": {"status": "access_denied", "message": f"denied {HOSTILE}"}}
    with CannedServer(403, body) as server:
        result = run(tmp_path, "get", "keypairs", SM_HOST=server.url, SM_API_KEY="k-123456")
    assert result.returncode == 3
    assert "denied" in result.stderr
    for forbidden in FORBIDDEN:
        assert forbidden not in _raw(result.stderr)


def test_csv_cells_are_never_formulas_and_keep_no_control_bytes(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    def poison(path: str, data: Any) -> Any:
        for n, item in enumerate(items_of(data)):
            item["alias"] = '=HYPERLINK("http://evil.example","x")' if n == 0 else f"@x{HOSTILE}"
        return data

    with HostileProxy(emulator, poison) as proxy:
        env = {**lead_env(emulator), "SM_HOST": proxy.url}
        result = run(tmp_path, "get", "keypairs", "-o", "csv", **env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["alias"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1]["alias"].startswith("'@x\u241b]52;")
    for forbidden in FORBIDDEN:
        assert forbidden not in _raw(result.stdout)
    # Numbers stay numbers, negative ones too (a key size, a count).
    assert all(r["key_size"] == "" or r["key_size"].isdigit() for r in rows)


def test_an_unknown_filter_field_is_a_usage_error_listing_the_valid_ones(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run(tmp_path, "get", "certificates", "--filter", "colour=red", **lead_env(emulator))
    assert result.returncode == 2
    assert "unknown filter field 'colour'" in result.stderr
    assert "certificate_status" in result.stderr and "alias" in result.stderr


def test_friendly_filter_names_map_to_the_api_fields(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = lead_env(emulator)
    status = run(tmp_path, "get", "certificates", "-o", "json", "--filter", "status=ACTIVE", **env)
    assert status.returncode == 0, status.stderr
    active = json.loads(status.stdout)
    everything = json.loads(run(tmp_path, "get", "certificates", "-o", "json", **env).stdout)
    assert active and all(c["certificate_status"] == "ACTIVE" for c in active)
    assert len(active) < len(everything)  # revoked and expired ones are left out
    keys = run(
        tmp_path,
        "get",
        "keypairs",
        "-o",
        "json",
        "--filter",
        "alg=ECDSA",
        "--filter",
        "status=ONLINE",
        **env,
    )
    assert keys.returncode == 0, keys.stderr
    ecdsa = json.loads(keys.stdout)
    assert ecdsa and all(k["key_alg"] == "ECDSA" and k["key_status"] == "ONLINE" for k in ecdsa)
    one = ecdsa[0]["alias"]
    by_name = run(tmp_path, "get", "keypairs", "-o", "json", "--filter", f"name={one}", **env)
    assert [k["alias"] for k in json.loads(by_name.stdout)] == [one]


def _first(emulator: EmulatorServer, path: str) -> dict[str, Any]:
    key = emulator.credentials["users"]["lead"]["api_key"]
    data = httpx.get(f"{emulator.url}{path}", headers={"x-api-key": key}).json()
    return items_of(data)[0]


def test_get_by_natural_name_for_every_resource(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = lead_env(emulator)
    cases = [
        ("releases", "/signingmanager/api/v1/release-windows", "name"),
        ("certificates", "/signingmanager/api/v1/certificates", "alias"),
        ("keypairs", "/signingmanager/api/v1/keypairs", "alias"),
        ("users", "/account/api/v1/user", "email"),
        ("teams", "/signingmanager/api/v1/teams", "name"),
        ("keypair_profiles", "/signingmanager/api/v1/keypair-profiles", "name"),
        ("certificate_profiles", "/signingmanager/api/v1/certificate-profiles", "name"),
    ]
    for resource, path, field in cases:
        item = _first(emulator, path)
        result = run(tmp_path, "get", resource, item[field], "-o", "json", **env)
        assert result.returncode == 0, (resource, result.stderr)
        assert json.loads(result.stdout)["id"] == item["id"], resource
    missing = run(tmp_path, "get", "releases", "no-such-release", **env)
    assert missing.returncode == 4 and "no releases with the id or name" in missing.stderr


def test_an_ambiguous_name_exits_2_and_lists_the_matches_with_ids(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    def twins(path: str, data: Any) -> Any:
        if path.endswith("/teams"):
            for item in items_of(data)[:2]:
                item["name"] = "Twins"
        return data

    with HostileProxy(emulator, twins) as proxy:
        env = {**lead_env(emulator), "SM_HOST": proxy.url}
        result = run(tmp_path, "get", "teams", "Twins", **env)
    ids = [t["id"] for t in items_of(_teams(emulator))[:2]]
    assert result.returncode == 2
    assert "2 teams match 'Twins'" in result.stderr
    assert all(i in result.stderr for i in ids)


def _teams(emulator: EmulatorServer) -> Any:
    key = emulator.credentials["users"]["lead"]["api_key"]
    return httpx.get(
        f"{emulator.url}/signingmanager/api/v1/teams", headers={"x-api-key": key}
    ).json()


def test_table_labels_times_as_utc_revoked_certificates_and_active_counts(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = lead_env(emulator)
    certs = run(tmp_path, "get", "certificates", **env)
    assert certs.returncode == 0, certs.stderr
    header, *lines = certs.stdout.splitlines()
    assert "EXPIRES (UTC)" in header
    revoked = [line for line in lines if " REVOKED " in line]
    assert revoked and all("revoked" in line for line in revoked)
    keypairs = run(tmp_path, "get", "keypairs", **env).stdout
    assert "ACTIVE CERTS" in keypairs.splitlines()[0]
    assert "SUSPENDED" not in keypairs
    local = run(tmp_path, "get", "releases", "--local-time", TZ="Asia/Kolkata", **env)
    assert local.returncode == 0, local.stderr
    assert "START (IST)" in local.stdout.splitlines()[0]
