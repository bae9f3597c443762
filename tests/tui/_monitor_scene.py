"""A monitor in the middle of an active release, built by hand (no server, no clock moving):
what the snapshot tests and the screenshots show.

platform-fw-7.1 (max 40) has used 32 (80%: the gauge is amber and the alert is in the pane),
signed by two people on two keypairs over the last 80 minutes, with a refused attempt;
desktop-4.3.0 signs although its failed scan blocks it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stm_tui.views.monitor.model import MonitorModel
from stm_tui.views.monitor.records import Attempt, Named, ScanState, Window

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)

UPDATE = Named("9f1c0d52-5b1e-4c38-a6f4-3cbbd1e0a001", "platform-firmware-update")
ROOT = Named("9f1c0d52-5b1e-4c38-a6f4-3cbbd1e0a002", "platform-firmware-root")
INSTALLER = Named("9f1c0d52-5b1e-4c38-a6f4-3cbbd1e0a003", "desktop-installer-ev")
BUILD = Named("5e0d6a1b-0000-4000-8000-000000000001", "Kenji Watanabe")
NIGHTLY = Named("5e0d6a1b-0000-4000-8000-000000000002", "nightly-build-svc")
SIGNER = Named("5e0d6a1b-0000-4000-8000-000000000003", "Tomas Berg")
OMAR = Named("5e0d6a1b-0000-4000-8000-000000000004", "Omar Haddad")

FIRMWARE = Window(
    id="7a7a0000-0000-4000-8000-000000000071", name="platform-fw-7.1", release_type="OFFLINE",
    status="APPROVED", start_time=NOW - timedelta(hours=2), end_time=NOW + timedelta(
        minutes=48, seconds=27), max_signatures=40, signature_count=32,
    keypairs=(UPDATE, ROOT), signers=(BUILD, NIGHTLY, SIGNER), block_on_failed_scan=False)
DESKTOP = Window(
    id="7a7a0000-0000-4000-8000-000000000430", name="desktop-4.3.0", release_type="OFFLINE",
    status="APPROVED", start_time=NOW - timedelta(hours=6), end_time=NOW + timedelta(hours=24),
    max_signatures=500, signature_count=12, keypairs=(INSTALLER,), signers=(SIGNER,),
    block_on_failed_scan=True)


def _attempt(n: int, at: datetime, keypair: Named, user: Named, window: Window | None,
             status: str = "SUCCESS", reason: str | None = None) -> Attempt:
    return Attempt(
        id=f"00000000-0000-4000-8000-{n:012d}", created_on=at, status=status,
        failure_reason=reason, failure_message=None, keypair_id=keypair.id,
        keypair_alias=keypair.name, user_id=user.id, user_name=user.name,
        release_id=window.id if window else None, release_name=window.name if window else "",
        sig_alg="SHA256withECDSA" if keypair is UPDATE else "SHA256withRSA",
        hash=f"q{n:03d}Zx8cW2mNf0Lr7TbVh3kPa9sYd4Ge=", client_ip=f"10.20.{n % 16}.{10 + n}",
        keypair_type="STATIC", signature_type="PRODUCTION")


def scene_model() -> MonitorModel:
    model = MonitorModel([FIRMWARE, DESKTOP], clock=lambda: NOW)
    attempts = []
    for n in range(32):  # 32 signatures over the last 80 minutes, quickening towards now
        at = NOW - timedelta(seconds=int(4800 * (1 - n / 32) ** 1.6) + 7)
        attempts.append(_attempt(n, at, UPDATE if n % 3 else ROOT,
                                 BUILD if n % 2 else NIGHTLY, FIRMWARE))
    attempts.append(_attempt(90, NOW - timedelta(seconds=95), UPDATE, OMAR, None, "FAILED",
                             "NOT_A_RELEASE_SIGNER"))
    for n in range(12):
        attempts.append(_attempt(100 + n, NOW - timedelta(hours=5, minutes=-7 * n),
                                 INSTALLER, SIGNER, DESKTOP))
    model.ingest(sorted(attempts, key=lambda a: a.created_on or NOW))
    model.set_scans(FIRMWARE.id, [ScanState("scan-fw", "firmware-7.1.0-scan", "IN_PROGRESS",
                                            "NONE", NOW - timedelta(hours=3), False)])
    model.set_scans(DESKTOP.id, [ScanState("scan-dk", "desktop-client-4.3.0-scan", "FAIL",
                                           "CRITICAL", NOW - timedelta(hours=22), False)])
    model.poll_ok()
    model.evaluate()
    return model
