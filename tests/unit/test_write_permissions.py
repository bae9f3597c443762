"""Disabled write actions say why: a missing permission first, then read-only mode."""

from __future__ import annotations

import httpx
import pytest

from stm_tui.api.models import User
from stm_tui.api.writes.permissions import (
    ACTION_PERMISSIONS,
    PERMISSION_NAMES,
    Availability,
    action_availability,
    availability,
)
from stm_tui.emulator.rbac import AM_ROLE_PERMISSIONS, ROLE_PERMISSIONS
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, api_client


def me(server: EmulatorServer, role: str) -> User:
    with api_client(server, role) as client:
        response = client.get(f"{AM}/user/me")
        response.raise_for_status()
        return User.model_validate(response.json())


@pytest.mark.parametrize(
    ("role", "action", "reason"),
    [
        ("signer", "keypair.suspend", "needs the Manage keypair permission (you are Signer)"),
        (
            "developer",
            "keypair.delete",
            "needs the Approve keypair delete permission (you are Developer)",
        ),
        (
            "team_lead",
            "keypair.delete",
            "needs the Approve keypair delete permission (you are Team Lead)",
        ),
        (
            "build_engineer",
            "certificate.revoke",
            "needs the Revoke certificate permission (you are Build Engineer)",
        ),
        ("lead", "keypair.delete", "read-only: press W to enter write mode"),
        ("developer", "keypair.generate", "read-only: press W to enter write mode"),
    ],
)
def test_reasons_for_the_emulators_users(
    emulator: EmulatorServer, role: str, action: str, reason: str
) -> None:
    user = me(emulator, role)
    found = action_availability(
        action, permissions=user.permissions, role_codes=user.role_codes, read_only=True
    )
    assert found == Availability(False, reason)
    assert not found


def test_in_write_mode_an_allowed_action_is_enabled(emulator: EmulatorServer) -> None:
    lead = me(emulator, "lead")
    found = action_availability(
        "keypair.delete",
        permissions=lead.permissions,
        role_codes=lead.role_codes,
        read_only=False,
    )
    assert found.enabled and found.reason is None


def test_irreversible_actions_are_refused_on_a_multi_row_selection() -> None:
    perms = {"APPROVE_SM_KEYPAIR_DELETE"}
    assert availability(
        "APPROVE_SM_KEYPAIR_DELETE",
        permissions=perms,
        read_only=False,
        selected=3,
        single_only=True,
    ) == Availability(False, "one item at a time (3 are selected)")
    assert availability(
        "APPROVE_SM_KEYPAIR_DELETE", permissions=perms, read_only=False, selected=0
    ) == Availability(False, "nothing selected")
    assert availability(None, permissions=(), read_only=False, write_key="ctrl+w").enabled
    assert availability(None, permissions=(), read_only=True, write_key="ctrl+w").reason == (
        "read-only: press ctrl+w to enter write mode"
    )


def test_every_mapped_permission_exists_in_the_contract() -> None:
    known = set().union(*ROLE_PERMISSIONS.values(), *AM_ROLE_PERMISSIONS.values())
    assert set(ACTION_PERMISSIONS.values()) <= known
    assert known <= set(PERMISSION_NAMES)


def test_no_stm_role_is_named_as_such() -> None:
    found = availability("SIGN_SM_HASH", permissions=(), role_codes=(), read_only=False)
    assert found.reason == "needs the Sign permission (you are no STM role)"


def test_the_api_answers_403_where_availability_says_no(emulator: EmulatorServer) -> None:
    # The reason is not a guess: the emulator refuses the same call for the same user.
    signer = me(emulator, "signer")
    assert not action_availability(
        "keypair.generate", permissions=signer.permissions, read_only=False
    )
    with api_client(emulator, "signer") as client:
        response: httpx.Response = client.post(
            "/signingmanager/api/v1/keypairs",
            json={"alias": "signer-try", "key_alg": "RSA", "key_size": 2048},
        )
    assert response.status_code == 403
