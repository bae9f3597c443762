"""The signature log and the audit log (JSON and CSV export)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    CallerDep,
    Paging,
    PagingDep,
    list_page,
    state_of,
    timestamp_param,
)
from stm_tui.emulator.errors import not_found
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.routes_common import (
    owned,
)
from stm_tui.emulator.visibility import audit_scope, keypair_scope, keypair_visible

router = APIRouter(prefix="/signingmanager/api/v1", tags=["logs"])

TIMESTAMP: dict[str, Any] = {"max_length": 40, "json_schema_extra": {"format": "date-time"}}


# ---- signatures ---------------------------------------------------------------------------


@router.get("/signatures", responses=documented(list_=True))
def list_signatures(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    keypair_id: Annotated[str | None, Query(max_length=100)] = None,
    release_id: Annotated[str | None, Query(max_length=100)] = None,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["SUCCESS", "FAILED"] | None = None,
    from_: Annotated[str | None, Query(alias="from", **TIMESTAMP)] = None,
    to: Annotated[str | None, Query(**TIMESTAMP)] = None,
    order: Annotated[
        Literal["asc", "desc"],
        Query(description="by time: asc (oldest first, the default) or desc (newest first)"),
    ] = "asc",
    after_sequence: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**53,
            description="only attempts logged after this `sequence`, in log order (a cursor:"
            " nothing logged later is ever skipped)",
        ),
    ] = None,
) -> Response:
    """The signature log. A monitor polls `after_sequence=<the last sequence seen>` (one
    request per interval; a weak ETag makes an unchanged page a 304) and pages newest-first
    with `order=desc` for history."""
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    if status is not None:
        page.where.append("json_extract(data, '$.status')=?")
        page.params.append(status)
    for col, value in (
        ("keypair_id", keypair_id),
        ("release_id", release_id),
        ("user_id", user_id),
    ):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    _time_window(page, from_, to)
    scope = keypair_scope(caller, "keypair_id")
    if scope:
        page.where.append(scope[0])
        page.params.extend(scope[1])
    sort = "created_on DESC, id DESC" if order == "desc" else "created_on, id"
    if after_sequence is not None:
        page.where.append("sequence>?")
        page.params.append(after_sequence)
        sort = "sequence DESC" if order == "desc" else "sequence"
    lk = render.Lookup(state)
    return list_page(
        request, state, "signatures", caller, page, lambda r: render.signature(lk, r), order=sort
    )


@router.get("/signatures/{signature_id}", responses=documented(404))
def get_signature(
    signature_id: Annotated[str, Path(max_length=64)], request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    if not caller.has("SIGN_SM_HASH"):  # a signer may read back what it signed
        caller.require("VIEW_SM_AUDIT_LOG")
    rec = owned(state, caller, "signatures", signature_id, "Signature")
    if not caller.sees_all_keypairs and rec["user_id"] != caller.id:
        kp = state.db.get("keypairs", rec["keypair_id"])
        if kp is None or not keypair_visible(caller, kp):
            raise not_found("Signature", signature_id)
    return JSONResponse(render.signature(render.Lookup(state), rec))


def _time_window(page: Paging, from_: str | None, to: str | None) -> None:
    if from_ is not None:
        page.where.append("created_on>=?")
        page.params.append(timestamp_param("from", from_))
    if to is not None:
        page.where.append("created_on<?")
        page.params.append(timestamp_param("to", to))


# ---- audit log ------------------------------------------------------------------------------


def audit_filters(
    page: PagingDep,
    id: Annotated[str | None, Query(max_length=100)] = None,
    resource_type: Annotated[str | None, Query(max_length=100)] = None,
    resource_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["SUCCESS", "FAILURE"] | None = None,
    client_ip: Annotated[str | None, Query(max_length=100)] = None,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
    from_: Annotated[str | None, Query(alias="from", **TIMESTAMP)] = None,
    to: Annotated[str | None, Query(**TIMESTAMP)] = None,
) -> Paging:
    """The audit log's query filters (C, K1), shared by the JSON list and the CSV export."""
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
    return page


AuditPagingDep = Annotated[Paging, Depends(audit_filters)]


def _scoped(state: Any, caller: Any, page: Paging) -> Paging:
    """A Team Lead, Developer or Signer reads only what concerns what they can see."""
    scope = audit_scope(caller, state)
    if scope:
        page.where.append(scope[0])
        page.params.extend(scope[1])
    return page


@router.get("/audit-log", responses=documented(list_=True))
def list_audit(request: Request, caller: CallerDep, page: AuditPagingDep) -> Response:
    caller.require("VIEW_SM_AUDIT_LOG")
    state = state_of(request)
    return list_page(request, state, "audit", caller, _scoped(state, caller, page), render.audit)


@router.get(
    "/audit-log/export",
    response_class=Response,
    responses={
        200: {
            "description": "the matching entries as CSV, header row first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def export_audit(request: Request, caller: CallerDep, page: AuditPagingDep) -> Response:
    """CSV (C). Without `limit` it exports everything that matches."""
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    caller.require("EXPORT_SM_AUDIT_LOG")
    page = _scoped(state, caller, page)
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
    writer.writerow(render.AUDIT_FIELDS)
    for row in rows:
        writer.writerow([_csv_safe(row.get(f)) for f in render.AUDIT_FIELDS])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


def _csv_safe(value: Any) -> str:
    """No formula injection when the export is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
