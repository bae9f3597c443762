"""The guard rails of a new release window, checked before anything is sent.

The same rules the service enforces (and the emulator answers with a 422), worded per field
so a form shows them under the field and the CLI refuses with them (exit 20): a keypair
without an active certificate, one whose signing certificate (the default, else the newest
active one) expires inside the window, one already in another open window whose time
overlaps, a window that starts in the past, a maximum of zero signatures. Pure: the caller
passes what it holds (the dashboard's store, or lists the CLI read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from stm_tui.api import models as m

# A window may start this long before now (clocks and forms are not exact; the service's
# own grace is the same).
START_GRACE = timedelta(minutes=5)
# Release states that hold their keypairs.
LIVE = ("PENDING_APPROVAL", "APPROVED", "OPEN")


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def window_of(data: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime | None]:
    """(start, end) of the request: start defaults to now; end from end_time or duration."""
    start = _moment(data.get("start_time")) or now
    end = _moment(data.get("end_time"))
    minutes = data.get("duration_minutes")
    if end is None and isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
        try:
            end = start + timedelta(minutes=minutes)
        except OverflowError:
            end = None
    return start, end


def signing_certificate(keypair: m.Keypair, now: datetime) -> m.Certificate | None:
    """The certificate a keypair signs with: its default active one, else its newest."""
    active = [
        c
        for c in keypair.certificates
        if (c.certificate_status or "").upper() == "ACTIVE"
        and c.valid_to is not None
        and c.valid_to > now
    ]
    if not active:
        return None
    active.sort(
        key=lambda c: (bool(c.default_cert), c.valid_from or c.valid_to or now), reverse=True
    )
    return active[0]


def guard_rails(
    data: Mapping[str, Any],
    *,
    keypairs: Mapping[str, m.Keypair],
    releases: Iterable[m.ReleaseWindow],
    now: datetime,
) -> dict[str, str]:
    """field -> message for every rule the request breaks (empty: none)."""
    out: dict[str, str] = {}
    if data.get("max_signatures") == 0:
        out["max_signatures"] = "a maximum of zero allows no signature; leave it empty for no limit"
    start, end = window_of(data, now)
    if start < now - START_GRACE:
        out["start_time"] = f"starts in the past (now is {now:%Y-%m-%d %H:%M} UTC)"
    wanted: Sequence[str] = tuple(data.get("keypair_ids") or ())
    problems: list[str] = []
    for kid in wanted:
        kp = keypairs.get(kid)
        if kp is None:
            continue  # unknown here: the service says so
        alias = kp.alias or kp.id
        cert = signing_certificate(kp, now)
        if cert is None:
            problems.append(f"{alias} has no active certificate")
        elif end is not None and cert.valid_to is not None and cert.valid_to < end:
            which = "default certificate" if cert.default_cert else "certificate"
            problems.append(
                f"{alias}: its {which} expires {cert.valid_to:%Y-%m-%d %H:%M} UTC, inside"
                " the window"
            )
    for other in releases:
        if (other.status or "") not in LIVE or other.start_time is None or other.end_time is None:
            continue
        if end is not None and (other.start_time >= end or other.end_time <= start):
            continue
        held = {k.id for k in other.keypairs if k.id}
        for kid in wanted:
            if kid in held:
                held_alias = keypairs[kid].alias if kid in keypairs else None
                alias = held_alias or kid
                state = (other.status or "").lower().replace("_", " ")
                problems.append(f"{alias} is already in the {state} window {other.name}")
    if problems:
        out["keypair_ids"] = "; ".join(problems)
    return out
