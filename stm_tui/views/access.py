"""People and access as a person reads them: what each role may do, who is ready for
two-factor authentication, who a 2FA requirement would lock out, credential expiry, and who
may change a team. Plain functions over API models: the dashboard and the CLI say the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from stm_tui.api.models import Team, User
from stm_tui.api.writes.permissions import ENABLED, Availability, permission_name, role_names

# The five STM roles, each with what it may do in one line (stm-console.md section 2), then
# the Account Manager roles an administrator may also get.
STM_ROLES: tuple[tuple[str, str, str], ...] = (
    ("SSM_LEAD", "Lead", "everything: approvals, teams, settings, CertCentral, audit export"),
    ("SSM_TEAM_LEAD", "Team Lead", "manages the members and resources of the teams it leads"),
    ("SSM_DEVELOPER", "Developer", "generates keypairs and certificates, signs, asks for releases"),
    ("SSM_SIGNER", "Signer", "signs with the keypairs assigned to it; views releases and logs"),
    ("SSM_BUILD_ENGINEER", "Build Engineer", "signs and scans in the build pipeline"),
)
AM_ROLES: tuple[tuple[str, str, str], ...] = (
    (
        "AM_ACCOUNT_ADMINISTRATOR",
        "Account Administrator",
        "Account Manager: users, roles, API tokens, sign-in settings",
    ),
    ("AM_ACCOUNT_VIEWER", "Account Viewer", "Account Manager: sees users and settings only"),
)
ROLE_CODES: tuple[str, ...] = tuple(code for code, _, _ in STM_ROLES + AM_ROLES)
LEAD = "SSM_LEAD"
LEAD_FOR_SERVICE = (
    "DigiCert advises against giving Lead to a service user: a leaked token could then "
    "approve, export and delete"
)

# A client certificate that ends sooner than this does not count towards readiness.
READY_MARGIN_DAYS = 30


def role_code(text: str) -> str | None:
    """The role code a person typed: the code itself or the role's name, any case."""
    wanted = text.strip().lower().replace("_", " ")
    for code, name, _ in STM_ROLES + AM_ROLES:
        if wanted in (code.lower().replace("_", " "), name.lower()):
            return code
    return None


def parse_roles(text: str) -> tuple[tuple[str, ...], list[str]]:
    """(role codes, the parts that are not roles) from "Developer,SSM_SIGNER"."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code = role_code(part)
        if code is None:
            unknown.append(part)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), unknown


def role_codes_of(user: User) -> list[str]:
    return user.role_codes


def lead_warning(user_type: str | None, roles: Iterable[str]) -> str | None:
    if user_type == "service" and LEAD in set(roles):
        return LEAD_FOR_SERVICE
    return None


# ---- two-factor readiness -------------------------------------------------------------


def readiness(user: User, now: datetime) -> tuple[bool, str]:
    """(ready, why) for a user facing a two-factor requirement."""
    if user.user_type == "service":
        if _cert_ok(user, now):
            return True, "service user with a client certificate"
        return False, "service user without a usable client certificate (tools will fail)"
    enrolled = bool(user.authenticator_enrolled or user.two_factor_enabled)
    if enrolled and _cert_ok(user, now):
        return True, "authenticator and client certificate"
    if enrolled:
        return True, "authenticator enrolled (no client certificate: tools will need one)"
    if _cert_ok(user, now):
        return True, "client certificate only (no authenticator for the browser)"
    if user.client_certificate_valid_to is not None and user.active_client_certificates:
        days = (user.client_certificate_valid_to - now).days
        return False, f"no authenticator; the client certificate ends in {days} d"
    return False, "no authenticator and no client certificate"


def _cert_ok(user: User, now: datetime) -> bool:
    end = user.client_certificate_valid_to
    return bool(user.active_client_certificates) and end is not None and (
        (end - now).days >= READY_MARGIN_DAYS
    )


def ready_label(user: User, now: datetime) -> str:
    if user.two_factor_ready is None and user.authenticator_enrolled is None:
        return "?"
    return "ready" if readiness(user, now)[0] else "not ready"


def affected_by_requirement(users: Sequence[User], now: datetime) -> list[str]:
    """One line per active user a 2FA requirement would stop: who and why."""
    out = []
    for user in sorted(users, key=lambda u: u.display_name.lower()):
        if user.status not in (None, "ACTIVE"):
            continue
        ready, why = readiness(user, now)
        if not ready:
            out.append(f"{user.display_name}: {why}")
    return out


# ---- credentials ----------------------------------------------------------------------


def days_to(end: datetime | None, now: datetime) -> int | None:
    return None if end is None else (end - now).days


# ---- teams ----------------------------------------------------------------------------


def member_of(team: Team, user_id: str | None) -> object | None:
    return next((m for m in team.members if m.user_id == user_id), None)


def team_availability(
    team: Team | None,
    me: User | None,
    *,
    read_only: bool,
    write_key: str = "W",
) -> Availability:
    """Who may change a team: Manage all teams (a Lead), or a member holding the team's
    `manage_team` permission; said before read-only mode, as every action is."""
    perms = me.permissions if me is not None else frozenset()
    roles = role_names(me.role_codes if me is not None else ())
    if "MANAGE_SM_ALL_TEAMS" not in perms:
        member = member_of(team, me.id if me else None) if team is not None else None
        may = (
            member is not None
            and "MANAGE_SM_MY_TEAMS" in perms
            and bool(getattr(member, "permissions", {}).get("manage_team"))
        )
        if not may:
            if "MANAGE_SM_MY_TEAMS" in perms and team is not None:
                return Availability(
                    False,
                    f"you do not manage team {team.name or team.id} (you are {roles}; "
                    "Team Leads change only the teams where they hold Manage team)",
                )
            return Availability(
                False,
                f"needs the {permission_name('MANAGE_SM_ALL_TEAMS')} permission "
                f"(you are {roles})",
            )
    if read_only:
        return Availability(False, f"read-only: press {write_key} to enter write mode")
    if team is None:
        return Availability(False, "nothing selected")
    return ENABLED


SELF_EDIT = (
    "a Lead or Team Lead cannot edit their own team permissions (the service refuses it, so "
    "nobody widens their own rights): ask another manager of the team or a Lead"
)
