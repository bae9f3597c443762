"""Teams: create and update (name, description, status, members and their rights)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stm_tui.api.writes.call import Target, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import FreeText, RequestModel


class MemberRights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    manage: bool = False
    approve: bool = False
    operation: bool = True


class TeamMember(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1)
    is_lead: bool = False
    permissions: MemberRights = MemberRights()


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
