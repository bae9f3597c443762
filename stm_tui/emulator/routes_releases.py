"""Release windows: list, get, create, approve, close. Status is derived at read time."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    enum_param,
    list_page,
    record_audit,
    state_of,
    timestamp_param,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, bad_input, conflict, invalid_state, not_found
from stm_tui.emulator.routes_common import StrictBody, json_row
from stm_tui.emulator.routes_keypairs import find_keypair
from stm_tui.emulator.util import iso, new_id, parse_ts

router = APIRouter(prefix="/signingmanager/api/v1", tags=["release windows"])

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
STATUSES = ("PENDING_APPROVAL", "APPROVED", "OPEN", "CLOSED", "EXPIRED")
LIVE = ("PENDING_APPROVAL", "APPROVED", "OPEN")


class ReleaseCreate(StrictBody):
    name: str
    version: str | None = None
    team_id: str | None = None
    release_type: Literal["ONLINE", "OFFLINE"] = "OFFLINE"
    purpose: Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"] = "SIGN"
    start_time: str | None = None
    end_time: str | None = None
    duration_minutes: int | None = Field(None, ge=1, le=60 * 24 * 366)
    keypair_ids: list[str] = []
    signer_ids: list[str] = []
    max_signatures: int | None = Field(None, ge=1, le=10_000_000)
    block_on_failed_scan: bool = False
    project: str | None = None
    notes: str | None = Field(None, max_length=4000)


def visible(caller: Caller, rec: dict[str, Any]) -> bool:
    return caller.led_teams is None or rec.get("team_id") in caller.led_teams


def find_release(state: EmulatorState, caller: Caller, release_id: str) -> dict[str, Any]:
    rec = state.db.get("releases", release_id)
    if rec is None or rec["account_id"] != caller.account_id or not visible(caller, rec):
        raise not_found("Release window", release_id)
    return rec


@router.get("/release-windows")
def list_releases(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    status: str | None = None,
    keypair_id: str | None = None,
    team_id: str | None = None,
    release_type: str | None = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_RELEASE")
    enum_param("status", status, STATUSES)
    enum_param("release_type", release_type, ("ONLINE", "OFFLINE"))
    now = state.now_iso()

    def keep(rec: dict[str, Any]) -> bool:
        return (
            visible(caller, rec)
            and (status is None or render.release_status(rec, now) == status)
            and (keypair_id is None or keypair_id in rec["keypair_ids"])
            and (team_id is None or rec.get("team_id") == team_id)
            and (release_type is None or rec["release_type"] == release_type)
        )

    lk = render.Lookup(state)
    return list_page(
        request, state, "releases", caller, page, lambda r: render.release(lk, r), py_filter=keep
    )


@router.get("/release-windows/{release_id}")
def get_release(release_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("VIEW_SM_RELEASE")
    return JSONResponse(
        render.release(render.Lookup(state), find_release(state, caller, release_id))
    )


@router.post("/release-windows", status_code=201)
def create_release(body: ReleaseCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("REQUEST_SM_RELEASE")
    if not _NAME.match(body.name):
        raise bad_input("name", "letters, digits, '.', '_' or '-' only (no spaces)")
    now = state.now()
    start = parse_ts(timestamp_param("start_time", body.start_time)) if body.start_time else now
    if body.end_time is not None:
        end = parse_ts(timestamp_param("end_time", body.end_time))
    elif body.duration_minutes is not None:
        try:
            end = start + timedelta(minutes=body.duration_minutes)
        except OverflowError:
            raise bad_input("duration_minutes", "ends after the year 9999") from None
    else:
        raise bad_input("end_time", "required (or duration_minutes)")
    if end <= start:
        raise bad_input("end_time", "must be after start_time")
    if not body.keypair_ids:
        raise bad_input("keypair_ids", "at least one keypair is required")
    if body.team_id is not None:
        team = state.db.get("teams", body.team_id)
        if team is None or team["account_id"] != caller.account_id:
            raise bad_input("team_id", f"unknown team id {body.team_id}")
    if caller.led_teams is not None and body.team_id not in caller.led_teams:
        raise ApiError(
            403, "access_denied", "team_id: a Team Lead requests releases for teams they lead"
        )
    for kid in body.keypair_ids:
        try:
            find_keypair(state, caller, kid)
        except ApiError:
            raise bad_input("keypair_ids", f"unknown keypair id {kid}") from None
    for uid in body.signer_ids:
        user = state.db.get("users", uid)
        if user is None or caller.account_id not in user["account_ids"]:
            raise bad_input("signer_ids", f"unknown user id {uid}")
    auto = caller.has("APPROVE_SM_RELEASE") and caller.led_teams is None  # a Lead's own request
    now_s = iso(now)
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": body.name,
        "version": body.version,
        "team_id": body.team_id,
        "release_type": body.release_type,
        "purpose": body.purpose,
        "status": "APPROVED" if auto else "PENDING_APPROVAL",
        "start_time": iso(start),
        "end_time": iso(end),
        "keypair_ids": list(dict.fromkeys(body.keypair_ids)),
        "signer_ids": list(dict.fromkeys(body.signer_ids)),
        "max_signatures": body.max_signatures,
        "block_on_failed_scan": body.block_on_failed_scan,
        "project": body.project,
        "notes": body.notes,
        "approved_by": caller.id if auto else None,
        "approved_on": now_s if auto else None,
        "created_on": now_s,
        "created_by": caller.id,
        "modified_on": now_s,
    }
    with state.db.tx() as c:
        others = [
            json_row(c, "releases", r[0])
            for r in c.execute(
                "SELECT id FROM releases WHERE account_id=?", (caller.account_id,)
            ).fetchall()
        ]
        if any(o["name"] == body.name for o in others):
            raise conflict(f"a release window named {body.name} already exists")
        for other in others:
            if render.release_status(other, now_s) in LIVE:
                busy = set(other["keypair_ids"]) & set(rec["keypair_ids"])
                if busy:
                    raise conflict(
                        f"keypair {sorted(busy)[0]} is already in the active release "
                        f"window {other['name']}"
                    )
        Database.insert(c, "releases", rec)
        record_audit(
            c,
            state,
            caller,
            "RELEASE",
            rec["id"],
            "CREATE",
            f"Release window {body.name} requested",
        )
    return JSONResponse(render.release(render.Lookup(state), rec), status_code=201)


def _transition(request: Request, caller: Caller, release_id: str, action: str) -> JSONResponse:
    state = state_of(request)
    rec = find_release(state, caller, release_id)
    if action == "approve" or rec["created_by"] != caller.id:
        caller.require("APPROVE_SM_RELEASE")
    now = state.now_iso()
    with state.db.tx() as c:
        fresh = json_row(c, "releases", rec["id"])
        current = render.release_status(fresh, now)
        if action == "approve":
            if current != "PENDING_APPROVAL":
                raise invalid_state(
                    f"release window {fresh['name']} is {current}, not PENDING_APPROVAL"
                )
            fresh.update(status="APPROVED", approved_by=caller.id, approved_on=now)
        else:
            if current in ("CLOSED", "EXPIRED"):
                raise invalid_state(f"release window {fresh['name']} is already {current}")
            fresh["status"] = "CLOSED"
        fresh["modified_on"] = now
        Database.update(c, "releases", fresh)
        record_audit(
            c,
            state,
            caller,
            "RELEASE",
            rec["id"],
            action.upper(),
            f"Release window {fresh['name']} {action}d",
        )
    return JSONResponse(render.release(render.Lookup(state), fresh))


@router.post("/release-windows/{release_id}/approve")
def approve_release(release_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    return _transition(request, caller, release_id, "approve")


@router.post("/release-windows/{release_id}/close")
def close_release(release_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    caller.require("VIEW_SM_RELEASE")
    return _transition(request, caller, release_id, "close")
