"""Every API path the client uses, in one table.

Paths marked INFERRED in docs/api-contract.md are our best guess at the real STM; if the real
service differs, this file is the one place to correct. Placeholders use `str.format` names.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

STM: Final = "/signingmanager/api/v1"
AM: Final = "/account/api/v1"

ROUTES: Final[dict[str, str]] = {
    # STM: keypairs
    "keypairs": f"{STM}/keypairs",
    "keypair": f"{STM}/keypairs/{{id}}",
    "keypair_suspend": f"{STM}/keypairs/{{id}}/suspend",
    "keypair_unsuspend": f"{STM}/keypairs/{{id}}/unsuspend",
    "keypair_sign": f"{STM}/keypairs/{{id}}/sign",
    "keypair_certificates": f"{STM}/keypairs/{{id}}/certificates",
    "keypair_profiles": f"{STM}/keypair-profiles",
    "keypair_profile": f"{STM}/keypair-profiles/{{id}}",
    # STM: certificates
    "certificates": f"{STM}/certificates",
    "certificate": f"{STM}/certificates/{{id}}",
    "certificate_revoke": f"{STM}/certificates/{{id}}/revoke",
    "certificate_download": f"{STM}/certificates/{{id}}/download",
    "certificate_profiles": f"{STM}/certificate-profiles",
    "certificate_profile": f"{STM}/certificate-profiles/{{id}}",
    # STM: releases, signatures, scans, teams, settings, audit
    "releases": f"{STM}/release-windows",
    "release": f"{STM}/release-windows/{{id}}",
    "release_approve": f"{STM}/release-windows/{{id}}/approve",
    "release_reject": f"{STM}/release-windows/{{id}}/reject",
    "release_close": f"{STM}/release-windows/{{id}}/close",
    "signatures": f"{STM}/signatures",
    "signature": f"{STM}/signatures/{{id}}",
    "scans": f"{STM}/scans",
    "scan": f"{STM}/scans/{{id}}",
    "teams": f"{STM}/teams",
    # STM: approval requests (INFERRED: docs/api-contract.md "Approval requests")
    "approval_requests": f"{STM}/approval-requests",
    "approval_request": f"{STM}/approval-requests/{{id}}",
    "approval_approve": f"{STM}/approval-requests/{{id}}/approve",
    "approval_reject": f"{STM}/approval-requests/{{id}}/reject",
    "team": f"{STM}/teams/{{id}}",
    "team_members": f"{STM}/teams/{{id}}/members",
    "team_member": f"{STM}/teams/{{id}}/members/{{user_id}}",
    "team_resources": f"{STM}/teams/{{id}}/resources",
    "team_deactivate": f"{STM}/teams/{{id}}/deactivate",
    "team_activate": f"{STM}/teams/{{id}}/activate",
    "account_settings": f"{STM}/account-settings",
    "account_settings_certcentral": f"{STM}/account-settings/certcentral",
    # STM: profile switches and the CertCentral integration's verbs (INFERRED, issue 13)
    "keypair_profile_enable": f"{STM}/keypair-profiles/{{id}}/enable",
    "keypair_profile_disable": f"{STM}/keypair-profiles/{{id}}/disable",
    "certificate_profile_clone": f"{STM}/certificate-profiles/{{id}}/clone",
    "certificate_profile_enable": f"{STM}/certificate-profiles/{{id}}/enable",
    "certificate_profile_disable": f"{STM}/certificate-profiles/{{id}}/disable",
    "account_settings_certcentral_validate": f"{STM}/account-settings/certcentral/validate",
    "account_settings_certcentral_enable": f"{STM}/account-settings/certcentral/enable",
    "account_settings_certcentral_disable": f"{STM}/account-settings/certcentral/disable",
    "audit": f"{STM}/audit-log",
    "audit_export": f"{STM}/audit-log/export",
    # Account Manager (bare arrays, no paging)
    "users": f"{AM}/user",
    "user": f"{AM}/user/{{id}}",
    "me": f"{AM}/user/me",
    "authenticator": f"{AM}/user/me/authenticator",
    "authenticator_verify": f"{AM}/user/me/authenticator/verify",
    "roles": f"{AM}/role",
    "accounts": f"{AM}/account",
    "account": f"{AM}/account/{{id}}",
    "api_tokens": f"{AM}/api-token",
    "api_token": f"{AM}/api-token/{{id}}",
    "client_certificates": f"{AM}/client-certificate",
    "client_certificate": f"{AM}/client-certificate/{{id}}",
    "am_audit": f"{AM}/audit-log",
}


class RoutePath(str):
    """A path built from the table that remembers its template (`.../keypairs/{id}`), so the
    command log can group calls by endpoint without guessing which segments are ids."""

    __slots__ = ("template",)
    template: str

    def __new__(cls, value: str, template: str) -> RoutePath:
        made = super().__new__(cls, value)
        made.template = template
        return made


def path(name: str, **params: str) -> RoutePath:
    """The path for route `name`, with ids percent-encoded so they cannot change the path
    (an empty id would leave `.../keypairs/`: refused)."""
    template = ROUTES[name]
    for key, value in params.items():
        if not value:
            raise ValueError(f"empty {key} for route {name}")
    ids = {k: quote(v, safe="") for k, v in params.items()}
    return RoutePath(template.format(**ids), template)


def template_of(route_path: str) -> str:
    """The template a path was built from; a path from elsewhere is its own template."""
    return route_path.template if isinstance(route_path, RoutePath) else route_path
