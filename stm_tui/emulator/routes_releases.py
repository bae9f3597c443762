"""Release windows: kinds OFFLINE (requested, then approved or rejected by a second
person), ONLINE and TEST (created approved); verbs approve, reject, close (C: smctl manual).
Status is derived at read time."""

from __future__ import annotations

from datetime import timedelta
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
    timestamp_param,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import (
    ApiError,
    conflict,
    invalid_state,
    not_found,
    unprocessable,
)
from stm_tui.emulator.fields import ProjectAlias, Ref, ReleaseName, Timestamp, Version, text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import StrictBody, json_row, read_settings
from stm_tui.emulator.routes_keypairs import find_keypair
from stm_tui.emulator.util import iso, new_id, parse_ts
from stm_tui.emulator.visibility import release_visible, visible_keypair_set

router = APIRouter(prefix="/signingmanager/api/v1", tags=["release windows"])

STATUSES = ("PENDING_APPROVAL", "APPROVED", "REJECTED", "OPEN", "CLOSED", "EXPIRED")
LIVE = ("PENDING_APPROVAL", "APPROVED", "OPEN")
# A window may start this long before the request arrives (clocks and forms are not exact).
START_GRACE = timedelta(minutes=5)
ReleaseId = Annotated[str, Path(max_length=64)]
FilterStr = Annotated[str | None, Query(max_length=100)]


class ReleaseCreate(StrictBody):
    name: ReleaseName
    version: Version | None = None
    team_id: Ref | None = None
    release_type: Literal["ONLINE", "OFFLINE", "TEST"] = "OFFLINE"
    purpose: Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"] = "SIGN"
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    duration_minutes: int | None = Field(None, ge=1, le=60 * 24 * 366)
    keypair_ids: Annotated[list[Ref], Field(min_length=1, max_length=50)]
    signer_ids: Annotated[list[Ref], Field(max_length=200)] = []
    max_signatures: int | None = Field(
        None, ge=0, le=10_000_000, description="null: unlimited; 0 is refused (422)"
    )
    block_on_failed_scan: bool = False
    project: ProjectAlias | None = None
    notes: text(4000, multiline=True) | None = None  # type: ignore[valid-type]


class RejectRequest(StrictBody):
    reason: text(500) | None = None  # type: ignore[valid-type]


def find_release(state: EmulatorState, caller: Caller, release_id: str) -> dict[str, Any]:
    rec = state.db.get("releases", release_id)
    if rec is None or rec["account_id"] != caller.account_id:
        raise not_found("Release window", release_id)
    if not release_visible(caller, rec, visible_keypair_set(state, caller)):
        raise not_found("Release window", release_id)
    return rec


@router.get("/release-windows", responses=documented(list_=True))
def list_releases(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    status: Literal[STATUSES] | None = None,  # type: ignore[valid-type]
    keypair_id: FilterStr = None,
    team_id: FilterStr = None,
    release_type: Literal["ONLINE", "OFFLINE", "TEST"] | None = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_RELEASE")
    now = state.now_iso()
    visible = set() if caller.sees_all_keypairs else visible_keypair_set(state, caller)

    def keep(rec: dict[str, Any]) -> bool:
        return (
            release_visible(caller, rec, visible)
            and (status is None or render.release_status(rec, now) == status)
            and (keypair_id is None or keypair_id in rec["keypair_ids"])
            and (team_id is None or rec.get("team_id") == team_id)
            and (release_type is None or rec["release_type"] == release_type)
        )

    lk = render.Lookup(state)
    return list_page(
        request, state, "releases", caller, page, lambda r: render.release(lk, r), py_filter=keep
    )


@router.get("/release-windows/{release_id}", responses=documented(404))
def get_release(release_id: ReleaseId, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("VIEW_SM_RELEASE")
    return JSONResponse(
        render.release(render.Lookup(state), find_release(state, caller, release_id))
    )


def _window(state: EmulatorState, body: ReleaseCreate) -> tuple[Any, Any]:
    now = state.now()
    start = parse_ts(timestamp_param("start_time", body.start_time)) if body.start_time else now
    if start < now - START_GRACE:
        raise invalid_state(
            f"start_time: {iso(start)} is in the past (now {iso(now)}; a window may start at"
            " most 5 minutes ago)"
        )
    if body.end_time is not None:
        end = parse_ts(timestamp_param("end_time", body.end_time))
    elif body.duration_minutes is not None:
        try:
            end = start + timedelta(minutes=body.duration_minutes)
        except OverflowError:
            raise unprocessable("duration_minutes", "ends after the year 9999") from None
    else:
        raise unprocessable("end_time", "required (or duration_minutes)")
    if end <= start:
        raise unprocessable("end_time", "must be after start_time")
    return start, end


def _check_keypairs(
    state: EmulatorState, caller: Caller, body: ReleaseCreate
) -> list[dict[str, Any]]:
    keypairs = []
    for kid in body.keypair_ids:
        try:
            keypairs.append(find_keypair(state, caller, kid))
        except ApiError:
            raise unprocessable("keypair_ids", f"unknown keypair id {kid}") from None
    return keypairs


def _certificates_last(
    state: EmulatorState, keypairs: list[dict[str, Any]], end: Any
) -> None:
    """Guard rails (I, after Keyfactor's "refuse near expiry"): every keypair needs an
    active certificate, and the one it signs with (the default, else the newest active)
    must outlast the window."""
    now = state.now_iso()
    for kp in keypairs:
        active = [
            c
            for c in state.db.select("certificates", "keypair_id=?", (kp["id"],))
            if c["status"] == "ACTIVE" and c["valid_to"] > now
        ]
        if not active:
            raise invalid_state(
                f"keypair_ids: keypair {kp['alias']} has no active certificate: generate one"
                " before it joins a release window"
            )
        active.sort(key=lambda c: (bool(c["default_cert"]), c["created_on"]), reverse=True)
        signing = active[0]
        if signing["valid_to"] < iso(end):
            which = "default certificate" if signing["default_cert"] else "certificate"
            raise invalid_state(
                f"keypair_ids: the {which} {signing['alias']} of keypair {kp['alias']} expires"
                f" at {signing['valid_to']}, inside the window (it ends {iso(end)})"
            )


def _kinds_allowed(
    keypairs: list[dict[str, Any]], body: ReleaseCreate, prefs: dict[str, Any]
) -> None:
    allowed = prefs.get("allowed_keypair_types") or ["ONLINE", "OFFLINE", "TEST"]
    for kp in keypairs:
        kind = "TEST" if kp["key_type"] == "TEST" else kp["key_status"]
        if kind not in allowed:
            raise invalid_state(
                f"keypair_ids: the account's release preferences do not allow {kind} keypairs"
                f" in releases ({kp['alias']})"
            )
        if body.release_type == "TEST" and kp["key_type"] != "TEST":
            raise unprocessable(
                "keypair_ids", f"a TEST release holds TEST keypairs only, not {kp['alias']}"
            )
        if body.release_type == "ONLINE" and kp["key_status"] == "OFFLINE":
            raise unprocessable(
                "keypair_ids",
                f"keypair {kp['alias']} is OFFLINE: offline keypairs sign in offline releases",
            )


@router.post("/release-windows", status_code=201, responses=documented(409, 422))
def create_release(body: ReleaseCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("REQUEST_SM_RELEASE")
    if body.max_signatures == 0:
        raise invalid_state(
            "max_signatures: a maximum of zero allows no signature; leave it out for no limit"
        )
    prefs = read_settings(state, caller.account_id)["release_preferences"]
    start, end = _window(state, body)
    if body.team_id is not None:
        team = state.db.get("teams", body.team_id)
        if team is None or team["account_id"] != caller.account_id:
            raise unprocessable("team_id", f"unknown team id {body.team_id}")
    if caller.led_teams is not None and body.team_id not in caller.led_teams:
        raise ApiError(
            403, "access_denied", "team_id: a Team Lead requests releases for teams they lead"
        )
    keypairs = _check_keypairs(state, caller, body)
    _kinds_allowed(keypairs, body, prefs)
    _certificates_last(state, keypairs, end)
    block = body.block_on_failed_scan
    if "block_on_failed_scan" not in body.model_fields_set:
        block = prefs.get("block_signing_on_failed_scan") == "YES"
    purpose = body.purpose
    if "purpose" not in body.model_fields_set:
        purpose = prefs.get("default_purpose") or "SIGN"
    for uid in body.signer_ids:
        user = state.db.get("users", uid)
        if user is None or caller.account_id not in user["account_ids"]:
            raise unprocessable("signer_ids", f"unknown user id {uid}")
    requested = body.release_type == "OFFLINE"  # online and test releases start approved
    now_s = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": body.name,
        "version": body.version,
        "team_id": body.team_id,
        "release_type": body.release_type,
        "purpose": purpose,
        "status": "PENDING_APPROVAL" if requested else "APPROVED",
        "start_time": iso(start),
        "end_time": iso(end),
        "keypair_ids": [kp["id"] for kp in keypairs],
        "signer_ids": list(dict.fromkeys(body.signer_ids)),
        "max_signatures": body.max_signatures,
        "block_on_failed_scan": block,
        "project": body.project,
        "notes": body.notes,
        "approved_by": None if requested else caller.id,
        "approved_on": None if requested else now_s,
        "rejection_reason": None,
        "created_on": now_s,
        "created_by": caller.id,
        "modified_on": now_s,
    }
    rec["keypair_ids"] = list(dict.fromkeys(rec["keypair_ids"]))
    with state.db.tx() as c:
        others = [
            json_row(c, "releases", r[0])
            for r in c.execute(
                "SELECT id FROM releases WHERE account_id=?", (caller.account_id,)
            ).fetchall()
        ]
        if any(o["name"] == body.name for o in others):
            raise conflict(f"a release window named {body.name} already exists")
        aliases = {kp["id"]: kp["alias"] for kp in keypairs}
        for other in others:
            # One keypair in one release at a time (C): any live window whose time overlaps.
            if render.release_status(other, now_s) not in LIVE:
                continue
            if other["start_time"] >= rec["end_time"] or other["end_time"] <= rec["start_time"]:
                continue
            busy = set(other["keypair_ids"]) & set(rec["keypair_ids"])
            if busy:
                raise invalid_state(
                    f"keypair_ids: keypair {aliases[sorted(busy)[0]]} is already in the"
                    f" {render.release_status(other, now_s).lower().replace('_', ' ')} release"
                    f" window {other['name']} ({other['start_time']} to {other['end_time']})"
                )
        Database.insert(c, "releases", rec)
        kind = body.release_type.lower()
        record_audit(
            c,
            state,
            caller,
            "RELEASE",
            rec["id"],
            Action.REQUEST if requested else Action.GENERATE,
            f"Release window {body.name} ({kind}) "
            + ("requested" if requested else "created, approved"),
        )
    return JSONResponse(render.release(render.Lookup(state), rec), status_code=201)


def _decide(
    request: Request, caller: Caller, release_id: str, approve: bool, reason: str | None
) -> JSONResponse:
    state = state_of(request)
    fresh = decide_release(state, caller, release_id, approve, reason)
    return JSONResponse(render.release(render.Lookup(state), fresh))


def decide_release(
    state: EmulatorState, caller: Caller, release_id: str, approve: bool, reason: str | None
) -> dict[str, Any]:
    """Approve or reject a requested (offline) release: a second person's decision (C)."""
    rec = find_release(state, caller, release_id)
    caller.require_on("APPROVE_SM_RELEASE", [rec.get("team_id")])
    if rec["created_by"] == caller.id:
        raise ApiError(
            403,
            "access_denied",
            "a release window is approved or rejected by someone other than its requester",
        )
    now = state.now_iso()
    with state.db.tx() as c:
        fresh = json_row(c, "releases", rec["id"])
        current = render.release_status(fresh, now)
        if current != "PENDING_APPROVAL":
            raise invalid_state(
                f"release window {fresh['name']} is {current}, not PENDING_APPROVAL"
            )
        if approve:
            fresh.update(status="APPROVED", approved_by=caller.id, approved_on=now)
        else:
            fresh.update(status="REJECTED", rejection_reason=reason)
        fresh["modified_on"] = now
        Database.update(c, "releases", fresh)
        record_audit(
            c,
            state,
            caller,
            "RELEASE",
            rec["id"],
            Action.APPROVE if approve else Action.REJECT,
            f"Release window {fresh['name']} {'approved' if approve else 'rejected'}"
            + (f": {reason}" if reason else ""),
        )
    return fresh


@router.post("/release-windows/{release_id}/approve", responses=documented(404, 422))
def approve_release(release_id: ReleaseId, request: Request, caller: CallerDep) -> JSONResponse:
    return _decide(request, caller, release_id, True, None)


@router.post("/release-windows/{release_id}/reject", responses=documented(404, 422))
def reject_release(
    release_id: ReleaseId,
    request: Request,
    caller: CallerDep,
    body: RejectRequest | None = None,
) -> JSONResponse:
    return _decide(request, caller, release_id, False, body.reason if body else None)


@router.post("/release-windows/{release_id}/close", responses=documented(404, 422))
def close_release(release_id: ReleaseId, request: Request, caller: CallerDep) -> JSONResponse:
    """Close early: the requester, or someone who may approve releases."""
    state = state_of(request)
    caller.require("VIEW_SM_RELEASE")
    rec = find_release(state, caller, release_id)
    if rec["created_by"] != caller.id:
        caller.require_on("APPROVE_SM_RELEASE", [rec.get("team_id")])
    now = state.now_iso()
    with state.db.tx() as c:
        fresh = json_row(c, "releases", rec["id"])
        current = render.release_status(fresh, now)
        if current in ("CLOSED", "EXPIRED", "REJECTED"):
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
            Action.UPDATE,
            f"Release window {fresh['name']} closed early",
        )
    return JSONResponse(render.release(render.Lookup(state), fresh))
