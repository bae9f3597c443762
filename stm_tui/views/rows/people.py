"""Rows for accounts (with their settings), users and teams."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from stm_tui.api.models import Account, AccountSettings, Team, User
from stm_tui.views import format as f
from stm_tui.views.access import ready_label
from stm_tui.views.rows.base import Context, num, plain, when
from stm_tui.views.table_model import Column, Row


def yes_no(value: bool | None) -> str:
    return f.DASH if value is None else ("yes" if value else "no")


def settings_for(account_id: str, ctx: Context) -> AccountSettings | None:
    settings = ctx.store.collection("account_settings").get(account_id)
    return settings if isinstance(settings, AccountSettings) else None


def certcentral_state(settings: AccountSettings | None) -> str:
    if settings is None:
        return f.DASH
    cc: dict[str, Any] = settings.certcentral or {}
    if not cc.get("configured"):
        return "not configured"
    return plain(f"configured ({cc.get('region') or '?'})")


def account_row(a: Account, ctx: Context) -> Row:
    settings = settings_for(a.id, ctx)
    # Account Manager's sign-in settings say it (`mfaStatus`); the STM settings' old
    # `two_factor_required` is gone.
    two_fa = yes_no(a.mfa_required)
    kp_profile = yes_no(settings.require_keypair_profile) if settings else f.DASH
    cc = certcentral_state(settings)
    return Row(
        a.id,
        (
            f.text(a.name),
            f.status(a.status),
            two_fa,
            cc,
            kp_profile,
            yes_no(a.cert_central_integration_allowed),
            f.dt(a.created_at),
        ),
        sort_keys=(
            (a.name or "").lower(),
            a.status or "",
            two_fa,
            cc,
            kp_profile,
            yes_no(a.cert_central_integration_allowed),
            when(a.created_at),
        ),
    )


ACCOUNT_COLUMNS = (
    Column("name", "Name", min_width=14, whole=True),
    Column("status", "Status", width=8),
    Column("twofa", "2FA req.", width=8),
    Column("certcentral", "CertCentral", width=20, priority=1),
    Column("kpprofile", "KP profile req.", width=14, priority=2),
    Column("ccallowed", "CC allowed", width=10, priority=3),
    Column("created", "Created", width=16, zone=True, priority=4),
)


def role_names(u: User) -> str:
    names = [plain(r.name or r.code or "?") for app in u.applications for r in app.roles]
    return ", ".join(names) if names else f.DASH


def token_expiry(u: User, ctx: Context) -> Text:
    if u.end_date is None:
        return Text(f.DASH)
    days = (u.end_date - ctx.now).days
    return f.days_left(days)


def user_row(u: User, ctx: Context) -> Row:
    roles = role_names(u)
    teams = f.names(u.teams)
    expiry_days = (u.end_date - ctx.now).days if u.end_date else None
    return Row(
        u.id,
        (
            f.text(u.display_name),
            f.text(u.email),
            plain(u.user_type),
            roles,
            f.status(u.status),
            teams,
            ready_label(u, ctx.now),
            token_expiry(u, ctx),
        ),
        sort_keys=(
            u.display_name.lower(),
            (u.email or "").lower(),
            u.user_type or "",
            roles,
            u.status or "",
            teams,
            ready_label(u, ctx.now),
            num(expiry_days),
        ),
        style="dim" if u.status == "DISABLED" else None,
    )


USER_COLUMNS = (
    Column("name", "Name", min_width=12, whole=True),
    Column("email", "Email", min_width=12, priority=3),
    Column("type", "Type", width=8),
    Column("roles", "Roles", min_width=10),
    Column("status", "Status", width=8, priority=1),
    Column("teams", "Teams", min_width=8, priority=2),
    Column("twofa", "2FA", width=9, priority=4),
    Column("token", "Token exp.", width=10, align="right"),
)


def team_row(t: Team, ctx: Context) -> Row:
    leads = ", ".join(m.name or m.user_id or "?" for m in t.members if m.is_lead) or f.DASH
    return Row(
        t.id,
        (
            f.text(t.name),
            f.text(t.description),
            f.status(t.status),
            str(len(t.members)),
            f.text(leads),
            f.dt(t.modified_on),
        ),
        sort_keys=(
            (t.name or "").lower(),
            (t.description or "").lower(),
            t.status or "",
            len(t.members),
            leads,
            when(t.modified_on),
        ),
    )


TEAM_COLUMNS = (
    Column("name", "Name", min_width=12, whole=True),
    Column("description", "Description", min_width=12, priority=2),
    Column("status", "Status", width=8, priority=1),
    Column("members", "Members", width=7, align="right"),
    Column("leads", "Leads", min_width=10),
    Column("modified", "Modified", width=16, zone=True, priority=3),
)
