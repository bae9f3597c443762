"""Export the current (filtered, sorted) list to CSV or JSON.

Files go to the current directory when it is writable, else to the user data directory; they
are created 0600 because inventories name keys, users and hosts.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from stm_tui.config import ensure_private_dir
from stm_tui.sanitize import spreadsheet_cell


def target_dir() -> Path:
    here = Path.cwd()
    if os.access(here, os.W_OK):
        return here
    # Every directory made on the way private, whatever the umask (not only the last one).
    return ensure_private_dir(Path(platformdirs.user_data_dir("stm-tui")) / "exports")


def _path(resource: str, now: datetime, suffix: str) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    base = target_dir() / f"stm-{resource.replace('_', '-')}-{stamp}"
    path = base.with_suffix(suffix)
    counter = 1
    while path.exists():
        path = base.parent / f"{base.name}-{counter}{suffix}"
        counter += 1
    return path


def _write_private(path: Path, data: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(data)
    return path


def write_csv(
    resource: str, header: Sequence[str], rows: Sequence[Sequence[str]], now: datetime
) -> Path:
    # Every cell cleaned, and never a formula (`=HYPERLINK(...)` from a server-side name).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_cell(h) for h in header])
    writer.writerows([spreadsheet_cell(c) for c in row] for row in rows)
    return _write_private(_path(resource, now, ".csv"), buffer.getvalue())


def write_json(resource: str, items: Sequence[Any], now: datetime) -> Path:
    # The API's own field names, so the file feeds scripts written against the API.
    data = [item.model_dump(mode="json", exclude_none=False) for item in items]
    return _write_private(_path(resource, now, ".json"), json.dumps(data, indent=2) + "\n")
