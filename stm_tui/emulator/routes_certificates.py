"""Certificates: list, get, revoke, download."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import crypto, fragments, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    list_page_raw,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import invalid_state, not_found
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import StrictBody, json_row
from stm_tui.emulator.visibility import keypair_scope, keypair_visible

router = APIRouter(prefix="/signingmanager/api/v1", tags=["certificates"])

STATUSES = ("ACTIVE", "REVOKED", "EXPIRED")
CertId = Annotated[str, Path(max_length=64)]
FilterStr = Annotated[str | None, Query(max_length=100)]


class RevokeRequest(StrictBody):
    reason: Literal["key_compromise", "superseded", "cessation_of_operation", "unspecified"] = (
        "unspecified"
    )


def find_certificate(state: EmulatorState, caller: Caller, cert_id: str) -> dict[str, Any]:
    rec = state.db.get("certificates", cert_id)
    if rec is None or rec["account_id"] != caller.account_id:
        raise not_found("Certificate", cert_id)
    if not caller.sees_all_keypairs:
        kp = state.db.get("keypairs", rec["keypair_id"])
        if kp is None or not keypair_visible(caller, kp):
            raise not_found("Certificate", cert_id)
    return rec


@router.get("/certificates", responses=documented(list_=True))
def list_certificates(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    id: FilterStr = None,
    alias: FilterStr = None,
    certificate_status: Literal["ACTIVE", "REVOKED", "EXPIRED"] | None = None,
    keypair_id: FilterStr = None,
    hierarchy: Literal["PUBLIC", "PRIVATE"] | None = None,
    certificate_profile_id: FilterStr = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_CERTIFICATE")
    for col, value in (
        ("id", id),
        ("alias", alias),
        ("keypair_id", keypair_id),
        ("hierarchy", hierarchy),
        ("certificate_profile_id", certificate_profile_id),
    ):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    now = state.now_iso()
    if certificate_status == "REVOKED":
        page.where.append("status='REVOKED'")
    elif certificate_status == "ACTIVE":
        page.where.append("status='ACTIVE' AND valid_to>?")
        page.params.append(now)
    elif certificate_status == "EXPIRED":
        page.where.append("status='ACTIVE' AND valid_to<=?")
        page.params.append(now)
    scope = keypair_scope(caller, "keypair_id")
    if scope:
        page.where.append(scope[0])
        page.params.extend(scope[1])
    deps = fragments.Deps(render.Lookup(state))
    return list_page_raw(
        request,
        state,
        "certificates",
        caller,
        page,
        fragments.CERT_COLUMNS,
        lambda rows: fragments.certificates(deps, rows),
    )


@router.get("/certificates/{certificate_id}", responses=documented(404))
def get_certificate(certificate_id: CertId, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("VIEW_SM_CERTIFICATE")
    rec = find_certificate(state, caller, certificate_id)
    return JSONResponse(render.certificate(render.Lookup(state), rec))


@router.post("/certificates/{certificate_id}/revoke", responses=documented(404, 422))
def revoke_certificate(
    certificate_id: CertId,
    request: Request,
    caller: CallerDep,
    body: RevokeRequest | None = None,
) -> JSONResponse:
    state = state_of(request)
    caller.require_somewhere("REVOKE_SM_CERTIFICATE")
    rec = find_certificate(state, caller, certificate_id)
    caller.require_on("REVOKE_SM_CERTIFICATE", certificate_teams(state, rec))
    reason = (body or RevokeRequest()).reason
    with state.db.tx() as c:
        fresh = revoke_in(c, state, caller, rec["id"], reason)
    return JSONResponse(render.certificate(render.Lookup(state), fresh))


def certificate_teams(state: EmulatorState, rec: dict[str, Any]) -> list[str]:
    """The teams a certificate belongs to: its keypair's, and those it is mapped to."""
    kp = state.db.get("keypairs", rec["keypair_id"])
    teams = list(kp["team_ids"]) if kp else []
    for team in state.db.select("teams", "account_id=?", (rec["account_id"],)):
        if rec["id"] in team.get("certificate_ids", []):
            teams.append(team["id"])
    return teams


def revoke_in(
    c: Any, state: EmulatorState, caller: Caller, cert_id: str, reason: str
) -> dict[str, Any]:
    """Revoke inside the caller's transaction (422 if already revoked)."""
    now = state.now_iso()
    fresh = json_row(c, "certificates", cert_id)
    if fresh["status"] == "REVOKED":
        raise invalid_state(f"certificate {fresh['alias']} is already revoked")
    fresh.update(
        status="REVOKED",
        revoked_on=now,
        revocation_reason=reason,
        modified_on=now,
        modified_by=caller.id,
    )
    Database.update(c, "certificates", fresh)
    record_audit(
        c,
        state,
        caller,
        "CERTIFICATE",
        cert_id,
        Action.UPDATE,
        f"Certificate {fresh['alias']} revoked ({reason})",
    )
    return fresh


@router.get(
    "/certificates/{certificate_id}/download",
    response_class=Response,
    responses={
        200: {
            "description": "PEM (leaf, then the chain) or DER (leaf only)",
            "content": {
                "application/x-pem-file": {"schema": {"type": "string"}},
                "application/pkix-cert": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **documented(404),
    },
)
def download_certificate(
    certificate_id: CertId,
    request: Request,
    caller: CallerDep,
    format: Literal["pem", "der"] = "pem",
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_CERTIFICATE")
    rec = find_certificate(state, caller, certificate_id)
    with state.db.tx() as c:
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE",
            rec["id"],
            Action.DOWNLOAD,
            f"Certificate {rec['alias']} downloaded ({format.upper()})",
        )
    der = base64.b64decode(rec["cert"])
    disposition = {"Content-Disposition": f'attachment; filename="{rec["alias"]}.{format}"'}
    if format == "der":
        return Response(der, media_type="application/pkix-cert", headers=disposition)
    pem = crypto.der_to_pem(der) + "".join(
        crypto.der_to_pem(base64.b64decode(link["blob"])) for link in state.chain()
    )
    return Response(pem, media_type="application/x-pem-file", headers=disposition)
