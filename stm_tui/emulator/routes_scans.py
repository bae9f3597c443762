"""Threat-detection scans (findings only in the detail view)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    CallerDep,
    PagingDep,
    enum_param,
    list_page,
    state_of,
)
from stm_tui.emulator.routes_common import (
    owned,
)

router = APIRouter(prefix="/signingmanager/api/v1", tags=["scans"])


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
    rec = owned(state_of(request), caller, "scans", scan_id, "Scan")
    return JSONResponse(render.scan(rec, with_findings=True))
