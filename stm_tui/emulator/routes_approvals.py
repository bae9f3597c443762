"""Approval requests: what needs a second person (C: keypair deletion, keypair export and
certificate revocation for team members without the approve right, offline releases); the
request objects, paths and states are INFERRED.

A request is made on its resource (`POST /keypairs/{id}/delete-requests`,
`/keypairs/{id}/export-requests`, `/certificates/{id}/revocation-requests`) and decided at
`/approval-requests/{id}/approve|reject` by someone other than the requester who holds the
approve right, through their role or a member permission of a team of the resource.
Approving carries the action out. Requested offline release windows appear in the same list
(kind OFFLINE_RELEASE, id = the release window's id) and are decided the same way."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    etag_response,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, conflict, denied, invalid_state, not_found
from stm_tui.emulator.fields import text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_certificates import (
    certificate_teams,
    find_certificate,
    revoke_in,
)
from stm_tui.emulator.routes_common import StrictBody, json_row
from stm_tui.emulator.routes_keypairs import KeypairRef, delete_keypair_in, find_keypair
from stm_tui.emulator.util import dumps, new_id
from stm_tui.emulator.visibility import keypair_visible, release_visible, visible_keypair_set

router = APIRouter(prefix="/signingmanager/api/v1", tags=["approval requests"])

KINDS = ("KEYPAIR_DELETE", "KEYPAIR_EXPORT", "CERTIFICATE_REVOCATION", "OFFLINE_RELEASE")
STATUSES = ("PENDING", "APPROVED", "REJECTED", "CANCELLED")
APPROVE_RIGHT = {
    "KEYPAIR_DELETE": "APPROVE_SM_KEYPAIR_DELETE",
    "KEYPAIR_EXPORT": "APPROVE_SM_KEYPAIR_EXPORT",
    "CERTIFICATE_REVOCATION": "REVOKE_SM_CERTIFICATE",
    "OFFLINE_RELEASE": "APPROVE_SM_RELEASE",
}
RequestId = Annotated[str, Path(max_length=64)]
CertId = Annotated[str, Path(max_length=64)]
Reason = text(500, multiline=True)


class RequestBody(StrictBody):
    reason: Reason | None = None  # type: ignore[valid-type]


class RevocationRequestBody(StrictBody):
    reason: Literal["key_compromise", "superseded", "cessation_of_operation", "unspecified"] = (
        "unspecified"
    )
    notes: Reason | None = None  # type: ignore[valid-type]


class DecisionBody(StrictBody):
    reason: Reason | None = None  # type: ignore[valid-type]


# ---- reading -------------------------------------------------------------------------------


def _release_request(rec: dict[str, Any], now: str) -> dict[str, Any]:
    """A requested offline release window as an approval request."""
    status = render.release_status(rec, now)
    state = {"PENDING_APPROVAL": "PENDING", "REJECTED": "REJECTED"}.get(status, "APPROVED")
    return {
        "id": rec["id"],
        "account_id": rec["account_id"],
        "kind": "OFFLINE_RELEASE",
        "status": state,
        "keypair_id": None,
        "certificate_id": None,
        "release_id": rec["id"],
        "team_ids": [rec["team_id"]] if rec.get("team_id") else [],
        "reason": rec.get("notes"),
        "revocation_reason": None,
        "requested_by": rec["created_by"],
        "created_on": rec["created_on"],
        "decided_by": rec.get("approved_by") if state == "APPROVED" else None,
        "decided_on": rec.get("approved_on") if state == "APPROVED" else None,
        "decision_reason": rec.get("rejection_reason"),
        "modified_on": rec["modified_on"],
        "resource_name": rec["name"],
    }


def _resource_teams(state: EmulatorState, req: dict[str, Any]) -> list[str]:
    if req["kind"] == "OFFLINE_RELEASE":
        return list(req["team_ids"])
    if req["kind"] == "CERTIFICATE_REVOCATION":
        cert = state.db.get("certificates", req["certificate_id"])
        return certificate_teams(state, cert) if cert else []
    kp = state.db.get("keypairs", req["keypair_id"])
    return list(kp["team_ids"]) if kp else []


def can_decide(state: EmulatorState, caller: Caller, req: dict[str, Any]) -> bool:
    return (
        req["status"] == "PENDING"
        and req["requested_by"] != caller.id
        and caller.may(APPROVE_RIGHT[req["kind"]], _resource_teams(state, req))
    )


def _render(state: EmulatorState, caller: Caller, req: dict[str, Any]) -> dict[str, Any]:
    lk = render.Lookup(state)
    kp = lk.get("keypairs", req.get("keypair_id"))
    cert = lk.get("certificates", req.get("certificate_id"))
    rel = lk.get("releases", req.get("release_id"))
    if req["kind"] == "OFFLINE_RELEASE":
        resource = {"type": "RELEASE", "id": req["release_id"], "name": req["resource_name"]}
    elif req["kind"] == "CERTIFICATE_REVOCATION":
        resource = {
            "type": "CERTIFICATE",
            "id": req["certificate_id"],
            "name": req["resource_name"],
        }
    else:
        resource = {"type": "KEYPAIR", "id": req["keypair_id"], "name": req["resource_name"]}
    return {
        "id": req["id"],
        "kind": req["kind"],
        "status": req["status"],
        "resource": resource,
        "keypair": {"id": kp["id"], "alias": kp["alias"]} if kp else None,
        "certificate": {"id": cert["id"], "alias": cert["alias"]} if cert else None,
        "release": {"id": rel["id"], "name": rel["name"]} if rel else None,
        "team_ids": _resource_teams(state, req),
        "reason": req.get("reason"),
        "revocation_reason": req.get("revocation_reason"),
        "requested_by_user": lk.user_ref(req["requested_by"], auth_type=False),
        "created_on": req["created_on"],
        "decided_by_user": lk.user_ref(req.get("decided_by"), auth_type=False),
        "decided_on": req.get("decided_on"),
        "decision_reason": req.get("decision_reason"),
        "export_downloaded": bool(req.get("export_downloaded")),
        "can_decide": can_decide(state, caller, req),
        "modified_on": req["modified_on"],
    }


def _visible(state: EmulatorState, caller: Caller, req: dict[str, Any], kps: set[str]) -> bool:
    if caller.sees_all_keypairs or caller.id in (req["requested_by"], req.get("decided_by")):
        return True
    if req["kind"] == "OFFLINE_RELEASE":
        rel = state.db.get("releases", req["release_id"])
        return rel is not None and release_visible(caller, rel, kps)
    if req["kind"] == "CERTIFICATE_REVOCATION":
        cert = state.db.get("certificates", req["certificate_id"])
        return cert is not None and cert["keypair_id"] in kps
    return req["keypair_id"] in kps


def _all_requests(state: EmulatorState, caller: Caller) -> list[dict[str, Any]]:
    now = state.now_iso()
    stored = state.db.select("approval_requests", "account_id=?", (caller.account_id,))
    releases = [
        _release_request(r, now)
        for r in state.db.select("releases", "account_id=?", (caller.account_id,))
        if r["release_type"] == "OFFLINE"
    ]
    kps = set() if caller.sees_all_keypairs else visible_keypair_set(state, caller)
    everything = [r for r in stored + releases if _visible(state, caller, r, kps)]
    everything.sort(key=lambda r: (r["created_on"], r["id"]))
    return everything


@router.get("/approval-requests", responses=documented(list_=True))
def list_approval_requests(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    status: Literal[STATUSES] | None = None,  # type: ignore[valid-type]
    kind: Literal[KINDS] | None = None,  # type: ignore[valid-type]
    awaiting_me: Annotated[
        bool, Query(description="only PENDING requests the caller may approve or reject")
    ] = False,
    requested_by_me: bool = False,
) -> Response:
    """Everything that waits on a second person, oldest first; `can_decide` says whether the
    caller may approve or reject it."""
    state = state_of(request)
    rows = [
        r
        for r in _all_requests(state, caller)
        if (status is None or r["status"] == status)
        and (kind is None or r["kind"] == kind)
        and (not awaiting_me or can_decide(state, caller, r))
        and (not requested_by_me or r["requested_by"] == caller.id)
        and (page.modified_since is None or r["modified_on"] > page.modified_since)
    ]
    items = [_render(state, caller, r) for r in rows[page.offset : page.offset + page.limit]]
    body = {"total": len(rows), "offset": page.offset, "limit": page.limit, "items": items}
    return etag_response(request, dumps(body).encode())


def _find(state: EmulatorState, caller: Caller, request_id: str) -> dict[str, Any]:
    rec = state.db.get("approval_requests", request_id)
    if rec is None:
        rel = state.db.get("releases", request_id)
        if rel is not None and rel["release_type"] == "OFFLINE":
            rec = _release_request(rel, state.now_iso())
    if rec is None or rec["account_id"] != caller.account_id:
        raise not_found("Approval request", request_id)
    kps = set() if caller.sees_all_keypairs else visible_keypair_set(state, caller)
    if not _visible(state, caller, rec, kps):
        raise not_found("Approval request", request_id)
    return rec


@router.get("/approval-requests/{request_id}", responses=documented(404))
def get_approval_request(
    request_id: RequestId, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    return JSONResponse(_render(state, caller, _find(state, caller, request_id)))


# ---- making requests ----------------------------------------------------------------------


def _new_request(
    state: EmulatorState,
    caller: Caller,
    kind: str,
    *,
    keypair: dict[str, Any],
    certificate: dict[str, Any] | None,
    reason: str | None,
    revocation_reason: str | None = None,
) -> JSONResponse:
    now = state.now_iso()
    name = certificate["alias"] if certificate else keypair["alias"]
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "kind": kind,
        "status": "PENDING",
        "keypair_id": keypair["id"],
        "certificate_id": certificate["id"] if certificate else None,
        "release_id": None,
        "resource_name": name,
        "reason": reason,
        "revocation_reason": revocation_reason,
        "requested_by": caller.id,
        "created_on": now,
        "decided_by": None,
        "decided_on": None,
        "decision_reason": None,
        "modified_on": now,
    }
    what = {
        "KEYPAIR_DELETE": f"deletion of keypair {name}",
        "KEYPAIR_EXPORT": f"export of keypair {name}",
        "CERTIFICATE_REVOCATION": f"revocation of certificate {name}",
    }[kind]
    with state.db.tx() as c:
        column, value = (
            ("certificate_id", certificate["id"]) if certificate else ("keypair_id", keypair["id"])
        )
        if c.execute(
            f"SELECT 1 FROM approval_requests WHERE kind=? AND {column}=? AND status='PENDING'",
            (kind, value),
        ).fetchone():
            raise conflict(f"a request for the {what} is already pending")
        Database.insert(c, "approval_requests", rec)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE" if certificate else "KEYPAIR",
            value,
            Action.REQUEST,
            f"Requested the {what}" + (f": {reason}" if reason else ""),
        )
    return JSONResponse(_render(state, caller, rec), status_code=201)


@router.post(
    "/keypairs/{keypair_id}/delete-requests", status_code=201, responses=documented(404, 409)
)
def request_keypair_delete(
    keypair_id: KeypairRef, request: Request, caller: CallerDep, body: RequestBody | None = None
) -> JSONResponse:
    """Anyone who sees the keypair may ask; someone else with Approve keypair deletion
    decides."""
    state = state_of(request)
    caller.require("VIEW_SM_KEYPAIR")
    kp = find_keypair(state, caller, keypair_id)
    reason = body.reason if body else None
    return _new_request(
        state, caller, "KEYPAIR_DELETE", keypair=kp, certificate=None, reason=reason
    )


@router.post(
    "/keypairs/{keypair_id}/export-requests", status_code=201, responses=documented(404, 409)
)
def request_keypair_export(
    keypair_id: KeypairRef, request: Request, caller: CallerDep, body: RequestBody | None = None
) -> JSONResponse:
    """Once approved, the requester downloads the key once (`POST .../export`)."""
    state = state_of(request)
    caller.require("VIEW_SM_KEYPAIR")
    kp = find_keypair(state, caller, keypair_id)
    reason = body.reason if body else None
    return _new_request(
        state, caller, "KEYPAIR_EXPORT", keypair=kp, certificate=None, reason=reason
    )


@router.post(
    "/certificates/{certificate_id}/revocation-requests",
    status_code=201,
    responses=documented(404, 409, 422),
)
def request_certificate_revocation(
    certificate_id: CertId,
    request: Request,
    caller: CallerDep,
    body: RevocationRequestBody | None = None,
) -> JSONResponse:
    state = state_of(request)
    caller.require("VIEW_SM_CERTIFICATE")
    cert = find_certificate(state, caller, certificate_id)
    if cert["status"] == "REVOKED":
        raise invalid_state(f"certificate {cert['alias']} is already revoked")
    kp = state.db.get("keypairs", cert["keypair_id"])
    if kp is None or not keypair_visible(caller, kp):
        raise not_found("Certificate", certificate_id)
    body = body or RevocationRequestBody()
    return _new_request(
        state,
        caller,
        "CERTIFICATE_REVOCATION",
        keypair=kp,
        certificate=cert,
        reason=body.notes,
        revocation_reason=body.reason,
    )


# ---- deciding ------------------------------------------------------------------------------


def _decidable(state: EmulatorState, caller: Caller, request_id: str) -> dict[str, Any]:
    rec = _find(state, caller, request_id)
    if rec["status"] != "PENDING":
        raise invalid_state(f"the request is {rec['status']}, not PENDING")
    right = APPROVE_RIGHT[rec["kind"]]
    if not caller.may(right, _resource_teams(state, rec)):
        raise denied(right)
    if rec["requested_by"] == caller.id:
        raise ApiError(
            403,
            "access_denied",
            "a request is approved or rejected by someone other than its requester",
        )
    return rec


def _finish(
    c: Any,
    state: EmulatorState,
    caller: Caller,
    rec: dict[str, Any],
    status: str,
    reason: str | None,
) -> None:
    fresh = json_row(c, "approval_requests", rec["id"])
    if fresh["status"] != "PENDING":
        raise invalid_state(f"the request is {fresh['status']}, not PENDING")
    now = state.now_iso()
    rec.update(status=status, decided_by=caller.id, decided_on=now, decision_reason=reason)
    rec["modified_on"] = now
    Database.update(c, "approval_requests", rec)


def _release_decision(
    request: Request, caller: Caller, rec: dict[str, Any], approve: bool, reason: str | None
) -> JSONResponse:
    from stm_tui.emulator.routes_releases import decide_release

    state = state_of(request)
    decide_release(state, caller, rec["release_id"], approve, reason)
    return JSONResponse(_render(state, caller, _find(state, caller, rec["id"])))


@router.post("/approval-requests/{request_id}/approve", responses=documented(404, 422))
def approve_request(
    request_id: RequestId,
    request: Request,
    caller: CallerDep,
    body: DecisionBody | None = None,
) -> JSONResponse:
    """Approve and carry out: the keypair is deleted, the certificate revoked, the export
    made available to the requester, the release window approved."""
    state = state_of(request)
    rec = _decidable(state, caller, request_id)
    reason = body.reason if body else None
    if rec["kind"] == "OFFLINE_RELEASE":
        return _release_decision(request, caller, rec, True, reason)
    what = f"{rec['kind'].lower().replace('_', ' ')} request for {rec['resource_name']}"
    with state.db.tx() as c:
        _finish(c, state, caller, rec, "APPROVED", reason)
        if rec["kind"] == "KEYPAIR_DELETE":
            kp = state.db.get("keypairs", rec["keypair_id"])
            if kp is None:
                raise invalid_state(f"keypair {rec['resource_name']} no longer exists")
            delete_keypair_in(c, state, caller, kp)
        elif rec["kind"] == "CERTIFICATE_REVOCATION":
            revoke_in(c, state, caller, rec["certificate_id"], rec["revocation_reason"])
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE" if rec["kind"] == "CERTIFICATE_REVOCATION" else "KEYPAIR",
            rec["certificate_id"] or rec["keypair_id"],
            Action.APPROVE,
            f"Approved the {what}",
        )
    return JSONResponse(_render(state, caller, rec))


@router.post("/approval-requests/{request_id}/reject", responses=documented(404, 422))
def reject_request(
    request_id: RequestId,
    request: Request,
    caller: CallerDep,
    body: DecisionBody | None = None,
) -> JSONResponse:
    state = state_of(request)
    rec = _decidable(state, caller, request_id)
    reason = body.reason if body else None
    if rec["kind"] == "OFFLINE_RELEASE":
        return _release_decision(request, caller, rec, False, reason)
    with state.db.tx() as c:
        _finish(c, state, caller, rec, "REJECTED", reason)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE" if rec["kind"] == "CERTIFICATE_REVOCATION" else "KEYPAIR",
            rec["certificate_id"] or rec["keypair_id"],
            Action.REJECT,
            f"Rejected the {rec['kind'].lower().replace('_', ' ')} request for"
            f" {rec['resource_name']}" + (f": {reason}" if reason else ""),
        )
    return JSONResponse(_render(state, caller, rec))


@router.post("/approval-requests/{request_id}/cancel", responses=documented(404, 422))
def cancel_request(request_id: RequestId, request: Request, caller: CallerDep) -> JSONResponse:
    """The requester withdraws a pending request (release windows: close or let expire)."""
    state = state_of(request)
    rec = _find(state, caller, request_id)
    if rec["kind"] == "OFFLINE_RELEASE":
        raise invalid_state("a requested release window is withdrawn by closing it")
    if rec["requested_by"] != caller.id:
        raise ApiError(403, "access_denied", "only the requester cancels a request")
    if rec["status"] != "PENDING":
        raise invalid_state(f"the request is {rec['status']}, not PENDING")
    with state.db.tx() as c:
        fresh = json_row(c, "approval_requests", rec["id"])
        fresh.update(status="CANCELLED", modified_on=state.now_iso())
        Database.update(c, "approval_requests", fresh)
    return JSONResponse(_render(state, caller, fresh))


@router.post("/approval-requests/{request_id}/export", responses=documented(404, 422))
def download_export(request_id: RequestId, request: Request, caller: CallerDep) -> JSONResponse:
    """The approved export, once, to its requester: the private key as an encrypted PKCS#8
    PEM and the password the emulator generated for it (both shown this once)."""
    state = state_of(request)
    rec = _find(state, caller, request_id)
    if rec["kind"] != "KEYPAIR_EXPORT":
        raise invalid_state("only an approved keypair export request has something to download")
    if rec["requested_by"] != caller.id:
        raise ApiError(403, "access_denied", "only the requester downloads an approved export")
    if rec["status"] != "APPROVED":
        raise invalid_state(f"the export request is {rec['status']}, not APPROVED")
    password = secrets.token_urlsafe(18)
    with state.db.tx() as c:
        fresh = json_row(c, "approval_requests", rec["id"])
        if fresh.get("export_downloaded"):
            raise invalid_state("the export was already downloaded: request a new one")
        kp = json_row(c, "keypairs", rec["keypair_id"])
        key = state.signing_key(kp["key_ref"])
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        ).decode()
        fresh.update(export_downloaded=True, modified_on=state.now_iso())
        Database.update(c, "approval_requests", fresh)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            Action.DOWNLOAD,
            f"Keypair {kp['alias']} exported (approved request)",
        )
    return JSONResponse(
        {
            "keypair": {"id": kp["id"], "alias": kp["alias"]},
            "private_key_pem": pem,
            "password": password,
        }
    )
