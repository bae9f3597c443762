"""Threat-detection scans (findings only in the detail view). A scan carries what smctl
prints (C: N14): checksum and checksum type, the tool (REVERSINGLABS for binaries, FOSSA
for source), the project and a deleted flag; deleting a scan sets that flag."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

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
from stm_tui.emulator.errors import ApiError, invalid_state, unprocessable
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action, audit_record
from stm_tui.emulator.routes_common import json_row, owned
from stm_tui.emulator.util import new_id

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


# ---- submitting a file ------------------------------------------------------------------

MAX_SCAN_BYTES = 20 * 1024 * 1024
FILE_NAME_PATTERN = r"^[A-Za-z0-9._ +()-]{1,200}$"
SCAN_BODY = {
    "requestBody": {
        "required": True,
        "description": f"the file's bytes (at most {MAX_SCAN_BYTES // (1024 * 1024)} MB)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_SCAN_BYTES:
        raise _too_large()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SCAN_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"file: the emulator scans files of at most {MAX_SCAN_BYTES // (1024 * 1024)} MB",
    )


@router.post(
    "/scans",
    status_code=202,
    openapi_extra=SCAN_BODY,
    responses=documented(413, 422),
)
async def submit_scan(
    request: Request,
    caller: CallerDep,
    project: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]{1,64}$")],
    alias: Annotated[str, Query(max_length=100, pattern=r"^[A-Za-z0-9._-]{1,100}$")],
    version: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9._+-]{1,64}$")],
    release_id: Annotated[str | None, Query(max_length=64)] = None,
    file_name: Annotated[str | None, Query(max_length=200, pattern=FILE_NAME_PATTERN)] = None,
) -> JSONResponse:
    """Upload a file (the raw request body) for a threat scan (I: smctl scans run locally
    and upload; here the emulator analyses the bytes itself). Answers 202 with the scan
    IN_PROGRESS; it becomes PASS or FAIL after a short delay (`GET /scans/{id}`)."""
    caller.require_somewhere("SCAN_SM")
    data = await _read_capped(request)
    state = state_of(request)
    return await run_in_threadpool(
        _store_scan, state, caller, data, project, alias, version, release_id, file_name
    )


def _store_scan(
    state: EmulatorState,
    caller: Caller,
    data: bytes,
    project: str,
    alias: str,
    version: str,
    release_id: str | None,
    file_name: str | None,
) -> JSONResponse:
    from stm_tui.emulator import scan_analysis
    from stm_tui.emulator.routes_common import load_settings
    from stm_tui.emulator.routes_releases import find_release

    if not data:
        raise unprocessable("file", "the request body is empty: send the file's bytes")
    release = None
    if release_id is not None:
        try:
            release = find_release(state, caller, release_id)
        except ApiError:
            raise unprocessable("release_id", f"unknown release window {release_id}") from None
        caller.require_on("SCAN_SM", [release.get("team_id")])
    with state.db.read() as c:
        settings = load_settings(c, caller.account_id)
    if release is None and settings["release_preferences"].get("restrict_scans_to_releases"):
        raise unprocessable("release_id", "the account restricts threat scans to release windows")
    previous = state.db.select(
        "scans",
        "account_id=? AND project_alias=? AND json_extract(data, '$.version')=?"
        " AND json_extract(data, '$.deleted')=0",
        (caller.account_id, project, version),
        order="created_on DESC, rowid DESC",
        limit=1,
    )
    prev = previous[0] if previous else None
    found = scan_analysis.analyse(
        data, prev["checksum"] if prev else None, prev["alias"] if prev else None
    )
    name = file_name or f"{project}-{version}.bin"
    findings = [f.as_dict(new_id(), name) for f in found]
    status, risk, counts = scan_analysis.verdict(findings)
    projects = state.db.select(
        "scans", "account_id=? AND project_alias=?", (caller.account_id, project), limit=1
    )
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "alias": alias,
        "project": {"id": projects[0]["project"]["id"] if projects else new_id(), "alias": project},
        "project_alias": project,
        "release": {"id": release["id"], "name": release["name"]} if release else None,
        "release_id": release["id"] if release else None,
        "version": version,
        "file_name": name,
        "size_bytes": len(data),
        "checksum": scan_analysis.sha1_hex(data),
        "checksum_type": "SHA1",
        "sha256": hashlib.sha256(data).hexdigest(),
        "tool": "REVERSINGLABS",
        "deleted": False,
        "status": "IN_PROGRESS",
        "risk_level": "NONE",
        "finding_counts": dict.fromkeys(scan_analysis.CATEGORIES, 0),
        "reports": [],
        "findings": [],
        "created_on": now,
        "completed_on": None,
        "created_by_user": {"id": caller.id, "name": caller.name},
        "modified_on": now,
        # The result, shown once the scan "finishes" (see finish_scan).
        "_pending": {
            "status": status,
            "risk_level": risk,
            "finding_counts": counts,
            "findings": findings,
            "reports": [{"type": "RISK"}, {"type": "SARIF"}, {"type": "SBOM_CYCLONEDX"}],
        },
    }
    with state.db.tx() as c:
        Database.insert(c, "scans", rec)
        record_audit(
            c,
            state,
            caller,
            "SCAN",
            rec["id"],
            Action.REQUEST,
            f"Threat scan {alias} of {project} {version} submitted ({name}, {len(data)} bytes)",
        )
    if state.scan_delay <= 0:
        finish_scan(state, rec["id"])
        rec = state.db.get("scans", rec["id"]) or rec
    else:
        timer = threading.Timer(state.scan_delay, finish_scan, (state, rec["id"]))
        timer.daemon = True
        timer.start()
    return JSONResponse(render.scan(rec, with_findings=True), status_code=202)


def finish_scan(state: EmulatorState, scan_id: str) -> None:
    """IN_PROGRESS -> the analysed result (a no-op once done, or if the server stopped)."""
    import contextlib
    import sqlite3

    with contextlib.suppress(sqlite3.ProgrammingError), state.db.tx() as c:
        row = c.execute("SELECT data FROM scans WHERE id=?", (scan_id,)).fetchone()
        rec = json.loads(row[0]) if row else None
        if rec is None or "_pending" not in rec:
            return
        now = state.now_iso()
        rec.update(rec.pop("_pending"))
        rec["completed_on"] = now
        rec["modified_on"] = now
        Database.update(c, "scans", rec)
        Database.insert(
            c,
            "audit",
            audit_record(
                entry_id=new_id(),
                account_id=rec["account_id"],
                resource_type="SCAN",
                resource_id=scan_id,
                action=Action.UPDATE,
                user=rec["created_by_user"],
                client_ip="127.0.0.1",
                details=f"Threat scan {rec['alias']} finished: {rec['status']}"
                f" (risk {rec['risk_level']})",
                created_on=now,
            ),
        )


def finish_pending_scans(state: EmulatorState) -> None:
    """Scans left IN_PROGRESS by a stopped server finish on the next start."""
    for rec in state.db.select("scans", "json_extract(data, '$._pending') IS NOT NULL"):
        finish_scan(state, rec["id"])
