"""Who the credentials are, in which accounts, with which roles, and what that allows."""

from __future__ import annotations

from stm_tui.api import models as m
from stm_tui.api.writes.permissions import ROLE_NAMES, permission_name
from stm_tui.diagnose.factors import who
from stm_tui.diagnose.findings import EXIT_AUTH, Finding, fail, ok, skip
from stm_tui.sanitize import clean_cell

# What people ask "can I ...?" about, and the permission code that answers it.
CAPABILITIES: dict[str, tuple[str, str]] = {
    "sign": ("SIGN_SM_HASH", "sign"),
    "generate_keypairs": ("GENERATE_SM_KEYPAIR", "generate keypairs"),
    "approve_releases": ("APPROVE_SM_RELEASE", "approve releases"),
    "revoke_certificates": ("REVOKE_SM_CERTIFICATE", "revoke certificates"),
    "manage_users": ("MANAGE_AM_USER", "manage users (Account Manager)"),
}


def capabilities(user: m.User) -> dict[str, bool]:
    granted = user.permissions
    return {name: code in granted for name, (code, _label) in CAPABILITIES.items()}


def is_administrator(user: m.User) -> bool:
    """A Lead or an Account Manager user administrator: the one who answers for everyone's
    credentials."""
    return "SSM_LEAD" in user.role_codes or "MANAGE_AM_USER" in user.permissions


def check_identity(user: m.User | None, account_id: str | None) -> Finding:
    title = "identity"
    if user is None:
        return skip("identity", title, "unknown: no accepted credential could read the user")
    kind = "service user" if user.user_type == "service" else "user"
    first = user.accounts[0].id if user.accounts else None
    acting = account_id or user.primary_account_id or first
    shown: list[str] = []
    accounts: list[dict[str, object]] = []
    for ref in user.accounts:
        marks = [w for w, flag in (("primary", ref.id == user.primary_account_id),
                                   ("acting", ref.id == acting)) if flag]
        label = clean_cell(ref.name or ref.id or "?")
        shown.append(label + (f" ({', '.join(marks)})" if marks else ""))
        accounts.append({"id": clean_cell(ref.id), "name": clean_cell(ref.name),
                         "primary": ref.id == user.primary_account_id, "acting": ref.id == acting})
    roles = [ROLE_NAMES.get(code, clean_cell(code)) for code in user.role_codes]
    data = {
        "user_id": clean_cell(user.id),
        "name": clean_cell(user.display_name),
        "email": clean_cell(user.email) if user.email else None,
        "user_type": clean_cell(user.user_type) if user.user_type else None,
        "status": clean_cell(user.status) if user.status else None,
        "accounts": accounts,
        "roles": [clean_cell(code) for code in user.role_codes],
        "role_names": roles,
    }
    summary = (
        f"{who(user)}, {kind}; accounts: {', '.join(shown) or 'none'}; roles: "
        f"{', '.join(roles) or 'none'}"
    )
    ids = [ref.id for ref in user.accounts]
    if account_id is not None and account_id not in ids:
        return fail(
            "identity", title, f"account_id {clean_cell(account_id)} (the profile's) is not one of "
            f"this user's accounts: {', '.join(shown) or 'none'}",
            "set account_id in the profile to one of the accounts listed, or remove it to act "
            "in the primary account", EXIT_AUTH, **data,
        )
    return ok("identity", title, summary, **data)


def check_permissions(user: m.User | None) -> Finding:
    title = "permissions"
    if user is None:
        return skip("permissions", title, "unknown: the user could not be read")
    can = capabilities(user)
    words = [
        f"{label}: {'yes' if can[name] else 'no'}" for name, (_code, label) in CAPABILITIES.items()
    ]
    data = {
        "can": can,
        "permissions": sorted(clean_cell(p) for p in user.permissions),
        "permission_names": sorted(permission_name(p) for p in user.permissions),
    }
    if not can["sign"]:
        roles = ", ".join(ROLE_NAMES.get(c, clean_cell(c)) for c in user.role_codes) or "no role"
        return fail(
            "permissions", title, f"this key cannot sign (no Sign permission; roles: {roles}); "
            + "; ".join(words[1:]),
            "ask a Lead for an STM role with Sign (Signer, Developer, Build Engineer) and for "
            "access to the keypairs you sign with", EXIT_AUTH, **data,
        )
    return ok("permissions", title, "; ".join(words), **data)
