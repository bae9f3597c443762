"""Every endpoint refuses a missing key, a wrong key and a caller without the permission;
Team Lead scoping holds across every list (reliability checklist 12, issue 16 item 8).

The endpoints are read from the running emulator's own route table, so an endpoint added
tomorrow is in these tests without anyone listing it. The caller without a permission is
a service user with no role at all: only what docs/api-contract.md documents as open to
"any" authenticated user (`EVERYONE`) may answer it with a 2xx. A refusal is a 403, or a
404 where the contract hides what the caller cannot see; a 400 means the body was refused
before the permission was checked, so `BODIES` must give that endpoint a valid one.

(tests/integration/test_emulator_rbac.py holds each of the five roles against each
mutating endpoint, and test_emulator_visibility.py the exact scoping of keypairs,
certificates, signatures, audit and releases; here the point is that nothing is missed.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client
from tests.integration._emu import private_emulator

# What the contract opens to any authenticated caller (its table says "any", "own", "owner").
EVERYONE = {
    f"GET {STM}/keypair-profiles",
    f"GET {STM}/keypair-profiles/{{profile_id}}",
    f"GET {STM}/teams",
    f"GET {STM}/teams/{{team_id}}",
    f"GET {STM}/account-settings",
    f"GET {STM}/approval-requests",  # the list of what the caller may see: empty for nobody
    f"GET {AM}/user/me",
    f"GET {AM}/user",
    f"GET {AM}/user/{{user_id}}",
    f"GET {AM}/role",
    f"GET {AM}/account",
    f"GET {AM}/account/{{account_ref}}",
    f"GET {AM}/api-token",  # own
    f"GET {AM}/client-certificate",  # own
    f"GET {AM}/user/me/authenticator",
    f"DELETE {AM}/user/me/authenticator",  # own (a 422 here: a service user has none)
}
# Routes whose body is checked before the permission: a valid body, so the permission is.
BODIES: dict[str, Any] = {
    f"POST {STM}/release-windows": lambda ids: {
        "name": "auth-release", "team_id": ids["team_id"], "duration_minutes": 60,
        "keypair_ids": [ids["keypair_id"]],
    },
    f"POST {STM}/keypair-profiles": lambda ids: {
        "name": "auth-kp-profile", "key_alg": "RSA", "key_size": 2048,
    },
    f"POST {STM}/certificate-profiles": lambda ids: {"name": "auth-cert-profile"},
    f"POST {STM}/certificate-profiles/{{profile_id}}/clone": lambda ids: {"name": "auth-clone"},
    f"POST {STM}/teams": lambda ids: {"name": "auth-team"},
    f"POST {STM}/teams/{{team_id}}/members": lambda ids: {"user_id": ids["user_id"]},
    f"POST {AM}/api-token": lambda ids: {"name": "auth-token"},  # a service user: refused
    f"POST {AM}/client-certificate": lambda ids: {"name": "auth-cert", "password": "p" * 12},
    f"POST {AM}/user/me/authenticator/verify": lambda ids: {"code": "123456"},
}
QUERIES: dict[str, dict[str, str]] = {
    f"POST {STM}/scans": {"project": "auth-project", "alias": "auth-scan", "version": "1"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(Path(tmp_path_factory.mktemp("endpoint-auth")))


def routes(server: EmulatorServer) -> list[tuple[str, str]]:
    """(method, path template) of every endpoint the running emulator serves."""
    app = server._server.config.app  # the edge middleware holds the endpoint routes
    found = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ()) or ()
        if method != "HEAD"
    }
    return sorted(found, key=lambda r: (r[1], r[0]))


def first_id(c: httpx.Client, path: str) -> str:
    response = c.get(path, params={"limit": 1})
    data = response.json()
    items = data["items"] if isinstance(data, dict) else data
    return str(items[0]["id"]) if items else "no-such-id"


@pytest.fixture(scope="module")
def ids(server: EmulatorServer) -> dict[str, str]:
    """A real id for every path parameter, so a refusal is not a 404 for a made-up id."""
    with api_client(server) as lead:
        return {
            "keypair_id": first_id(lead, f"{STM}/keypairs"),
            "certificate_id": first_id(lead, f"{STM}/certificates"),
            "release_id": first_id(lead, f"{STM}/release-windows"),
            "kp_profile_id": first_id(lead, f"{STM}/keypair-profiles"),
            "cert_profile_id": first_id(lead, f"{STM}/certificate-profiles"),
            "signature_id": first_id(lead, f"{STM}/signatures"),
            "scan_id": first_id(lead, f"{STM}/scans"),
            "team_id": first_id(lead, f"{STM}/teams"),
            "user_id": first_id(lead, f"{AM}/user"),
            "account_ref": first_id(lead, f"{AM}/account"),
            "token_id": first_id(lead, f"{AM}/api-token"),
            "cert_id": first_id(lead, f"{AM}/client-certificate"),
            "request_id": first_id(lead, f"{STM}/approval-requests"),
        }


def concrete(template: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "profile_id":
            return ids["cert_profile_id" if "certificate-profiles" in template else "kp_profile_id"]
        return ids[name]

    return re.sub(r"\{([^}]+)\}", fill, template)


def call(
    http: httpx.Client, method: str, template: str, ids: dict[str, str]
) -> httpx.Response:
    line = f"{method} {template}"
    body = BODIES[line](ids) if line in BODIES else {}
    return http.request(
        method, concrete(template, ids), params=QUERIES.get(line),
        json=body if method != "GET" else None,
    )


def caller(server: EmulatorServer, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def api_routes(server: EmulatorServer) -> list[tuple[str, str]]:
    return [r for r in routes(server) if r[1].startswith((STM, AM))]


def test_the_route_table_is_read_and_the_open_list_is_current(server: EmulatorServer) -> None:
    lines = {f"{m} {p}" for m, p in api_routes(server)}
    assert len(lines) > 80
    assert lines >= EVERYONE and lines >= set(BODIES)  # no stale entries


@pytest.mark.parametrize("key", ["missing", "wrong"])
def test_every_endpoint_refuses_a_missing_or_wrong_key(
    server: EmulatorServer, ids: dict[str, str], key: str
) -> None:
    headers = {} if key == "missing" else {"x-api-key": "sk-not-a-key-0123456789abcdef"}
    with caller(server, headers) as http:
        answered = {f"{m} {p}": call(http, m, p, ids).status_code for m, p in api_routes(server)}
    assert {line: s for line, s in answered.items() if s != 401} == {}


def test_every_admin_endpoint_refuses_a_missing_or_wrong_admin_token(
    server: EmulatorServer,
) -> None:
    admin = [r for r in routes(server) if r[1].startswith("/_emulator") and "health" not in r[1]]
    assert len(admin) >= 8
    for headers in ({}, {"x-emulator-admin-token": "not-the-token"}):
        with caller(server, headers) as http:
            for method, path in admin:
                status = http.request(method, path, json={}).status_code
                assert status in (401, 403), (method, path, status)


@pytest.fixture(scope="module")
def nobody(server: EmulatorServer) -> str:
    """The API key of a service user with no role."""
    with api_client(server) as lead:
        made = lead.post(
            f"{AM}/user", json={"user_type": "service", "friendly_name": "no-role", "roles": []}
        )
    assert made.status_code == 201, made.text
    return str(made.json()["api_token"])


def test_a_caller_without_any_permission_is_refused_everywhere_but_what_is_open(
    server: EmulatorServer, ids: dict[str, str], nobody: str
) -> None:
    wrong: dict[str, str] = {}
    http = caller(server, {"x-api-key": nobody})
    for method, path in api_routes(server):
        line = f"{method} {path}"
        response = call(http, method, path, ids)
        status = response.status_code
        if line in EVERYONE:
            if status in (401, 403):
                wrong[line] = f"{status}: documented as open to any caller"
        elif status in (400, 422):
            wrong[line] = f"{status} before the permission check: add a valid body to BODIES"
        elif status not in (403, 404):
            wrong[line] = f"{status}: {response.text[:120]}"
    http.close()
    assert wrong == {}


# -- Team Lead scoping, every list -------------------------------------------------------------

# Every STM list, by how it is scoped. Keypair-scoped lists are checked exactly in
# test_emulator_visibility.py; here a Team Lead's view must be a strict part of the Lead's.
SCOPED = {"keypairs", "certificates", "signatures", "audit-log", "release-windows",
          "approval-requests"}
# Reference data the contract opens to every caller of the account ("any"), and scans,
# which the contract gates by VIEW_SM_THREAT_DETECTION only (not by keypair or team).
ACCOUNT_WIDE = {"keypair-profiles", "certificate-profiles", "teams", "scans",
                "account-settings"}


def all_ids(c: httpx.Client, path: str) -> set[str]:
    found: set[str] = set()
    while True:
        page = c.get(path, params={"limit": 100, "offset": len(found)})
        assert page.status_code == 200, (path, page.text)
        data = page.json()
        if not isinstance(data, dict) or "items" not in data:
            return {"(single)"}
        found |= {i["id"] for i in data["items"]}
        if len(found) >= data["total"] or not data["items"]:
            return found


def test_every_stm_list_is_classified_and_a_team_lead_sees_part_of_the_scoped_ones(
    server: EmulatorServer,
) -> None:
    lists = {
        p.removeprefix(f"{STM}/") for m, p in api_routes(server)
        if m == "GET" and p.startswith(STM) and "{" not in p and not p.endswith("/export")
    }
    assert lists == SCOPED | ACCOUNT_WIDE, "classify the new list here"
    with api_client(server) as lead, api_client(server, "team_lead") as tl:
        for name in sorted(SCOPED):
            everything, theirs = all_ids(lead, f"{STM}/{name}"), all_ids(tl, f"{STM}/{name}")
            assert theirs < everything, name  # a strict part: something is hidden
        for name in sorted(ACCOUNT_WIDE):
            assert all_ids(tl, f"{STM}/{name}") == all_ids(lead, f"{STM}/{name}"), name
