"""Hand-built windows and signature logs for the monitor's pure tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from stm_tui.views.monitor.records import Attempt, Named, ScanState, Window

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

KP = Named("kp-1", "desktop-installer-ev")
KP2 = Named("kp-2", "desktop-driver-kit")
SIGNER = Named("u-signer", "Sam Signer")
BOT = Named("u-bot", "ci-release-bot")
EVE = Named("u-eve", "Eve Outsider")


def window(**changes: Any) -> Window:
    base = Window(
        id="w-1",
        name="desktop-4.3.0",
        release_type="OFFLINE",
        status="APPROVED",
        start_time=T0 - timedelta(hours=6),
        end_time=T0 + timedelta(hours=24),
        max_signatures=500,
        signature_count=0,
        keypairs=(KP,),
        signers=(SIGNER, BOT),
        block_on_failed_scan=True,
    )
    return replace(base, **changes)


def attempt(
    n: int,
    at: datetime,
    *,
    keypair: Named = KP,
    user: Named = SIGNER,
    release: str | None = "w-1",
    status: str = "SUCCESS",
    reason: str | None = None,
) -> Attempt:
    return Attempt(
        id=f"sig-{n:06d}",
        created_on=at,
        status=status,
        failure_reason=reason,
        failure_message=None if reason is None else f"refused: {reason}",
        keypair_id=keypair.id,
        keypair_alias=keypair.name,
        user_id=user.id,
        user_name=user.name,
        release_id=release,
        release_name="desktop-4.3.0" if release == "w-1" else "",
        sig_alg="SHA256withRSA",
        hash=f"hash{n}=",
        client_ip="10.20.1.2",
        keypair_type="STATIC",
        signature_type="PRODUCTION",
    )


def failed(n: int, at: datetime, reason: str = "NOT_A_RELEASE_SIGNER", **kw: Any) -> Attempt:
    kw.setdefault("user", EVE)
    return attempt(n, at, release=None, status="FAILED", reason=reason, **kw)


def scan(status: str, at: datetime = T0 - timedelta(hours=20), **kw: Any) -> ScanState:
    base = ScanState(id="scan-1", alias="desktop-client-4.3.0-scan", status=status,
                     risk_level="HIGH" if status == "FAIL" else "NONE", created_on=at,
                     deleted=False)
    return replace(base, **kw)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
