"""Why a write action is disabled, in words: read-only mode, a missing permission, a bulk pick.

The dashboard shows write actions dimmed with the reason instead of hiding them or letting the
server answer 403; the CLI refuses with the same sentence. Permission codes are the Account
Manager's (docs/api-contract.md, "Roles and permissions"), read from `/user/me`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Display names of the permission codes, as the STM console words them.
PERMISSION_NAMES: Mapping[str, str] = {
    "MANAGE_SM_ACCOUNT_SETTINGS": "Manage account settings",
    "MANAGE_SM_CERTCENTRAL_KEY": "Manage CertCentral key",
    "MANAGE_SM_ALL_TEAMS": "Manage all teams",
    "MANAGE_SM_MY_TEAMS": "Manage my teams",
    "MANAGE_AM_USER": "Manage users (Account Manager)",
    "MANAGE_AM_ACCOUNT": "Manage account (Account Manager)",
    "VIEW_AM_ACCOUNT": "View account (Account Manager)",
    "VIEW_AM_USER": "View users (Account Manager)",
    "VIEW_AM_ROLE": "View roles (Account Manager)",
    "VIEW_AM_AUDIT_LOG": "View audit log (Account Manager)",
    "MANAGE_AM_PERMISSION": "Manage permissions (Account Manager)",
    "APPROVE_SM_RELEASE": "Approve release",
    "APPROVE_SM_KEYPAIR_DELETE": "Approve keypair delete",
    "APPROVE_SM_KEYPAIR_EXPORT": "Approve keypair export",
    "REQUEST_SM_KEYPAIR_EXPORT": "Request keypair export",
    "REVOKE_SM_CERTIFICATE": "Revoke certificate",
    "MANAGE_SM_CERTIFICATE_PROFILE": "Manage certificate profile",
    "MANAGE_SM_KEYPAIR_PROFILE": "Manage keypair profile",
    "EXPORT_SM_AUDIT_LOG": "Export audit log",
    "VIEW_SM_KEYPAIR": "View keypair",
    "GENERATE_SM_KEYPAIR": "Generate keypair",
    "MANAGE_SM_KEYPAIR": "Manage keypair",
    "IMPORT_SM_KEYPAIR": "Import keypair",
    "VIEW_SM_CERTIFICATE": "View certificate",
    "GENERATE_SM_CERTIFICATE": "Generate certificate",
    "SIGN_SM_HASH": "Sign",
    "REQUEST_SM_RELEASE": "Request release",
    "VIEW_SM_RELEASE": "View release",
    "VIEW_SM_THREAT_DETECTION": "View threat detection",
    "SCAN_SM": "Scan",
    "VIEW_SM_AUDIT_LOG": "View audit log",
    "VIEW_SM_CERTIFICATE_PROFILE": "View certificate profile",
}

ROLE_NAMES: Mapping[str, str] = {
    "SSM_LEAD": "Lead",
    "SSM_TEAM_LEAD": "Team Lead",
    "SSM_DEVELOPER": "Developer",
    "SSM_SIGNER": "Signer",
    "SSM_BUILD_ENGINEER": "Build Engineer",
    "AM_ACCOUNT_ADMINISTRATOR": "Account Administrator",
    "AM_ACCOUNT_VIEWER": "Account Viewer",
}

# What the server checks for each write (`WriteCall.action` -> permission code), from the
# contract's endpoint tables. Later workflows add their actions here; an action that is not
# listed needs no particular permission here (the server still checks).
ACTION_PERMISSIONS: Mapping[str, str] = {
    "keypair.generate": "GENERATE_SM_KEYPAIR",
    "keypair.update": "MANAGE_SM_KEYPAIR",
    "keypair.suspend": "MANAGE_SM_KEYPAIR",
    "keypair.unsuspend": "MANAGE_SM_KEYPAIR",
    "keypair.delete": "APPROVE_SM_KEYPAIR_DELETE",
    "certificate.generate": "GENERATE_SM_CERTIFICATE",
    "certificate.set_default": "MANAGE_SM_KEYPAIR",
    "certificate.revoke": "REVOKE_SM_CERTIFICATE",
    "keypair.sign": "SIGN_SM_HASH",
    "keypair_profile.create": "MANAGE_SM_KEYPAIR_PROFILE",
    "certificate_profile.create": "MANAGE_SM_CERTIFICATE_PROFILE",
    "release.create": "REQUEST_SM_RELEASE",
    "release.approve": "APPROVE_SM_RELEASE",
    "release.reject": "APPROVE_SM_RELEASE",
    # release.close: its requester, or someone who may approve releases (checked by the server).
    # approval.approve / approval.reject: the right depends on the kind (approve release,
    # keypair delete or export, revoke certificate) and may come from a team; the server
    # says per request (`can_decide`). scan.submit: Scan, from the role or a team.
    "team.create": "MANAGE_SM_ALL_TEAMS",
    # team.update: MANAGE_SM_ALL_TEAMS, or MANAGE_SM_MY_TEAMS for a team one leads.
    "account_settings.update": "MANAGE_SM_ACCOUNT_SETTINGS",
    "certcentral.set": "MANAGE_SM_CERTCENTRAL_KEY",
    "certcentral.delete": "MANAGE_SM_CERTCENTRAL_KEY",
    "user.create": "MANAGE_AM_USER",
    "user.update": "MANAGE_AM_USER",
    # issue 13: profiles and CertCentral
    "keypair_profile.update": "MANAGE_SM_KEYPAIR_PROFILE",
    "keypair_profile.enable": "MANAGE_SM_KEYPAIR_PROFILE",
    "keypair_profile.disable": "MANAGE_SM_KEYPAIR_PROFILE",
    "certificate_profile.update": "MANAGE_SM_CERTIFICATE_PROFILE",
    "certificate_profile.clone": "MANAGE_SM_CERTIFICATE_PROFILE",
    "certificate_profile.enable": "MANAGE_SM_CERTIFICATE_PROFILE",
    "certificate_profile.disable": "MANAGE_SM_CERTIFICATE_PROFILE",
    "account_settings.require_keypair_profile": "MANAGE_SM_ACCOUNT_SETTINGS",
    "certcentral.update": "MANAGE_SM_CERTCENTRAL_KEY",
    "certcentral.validate": "MANAGE_SM_CERTCENTRAL_KEY",
    "certcentral.enable": "MANAGE_SM_CERTCENTRAL_KEY",
    "certcentral.disable": "MANAGE_SM_CERTCENTRAL_KEY",
    # API tokens and client certificates: one's own need nothing; another user's need
    # MANAGE_AM_USER (checked by the server).
    # people and access (issue 12)
    "account.mfa_require": "MANAGE_AM_ACCOUNT",
    "account.mfa_relax": "MANAGE_AM_ACCOUNT",
    "user.roles": "MANAGE_AM_USER",
    "user.deactivate": "MANAGE_AM_USER",
    # Changing a team's members, permissions and resources: Manage my teams is the role's
    # part; the server (and `views.access.team_availability`) also wants Manage team in
    # that team, or Manage all teams.
    "team.delete": "MANAGE_SM_ALL_TEAMS",
    "team.add_member": "MANAGE_SM_MY_TEAMS",
    "team.remove_member": "MANAGE_SM_MY_TEAMS",
    "team.set_permissions": "MANAGE_SM_MY_TEAMS",
    "team.map": "MANAGE_SM_MY_TEAMS",
    "team.deactivate": "MANAGE_SM_MY_TEAMS",
    "user.create_service": "MANAGE_AM_USER",
}


@dataclass(frozen=True, slots=True)
class Availability:
    enabled: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.enabled


ENABLED = Availability(True)


def permission_name(code: str) -> str:
    return PERMISSION_NAMES.get(code, code)


def role_names(role_codes: Iterable[str]) -> str:
    names = [ROLE_NAMES.get(code, code) for code in role_codes]
    return ", ".join(names) if names else "no STM role"


def availability(
    required: str | None,
    *,
    permissions: Iterable[str],
    role_codes: Iterable[str] = (),
    read_only: bool,
    selected: int = 1,
    single_only: bool = False,
    write_key: str = "W",
) -> Availability:
    """Whether an action needing `required` (a permission code, None for none) can run now.

    A missing permission is reported before read-only mode: telling a Signer to enter write
    mode for something the role can never do would send them the wrong way. `single_only`
    marks actions refused on a multi-row selection (irreversible ones act on one item).
    """
    if required is not None and required not in set(permissions):
        return Availability(
            False,
            f"needs the {permission_name(required)} permission (you are {role_names(role_codes)})",
        )
    if read_only:
        return Availability(False, f"read-only: press {write_key} to enter write mode")
    if selected < 1:
        return Availability(False, "nothing selected")
    if single_only and selected > 1:
        return Availability(False, f"one item at a time ({selected} are selected)")
    return ENABLED


def action_availability(
    action: str,
    *,
    permissions: Iterable[str],
    role_codes: Iterable[str] = (),
    read_only: bool,
    selected: int = 1,
    single_only: bool = False,
    write_key: str = "W",
) -> Availability:
    """`availability` for a `WriteCall.action` id, looked up in `ACTION_PERMISSIONS`."""
    return availability(
        ACTION_PERMISSIONS.get(action),
        permissions=permissions,
        role_codes=role_codes,
        read_only=read_only,
        selected=selected,
        single_only=single_only,
        write_key=write_key,
    )
