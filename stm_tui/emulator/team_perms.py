"""The nine team member permissions (C: STM "manage team permissions"), in three groups,
and the STM permission each one grants on the team's own resources (I).

A member's permissions add to their role: a Developer who may approve keypair deletion in
a team approves deletion requests for that team's keypairs, and nothing else. A member with
the Lead role has every permission (C: "a Lead member is a superuser")."""

from __future__ import annotations

from typing import Any

MANAGE = ("manage_keypairs_and_certificates", "manage_team")
APPROVE = (
    "approve_keypair_deletion",
    "approve_certificate_revocation",
    "approve_keypair_export",
    "approve_offline_releases",
)
OPERATION = ("generate_keypairs_and_certificates", "sign", "scan")
TEAM_PERMISSIONS = MANAGE + APPROVE + OPERATION
GROUPS = {"manage": MANAGE, "approve": APPROVE, "operation": OPERATION}

# team permission -> the STM permission codes it grants for the team's resources
GRANTS: dict[str, tuple[str, ...]] = {
    "manage_keypairs_and_certificates": ("MANAGE_SM_KEYPAIR",),
    "manage_team": ("MANAGE_SM_MY_TEAMS",),
    "approve_keypair_deletion": ("APPROVE_SM_KEYPAIR_DELETE",),
    "approve_certificate_revocation": ("REVOKE_SM_CERTIFICATE",),
    "approve_keypair_export": ("APPROVE_SM_KEYPAIR_EXPORT",),
    "approve_offline_releases": ("APPROVE_SM_RELEASE",),
    "generate_keypairs_and_certificates": ("GENERATE_SM_KEYPAIR", "GENERATE_SM_CERTIFICATE"),
    "sign": ("SIGN_SM_HASH",),
    "scan": ("SCAN_SM",),
}


def member_defaults(
    is_lead: bool, role_permissions: frozenset[str] = frozenset()
) -> dict[str, bool]:
    """A team lead starts with every permission; a member with the Operation permissions
    their role already has (so joining a team widens nothing until someone says so)."""
    out = dict.fromkeys(TEAM_PERMISSIONS, is_lead)
    if not is_lead:
        for perm in OPERATION:
            out[perm] = bool(set(GRANTS[perm]) & role_permissions)
    return out


def all_permissions() -> dict[str, bool]:
    return dict.fromkeys(TEAM_PERMISSIONS, True)


def granted_codes(permissions: dict[str, Any]) -> frozenset[str]:
    codes: set[str] = set()
    for name, codes_of in GRANTS.items():
        if permissions.get(name):
            codes.update(codes_of)
    return frozenset(codes)
