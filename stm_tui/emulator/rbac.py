"""The five STM roles, the Account Manager roles, and their permission codes
(docs/api-contract.md, "Roles and permissions").

STM roles grant nothing in Account Manager: administering users, API tokens and client
certificates takes an Account Manager role (C: STM "does not manage user accounts")."""

from __future__ import annotations

_TEAM_LEAD = frozenset(
    {
        "MANAGE_SM_MY_TEAMS",
        "VIEW_SM_KEYPAIR",
        "GENERATE_SM_KEYPAIR",
        "MANAGE_SM_KEYPAIR",
        "VIEW_SM_CERTIFICATE",
        "GENERATE_SM_CERTIFICATE",
        "REVOKE_SM_CERTIFICATE",
        "SIGN_SM_HASH",
        "REQUEST_SM_RELEASE",
        "VIEW_SM_RELEASE",
        "APPROVE_SM_RELEASE",
        "VIEW_SM_THREAT_DETECTION",
        "VIEW_SM_AUDIT_LOG",
        "VIEW_SM_CERTIFICATE_PROFILE",
    }
)
_DEVELOPER = frozenset(
    {
        "VIEW_SM_KEYPAIR",
        "GENERATE_SM_KEYPAIR",
        "VIEW_SM_CERTIFICATE",
        "GENERATE_SM_CERTIFICATE",
        "SIGN_SM_HASH",
        "REQUEST_SM_RELEASE",
        "VIEW_SM_RELEASE",
        "VIEW_SM_THREAT_DETECTION",
        "VIEW_SM_AUDIT_LOG",
        "VIEW_SM_CERTIFICATE_PROFILE",
    }
)
_SIGNER = frozenset(
    {
        "VIEW_SM_KEYPAIR",
        "VIEW_SM_CERTIFICATE",
        "SIGN_SM_HASH",
        "VIEW_SM_RELEASE",
        "VIEW_SM_AUDIT_LOG",
    }
)
_BUILD_ENGINEER = frozenset(
    {
        "VIEW_SM_KEYPAIR",
        "VIEW_SM_CERTIFICATE",
        "SIGN_SM_HASH",
        "SCAN_SM",
        "VIEW_SM_THREAT_DETECTION",
        "VIEW_SM_RELEASE",
    }
)
_LEAD_ONLY = frozenset(
    {
        "MANAGE_SM_ACCOUNT_SETTINGS",
        "MANAGE_SM_CERTCENTRAL_KEY",
        "MANAGE_SM_ALL_TEAMS",
        "APPROVE_SM_RELEASE",
        "APPROVE_SM_KEYPAIR_DELETE",
        "REVOKE_SM_CERTIFICATE",
        "MANAGE_SM_CERTIFICATE_PROFILE",
        "MANAGE_SM_KEYPAIR_PROFILE",
        "EXPORT_SM_AUDIT_LOG",
        "IMPORT_SM_KEYPAIR",
        "APPROVE_SM_KEYPAIR_EXPORT",
        "REQUEST_SM_KEYPAIR_EXPORT",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "SSM_LEAD": _LEAD_ONLY | _TEAM_LEAD | _DEVELOPER | _SIGNER | _BUILD_ENGINEER,
    "SSM_TEAM_LEAD": _TEAM_LEAD,
    "SSM_DEVELOPER": _DEVELOPER,
    "SSM_SIGNER": _SIGNER,
    "SSM_BUILD_ENGINEER": _BUILD_ENGINEER,
}

ROLE_NAMES = {
    "SSM_LEAD": "Lead",
    "SSM_TEAM_LEAD": "Team Lead",
    "SSM_DEVELOPER": "Developer",
    "SSM_SIGNER": "Signer",
    "SSM_BUILD_ENGINEER": "Build Engineer",
}

# Account Manager roles (application_code=account_manager). The permission codes are the
# ones seen in public output (C: MANAGE_AM_ACCOUNT, VIEW_AM_USER, VIEW_AM_ROLE, VIEW_AM_ACCOUNT,
# VIEW_AM_AUDIT_LOG, MANAGE_AM_PERMISSION) plus MANAGE_AM_USER after their pattern (I).
AM_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "AM_ACCOUNT_ADMINISTRATOR": frozenset(
        {
            "MANAGE_AM_ACCOUNT",
            "VIEW_AM_ACCOUNT",
            "MANAGE_AM_USER",
            "VIEW_AM_USER",
            "VIEW_AM_ROLE",
            "MANAGE_AM_PERMISSION",
            "VIEW_AM_AUDIT_LOG",
        }
    ),
    "AM_ACCOUNT_VIEWER": frozenset(
        {"VIEW_AM_ACCOUNT", "VIEW_AM_USER", "VIEW_AM_ROLE", "VIEW_AM_AUDIT_LOG"}
    ),
}
AM_ROLE_NAMES = {
    "AM_ACCOUNT_ADMINISTRATOR": "Account Administrator",
    "AM_ACCOUNT_VIEWER": "Account Viewer",
}

STM_ROLE_CODES = tuple(ROLE_PERMISSIONS)
AM_ROLE_CODES = tuple(AM_ROLE_PERMISSIONS)
ALL_ROLE_NAMES = {**ROLE_NAMES, **AM_ROLE_NAMES}

# credentials-file key -> role code
CREDENTIAL_ROLES = {
    "lead": "SSM_LEAD",
    "team_lead": "SSM_TEAM_LEAD",
    "developer": "SSM_DEVELOPER",
    "signer": "SSM_SIGNER",
    "build_engineer": "SSM_BUILD_ENGINEER",
}

# Stable role ids (INFERRED): the Account Manager role list is global, not per data dir.
ROLE_IDS = {
    "SSM_LEAD": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a01",
    "SSM_TEAM_LEAD": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a02",
    "SSM_DEVELOPER": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a03",
    "SSM_SIGNER": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a04",
    "SSM_BUILD_ENGINEER": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a05",
    "AM_ACCOUNT_ADMINISTRATOR": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a11",
    "AM_ACCOUNT_VIEWER": "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a12",
}
SOFTWARE_TRUST_APP_ID = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ACCOUNT_MANAGER_APP_ID = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5e"


def permissions_for(roles: list[str]) -> frozenset[str]:
    """STM and Account Manager permissions of a role list (unknown codes grant nothing)."""
    perms: frozenset[str] = frozenset()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
        perms |= AM_ROLE_PERMISSIONS.get(role, frozenset())
    return perms


def stm_permissions(roles: list[str]) -> frozenset[str]:
    perms: frozenset[str] = frozenset()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return perms


def am_permissions(roles: list[str]) -> frozenset[str]:
    perms: frozenset[str] = frozenset()
    for role in roles:
        perms |= AM_ROLE_PERMISSIONS.get(role, frozenset())
    return perms
