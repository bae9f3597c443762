"""Certificate and keypair list pages are spliced from cached per-item fragments
(stm_tui/emulator/fragments.py): a warm page is the same bytes as a cold one and as the
single-item answers, and a change to anything an item shows is on the next page read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from stm_tui.emulator.db import Database
from stm_tui.emulator.server import EmulatorServer
from stm_tui.emulator.util import parse_ts
from tests.conftest import STM, MovableClock, api_client


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def server(tmp_path: Path, clock: MovableClock) -> Iterator[EmulatorServer]:
    emu = EmulatorServer(data_dir=tmp_path / "emu", seed="demo", activity=False, clock=clock)
    with emu:
        yield emu


def _state(server: EmulatorServer) -> Any:
    assert server.state is not None
    return server.state


def _pages(http: httpx.Client, resource: str, limit: int = 7) -> list[bytes]:
    """Every page of a listing, as served (a small limit: many pages, some partly full)."""
    bodies: list[bytes] = []
    offset = 0
    while True:
        r = http.get(f"{STM}/{resource}", params={"limit": limit, "offset": offset})
        assert r.status_code == 200
        bodies.append(r.content)
        offset += limit
        if offset >= r.json()["total"]:
            return bodies


def _listing(http: httpx.Client, resource: str) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for body in _pages(http, resource, limit=100):
        items.update({i["id"]: i for i in httpx.Response(200, content=body).json()["items"]})
    return items


@pytest.mark.parametrize("resource", ["certificates", "keypairs"])
def test_a_warm_page_is_the_same_bytes_as_a_cold_one_and_as_the_single_item_answers(
    server: EmulatorServer, resource: str
) -> None:
    state = _state(server)
    with api_client(server) as http:
        cold = _pages(http, resource)
        assert len(state.fragment_cache) > 0  # the pages below are served from it
        warm = _pages(http, resource)
        state.fragment_cache.clear()
        cleared = _pages(http, resource)
        assert warm == cold
        assert cleared == cold
        for body in cold:
            page = httpx.Response(200, content=body).json()
            singles = [http.get(f"{STM}/{resource}/{i['id']}").content for i in page["items"]]
            head = f'{{"total":{page["total"]},"offset":{page["offset"]},"limit":7,"items":['
            assert body == head.encode() + b",".join(singles) + b"]}"


def _cert_with_keypair(http: httpx.Client, status: str = "ACTIVE") -> dict[str, Any]:
    certs = _listing(http, "certificates")
    return next(c for c in certs.values() if c["certificate_status"] == status)


def _embedded(keypair: dict[str, Any], cert_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in keypair["certificates"] if c["id"] == cert_id)
    return found


def test_a_revoked_certificate_is_revoked_in_both_listings_on_the_next_read(
    server: EmulatorServer,
) -> None:
    with api_client(server) as http:
        cert = _cert_with_keypair(http)
        kp_before = _listing(http, "keypairs")[cert["keypair"]["id"]]
        assert _embedded(kp_before, cert["id"])["certificate_status"] == "ACTIVE"
        r = http.post(f"{STM}/certificates/{cert['id']}/revoke", json={"reason": "superseded"})
        assert r.status_code == 200
        assert _listing(http, "certificates")[cert["id"]]["certificate_status"] == "REVOKED"
        kp_after = _listing(http, "keypairs")[cert["keypair"]["id"]]
    embedded = _embedded(kp_after, cert["id"])
    assert embedded["certificate_status"] == "REVOKED"
    assert embedded["revocation_reason"] == "superseded"
    assert kp_after["number_of_active_certificates"] == (
        kp_before["number_of_active_certificates"] - 1
    )


def test_a_keypair_alias_change_shows_in_its_certificates_keypair_ref(
    server: EmulatorServer,
) -> None:
    with api_client(server) as http:
        cert = _cert_with_keypair(http)
        kp_id = cert["keypair"]["id"]
        _listing(http, "keypairs")
        r = http.put(f"{STM}/keypairs/{kp_id}", json={"alias": "renamed-by-test"})
        assert r.status_code == 200
        certs = _listing(http, "certificates")
        keypair = _listing(http, "keypairs")[kp_id]
    own = [c for c in certs.values() if c["keypair"]["id"] == kp_id]
    assert own and all(c["keypair"]["alias"] == "renamed-by-test" for c in own)
    assert keypair["alias"] == "renamed-by-test"
    assert all(c["keypair"]["alias"] == "renamed-by-test" for c in keypair["certificates"])


def test_a_certificate_the_clock_moves_past_shows_expired_in_both_listings(
    server: EmulatorServer, clock: MovableClock
) -> None:
    with api_client(server) as http:
        cert = _cert_with_keypair(http)
        kp_before = _listing(http, "keypairs")[cert["keypair"]["id"]]
        clock.now = parse_ts(cert["valid_to"]) + timedelta(seconds=1)
        assert _listing(http, "certificates")[cert["id"]]["certificate_status"] == "EXPIRED"
        kp_after = _listing(http, "keypairs")[cert["keypair"]["id"]]
    assert _embedded(kp_after, cert["id"])["certificate_status"] == "EXPIRED"
    assert (
        kp_after["number_of_active_certificates"] < kp_before["number_of_active_certificates"]
    )


def test_a_team_rename_shows_in_its_keypairs_groups(server: EmulatorServer) -> None:
    with api_client(server) as http:
        keypairs = _listing(http, "keypairs")
        kp = next(k for k in keypairs.values() if k["groups"])
        team_id = kp["groups"][0]["id"]
        r = http.put(f"/signingmanager/api/v1/teams/{team_id}", json={"name": "Renamed team"})
        assert r.status_code == 200, r.text
        again = _listing(http, "keypairs")[kp["id"]]
    assert {g["id"]: g["name"] for g in again["groups"]}[team_id] == "Renamed team"


def test_a_user_rename_shows_in_certificates_and_keypairs_that_name_the_user(
    server: EmulatorServer,
) -> None:
    state = _state(server)
    with api_client(server) as http:
        cert = _cert_with_keypair(http)
        user_id = cert["created_by_user"]["id"]
        _listing(http, "keypairs")
        # No API renames a user; the record changes in the store as an admin's would.
        with state.db.tx() as c:
            user = state.db.get("users", user_id)
            assert user is not None
            Database.update(c, "users", {**user, "name": "Renamed User"})
        certs = _listing(http, "certificates")
        keypairs = _listing(http, "keypairs")
    assert certs[cert["id"]]["created_by_user"]["name"] == "Renamed User"
    embedded = _embedded(keypairs[cert["keypair"]["id"]], cert["id"])
    assert embedded["created_by_user"]["name"] == "Renamed User"


def test_if_none_match_is_304_on_a_warm_page_until_a_revoke(server: EmulatorServer) -> None:
    with api_client(server) as http:
        cert = _cert_with_keypair(http)
        first = http.get(f"{STM}/keypairs", params={"limit": 100})
        tag = first.headers["etag"]
        again = http.get(f"{STM}/keypairs", params={"limit": 100}, headers={"If-None-Match": tag})
        assert again.status_code == 304
        http.post(f"{STM}/certificates/{cert['id']}/revoke", json={})
        changed = http.get(
            f"{STM}/keypairs", params={"limit": 100}, headers={"If-None-Match": tag}
        )
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
