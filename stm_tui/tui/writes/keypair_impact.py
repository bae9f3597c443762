"""What deleting a keypair takes with it, in lines the typed confirmation lists first.

Read from the store only (no request): its certificates (the service revokes them), the
releases not yet over that list it, its last signature and how many signatures it made this
calendar month (UTC). The signature figures come from the signature log the dashboard has
loaded, and the line says so when that log may be incomplete.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stm_tui.api.models import Keypair
from stm_tui.store.store import Store
from stm_tui.store.sync import SIGNATURE_LOG_LIMIT
from stm_tui.views import format as f

# Releases that are not over: signing may still be planned with the keypair.
LIVE_RELEASES = ("OPEN", "APPROVED", "PENDING")
SHOWN = 8  # certificates and releases named one by one; the rest counted


def _listed(noun: str, names: list[str]) -> list[str]:
    lines = [f"{noun} {name}" for name in names[:SHOWN]]
    if len(names) > SHOWN:
        lines.append(f"… and {len(names) - SHOWN} more {noun}s")
    return lines


def keypair_delete_impact(kp: Keypair, store: Store, now: datetime) -> list[str]:
    lines: list[str] = []
    certs = [
        c for c in store.collection("certificates").items.values()
        if c.keypair is not None and c.keypair.id == kp.id
    ]
    active = [c for c in certs if c.certificate_status == "ACTIVE"]
    if certs:
        lines.append(
            f"{len(certs)} certificate{'s' if len(certs) != 1 else ''} "
            f"({len(active)} active) will be revoked"
        )
        names = sorted(
            f"{c.alias or c.id} ({c.certificate_status or '?'}"
            + (", default" if c.default_cert else "") + ")"
            for c in certs
        )
        lines.extend(_listed("certificate", names))
    else:
        lines.append("no certificates")
    releases = sorted(
        f"{r.name or r.id} ({r.status})"
        for r in store.collection("releases").items.values()
        if r.status in LIVE_RELEASES and any(ref.id == kp.id for ref in r.keypairs)
    )
    if releases:
        lines.append(f"{len(releases)} release{'s' if len(releases) != 1 else ''} "
                     "not yet over list it")
        lines.extend(_listed("release", releases))
    else:
        lines.append("no open or upcoming release lists it")
    signatures = [
        s for s in store.collection("signatures").items.values()
        if s.keypair is not None and s.keypair.id == kp.id and s.created_on is not None
    ]
    # The dashboard keeps the newest signatures only: older ones may exist.
    full = len(store.collection("signatures")) >= SIGNATURE_LOG_LIMIT
    partial = " (in the loaded signature log)" if full else ""
    if signatures:
        last = max(s.created_on for s in signatures if s.created_on is not None)
        lines.append(f"last signature {f.dt(last, zone=True)} ({f.ago(last, now)}){partial}")
    else:
        lines.append(f"no signature{partial}")
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = sum(1 for s in signatures if s.created_on is not None and s.created_on >= month)
    lines.append(f"{this_month} signature{'s' if this_month != 1 else ''} this month "
                 f"(since {month:%Y-%m-%d} UTC){partial}")
    return lines

