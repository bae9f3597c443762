"""Profiles, signatures, scans, teams, account settings and the audit log."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    Paging,
    PagingDep,
    enum_param,
    list_page,
    record_audit,
    state_of,
    timestamp_param,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import bad_input, conflict, denied, not_found
from stm_tui.emulator.routes_keypairs import StrictBody, json_row
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["profiles, logs, teams, settings"])

_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")


def _owned(
    state: EmulatorState, caller: Caller, table: str, item_id: str, kind: str
) -> dict[str, Any]:
    rec = state.db.get(table, item_id)
    if rec is None or rec["account_id"] != caller.account_id:
        raise not_found(kind, item_id)
    return rec


def _check_name(field: str, name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise bad_input(field, "must be 1-100 printable characters")
    return name


def _name_free(c: Any, table: str, account_id: str, name: str, exclude: str | None = None) -> None:
    row = c.execute(
        f"SELECT id FROM {table} WHERE account_id=? AND name=?", (account_id, name)
    ).fetchone()
    if row is not None and row[0] != exclude:
        raise conflict(f"the name {name} is already used")


# ---- keypair profiles --------------------------------------------------------------------


class KeypairProfileCreate(StrictBody):
    name: str
    profile_type: Literal["FIXED", "CUSTOMIZABLE"] = "FIXED"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_alg: Literal["RSA", "ECDSA", "EDDSA"]
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    team_ids: list[str] = []


@router.get("/keypair-profiles")
def list_keypair_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: str | None = None,
) -> Response:
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    return list_page(request, state_of(request), "keypair_profiles", caller, page, render.profile)


@router.get("/keypair-profiles/{profile_id}")
def get_keypair_profile(profile_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    rec = _owned(state_of(request), caller, "keypair_profiles", profile_id, "Keypair profile")
    return JSONResponse(render.profile(rec))


@router.post("/keypair-profiles", status_code=201)
def create_keypair_profile(
    body: KeypairProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_KEYPAIR_PROFILE")
    name = _check_name("name", body.name)
    size, curve = body.key_size, body.curve
    if body.key_alg == "RSA":
        if size is None:
            raise bad_input("key_size", "must be one of 2048, 3072, 4096")
        curve = None
    elif body.key_alg == "ECDSA":
        if curve not in ("P256", "P384", "P521"):
            raise bad_input("curve", "must be one of P256, P384, P521")
        size = None
    else:
        size, curve = None, "Ed25519"
    teams = []
    for tid in body.team_ids:
        team = state.db.get("teams", tid)
        if team is None or team["account_id"] != caller.account_id:
            raise bad_input("team_ids", f"unknown team id {tid}")
        teams.append({"id": team["id"], "name": team["name"]})
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": name,
        "profile_type": body.profile_type,
        "scope": "ACCOUNT",
        "key_status": body.key_status,
        "key_alg": body.key_alg,
        "key_size": size,
        "curve": curve,
        "key_type": body.key_type,
        "teams": teams,
        "created_on": now,
        "modified_on": now,
    }
    with state.db.tx() as c:
        _name_free(c, "keypair_profiles", caller.account_id, name)
        Database.insert(c, "keypair_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR_PROFILE",
            rec["id"],
            "CREATE",
            f"Keypair profile {name} created",
        )
    return JSONResponse(render.profile(rec), status_code=201)


# ---- certificate profiles ----------------------------------------------------------------


class SubjectTemplate(StrictBody):
    common_name: str = Field(min_length=1, max_length=64)
    organization: str | None = Field(None, max_length=64)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


class CertificateProfileCreate(StrictBody):
    name: str
    hierarchy: Literal["PUBLIC", "PRIVATE"] = "PRIVATE"
    certificate_type: Literal["EV", "OV", "PRIVATE"] = "PRIVATE"
    validity_days: int = Field(365, ge=1, le=3650)
    allowed_key_algs: list[Literal["RSA", "ECDSA", "EDDSA"]] = ["RSA", "ECDSA", "EDDSA"]
    subject_template: SubjectTemplate | None = None


@router.get("/certificate-profiles")
def list_certificate_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: str | None = None,
) -> Response:
    caller.require("VIEW_SM_CERTIFICATE")
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    return list_page(
        request, state_of(request), "certificate_profiles", caller, page, render.profile
    )


@router.get("/certificate-profiles/{profile_id}")
def get_certificate_profile(profile_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    caller.require("VIEW_SM_CERTIFICATE")
    rec = _owned(
        state_of(request), caller, "certificate_profiles", profile_id, "Certificate profile"
    )
    return JSONResponse(render.profile(rec))


@router.post("/certificate-profiles", status_code=201)
def create_certificate_profile(
    body: CertificateProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTIFICATE_PROFILE")
    name = _check_name("name", body.name)
    if (body.hierarchy == "PUBLIC") != (body.certificate_type in ("EV", "OV")):
        raise bad_input("certificate_type", "EV/OV go with PUBLIC, PRIVATE with PRIVATE")
    if not body.allowed_key_algs:
        raise bad_input("allowed_key_algs", "at least one algorithm is required")
    account = state.db.get("accounts", caller.account_id) or {"name": "Account"}
    template = (
        body.subject_template.model_dump()
        if body.subject_template
        else {"common_name": account["name"], "organization": account["name"], "country": "US"}
    )
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": name,
        "status": "ACTIVE",
        "hierarchy": body.hierarchy,
        "certificate_type": body.certificate_type,
        "enrollment_method": "CC_GENERATE" if body.hierarchy == "PUBLIC" else "PRIVATE_CA",
        "validity_days": body.validity_days,
        "allowed_key_algs": list(dict.fromkeys(body.allowed_key_algs)),
        "subject_template": template,
        "created_on": now,
        "modified_on": now,
    }
    with state.db.tx() as c:
        _name_free(c, "certificate_profiles", caller.account_id, name)
        Database.insert(c, "certificate_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE_PROFILE",
            rec["id"],
            "CREATE",
            f"Certificate profile {name} created",
        )
    return JSONResponse(render.profile(rec), status_code=201)


# ---- signatures ---------------------------------------------------------------------------


@router.get("/signatures")
def list_signatures(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    keypair_id: str | None = None,
    release_id: str | None = None,
    user_id: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    for col, value in (
        ("keypair_id", keypair_id),
        ("release_id", release_id),
        ("user_id", user_id),
    ):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    _time_window(page, from_, to)
    lk = render.Lookup(state)
    return list_page(request, state, "signatures", caller, page, lambda r: render.signature(lk, r))


@router.get("/signatures/{signature_id}")
def get_signature(signature_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    if not caller.has("SIGN_SM_HASH"):  # a signer may read back what it signed
        caller.require("VIEW_SM_AUDIT_LOG")
    rec = _owned(state, caller, "signatures", signature_id, "Signature")
    return JSONResponse(render.signature(render.Lookup(state), rec))


def _time_window(page: Paging, from_: str | None, to: str | None) -> None:
    if from_ is not None:
        page.where.append("created_on>=?")
        page.params.append(timestamp_param("from", from_))
    if to is not None:
        page.where.append("created_on<?")
        page.params.append(timestamp_param("to", to))


# ---- scans ------------------------------------------------------------------------------------


@router.get("/scans")
def list_scans(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    status: str | None = None,
    release_id: str | None = None,
    project: str | None = None,
) -> Response:
    caller.require("VIEW_SM_THREAT_DETECTION")
    enum_param("status", status, ("PASS", "FAIL", "IN_PROGRESS", "ERROR"))
    for col, value in (("status", status), ("release_id", release_id), ("project_alias", project)):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    return list_page(
        request,
        state_of(request),
        "scans",
        caller,
        page,
        lambda r: render.scan(r, with_findings=False),
    )


@router.get("/scans/{scan_id}")
def get_scan(scan_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    caller.require("VIEW_SM_THREAT_DETECTION")
    rec = _owned(state_of(request), caller, "scans", scan_id, "Scan")
    return JSONResponse(render.scan(rec, with_findings=True))


# ---- teams ----------------------------------------------------------------------------------


class MemberPermissions(StrictBody):
    manage: bool = False
    approve: bool = False
    operation: bool = True


class TeamMember(StrictBody):
    user_id: str
    is_lead: bool = False
    permissions: MemberPermissions = MemberPermissions()


class TeamCreate(StrictBody):
    name: str
    description: str | None = Field(None, max_length=1000)
    members: list[TeamMember] = []


class TeamUpdate(StrictBody):
    name: str | None = None
    description: str | None = Field(None, max_length=1000)
    status: Literal["ACTIVE", "DISABLED"] | None = None
    members: list[TeamMember] | None = None


@router.get("/teams")
def list_teams(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: str | None = None,
) -> Response:
    state = state_of(request)
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    lk = render.Lookup(state)
    return list_page(request, state, "teams", caller, page, lambda r: render.team(lk, r))


@router.get("/teams/{team_id}")
def get_team(team_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = _owned(state, caller, "teams", team_id, "Team")
    return JSONResponse(render.team(render.Lookup(state), rec))


def _members(
    state: EmulatorState, caller: Caller, members: list[TeamMember]
) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m in members:
        user = state.db.get("users", m.user_id)
        if user is None or caller.account_id not in user["account_ids"]:
            raise bad_input("members", f"unknown user id {m.user_id}")
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


@router.post("/teams", status_code=201)
def create_team(body: TeamCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_ALL_TEAMS")
    name = _check_name("name", body.name)
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
        _name_free(c, "teams", caller.account_id, name)
        Database.insert(c, "teams", rec)
        _sync_user_teams(c, rec, [])
        record_audit(c, state, caller, "TEAM", rec["id"], "CREATE", f"Team {name} created")
    return JSONResponse(render.team(render.Lookup(state), rec), status_code=201)


@router.put("/teams/{team_id}")
def update_team(
    team_id: str, body: TeamUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _owned(state, caller, "teams", team_id, "Team")
    leads_it = caller.has("MANAGE_SM_MY_TEAMS") and team_id in (caller.led_teams or set())
    if not caller.has("MANAGE_SM_ALL_TEAMS") and not leads_it:
        raise denied("MANAGE_SM_ALL_TEAMS")
    before = list(rec["members"])
    if body.name is not None:
        rec["name"] = _check_name("name", body.name)
    if body.description is not None:
        rec["description"] = body.description
    if body.status is not None:
        rec["status"] = body.status
    if body.members is not None:
        rec["members"] = _members(state, caller, body.members)
    rec["modified_on"], rec["modified_by"] = state.now_iso(), caller.id
    with state.db.tx() as c:
        _name_free(c, "teams", caller.account_id, rec["name"], exclude=rec["id"])
        Database.update(c, "teams", rec)
        _sync_user_teams(c, rec, before)
        record_audit(c, state, caller, "TEAM", rec["id"], "UPDATE", f"Team {rec['name']} updated")
    return JSONResponse(render.team(render.Lookup(state), rec))


# ---- account settings ---------------------------------------------------------------------


class ReleasePreferences(StrictBody):
    comparison_matches_required: int | None = Field(None, ge=2, le=6)
    allowed_keypair_types: list[Literal["ONLINE", "OFFLINE", "TEST"]] | None = None
    default_purpose: Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"] | None = None
    block_signing_on_failed_scan: Literal["YES", "NO", "SPECIFY"] | None = None
    restrict_scans_to_releases: bool | None = None


class SettingsUpdate(StrictBody):
    two_factor_required: bool | None = None
    require_keypair_profile: bool | None = None
    release_preferences: ReleasePreferences | None = None


class CertCentralKey(StrictBody):
    api_key: str = Field(min_length=8, max_length=512)
    region: Literal["GLOBAL", "EUROPE"] = "GLOBAL"


def load_settings(c: Any, account_id: str) -> dict[str, Any]:
    row = c.execute("SELECT data FROM settings WHERE id=?", (account_id,)).fetchone()
    if row is None:
        raise not_found("Account settings", account_id)
    return dict(json.loads(row[0]))


def _render_settings(state: EmulatorState, settings: dict[str, Any]) -> dict[str, Any]:
    account = state.db.get("accounts", settings["id"]) or {"id": settings["id"], "name": ""}
    return {
        "account": {"id": account["id"], "name": account["name"]},
        "two_factor_required": settings["two_factor_required"],
        "require_keypair_profile": settings["require_keypair_profile"],
        "certcentral": settings["certcentral"],
        "release_preferences": settings["release_preferences"],
        "modified_on": settings["modified_on"],
    }


def _save_settings(c: Any, settings: dict[str, Any]) -> None:
    c.execute("UPDATE settings SET data=? WHERE id=?", (json.dumps(settings), settings["id"]))


@router.get("/account-settings")
def get_settings(request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    with state.db.read() as c:
        settings = load_settings(c, caller.account_id)
    return JSONResponse(_render_settings(state, settings))


@router.put("/account-settings")
def update_settings(body: SettingsUpdate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_ACCOUNT_SETTINGS")
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        if body.two_factor_required is not None:
            settings["two_factor_required"] = body.two_factor_required
        if body.require_keypair_profile is not None:
            settings["require_keypair_profile"] = body.require_keypair_profile
        if body.release_preferences is not None:
            for key, value in body.release_preferences.model_dump().items():
                if value is not None:
                    settings["release_preferences"][key] = value
        settings["modified_on"] = state.now_iso()
        _save_settings(c, settings)
        record_audit(
            c, state, caller, "ACCOUNT", caller.account_id, "UPDATE", "Account settings updated"
        )
    return JSONResponse(_render_settings(state, settings))


@router.put("/account-settings/certcentral")
def set_certcentral(body: CertCentralKey, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTCENTRAL_KEY")
    now = state.now_iso()
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        # The key itself is write-only: only a hint of it is ever stored or returned.
        settings["certcentral"] = {
            "configured": True,
            "region": body.region,
            "api_key_hint": "…" + body.api_key[-4:],
            "configured_on": now,
            "configured_by": caller.id,
        }
        settings["modified_on"] = now
        _save_settings(c, settings)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            caller.account_id,
            "UPDATE",
            f"CertCentral integration configured ({body.region})",
        )
    return JSONResponse(_render_settings(state, settings))


@router.delete("/account-settings/certcentral")
def delete_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTCENTRAL_KEY")
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        settings["certcentral"] = {
            "configured": False,
            "region": None,
            "api_key_hint": None,
            "configured_on": None,
            "configured_by": None,
        }
        settings["modified_on"] = state.now_iso()
        _save_settings(c, settings)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            caller.account_id,
            "DELETE",
            "CertCentral integration removed",
        )
    return JSONResponse(_render_settings(state, settings))


# ---- audit log ------------------------------------------------------------------------------

AUDIT_FIELDS = (
    "id",
    "account_id",
    "resource_type",
    "resource_id",
    "action",
    "status",
    "user_id",
    "user_name",
    "client_ip",
    "details",
    "created_on",
)


def audit_filters(
    page: Paging,
    id: str | None,
    resource_type: str | None,
    resource_id: str | None,
    status: str | None,
    client_ip: str | None,
    user_id: str | None,
    from_: str | None,
    to: str | None,
) -> None:
    for col, value in (
        ("id", id),
        ("resource_type", resource_type),
        ("resource_id", resource_id),
        ("status", status),
        ("client_ip", client_ip),
        ("user_id", user_id),
    ):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    _time_window(page, from_, to)


@router.get("/audit-log")
def list_audit(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    id: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    status: str | None = None,
    client_ip: str | None = None,
    user_id: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> Response:
    caller.require("VIEW_SM_AUDIT_LOG")
    audit_filters(page, id, resource_type, resource_id, status, client_ip, user_id, from_, to)
    return list_page(request, state_of(request), "audit", caller, page, render.audit)


@router.get("/audit-log/export")
def export_audit(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    id: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    status: str | None = None,
    client_ip: str | None = None,
    user_id: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> Response:
    """CSV (C). Without `limit` it exports everything that matches."""
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    caller.require("EXPORT_SM_AUDIT_LOG")
    audit_filters(page, id, resource_type, resource_id, status, client_ip, user_id, from_, to)
    where = " AND ".join(["account_id=?", *page.where])
    explicit_limit = "limit" in request.query_params
    rows = state.db.select(
        "audit",
        where,
        [caller.account_id, *page.params],
        limit=page.limit if explicit_limit else -1,
        offset=page.offset,
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_FIELDS)
    for row in rows:
        writer.writerow([_csv_safe(row.get(f)) for f in AUDIT_FIELDS])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


def _csv_safe(value: Any) -> str:
    """No formula injection when the export is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
