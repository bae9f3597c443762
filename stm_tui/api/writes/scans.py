"""Submitting a file for a threat scan.

`POST /scans?project=&alias=&version=` with the file's bytes as the body (INFERRED: smctl
scans locally and uploads; the emulator analyses the bytes itself). The answer is the scan,
IN_PROGRESS until its analysis is done.
"""

from __future__ import annotations

from pydantic import Field

from stm_tui.api.writes.call import Target, WriteCall, endpoint
from stm_tui.api.writes.validation import RequestModel, ScanName, ScanVersion

# What the service accepts in one upload (the emulator's limit; smctl uploads reports only).
MAX_SCAN_BYTES = 20 * 1024 * 1024


class SubmitScan(RequestModel):
    project: ScanName = Field(max_length=64)
    alias: ScanName = Field(max_length=100)
    version: ScanVersion
    file_name: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9._ +()-]+$")
    release_id: str | None = None


def submit_scan(req: SubmitScan, content: bytes) -> WriteCall:
    if not content:
        raise ValueError("the file is empty: there is nothing to scan")
    if len(content) > MAX_SCAN_BYTES:
        raise ValueError(
            f"the file is {len(content):,} bytes; at most {MAX_SCAN_BYTES // (1024 * 1024)} MB"
            " are scanned"
        )
    query = {"project": req.project, "alias": req.alias, "version": req.version}
    if req.file_name:
        query["file_name"] = req.file_name
    if req.release_id:
        query["release_id"] = req.release_id
    return WriteCall(
        action="scan.submit",
        summary=(
            f"Scan {req.file_name or 'the file'} ({len(content):,} bytes) as {req.alias} of"
            f" project {req.project} {req.version}"
        ),
        method="POST",
        path=endpoint("scans"),
        query=query,
        content=content,
        target=Target("scans", req.alias, lookup={"alias": req.alias}),
        touches=("scans",),
    )
