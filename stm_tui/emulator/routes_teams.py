"""Teams: list, get, create, update (members carry the team permissions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    list_page,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import denied, unprocessable
from stm_tui.emulator.fields import Ref, name, text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import (
    StrictBody,
    json_row,
    name_free,
    owned,
)
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["teams"])


# ---- teams ----------------------------------------------------------------------------------


class MemberPermissions(StrictBody):
    manage: bool = False
    approve: bool = False
    operation: bool = True


class TeamMember(StrictBody):
    user_id: Ref
    is_lead: bool = False
    permissions: MemberPermissions = MemberPermissions()


TeamName = name()
Description = text(1000, multiline=True)
Members = Annotated[list[TeamMember], Field(max_length=500)]
TeamId = Annotated[str, Path(max_length=64)]


class TeamCreate(StrictBody):
    name: TeamName  # type: ignore[valid-type]
    description: Description | None = None  # type: ignore[valid-type]
    members: Members = []


class TeamUpdate(StrictBody):
    name: TeamName | None = None  # type: ignore[valid-type]
    description: Description | None = None  # type: ignore[valid-type]
    status: Literal["ACTIVE", "DISABLED"] | None = None
    members: Members | None = None


@router.get("/teams", responses=documented(list_=True))
def list_teams(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    state = state_of(request)
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    lk = render.Lookup(state)
    return list_page(request, state, "teams", caller, page, lambda r: render.team(lk, r))


@router.get("/teams/{team_id}", responses=documented(404))
def get_team(team_id: TeamId, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = owned(state, caller, "teams", team_id, "Team")
    return JSONResponse(render.team(render.Lookup(state), rec))


def _members(
    state: EmulatorState, caller: Caller, members: list[TeamMember]
) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m in members:
        user = state.db.get("users", m.user_id)
        if user is None or caller.account_id not in user["account_ids"]:
            raise unprocessable("members", f"unknown user id {m.user_id}")
        out[m.user_id] = {
            "user_id": m.user_id,
            "is_lead": m.is_lead,
            "permissions": m.permissions.model_dump(),
        }
    return list(out.values())


def _sync_user_teams(c: Any, team: dict[str, Any], before: list[dict[str, Any]]) -> None:
    """Users carry `team_ids`/`led_team_ids` (for auth); keep them in step with members."""
    now_members = {m["user_id"]: m for m in team["members"]}
    touched = set(now_members) | {m["user_id"] for m in before}
    for uid in touched:
        user = json_row(c, "users", uid)
        teams = [t for t in user.get("team_ids", []) if t != team["id"]]
        led = [t for t in user.get("led_team_ids", []) if t != team["id"]]
        if uid in now_members and team["status"] == "ACTIVE":
            teams.append(team["id"])
            if now_members[uid]["is_lead"]:
                led.append(team["id"])
        user["team_ids"], user["led_team_ids"] = teams, led
        Database.update(c, "users", user)


@router.post("/teams", status_code=201, responses=documented(409, 422))
def create_team(body: TeamCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_ALL_TEAMS")
    name = body.name
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": name,
        "description": body.description,
        "status": "ACTIVE",
        "members": _members(state, caller, body.members),
        "created_on": now,
        "created_by": caller.id,
        "modified_on": now,
        "modified_by": caller.id,
    }
    with state.db.tx() as c:
        name_free(c, "teams", caller.account_id, name)
        Database.insert(c, "teams", rec)
        _sync_user_teams(c, rec, [])
        record_audit(c, state, caller, "TEAM", rec["id"], Action.GENERATE, f"Team {name} created")
    return JSONResponse(render.team(render.Lookup(state), rec), status_code=201)


@router.put("/teams/{team_id}", responses=documented(404, 409, 422))
def update_team(
    team_id: TeamId, body: TeamUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = owned(state, caller, "teams", team_id, "Team")
    leads_it = caller.has("MANAGE_SM_MY_TEAMS") and team_id in (caller.led_teams or set())
    if not caller.has("MANAGE_SM_ALL_TEAMS") and not leads_it:
        raise denied("MANAGE_SM_ALL_TEAMS")
    before = list(rec["members"])
    if body.name is not None:
        rec["name"] = body.name
    if body.description is not None:
        rec["description"] = body.description
    if body.status is not None:
        rec["status"] = body.status
    if body.members is not None:
        rec["members"] = _members(state, caller, body.members)
    rec["modified_on"], rec["modified_by"] = state.now_iso(), caller.id
    with state.db.tx() as c:
        name_free(c, "teams", caller.account_id, rec["name"], exclude=rec["id"])
        Database.update(c, "teams", rec)
        _sync_user_teams(c, rec, before)
        record_audit(
            c, state, caller, "TEAM", rec["id"], Action.UPDATE, f"Team {rec['name']} updated"
        )
    return JSONResponse(render.team(render.Lookup(state), rec))
