"""Small helpers shared by the emulator modules: time formatting, ids, JSON."""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

Clock = Callable[[], datetime]

SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000001"  # "Automated" (C: J3)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """The contract's timestamp format: UTC, second precision, `Z` suffix (four-digit years:
    strftime would write year 1 as "1")."""
    d = dt.astimezone(UTC)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC, microsecond=0)


def parse_ts(value: str) -> datetime:
    """Parse an ISO-8601 / RFC 3339 timestamp; naive values are taken as UTC. Raises
    ValueError. Any valid RFC 3339 value is accepted: one whose UTC time falls outside years
    1-9999 (0001-01-01T00:00:00+01:00) is clamped to that range."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    offset = dt.utcoffset() or timedelta(0)
    try:
        return dt.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        return _EARLIEST if offset > timedelta(0) else _LATEST


def uuid_from(rng: random.Random) -> str:
    """A version-4-shaped UUID drawn from `rng`, so seeded data has stable ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_id() -> str:
    return str(uuid.uuid4())


def make_private_dirs(path: Path) -> None:
    """mkdir -p where every directory created is 0700 (mkdir's `parents` ignores `mode`)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)  # the umask may have narrowed or widened it


# json.dumps with these arguments builds an encoder per call; list pages call it per item.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> str:
    return _ENCODE(value)


def days(n: float) -> timedelta:
    return timedelta(days=n)
