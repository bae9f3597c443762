"""Teams: list, get, create, update, members with the nine member permissions, mapped
resources, deactivate/activate, delete (C: the lifecycle and the nine permissions; paths and
shapes I).

Who manages a team: MANAGE_SM_ALL_TEAMS (a Lead), or a member whose `manage_team`
permission is on (a team lead by default). Nobody edits their own member permissions (C: "a
Lead or Team Lead cannot edit their own permissions")."""

from __future__ import annotations

import json
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
from stm_tui.emulator.errors import ApiError, conflict, denied, invalid_state, unprocessable
from stm_tui.emulator.fields import Ref, name, text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.rbac import permissions_for
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import (
    StrictBody,
    json_row,
    name_free,
    owned,
)
from stm_tui.emulator.team_perms import TEAM_PERMISSIONS, all_permissions, member_defaults
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["teams"])

SELF_EDIT = (
    "a Lead or Team Lead cannot edit their own team permissions: ask another manager of the"
    " team or a Lead"
)


class MemberPermissions(StrictBody):
    """Any of the nine; those left out keep their value (new members: the defaults)."""

    manage_keypairs_and_certificates: bool | None = None
    manage_team: bool | None = None
    approve_keypair_deletion: bool | None = None
    approve_certificate_revocation: bool | None = None
    approve_keypair_export: bool | None = None
    approve_offline_releases: bool | None = None
    generate_keypairs_and_certificates: bool | None = None
    sign: bool | None = None
    scan: bool | None = None


class TeamMember(StrictBody):
    user_id: Ref
    is_lead: bool = False
    permissions: MemberPermissions | None = None


class MemberUpdate(StrictBody):
    is_lead: bool | None = None
    permissions: MemberPermissions | None = None


TeamName = name()
Description = text(1000, multiline=True)
Members = Annotated[list[TeamMember], Field(max_length=500)]
TeamId = Annotated[str, Path(max_length=64)]
UserId = Annotated[str, Path(max_length=64)]
Refs = Annotated[list[Ref], Field(max_length=500)]


class TeamCreate(StrictBody):
    name: TeamName  # type: ignore[valid-type]
    description: Description | None = None  # type: ignore[valid-type]
    members: Members = []


class TeamUpdate(StrictBody):
    name: TeamName | None = None  # type: ignore[valid-type]
    description: Description | None = None  # type: ignore[valid-type]
    status: Literal["ACTIVE", "DISABLED"] | None = None
    members: Members | None = None


class TeamResources(StrictBody):
    """Each list given replaces what of that kind is mapped to the team."""

    keypair_profile_ids: Refs | None = None
    certificate_profile_ids: Refs | None = None
    keypair_ids: Refs | None = None
    certificate_ids: Refs | None = None
    release_ids: Refs | None = None


@router.get("/teams", responses=documented(list_=True))
def list_teams(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["ACTIVE", "DISABLED"] | None = None,
) -> Response:
    state = state_of(request)
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    if status is not None:
        page.where.append("json_extract(data, '$.status')=?")
        page.params.append(status)
    lk = render.Lookup(state)
    return list_page(request, state, "teams", caller, page, lambda r: render.team(lk, r))


@router.get("/teams/{team_id}", responses=documented(404))
def get_team(team_id: TeamId, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = owned(state, caller, "teams", team_id, "Team")
    return JSONResponse(render.team(render.Lookup(state), rec, detail=True))


def _member(
    state: EmulatorState,
    caller: Caller,
    user_id: str,
    is_lead: bool,
    given: MemberPermissions | None,
    before: dict[str, bool] | None = None,
    *,
    new: bool = True,
) -> dict[str, Any]:
    user = state.db.get("users", user_id)
    if user is None or caller.account_id not in user["account_ids"]:
        raise unprocessable("members", f"unknown user id {user_id}")
    if new and user["status"] != "ACTIVE":
        raise unprocessable("members", f"user {user['name']} is deactivated")
    roles = permissions_for(list(user.get("roles", [])))
    perms = dict(before) if before is not None else member_defaults(is_lead, roles)
    if given is not None:
        perms.update({k: v for k, v in given.model_dump().items() if v is not None})
    if "SSM_LEAD" in user.get("roles", []):
        perms = all_permissions()  # a Lead member is a superuser (C)
    return {"user_id": user_id, "is_lead": is_lead, "permissions": perms}


def _members(
    state: EmulatorState,
    caller: Caller,
    members: list[TeamMember],
    before: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    old = {m["user_id"]: m for m in before or []}
    out: dict[str, dict[str, Any]] = {}
    for m in members:
        prior = old.get(m.user_id)
        out[m.user_id] = _member(
            state,
            caller,
            m.user_id,
            m.is_lead,
            m.permissions,
            prior["permissions"] if prior and prior["is_lead"] == m.is_lead else None,
            new=prior is None,
        )
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


def _managed(state: EmulatorState, caller: Caller, team_id: str) -> dict[str, Any]:
    rec = owned(state, caller, "teams", team_id, "Team")
    # "Manage my teams" is about the teams one manages: the role alone (a Team Lead) does
    # not reach a team where the caller holds no manage_team member permission.
    if not caller.has("MANAGE_SM_ALL_TEAMS") and "MANAGE_SM_MY_TEAMS" not in caller.team_grants.get(
        team_id, frozenset()
    ):
        raise denied("MANAGE_SM_ALL_TEAMS")
    return rec


def _no_self_edit(
    caller: Caller, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    mine_before = next((m for m in before if m["user_id"] == caller.id), None)
    mine_after = next((m for m in after if m["user_id"] == caller.id), None)
    if mine_before != mine_after and (mine_before is not None or mine_after is not None):
        raise ApiError(403, "access_denied", SELF_EDIT)


def _save(
    state: EmulatorState,
    caller: Caller,
    rec: dict[str, Any],
    before: list[dict[str, Any]],
    details: str,
    *,
    check_name: bool = False,
) -> None:
    rec["modified_on"], rec["modified_by"] = state.now_iso(), caller.id
    with state.db.tx() as c:
        if check_name:
            name_free(c, "teams", caller.account_id, rec["name"], exclude=rec["id"])
        Database.update(c, "teams", rec)
        _sync_user_teams(c, rec, before)
        record_audit(c, state, caller, "TEAM", rec["id"], Action.UPDATE, details)


def _detail(state: EmulatorState, rec: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        render.team(render.Lookup(state), rec, detail=True), status_code=status_code
    )


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
        "certificate_ids": [],
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
    return _detail(state, rec, 201)


@router.put("/teams/{team_id}", responses=documented(404, 409, 422))
def update_team(
    team_id: TeamId, body: TeamUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    before = list(rec["members"])
    if body.name is not None:
        rec["name"] = body.name
    if body.description is not None:
        rec["description"] = body.description
    if body.status is not None:
        rec["status"] = body.status
    if body.members is not None:
        rec["members"] = _members(state, caller, body.members, before)
        _no_self_edit(caller, before, rec["members"])
    _save(state, caller, rec, before, f"Team {rec['name']} updated", check_name=True)
    return _detail(state, rec)


@router.post("/teams/{team_id}/members", status_code=201, responses=documented(404, 409, 422))
def add_member(
    team_id: TeamId, body: TeamMember, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    if body.user_id == caller.id:
        raise ApiError(403, "access_denied", SELF_EDIT)
    if any(m["user_id"] == body.user_id for m in rec["members"]):
        raise conflict(f"user {body.user_id} is already a member of {rec['name']}")
    member = _member(state, caller, body.user_id, body.is_lead, body.permissions)
    before = list(rec["members"])
    rec["members"] = [*before, member]
    who = render.Lookup(state).user_ref(body.user_id, auth_type=False) or {"name": "?"}
    _save(state, caller, rec, before, f"Team {rec['name']}: {who['name']} added")
    return _detail(state, rec, 201)


def _existing_member(rec: dict[str, Any], user_id: str) -> dict[str, Any]:
    for m in rec["members"]:
        if m["user_id"] == user_id:
            return dict(m)
    raise ApiError(404, "resource_not_found", f"user {user_id} is not a member of {rec['name']}")


@router.put("/teams/{team_id}/members/{user_id}", responses=documented(404, 422))
def update_member(
    team_id: TeamId, user_id: UserId, body: MemberUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    current = _existing_member(rec, user_id)
    if user_id == caller.id:
        raise ApiError(403, "access_denied", SELF_EDIT)
    is_lead = current["is_lead"] if body.is_lead is None else body.is_lead
    member = _member(
        state, caller, user_id, is_lead, body.permissions, current["permissions"], new=False
    )
    before = list(rec["members"])
    rec["members"] = [member if m["user_id"] == user_id else m for m in before]
    granted = ", ".join(p for p in TEAM_PERMISSIONS if member["permissions"][p]) or "none"
    who = render.Lookup(state).user_ref(user_id, auth_type=False) or {"name": "?"}
    _save(
        state,
        caller,
        rec,
        before,
        f"Team {rec['name']}: permissions of {who['name']} set ({granted})",
    )
    return _detail(state, rec)


@router.delete("/teams/{team_id}/members/{user_id}", responses=documented(404))
def remove_member(
    team_id: TeamId, user_id: UserId, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    _existing_member(rec, user_id)
    if user_id == caller.id:
        raise ApiError(403, "access_denied", SELF_EDIT)
    before = list(rec["members"])
    rec["members"] = [m for m in before if m["user_id"] != user_id]
    who = render.Lookup(state).user_ref(user_id, auth_type=False) or {"name": "?"}
    _save(state, caller, rec, before, f"Team {rec['name']}: {who['name']} removed")
    return _detail(state, rec)


def _account_rows(c: Any, table: str, account_id: str) -> list[dict[str, Any]]:
    rows = c.execute(f"SELECT data FROM {table} WHERE account_id=?", (account_id,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def _checked_ids(c: Any, table: str, account_id: str, ids: list[str], field: str) -> list[str]:
    out = []
    for item_id in dict.fromkeys(ids):
        row = c.execute(
            f"SELECT 1 FROM {table} WHERE id=? AND account_id=?", (item_id, account_id)
        ).fetchone()
        if row is None:
            raise unprocessable(field, f"unknown id {item_id}")
        out.append(item_id)
    return out


def _map_profiles(c: Any, table: str, team: dict[str, Any], wanted: list[str], now: str) -> None:
    ref = {"id": team["id"], "name": team["name"]}
    for prof in _account_rows(c, table, team["account_id"]):
        has = any(t["id"] == team["id"] for t in prof.get("teams", []))
        want = prof["id"] in wanted
        if has == want:
            continue
        others = [t for t in prof.get("teams", []) if t["id"] != team["id"]]
        prof["teams"] = [*others, ref] if want else others
        prof["modified_on"] = now
        Database.update(c, table, prof)


def _map_keypairs(
    c: Any, team: dict[str, Any], wanted: list[str], caller: Caller, now: str
) -> None:
    current = {
        r[0]
        for r in c.execute(
            "SELECT keypair_id FROM keypair_groups WHERE team_id=?", (team["id"],)
        ).fetchall()
    }
    for kp_id in current ^ set(wanted):
        kp = json_row(c, "keypairs", kp_id)
        if kp_id in wanted:
            kp["team_ids"] = [*kp["team_ids"], team["id"]]
            c.execute("INSERT OR IGNORE INTO keypair_groups VALUES (?, ?)", (kp_id, team["id"]))
        else:
            kp["team_ids"] = [t for t in kp["team_ids"] if t != team["id"]]
            c.execute(
                "DELETE FROM keypair_groups WHERE keypair_id=? AND team_id=?", (kp_id, team["id"])
            )
        kp["modified_on"], kp["modified_by"] = now, caller.id
        Database.update(c, "keypairs", kp)


def _map_releases(c: Any, team: dict[str, Any], wanted: list[str], now: str) -> None:
    for rel in _account_rows(c, "releases", team["account_id"]):
        has = rel.get("team_id") == team["id"]
        want = rel["id"] in wanted
        if has == want:
            continue
        rel["team_id"] = team["id"] if want else None
        rel["modified_on"] = now
        Database.update(c, "releases", rel)


@router.put("/teams/{team_id}/resources", responses=documented(404, 422))
def map_resources(
    team_id: TeamId, body: TeamResources, request: Request, caller: CallerDep
) -> JSONResponse:
    """Keypair and certificate profiles, keypairs, certificates and releases of the team."""
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    now = state.now_iso()
    acc = caller.account_id
    changed = []
    with state.db.tx() as c:
        if body.keypair_profile_ids is not None:
            ids = _checked_ids(
                c, "keypair_profiles", acc, body.keypair_profile_ids, "keypair_profile_ids"
            )
            _map_profiles(c, "keypair_profiles", rec, ids, now)
            changed.append(f"{len(ids)} keypair profiles")
        if body.certificate_profile_ids is not None:
            ids = _checked_ids(
                c,
                "certificate_profiles",
                acc,
                body.certificate_profile_ids,
                "certificate_profile_ids",
            )
            _map_profiles(c, "certificate_profiles", rec, ids, now)
            changed.append(f"{len(ids)} certificate profiles")
        if body.keypair_ids is not None:
            ids = _checked_ids(c, "keypairs", acc, body.keypair_ids, "keypair_ids")
            _map_keypairs(c, rec, ids, caller, now)
            changed.append(f"{len(ids)} keypairs")
        if body.certificate_ids is not None:
            rec["certificate_ids"] = _checked_ids(
                c, "certificates", acc, body.certificate_ids, "certificate_ids"
            )
            changed.append(f"{len(rec['certificate_ids'])} certificates")
        if body.release_ids is not None:
            ids = _checked_ids(c, "releases", acc, body.release_ids, "release_ids")
            _map_releases(c, rec, ids, now)
            changed.append(f"{len(ids)} releases")
        rec["modified_on"], rec["modified_by"] = now, caller.id
        Database.update(c, "teams", rec)
        record_audit(
            c,
            state,
            caller,
            "TEAM",
            rec["id"],
            Action.UPDATE,
            f"Team {rec['name']} resources mapped: " + (", ".join(changed) or "no change"),
        )
    return _detail(state, rec)


def _set_status(request: Request, caller: Caller, team_id: str, status: str) -> JSONResponse:
    state = state_of(request)
    rec = _managed(state, caller, team_id)
    if rec["status"] == status:
        raise invalid_state(f"team {rec['name']} is already {status}")
    rec["status"] = status
    verb = "deactivated" if status == "DISABLED" else "activated"
    _save(state, caller, rec, list(rec["members"]), f"Team {rec['name']} {verb}")
    return _detail(state, rec)


@router.post("/teams/{team_id}/deactivate", responses=documented(404, 422))
def deactivate_team(team_id: TeamId, request: Request, caller: CallerDep) -> JSONResponse:
    """Members keep their place but lose what the team gave them until it is activated."""
    return _set_status(request, caller, team_id, "DISABLED")


@router.post("/teams/{team_id}/activate", responses=documented(404, 422))
def activate_team(team_id: TeamId, request: Request, caller: CallerDep) -> JSONResponse:
    return _set_status(request, caller, team_id, "ACTIVE")


@router.delete("/teams/{team_id}", status_code=204, responses=documented(404, 422))
def delete_team(team_id: TeamId, request: Request, caller: CallerDep) -> Response:
    """Lead only (MANAGE_SM_ALL_TEAMS). Refused while a live release window belongs to the
    team; its keypairs, profiles and members are unmapped, nothing else is deleted."""
    state = state_of(request)
    rec = owned(state, caller, "teams", team_id, "Team")
    caller.require("MANAGE_SM_ALL_TEAMS")
    now = state.now_iso()
    with state.db.tx() as c:
        for rel in _account_rows(c, "releases", caller.account_id):
            if rel.get("team_id") == team_id and render.release_status(rel, now) in (
                "PENDING_APPROVAL",
                "APPROVED",
                "OPEN",
            ):
                raise invalid_state(
                    f"team {rec['name']} has the live release window {rel['name']}: close or"
                    " reject it first"
                )
        _map_keypairs(c, rec, [], caller, now)
        _map_profiles(c, "keypair_profiles", rec, [], now)
        _map_profiles(c, "certificate_profiles", rec, [], now)
        emptied = dict(rec, members=[])
        _sync_user_teams(c, emptied, rec["members"])
        c.execute("DELETE FROM teams WHERE id=?", (team_id,))
        record_audit(
            c, state, caller, "TEAM", team_id, Action.DELETE, f"Team {rec['name']} deleted"
        )
    return Response(status_code=204)
