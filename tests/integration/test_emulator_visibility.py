"""Assigned-only visibility, role by role and resource by resource (C: N7).

A Lead (Manage keypair across the account) sees every keypair; a Team Lead, Developer,
Signer or Build Engineer sees the keypairs assigned to them (open ones, restricted ones
listing them or one of their teams) and, through them, only those keypairs' certificates,
signatures and audit entries. What is hidden is a 404, exactly as if it did not exist."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client

ROLES = ("lead", "team_lead", "developer", "signer", "build_engineer")


def all_items(c: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = c.get(f"{STM}{path}", params={**params, "limit": 100, "offset": len(items)})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        if len(items) >= body["total"]:
            return items


@pytest.fixture(scope="module")
def truth(emulator: EmulatorServer) -> dict[str, Any]:
    """Everything, as the Lead sees it, and which keypairs each role should see."""
    with api_client(emulator) as lead:
        keypairs = all_items(lead, "/keypairs")
        teams = all_items(lead, "/teams")
        signatures = all_items(lead, "/signatures")
        audit = all_items(lead, "/audit-log", resource_type="KEYPAIR")
        certificates = all_items(lead, "/certificates")
    expected: dict[str, set[str]] = {}
    for role in ROLES:
        uid = emulator.credentials["users"][role]["id"]
        my_teams = {t["id"] for t in teams if uid in {m["user_id"] for m in t["members"]}}
        expected[role] = {
            kp["id"]
            for kp in keypairs
            if role == "lead"
            or not kp["limit_by_users"]
            or uid in {u["id"] for u in kp["users"]}
            or my_teams & {g["id"] for g in kp["groups"]}
        }
    return {
        "keypairs": keypairs,
        "signatures": signatures,
        "audit": audit,
        "certificates": certificates,
        "expected": expected,
    }


def test_the_matrix_is_not_trivial(truth: dict[str, Any]) -> None:
    sizes = {role: len(ids) for role, ids in truth["expected"].items()}
    assert sizes["lead"] == len(truth["keypairs"])
    assert all(0 < sizes[r] < sizes["lead"] for r in ROLES[1:]), sizes
    assert len({frozenset(ids) for ids in truth["expected"].values()}) >= 4  # they differ


@pytest.mark.parametrize("role", ROLES)
def test_keypairs_and_certificates_are_those_assigned(
    emulator: EmulatorServer, truth: dict[str, Any], role: str
) -> None:
    expected = truth["expected"][role]
    with api_client(emulator, role) as c:
        seen = {kp["id"] for kp in all_items(c, "/keypairs")}
        certs = all_items(c, "/certificates")
        hidden = sorted({kp["id"] for kp in truth["keypairs"]} - expected)
        hidden_cert = next(
            (x for x in truth["certificates"] if x["keypair"]["id"] not in expected), None
        )
        if hidden:
            assert c.get(f"{STM}/keypairs/{hidden[0]}").status_code == 404
            signed = c.post(
                f"{STM}/keypairs/{hidden[0]}/sign", json={"hash": "AAAA", "sig_alg": "ED25519"}
            )
            assert signed.status_code in (403, 404)  # 403 only for roles without Sign
        if hidden_cert is not None:
            assert c.get(f"{STM}/certificates/{hidden_cert['id']}").status_code == 404
    assert seen == expected
    assert {x["keypair"]["id"] for x in certs} == {
        x["keypair"]["id"] for x in truth["certificates"] if x["keypair"]["id"] in expected
    }
    assert (hidden != []) == (role != "lead")


@pytest.mark.parametrize("role", ROLES)
def test_signature_and_audit_logs_follow_the_keypairs(
    emulator: EmulatorServer, truth: dict[str, Any], role: str
) -> None:
    expected = truth["expected"][role]
    uid = emulator.credentials["users"][role]["id"]
    with api_client(emulator, role) as c:
        if role == "build_engineer":  # no View audit log: neither log at all
            assert c.get(f"{STM}/signatures").status_code == 403
            assert c.get(f"{STM}/audit-log").status_code == 403
            return
        signatures = all_items(c, "/signatures")
        audit = all_items(c, "/audit-log", resource_type="KEYPAIR")
        hidden_sig = next(
            (s for s in truth["signatures"] if s["keypair"]["id"] not in expected), None
        )
        if hidden_sig is not None and hidden_sig["user"]["id"] != uid:
            assert c.get(f"{STM}/signatures/{hidden_sig['id']}").status_code == 404
    assert {s["id"] for s in signatures} == {
        s["id"] for s in truth["signatures"] if s["keypair"]["id"] in expected
    }
    assert {e["id"] for e in audit} == {
        e["id"] for e in truth["audit"] if e["resource_id"] in expected or e["user_id"] == uid
    }


def test_a_team_lead_no_longer_sees_another_teams_keypair_in_the_logs(
    emulator: EmulatorServer, truth: dict[str, Any]
) -> None:
    """The issue's example: 404 on the keypair, yet its alias in /signatures and /audit-log."""
    with api_client(emulator, "team_lead") as tl:
        sdk = next(k for k in truth["keypairs"] if k["alias"] == "mobile-sdk-release")
        assert tl.get(f"{STM}/keypairs/{sdk['id']}").status_code == 404
        signatures = all_items(tl, "/signatures", keypair_id=sdk["id"])
        audit = all_items(tl, "/audit-log", resource_id=sdk["id"])
    assert any(s["keypair"]["id"] == sdk["id"] for s in truth["signatures"])
    assert signatures == [] and audit == []


@pytest.mark.parametrize(
    ("role", "sees_every_release"),
    [("team_lead", False), ("developer", True), ("signer", False)],  # Priya requested half
)
def test_releases_are_scoped_like_their_keypairs(
    emulator: EmulatorServer, truth: dict[str, Any], role: str, sees_every_release: bool
) -> None:
    """A release shows when it belongs to one of the caller's teams, lists them as a signer,
    was requested by them, or holds a keypair they can see."""
    uid = emulator.credentials["users"][role]["id"]
    with api_client(emulator) as lead, api_client(emulator, role) as c:
        teams = {
            t["id"]
            for t in all_items(lead, "/teams")
            if uid in {m["user_id"] for m in t["members"]}
        }
        everything = all_items(lead, "/release-windows")
        mine = {r["id"] for r in all_items(c, "/release-windows")}
    expected = {
        r["id"]
        for r in everything
        if r["team_id"] in teams
        or uid in {u["id"] for u in r["users"]}
        or r["created_by_user"]["id"] == uid
        or {k["id"] for k in r["keypairs"]} & truth["expected"][role]
    }
    assert mine == expected
    assert (len(mine) == len(everything)) == sees_every_release
