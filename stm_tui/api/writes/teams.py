"""Teams: create and update (name, description, status), members and their nine
permissions, mapped resources, deactivate, activate and delete.

The nine member permissions come in three groups (stm-console.md section 2): Manage,
Approve, Operation. A member with the Lead role has all of them whatever is sent; nobody
edits their own (the service refuses it: the form says why before that).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import FreeText, RequestModel

# (permission, its group, the words a person reads), in the console's order.
PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("manage_keypairs_and_certificates", "Manage", "keypairs and certificates"),
    ("manage_team", "Manage", "team"),
    ("approve_keypair_deletion", "Approve", "keypair deletion"),
    ("approve_certificate_revocation", "Approve", "certificate revocation"),
    ("approve_keypair_export", "Approve", "keypair export"),
    ("approve_offline_releases", "Approve", "offline releases"),
    ("generate_keypairs_and_certificates", "Operation", "generate keypairs and certificates"),
    ("sign", "Operation", "sign"),
    ("scan", "Operation", "scan"),
)
PERMISSION_NAMES: tuple[str, ...] = tuple(p for p, _, _ in PERMISSIONS)


class MemberPermissions(BaseModel):
    """Any of the nine; those left out keep their value (a new member: the service's
    defaults, the Operation rights the role already has)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    manage_keypairs_and_certificates: bool | None = None
    manage_team: bool | None = None
    approve_keypair_deletion: bool | None = None
    approve_certificate_revocation: bool | None = None
    approve_keypair_export: bool | None = None
    approve_offline_releases: bool | None = None
    generate_keypairs_and_certificates: bool | None = None
    sign: bool | None = None
    scan: bool | None = None


class TeamMember(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1)
    is_lead: bool = False
    permissions: MemberPermissions | None = None


class CreateTeam(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)
    description: FreeText | None = Field(default=None, max_length=1000)
    members: tuple[TeamMember, ...] = ()


class UpdateTeam(RequestModel):
    name: FreeText | None = Field(default=None, min_length=1, max_length=100)
    description: FreeText | None = Field(default=None, max_length=1000)
    status: Literal["ACTIVE", "DISABLED"] | None = None
    members: tuple[TeamMember, ...] | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.model_fields_set else {"_": "nothing to change"}


class UpdateMember(RequestModel):
    is_lead: bool | None = None
    permissions: MemberPermissions | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.model_fields_set else {"_": "nothing to change"}


class MapResources(RequestModel):
    """Each list given replaces what of that kind is mapped to the team."""

    keypair_profile_ids: tuple[str, ...] | None = None
    certificate_profile_ids: tuple[str, ...] | None = None
    keypair_ids: tuple[str, ...] | None = None
    certificate_ids: tuple[str, ...] | None = None
    release_ids: tuple[str, ...] | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.model_fields_set else {"_": "nothing to map"}


def create_team(req: CreateTeam) -> WriteCall:
    members = f" with {len(req.members)} member(s)" if req.members else ""
    return WriteCall(
        action="team.create",
        summary=f"Create team {req.name}{members}",
        method="POST",
        path=endpoint("teams"),
        body=body_of(req),
        target=Target("teams", req.name, lookup={"name": req.name}),
        touches=("teams", "users"),
    )


def update_team(team_id: str, label: str, req: UpdateTeam) -> WriteCall:
    changes = ", ".join(sorted(req.model_fields_set)) or "nothing"
    return WriteCall(
        action="team.update",
        summary=f"Update team {label} ({changes})",
        method="PUT",
        path=endpoint("team", id=team_id),
        body=body_of(req, only=req.model_fields_set),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "users"),
        idempotent=True,
    )


def add_member(team_id: str, label: str, member: TeamMember, who: str) -> WriteCall:
    role = " as a team lead" if member.is_lead else ""
    return WriteCall(
        action="team.add_member",
        summary=f"Add {who} to team {label}{role}",
        method="POST",
        path=endpoint("team_members", id=team_id),
        body=member.model_dump(mode="json", exclude_none=True),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "users"),
    )


def update_member(
    team_id: str, label: str, user_id: str, who: str, req: UpdateMember
) -> WriteCall:
    granted = ""
    if req.permissions is not None:
        on = [p for p in PERMISSION_NAMES if getattr(req.permissions, p) is True]
        off = [p for p in PERMISSION_NAMES if getattr(req.permissions, p) is False]
        granted = f": on {', '.join(on) or 'none'}; off {', '.join(off) or 'none'}"
    return WriteCall(
        action="team.set_permissions",
        summary=f"Set the team permissions of {who} in {label}{granted}",
        method="PUT",
        path=endpoint("team_member", id=team_id, user_id=user_id),
        body=req.model_dump(mode="json", exclude_none=True),
        target=Target("teams", label, item_id=team_id),
        touches=("teams",),
        idempotent=True,
    )


def remove_member(team_id: str, label: str, user_id: str, who: str) -> WriteCall:
    return WriteCall(
        action="team.remove_member",
        summary=f"Remove {who} from team {label} (they lose what the team gave them)",
        method="DELETE",
        path=endpoint("team_member", id=team_id, user_id=user_id),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "users"),
    )


def map_resources(team_id: str, label: str, req: MapResources) -> WriteCall:
    kinds = ", ".join(
        f"{len(getattr(req, k))} {k.removesuffix('_ids').replace('_', ' ')}(s)"
        for k in sorted(req.model_fields_set)
    )
    return WriteCall(
        action="team.map",
        summary=f"Map resources to team {label}: {kinds}",
        method="PUT",
        path=endpoint("team_resources", id=team_id),
        body=body_of(req, only=req.model_fields_set),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "keypairs", "keypair_profiles", "certificate_profiles", "releases"),
        idempotent=True,
    )


def deactivate_team(team_id: str, label: str) -> WriteCall:
    return WriteCall(
        action="team.deactivate",
        summary=f"Deactivate team {label}: its members lose what the team gave them",
        method="POST",
        path=endpoint("team_deactivate", id=team_id),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "users"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=label,
    )


def delete_team(team_id: str, label: str) -> WriteCall:
    return WriteCall(
        action="team.delete",
        summary=f"Delete team {label}: its keypairs, profiles and members are unmapped "
        "(cannot be undone)",
        method="DELETE",
        path=endpoint("team", id=team_id),
        target=Target("teams", label, item_id=team_id),
        touches=("teams", "users", "keypairs", "keypair_profiles", "certificate_profiles"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=label,
    )
