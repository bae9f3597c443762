"""Keypair profiles and certificate profiles: list, get, create, update, enable, disable, and
for certificate profiles clone.

Keypair profile fields are the console's (C: name, Fixed or Customizable, scope, active now
or inactive until a date, keypair status, algorithm and size/curve; disabling is logged as
Suspend); storage and category follow the keypair form (I). Certificate profile fields are
INFERRED (private hierarchy or CertCentral; certificate type, validity, subject template).
A CertCentral (PUBLIC) profile needs the integration set up, enabled and connected."""

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
from stm_tui.emulator.errors import invalid_state, unprocessable
from stm_tui.emulator.fields import Ref, Timestamp, name
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import (
    StrictBody,
    json_row,
    name_free,
    owned,
    read_settings,
)
from stm_tui.emulator.util import iso, new_id, parse_ts

router = APIRouter(prefix="/signingmanager/api/v1", tags=["profiles"])

ProfileId = Annotated[str, Path(max_length=64)]
NameFilter = Annotated[str | None, Query(max_length=100)]
TeamIds = Annotated[list[Ref], Field(max_length=50)]
KeyAlg = Literal["RSA", "ECDSA", "EDDSA"]
ProfileName = name()
ShortName = name(64)
Curve = Literal["P256", "P384", "P521", "Ed25519"]


# ---- keypair profiles --------------------------------------------------------------------


class KeypairProfileCreate(StrictBody):
    name: ProfileName  # type: ignore[valid-type]
    profile_type: Literal["FIXED", "CUSTOMIZABLE"] = "FIXED"
    scope: Literal["SYSTEM", "ACCOUNT"] = "ACCOUNT"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_alg: KeyAlg
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Curve | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    key_storage: Literal["HSM", "DISK"] = "HSM"
    active_from: Timestamp | None = Field(
        None, description="inactive until then (null: active now)"
    )
    team_ids: TeamIds = []


class KeypairProfileUpdate(StrictBody):
    name: ProfileName | None = None  # type: ignore[valid-type]
    profile_type: Literal["FIXED", "CUSTOMIZABLE"] | None = None
    scope: Literal["SYSTEM", "ACCOUNT"] | None = None
    key_status: Literal["ONLINE", "OFFLINE"] | None = None
    key_alg: KeyAlg | None = None
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Curve | None = None
    key_type: Literal["PRODUCTION", "TEST"] | None = None
    key_storage: Literal["HSM", "DISK"] | None = None
    active_from: Timestamp | None = Field(None, description="null in the body: active now")
    team_ids: TeamIds | None = None


def _algorithm(alg: str, size: int | None, curve: str | None) -> tuple[int | None, str | None]:
    if alg == "RSA":
        if size is None:
            raise unprocessable("key_size", "RSA needs one of 2048, 3072, 4096")
        return size, None
    if alg == "ECDSA":
        if curve not in ("P256", "P384", "P521"):
            raise unprocessable("curve", "ECDSA needs one of P256, P384, P521")
        return None, curve
    if curve not in (None, "Ed25519"):
        raise unprocessable("curve", "must be Ed25519 for EDDSA")
    return None, "Ed25519"


def _teams(state: EmulatorState, caller: Caller, team_ids: list[str]) -> list[dict[str, str]]:
    teams = []
    for tid in dict.fromkeys(team_ids):
        team = state.db.get("teams", tid)
        if team is None or team["account_id"] != caller.account_id:
            raise unprocessable("team_ids", f"unknown team id {tid}")
        teams.append({"id": team["id"], "name": team["name"]})
    return teams


def _when(value: str | None) -> str | None:
    return None if value is None else iso(parse_ts(value))


def _kp_profile(state: EmulatorState, rec: dict[str, Any]) -> dict[str, Any]:
    return render.keypair_profile(rec, state.now_iso())


@router.get("/keypair-profiles", responses=documented(list_=True))
def list_keypair_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: NameFilter = None,
) -> Response:
    state = state_of(request)
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    now = state.now_iso()
    return list_page(
        request,
        state,
        "keypair_profiles",
        caller,
        page,
        lambda r: render.keypair_profile(r, now),
    )


@router.get("/keypair-profiles/{profile_id}", responses=documented(404))
def get_keypair_profile(profile_id: ProfileId, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = owned(state, caller, "keypair_profiles", profile_id, "Keypair profile")
    return JSONResponse(_kp_profile(state, rec))


@router.post("/keypair-profiles", status_code=201, responses=documented(409, 422))
def create_keypair_profile(
    body: KeypairProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_KEYPAIR_PROFILE")
    size, curve = _algorithm(body.key_alg, body.key_size, body.curve)
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": body.name,
        "profile_type": body.profile_type,
        "scope": body.scope,
        "enabled": True,
        "active_from": _when(body.active_from),
        "key_status": body.key_status,
        "key_alg": body.key_alg,
        "key_size": size,
        "curve": curve,
        "key_type": body.key_type,
        "key_storage": body.key_storage,
        "teams": _teams(state, caller, body.team_ids),
        "created_on": now,
        "created_by": caller.id,
        "modified_on": now,
    }
    with state.db.tx() as c:
        name_free(c, "keypair_profiles", caller.account_id, body.name)
        Database.insert(c, "keypair_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR_PROFILE",
            rec["id"],
            Action.GENERATE,
            f"Keypair profile {body.name} created",
        )
    return JSONResponse(_kp_profile(state, rec), status_code=201)


@router.put("/keypair-profiles/{profile_id}", responses=documented(404, 409, 422))
def update_keypair_profile(
    profile_id: ProfileId, body: KeypairProfileUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    """Changes apply to keypairs generated from now on; existing keypairs keep theirs."""
    state = state_of(request)
    caller.require("MANAGE_SM_KEYPAIR_PROFILE")
    rec = owned(state, caller, "keypair_profiles", profile_id, "Keypair profile")
    sent = body.model_fields_set
    for key in ("name", "profile_type", "scope", "key_status", "key_type", "key_storage"):
        value = getattr(body, key)
        if value is not None:
            rec[key] = value
    if body.key_alg is not None and body.key_alg != rec["key_alg"]:
        rec["key_alg"] = body.key_alg
        rec["key_size"], rec["curve"] = body.key_size, body.curve
    elif "key_size" in sent or "curve" in sent:
        rec["key_size"] = body.key_size if "key_size" in sent else rec["key_size"]
        rec["curve"] = body.curve if "curve" in sent else rec["curve"]
    rec["key_size"], rec["curve"] = _algorithm(rec["key_alg"], rec["key_size"], rec["curve"])
    if "active_from" in sent:
        rec["active_from"] = _when(body.active_from)
    if body.team_ids is not None:
        rec["teams"] = _teams(state, caller, body.team_ids)
    rec["modified_on"] = state.now_iso()
    with state.db.tx() as c:
        name_free(c, "keypair_profiles", caller.account_id, rec["name"], exclude=rec["id"])
        Database.update(c, "keypair_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR_PROFILE",
            rec["id"],
            Action.UPDATE,
            f"Keypair profile {rec['name']} updated",
        )
    return JSONResponse(_kp_profile(state, rec))


def _switch(
    request: Request, caller: Caller, table: str, profile_id: str, enable: bool
) -> dict[str, Any]:
    """Enable (logged Unsuspend) or disable (logged Suspend, C for keypair profiles)."""
    state = state_of(request)
    permission = (
        "MANAGE_SM_KEYPAIR_PROFILE"
        if table == "keypair_profiles"
        else "MANAGE_SM_CERTIFICATE_PROFILE"
    )
    caller.require(permission)
    kind = "Keypair profile" if table == "keypair_profiles" else "Certificate profile"
    rec = owned(state, caller, table, profile_id, kind)
    if table == "certificate_profiles" and enable and rec["hierarchy"] == "PUBLIC":
        require_certcentral(state, caller, "hierarchy")
    with state.db.tx() as c:
        fresh = json_row(c, table, rec["id"])
        enabled = (
            fresh.get("enabled", True)
            if table == "keypair_profiles"
            else fresh["status"] == "ACTIVE"
        )
        if enabled == enable:
            raise invalid_state(
                f"{kind.lower()} {fresh['name']} is already {'enabled' if enable else 'disabled'}"
            )
        if table == "keypair_profiles":
            fresh["enabled"] = enable
        else:
            fresh["status"] = "ACTIVE" if enable else "DISABLED"
        fresh["modified_on"] = state.now_iso()
        Database.update(c, table, fresh)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR_PROFILE" if table == "keypair_profiles" else "CERTIFICATE_PROFILE",
            fresh["id"],
            Action.UNSUSPEND if enable else Action.SUSPEND,
            f"{kind} {fresh['name']} {'enabled' if enable else 'disabled'}",
        )
    return fresh


@router.post("/keypair-profiles/{profile_id}/enable", responses=documented(404, 422))
def enable_keypair_profile(
    profile_id: ProfileId, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _switch(request, caller, "keypair_profiles", profile_id, True)
    return JSONResponse(_kp_profile(state, rec))


@router.post("/keypair-profiles/{profile_id}/disable", responses=documented(404, 422))
def disable_keypair_profile(
    profile_id: ProfileId, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    rec = _switch(request, caller, "keypair_profiles", profile_id, False)
    return JSONResponse(_kp_profile(state, rec))


# ---- certificate profiles ----------------------------------------------------------------


class SubjectTemplate(StrictBody):
    common_name: ShortName  # type: ignore[valid-type]
    organization: ShortName | None = None  # type: ignore[valid-type]
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


KeyAlgs = Annotated[list[KeyAlg], Field(min_length=1, max_length=3)]


class CertificateProfileCreate(StrictBody):
    name: ProfileName  # type: ignore[valid-type]
    hierarchy: Literal["PUBLIC", "PRIVATE"] = "PRIVATE"
    certificate_type: Literal["EV", "OV", "PRIVATE"] = "PRIVATE"
    validity_days: int = Field(365, ge=1, le=3650)
    allowed_key_algs: KeyAlgs = ["RSA", "ECDSA", "EDDSA"]
    subject_template: SubjectTemplate | None = None
    team_ids: TeamIds = []


class CertificateProfileUpdate(StrictBody):
    name: ProfileName | None = None  # type: ignore[valid-type]
    hierarchy: Literal["PUBLIC", "PRIVATE"] | None = None
    certificate_type: Literal["EV", "OV", "PRIVATE"] | None = None
    validity_days: int | None = Field(None, ge=1, le=3650)
    allowed_key_algs: KeyAlgs | None = None
    subject_template: SubjectTemplate | None = None
    team_ids: TeamIds | None = None


class CloneRequest(StrictBody):
    name: ProfileName  # type: ignore[valid-type]


def require_certcentral(state: EmulatorState, caller: Caller, field: str) -> None:
    """422 unless the account's CertCentral integration is set up, enabled and connected."""
    from stm_tui.emulator.routes_settings import certcentral_problem

    problem = certcentral_problem(read_settings(state, caller.account_id))
    if problem is not None:
        raise invalid_state(f"{field}: a CertCentral (PUBLIC) profile needs {problem}")


def _type_fits(hierarchy: str, certificate_type: str) -> None:
    if (hierarchy == "PUBLIC") != (certificate_type in ("EV", "OV")):
        raise unprocessable("certificate_type", "EV/OV go with PUBLIC, PRIVATE with PRIVATE")


@router.get("/certificate-profiles", responses=documented(list_=True))
def list_certificate_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: NameFilter = None,
    status: Literal["ACTIVE", "DISABLED"] | None = None,
    hierarchy: Literal["PUBLIC", "PRIVATE"] | None = None,
) -> Response:
    caller.require("VIEW_SM_CERTIFICATE")
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    for key, value in (("status", status), ("hierarchy", hierarchy)):
        if value is not None:
            page.where.append(f"json_extract(data, '$.{key}')=?")
            page.params.append(value)
    return list_page(
        request, state_of(request), "certificate_profiles", caller, page, render.profile
    )


@router.get("/certificate-profiles/{profile_id}", responses=documented(404))
def get_certificate_profile(
    profile_id: ProfileId, request: Request, caller: CallerDep
) -> JSONResponse:
    caller.require("VIEW_SM_CERTIFICATE")
    rec = owned(
        state_of(request), caller, "certificate_profiles", profile_id, "Certificate profile"
    )
    return JSONResponse(render.profile(rec))


def _insert_certificate_profile(
    state: EmulatorState, caller: Caller, rec: dict[str, Any], details: str
) -> JSONResponse:
    with state.db.tx() as c:
        name_free(c, "certificate_profiles", caller.account_id, rec["name"])
        Database.insert(c, "certificate_profiles", rec)
        record_audit(c, state, caller, "CERTIFICATE_PROFILE", rec["id"], Action.GENERATE, details)
    return JSONResponse(render.profile(rec), status_code=201)


@router.post("/certificate-profiles", status_code=201, responses=documented(409, 422))
def create_certificate_profile(
    body: CertificateProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTIFICATE_PROFILE")
    _type_fits(body.hierarchy, body.certificate_type)
    if body.hierarchy == "PUBLIC":
        require_certcentral(state, caller, "hierarchy")
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
        "name": body.name,
        "status": "ACTIVE",
        "hierarchy": body.hierarchy,
        "certificate_type": body.certificate_type,
        "enrollment_method": "CC_GENERATE" if body.hierarchy == "PUBLIC" else "PRIVATE_CA",
        "validity_days": body.validity_days,
        "allowed_key_algs": list(dict.fromkeys(body.allowed_key_algs)),
        "subject_template": template,
        "teams": _teams(state, caller, body.team_ids),
        "created_on": now,
        "modified_on": now,
    }
    return _insert_certificate_profile(
        state, caller, rec, f"Certificate profile {body.name} created"
    )


@router.put("/certificate-profiles/{profile_id}", responses=documented(404, 409, 422))
def update_certificate_profile(
    profile_id: ProfileId, body: CertificateProfileUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    """Applies to certificates issued from now on; issued ones keep their terms."""
    state = state_of(request)
    caller.require("MANAGE_SM_CERTIFICATE_PROFILE")
    rec = owned(state, caller, "certificate_profiles", profile_id, "Certificate profile")
    for key in ("name", "hierarchy", "certificate_type", "validity_days"):
        value = getattr(body, key)
        if value is not None:
            rec[key] = value
    if body.allowed_key_algs is not None:
        rec["allowed_key_algs"] = list(dict.fromkeys(body.allowed_key_algs))
    if body.subject_template is not None:
        rec["subject_template"] = body.subject_template.model_dump()
    if body.team_ids is not None:
        rec["teams"] = _teams(state, caller, body.team_ids)
    _type_fits(rec["hierarchy"], rec["certificate_type"])
    if body.hierarchy == "PUBLIC":
        require_certcentral(state, caller, "hierarchy")
    rec["enrollment_method"] = "CC_GENERATE" if rec["hierarchy"] == "PUBLIC" else "PRIVATE_CA"
    rec["modified_on"] = state.now_iso()
    with state.db.tx() as c:
        name_free(c, "certificate_profiles", caller.account_id, rec["name"], exclude=rec["id"])
        Database.update(c, "certificate_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE_PROFILE",
            rec["id"],
            Action.UPDATE,
            f"Certificate profile {rec['name']} updated",
        )
    return JSONResponse(render.profile(rec))


@router.post(
    "/certificate-profiles/{profile_id}/clone", status_code=201, responses=documented(404, 409, 422)
)
def clone_certificate_profile(
    profile_id: ProfileId, body: CloneRequest, request: Request, caller: CallerDep
) -> JSONResponse:
    """A copy under a new name, ACTIVE, without the original's team mapping."""
    state = state_of(request)
    caller.require("MANAGE_SM_CERTIFICATE_PROFILE")
    source = owned(state, caller, "certificate_profiles", profile_id, "Certificate profile")
    if source["hierarchy"] == "PUBLIC":
        require_certcentral(state, caller, "hierarchy")
    now = state.now_iso()
    rec = dict(
        source,
        id=new_id(),
        name=body.name,
        status="ACTIVE",
        teams=[],
        created_on=now,
        modified_on=now,
        cloned_from={"id": source["id"], "name": source["name"]},
    )
    return _insert_certificate_profile(
        state, caller, rec, f"Certificate profile {body.name} cloned from {source['name']}"
    )


@router.post("/certificate-profiles/{profile_id}/enable", responses=documented(404, 422))
def enable_certificate_profile(
    profile_id: ProfileId, request: Request, caller: CallerDep
) -> JSONResponse:
    return JSONResponse(
        render.profile(_switch(request, caller, "certificate_profiles", profile_id, True))
    )


@router.post("/certificate-profiles/{profile_id}/disable", responses=documented(404, 422))
def disable_certificate_profile(
    profile_id: ProfileId, request: Request, caller: CallerDep
) -> JSONResponse:
    return JSONResponse(
        render.profile(_switch(request, caller, "certificate_profiles", profile_id, False))
    )
