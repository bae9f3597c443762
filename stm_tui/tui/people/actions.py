"""The write actions of the people-and-access screens, declared like every other
(`views.actions.WriteAction`): one id, key, label and tier each, the same availability
rules, the same footer, help and palette entries. Those that need a form first say so with
`FORM`: their screen opens the form and builds the call from its answer."""

from __future__ import annotations

from typing import Any

from stm_tui.api.models import Account, Team, User
from stm_tui.api.writes.access import set_account_mfa, start_authenticator
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.api.writes.teams import deactivate_team, delete_team
from stm_tui.api.writes.users import deactivate_user
from stm_tui.views.actions import WriteAction


def _needs_form(_item: Any) -> WriteCall:
    raise ValueError("this action builds its call from a form")


def _active_user(u: User) -> str | None:
    return "already deactivated" if u.status == "DISABLED" else None


def _deactivate_impact(u: User) -> list[str]:
    lines = [
        f"{u.display_name} can no longer sign in or call the API",
        "every API token and client certificate of theirs is revoked now",
        "a deactivated user cannot be activated again: a new user would be needed",
    ]
    if u.teams:
        lines.append("member of: " + ", ".join(str(t.name or t.id) for t in u.teams[:10]))
    return lines


def _mfa_on(a: Account) -> str | None:
    return "two-factor authentication is already required" if a.mfa_required else None


def _mfa_off(a: Account) -> str | None:
    return None if a.mfa_required else "two-factor authentication is not required"


def _active_team(t: Team) -> str | None:
    return "the team is deactivated" if t.status == "DISABLED" else None


def _team_impact(t: Team) -> list[str]:
    return [
        f"{len(t.members)} member(s) lose what the team gave them",
        "its keypairs, profiles and releases are unmapped from it",
    ]


FORM = frozenset(
    {
        "user.create", "user.create_service", "user.roles", "team.create", "team.add_member",
        "team.remove_member", "team.set_permissions", "team.map",
    }
)

ADD_USER = WriteAction("user.create", "a", "Add user", Tier.CONFIRM, _needs_form)
ADD_SERVICE_USER = WriteAction(
    "user.create_service", "A", "Add service user", Tier.CONFIRM, _needs_form
)
CHANGE_ROLES = WriteAction("user.roles", "o", "Roles", Tier.CONFIRM, _needs_form, _active_user)
DEACTIVATE_USER = WriteAction(
    "user.deactivate", "D", "Deactivate", Tier.IRREVERSIBLE,
    lambda u: deactivate_user(u.id, u.display_name), _active_user, _deactivate_impact,
)
ENROL_AUTHENTICATOR = WriteAction(
    "authenticator.start", "T", "Enrol authenticator", Tier.CONFIRM,
    lambda _u: start_authenticator(),
)
USER_ACTIONS = (ADD_USER, ADD_SERVICE_USER, CHANGE_ROLES, DEACTIVATE_USER, ENROL_AUTHENTICATOR)

# F, as in 2FA: `M` is the monitor on every screen, and an area's key would hide it there.
REQUIRE_MFA = WriteAction(
    "account.mfa_require", "F", "Require 2FA", Tier.APPROVAL,
    lambda a: set_account_mfa(a.id, a.name or a.id, required=True), _mfa_on,
)
RELAX_MFA = WriteAction(
    "account.mfa_relax", "O", "Relax 2FA", Tier.APPROVAL,
    lambda a: set_account_mfa(a.id, a.name or a.id, required=False), _mfa_off,
)
ACCOUNT_ACTIONS = (REQUIRE_MFA, RELAX_MFA)

CREATE_TEAM = WriteAction("team.create", "a", "New team", Tier.CONFIRM, _needs_form)
ADD_MEMBER = WriteAction(
    "team.add_member", "plus", "Add member", Tier.CONFIRM, _needs_form, _active_team
)
REMOVE_MEMBER = WriteAction(
    "team.remove_member", "minus", "Remove member", Tier.CONFIRM, _needs_form, _active_team
)
SET_PERMISSIONS = WriteAction(
    "team.set_permissions", "P", "Permissions", Tier.CONFIRM, _needs_form, _active_team
)
MAP_RESOURCES = WriteAction("team.map", "m", "Map resources", Tier.CONFIRM, _needs_form)
DEACTIVATE_TEAM = WriteAction(
    "team.deactivate", "X", "Deactivate", Tier.IRREVERSIBLE,
    lambda t: deactivate_team(t.id, t.name or t.id), _active_team, _team_impact,
)
DELETE_TEAM = WriteAction(
    "team.delete", "D", "Delete", Tier.IRREVERSIBLE,
    lambda t: delete_team(t.id, t.name or t.id), impact=_team_impact,
)
TEAM_ACTIONS = (
    CREATE_TEAM, ADD_MEMBER, REMOVE_MEMBER, SET_PERMISSIONS, MAP_RESOURCES, DEACTIVATE_TEAM,
    DELETE_TEAM,
)

# The footer of a team's own screen holds its six actions at 80 columns only in short words;
# the help, the palette and every message keep the labels.
FOOTER_WORDS = {
    "team.add_member": "Add",
    "team.remove_member": "Remove",
    "team.set_permissions": "Perms",
    "team.map": "Map",
}

PEOPLE_WRITE_ACTIONS = {a.id: a for a in USER_ACTIONS + ACCOUNT_ACTIONS + TEAM_ACTIONS}
