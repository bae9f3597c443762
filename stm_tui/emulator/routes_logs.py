"""The signature log and the audit log (JSON and CSV export)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
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
from stm_tui.emulator.routes_common import (
    owned,
)

router = APIRouter(prefix="/signingmanager/api/v1", tags=["logs"])


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
    rec = owned(state, caller, "signatures", signature_id, "Signature")
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
    id: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    status: str | None = None,
    client_ip: str | None = None,
    user_id: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
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


@router.get("/audit-log")
def list_audit(request: Request, caller: CallerDep, page: AuditPagingDep) -> Response:
    caller.require("VIEW_SM_AUDIT_LOG")
    return list_page(request, state_of(request), "audit", caller, page, render.audit)


@router.get("/audit-log/export")
def export_audit(request: Request, caller: CallerDep, page: AuditPagingDep) -> Response:
    """CSV (C). Without `limit` it exports everything that matches."""
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    caller.require("EXPORT_SM_AUDIT_LOG")
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
