"""The "scan a file" form: a path on this machine, the project, the scan's alias and the
version. The file is checked as you type (there, readable, not empty, not too large); its
bytes are read only when the request is built."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pydantic import Field

from stm_tui.api.writes.scans import MAX_SCAN_BYTES
from stm_tui.api.writes.validation import RequestModel, ScanName, ScanVersion
from stm_tui.tui.writes.spec import FieldSpec, FormSpec, Values


class ScanFileRequest(RequestModel):
    path: str = Field(min_length=1, max_length=4096)
    project: ScanName = Field(max_length=64)
    alias: ScanName = Field(max_length=100)
    version: ScanVersion


def file_problem(raw: str) -> str | None:
    """Why the file at `raw` cannot be sent, or None."""
    path = Path(raw).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if not path.is_file():
        return "not a file"
    if info.st_size == 0:
        return "the file is empty: there is nothing to scan"
    if info.st_size > MAX_SCAN_BYTES:
        return f"{info.st_size:,} bytes; at most {MAX_SCAN_BYTES // (1024 * 1024)} MB are scanned"
    return None


def scan_file_form(*, projects: Collection[str] = (), aliases: Collection[str] = ()) -> FormSpec:
    used = set(aliases)
    known = sorted(projects)

    def checks(data: Values) -> dict[str, str]:
        out: dict[str, str] = {}
        path = data.get("path")
        if isinstance(path, str) and path.strip():
            problem = file_problem(path.strip())
            if problem:
                out["path"] = problem
        alias = data.get("alias")
        if isinstance(alias, str) and alias in used:
            out["alias"] = f"a scan named {alias} exists already"
        return out

    hint = "known: " + ", ".join(known[:4]) if known else "letters, digits, '.', '_', '-'"
    return FormSpec(
        title="Scan a file for threats",
        fields=[
            FieldSpec("path", "File", "a path on this machine (~ works)", max_length=4096,
                      placeholder="dist/app-1.2.0.msi"),
            FieldSpec("project", "Project", hint, max_length=64),
            FieldSpec("alias", "Scan alias", "unique name of this scan", max_length=100),
            FieldSpec("version", "Version", "of what is scanned", max_length=64),
        ],
        submit_label="Preview",
        validator=checks,
        intro="The file's bytes are sent for analysis; the next step shows the request.",
    )
