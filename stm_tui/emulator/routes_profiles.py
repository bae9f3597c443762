"""Keypair profiles and certificate profiles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    CallerDep,
    PagingDep,
    list_page,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import unprocessable
from stm_tui.emulator.fields import Ref, name
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import (
    StrictBody,
    name_free,
    owned,
)
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["profiles"])


# ---- keypair profiles --------------------------------------------------------------------


ProfileId = Annotated[str, Path(max_length=64)]
NameFilter = Annotated[str | None, Query(max_length=100)]


class KeypairProfileCreate(StrictBody):
    name: name()  # type: ignore[valid-type]
    profile_type: Literal["FIXED", "CUSTOMIZABLE"] = "FIXED"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_alg: Literal["RSA", "ECDSA", "EDDSA"]
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    team_ids: Annotated[list[Ref], Field(max_length=50)] = []


@router.get("/keypair-profiles", responses=documented(list_=True))
def list_keypair_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: NameFilter = None,
) -> Response:
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
    return list_page(request, state_of(request), "keypair_profiles", caller, page, render.profile)


@router.get("/keypair-profiles/{profile_id}", responses=documented(404))
def get_keypair_profile(profile_id: ProfileId, request: Request, caller: CallerDep) -> JSONResponse:
    rec = owned(state_of(request), caller, "keypair_profiles", profile_id, "Keypair profile")
    return JSONResponse(render.profile(rec))


@router.post("/keypair-profiles", status_code=201, responses=documented(409, 422))
def create_keypair_profile(
    body: KeypairProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_KEYPAIR_PROFILE")
    name = body.name
    size, curve = body.key_size, body.curve
    if body.key_alg == "RSA":
        if size is None:
            raise unprocessable("key_size", "RSA needs one of 2048, 3072, 4096")
        curve = None
    elif body.key_alg == "ECDSA":
        if curve not in ("P256", "P384", "P521"):
            raise unprocessable("curve", "ECDSA needs one of P256, P384, P521")
        size = None
    else:
        size, curve = None, "Ed25519"
    teams = []
    for tid in body.team_ids:
        team = state.db.get("teams", tid)
        if team is None or team["account_id"] != caller.account_id:
            raise unprocessable("team_ids", f"unknown team id {tid}")
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
        name_free(c, "keypair_profiles", caller.account_id, name)
        Database.insert(c, "keypair_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR_PROFILE",
            rec["id"],
            Action.GENERATE,
            f"Keypair profile {name} created",
        )
    return JSONResponse(render.profile(rec), status_code=201)


# ---- certificate profiles ----------------------------------------------------------------


class SubjectTemplate(StrictBody):
    common_name: name(64)  # type: ignore[valid-type]
    organization: name(64) | None = None  # type: ignore[valid-type]
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


class CertificateProfileCreate(StrictBody):
    name: name()  # type: ignore[valid-type]
    hierarchy: Literal["PUBLIC", "PRIVATE"] = "PRIVATE"
    certificate_type: Literal["EV", "OV", "PRIVATE"] = "PRIVATE"
    validity_days: int = Field(365, ge=1, le=3650)
    allowed_key_algs: Annotated[
        list[Literal["RSA", "ECDSA", "EDDSA"]], Field(min_length=1, max_length=3)
    ] = ["RSA", "ECDSA", "EDDSA"]
    subject_template: SubjectTemplate | None = None


@router.get("/certificate-profiles", responses=documented(list_=True))
def list_certificate_profiles(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    name: NameFilter = None,
) -> Response:
    caller.require("VIEW_SM_CERTIFICATE")
    if name is not None:
        page.where.append("name=?")
        page.params.append(name)
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


@router.post("/certificate-profiles", status_code=201, responses=documented(409, 422))
def create_certificate_profile(
    body: CertificateProfileCreate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTIFICATE_PROFILE")
    name = body.name
    if (body.hierarchy == "PUBLIC") != (body.certificate_type in ("EV", "OV")):
        raise unprocessable("certificate_type", "EV/OV go with PUBLIC, PRIVATE with PRIVATE")
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
        name_free(c, "certificate_profiles", caller.account_id, name)
        Database.insert(c, "certificate_profiles", rec)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE_PROFILE",
            rec["id"],
            Action.GENERATE,
            f"Certificate profile {name} created",
        )
    return JSONResponse(render.profile(rec), status_code=201)
