"""Threat-detection scans (findings only in the detail view). A scan carries what smctl
prints (C: N14): checksum and checksum type, the tool (REVERSINGLABS for binaries, FOSSA
for source), the project and a deleted flag; deleting a scan sets that flag."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import render
from stm_tui.emulator.context import (
    CallerDep,
    PagingDep,
    list_page,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import invalid_state
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import json_row, owned

router = APIRouter(prefix="/signingmanager/api/v1", tags=["scans"])
ScanId = Annotated[str, Path(max_length=64)]


@router.get("/scans", responses=documented(list_=True))
def list_scans(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    status: Literal["PASS", "FAIL", "IN_PROGRESS", "ERROR"] | None = None,
    release_id: Annotated[str | None, Query(max_length=100)] = None,
    project: Annotated[str | None, Query(max_length=100)] = None,
    tool: Literal["REVERSINGLABS", "FOSSA"] | None = None,
    deleted: bool | None = None,
) -> Response:
    caller.require("VIEW_SM_THREAT_DETECTION")
    for col, value in (("status", status), ("release_id", release_id), ("project_alias", project)):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    if tool is not None:
        page.where.append("json_extract(data, '$.tool')=?")
        page.params.append(tool)
    if deleted is not None:
        page.where.append("json_extract(data, '$.deleted')=?")
        page.params.append(int(deleted))
    return list_page(
        request,
        state_of(request),
        "scans",
        caller,
        page,
        lambda r: render.scan(r, with_findings=False),
    )


@router.get("/scans/{scan_id}", responses=documented(404))
def get_scan(scan_id: ScanId, request: Request, caller: CallerDep) -> JSONResponse:
    caller.require("VIEW_SM_THREAT_DETECTION")
    rec = owned(state_of(request), caller, "scans", scan_id, "Scan")
    return JSONResponse(render.scan(rec, with_findings=True))


@router.delete("/scans/{scan_id}", responses=documented(404, 422))
def delete_scan(scan_id: ScanId, request: Request, caller: CallerDep) -> JSONResponse:
    """Marks the scan deleted (it stays listed with `deleted: true`, as smctl shows it)."""
    state = state_of(request)
    caller.require("SCAN_SM")
    rec = owned(state, caller, "scans", scan_id, "Scan")
    now = state.now_iso()
    with state.db.tx() as c:
        fresh = json_row(c, "scans", rec["id"])
        if fresh.get("deleted"):
            raise invalid_state(f"scan {fresh['alias']} is already deleted")
        fresh["deleted"] = True
        fresh["modified_on"] = now
        Database.update(c, "scans", fresh)
        record_audit(
            c, state, caller, "SCAN", rec["id"], Action.DELETE, f"Scan {fresh['alias']} deleted"
        )
    return JSONResponse(render.scan(fresh, with_findings=False))
