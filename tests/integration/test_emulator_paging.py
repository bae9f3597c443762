"""Pagination edges, filters, change-only refresh (modified_since, ETag, 304)."""

from __future__ import annotations

import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client


def test_default_and_clamped_page_sizes(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        default = c.get(f"{STM}/signatures").json()
        clamped = c.get(f"{STM}/signatures", params={"limit": 5000}).json()
    assert default["limit"] == 20 and len(default["items"]) == 20 and default["offset"] == 0
    assert clamped["limit"] == 100 and len(clamped["items"]) == 100
    assert default["total"] == clamped["total"] > 100


def test_pages_are_stable_and_cover_everything_once(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        total = c.get(f"{STM}/audit-log", params={"limit": 1}).json()["total"]
        seen: list[str] = []
        for offset in range(0, total, 7):
            seen += [
                i["id"]
                for i in c.get(f"{STM}/audit-log", params={"limit": 7, "offset": offset}).json()[
                    "items"
                ]
            ]
        whole = c.get(f"{STM}/audit-log", params={"limit": 100}).json()["items"]
    assert len(seen) == len(set(seen)) == total
    assert seen[:100] == [i["id"] for i in whole]
    assert [i["created_on"] for i in whole] == sorted(i["created_on"] for i in whole)


def test_offset_past_the_end_is_an_empty_page(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        page = c.get(f"{STM}/keypairs", params={"offset": 10_000}).json()
        nothing = c.get(f"{STM}/certificates", params={"alias": "no-such-cert"}).json()
    assert page["items"] == [] and page["total"] > 0 and page["offset"] == 10_000
    assert nothing == {"total": 0, "offset": 0, "limit": 20, "items": []}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": -1},
        {"offset": -1},
        {"limit": "ten"},
        {"modified_since": "yesterday"},
        {"certificate_status": "active"},
    ],
)
def test_bad_paging_and_filter_values_are_400(
    emulator: EmulatorServer, params: dict[str, str | int]
) -> None:
    with api_client(emulator) as c:
        r = c.get(f"{STM}/certificates", params=params)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["status"] == "invalid_input_field"
    assert error["message"].split(":")[0] == next(iter(params))


def test_filters_narrow_lists(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        ecdsa = c.get(f"{STM}/keypairs", params={"key_alg": "ECDSA", "limit": 100}).json()
        p384 = c.get(f"{STM}/keypairs", params={"curve": "P384", "limit": 100}).json()
        revoked = c.get(f"{STM}/certificates", params={"certificate_status": "REVOKED"}).json()
        kp_id = ecdsa["items"][0]["id"]
        by_kp = c.get(f"{STM}/certificates", params={"keypair_id": kp_id}).json()
        failed = c.get(f"{STM}/scans", params={"status": "FAIL"}).json()
        open_windows = c.get(f"{STM}/release-windows", params={"status": "OPEN"}).json()
        sigs = c.get(
            f"{STM}/signatures",
            params={"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"},
        ).json()
        keypair_audit = c.get(f"{STM}/audit-log", params={"resource_type": "KEYPAIR"}).json()
    assert ecdsa["total"] > 0 and all(k["key_alg"] == "ECDSA" for k in ecdsa["items"])
    assert p384["total"] > 0 and all(k["curve"] == "P384" for k in p384["items"])
    assert revoked["total"] > 0 and all(
        i["certificate_status"] == "REVOKED" for i in revoked["items"]
    )
    assert all(i["keypair"]["id"] == kp_id for i in by_kp["items"])
    assert failed["total"] > 0 and all(s["status"] == "FAIL" for s in failed["items"])
    assert open_windows["total"] >= 2 and all(r["status"] == "OPEN" for r in open_windows["items"])
    assert all("2026-11-20" <= s["created_on"] < "2026-11-21" for s in sigs["items"])
    assert all(a["resource_type"] == "KEYPAIR" for a in keypair_audit["items"])


def test_etag_gives_304_until_something_changes(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        first = c.get(f"{STM}/keypairs")
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        again = c.get(f"{STM}/keypairs", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        key = first.json()["items"][0]
        offline = key["key_status"] == "OFFLINE"
        c.post(f"{STM}/keypairs/{key['id']}/{'unsuspend' if offline else 'suspend'}")
        changed = c.get(f"{STM}/keypairs", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_modified_since_returns_only_later_changes(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator) as c:
        quiet = c.get(f"{STM}/keypairs", params={"modified_since": "2026-11-27T11:59:59Z"}).json()
        assert quiet["total"] == 0
        key = c.get(f"{STM}/keypairs", params={"alias": "shared-java-jars"}).json()["items"][0]
        c.put(f"{STM}/keypairs/{key['id']}", json={"limit_by_users": False})
        changed = c.get(f"{STM}/keypairs", params={"modified_since": "2026-11-27T11:59:59Z"}).json()
    assert [k["alias"] for k in changed["items"]] == ["shared-java-jars"]
    assert changed["items"][0]["modified_on"] == "2026-11-27T12:00:00Z"


def test_account_id_switches_between_the_callers_accounts(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead, api_client(emulator, "signer") as signer:
        labs = next(
            a for a in lead.get("/account/api/v1/account").json() if a["name"] == "Acme Labs"
        )
        labs_keys = lead.get(f"{STM}/keypairs", params={"account_id": labs["id"]}).json()
        refused = signer.get(f"{STM}/keypairs", params={"account_id": labs["id"]})
    assert labs_keys["total"] == 4
    assert all(k["account"]["name"] == "Acme Labs" for k in labs_keys["items"])
    assert refused.status_code == 403
