"""Rows for release windows, signatures, threat-detection scans and the audit log."""

from __future__ import annotations

import json

from rich.text import Text

from stm_tui.api.models import AuditEvent, ReleaseWindow, Scan, Signature
from stm_tui.views import format as f
from stm_tui.views import severity
from stm_tui.views.rows.base import Context, num, plain, when
from stm_tui.views.table_model import Column, Row

FINDING_CLASSES = ("malware", "vulnerabilities", "secrets", "licenses", "tampering")


def signatures_used(r: ReleaseWindow) -> Text:
    used = r.signature_count or 0
    if r.max_signatures is None:
        return Text(f"{used}/∞")
    return Text(f"{used}/{r.max_signatures}", style=quota_style(used, r.max_signatures))


def quota_style(used: int, limit: int) -> str:
    """Amber from 80 % of a release's signature quota, red once it is used up."""
    ratio = used / limit if limit > 0 else 1.0
    if ratio >= 1.0:
        return "bold red"
    return "yellow" if ratio >= 0.8 else ""


def remaining(r: ReleaseWindow, ctx: Context) -> str:
    if r.status == "OPEN":
        return f"ends {f.relative(r.end_time, ctx.now)}"
    if r.status in ("APPROVED", "PENDING_APPROVAL") and r.start_time and r.start_time > ctx.now:
        return f"opens {f.relative(r.start_time, ctx.now)}"
    return f.DASH


def release_row(r: ReleaseWindow, ctx: Context) -> Row:
    keypairs = f.names(r.keypairs, "alias", limit=2)
    signers = f.names(r.users, limit=2)
    return Row(
        r.id,
        (
            f.text(r.name),
            f.text(r.version),
            f.status(r.status),
            f.dt(r.start_time),
            f.dt(r.end_time),
            remaining(r, ctx),
            signatures_used(r),
            f.text(keypairs),
            f.text(signers),
            plain(r.release_type),
        ),
        sort_keys=(
            (r.name or "").lower(),
            r.version or "",
            r.status or "",
            (when(r.start_time), r.id),
            when(r.end_time),
            when(r.end_time if r.status == "OPEN" else r.start_time),
            num(r.signature_count),
            keypairs,
            signers,
            r.release_type or "",
        ),
        style="dim" if r.status in ("CLOSED", "EXPIRED") else None,
    )


RELEASE_COLUMNS = (
    Column("name", "Name", min_width=18, whole=True),
    Column("version", "Version", width=8, priority=4),
    Column("status", "Status", width=16),
    Column("start", "Start", width=16, zone=True, priority=5),
    Column("end", "End", width=16, zone=True, priority=3),
    Column("remaining", "Remaining", width=14),
    Column("sigs", "Sigs", width=9, align="right", cli="SIGNATURES"),
    Column("keypairs", "Keypairs", min_width=10, priority=1),
    Column("signers", "Signers", min_width=10, priority=2),
    Column("rtype", "Type", width=7, priority=6),
)


def signature_row(s: Signature, ctx: Context) -> Row:
    return Row(
        s.id,
        (
            f.dt(s.created_on),
            f.text(s.keypair.alias if s.keypair else None),
            f.text(s.user.name if s.user else None),
            plain(s.sig_alg),
            f.status(s.status),
            f.text(s.release.name if s.release else None),
            f.text(s.client_ip),
        ),
        sort_keys=(
            (when(s.created_on), s.id),
            (s.keypair.alias or "") if s.keypair else "",
            (s.user.name or "") if s.user else "",
            s.sig_alg or "",
            s.status or "",
            (s.release.name or "") if s.release else "",
            s.client_ip or "",
        ),
    )


SIGNATURE_COLUMNS = (
    Column("time", "Time", width=16, zone=True),
    Column("keypair", "Keypair", min_width=10),
    Column("user", "User", min_width=10),
    Column("alg", "Algorithm", width=15, priority=2),
    Column("status", "Status", width=8),
    Column("release", "Release", min_width=8, priority=1),
    Column("ip", "Client IP", width=15, priority=3),
)


def scan_row(s: Scan, ctx: Context) -> Row:
    counts = [s.finding_counts.get(k, 0) for k in FINDING_CLASSES]
    project = s.project.alias or s.project.name if s.project else None
    return Row(
        s.id,
        (
            f.text(s.alias),
            f.text(project),
            f.text(s.release.name if s.release else None),
            f.text(s.file_name),
            f.status(s.status),
            f.severity(s.risk_level),
            *(Text(str(n), style="bold" if n else "dim") for n in counts),
            f.dt(s.created_on),
        ),
        sort_keys=(
            (s.alias or "").lower(),
            project or "",
            (s.release.name or "") if s.release else "",
            s.file_name or "",
            s.status or "",
            -severity.rank(s.risk_level),  # ascending: unknown, NONE, ... CRITICAL
            *counts,
            (when(s.created_on), s.id),
        ),
    )


SCAN_COLUMNS = (
    Column("alias", "Scan", min_width=20, whole=True, cli="ALIAS"),
    Column("project", "Project", min_width=8, priority=3),
    Column("release", "Release", min_width=8, priority=2),
    Column("file", "File", min_width=10, priority=4),
    Column("status", "Status", width=11),
    Column("risk", "Risk", width=8),
    Column("malware", "Mal", width=3, align="right", priority=1),
    Column("vulns", "Vul", width=3, align="right", priority=1),
    Column("secrets", "Sec", width=3, align="right", priority=1),
    Column("licenses", "Lic", width=3, align="right", priority=1),
    Column("tampering", "Tam", width=3, align="right", priority=1),
    Column("created", "Created", width=16, zone=True, priority=5),
)


def audit_details(e: AuditEvent) -> str:
    if e.details is None or e.details == "":
        return f.DASH
    if isinstance(e.details, str):
        return e.details
    return json.dumps(e.details, separators=(",", ":"), sort_keys=True)


def audit_row(e: AuditEvent, ctx: Context) -> Row:
    details = audit_details(e)
    return Row(
        e.id,
        (
            f.dt(e.created_on),
            plain(e.resource_type),
            plain(e.action),
            f.status(e.status),
            f.text(e.user_name),
            f.text(e.client_ip),
            f.text(details),
        ),
        sort_keys=(
            # Many events share a second: the id breaks ties so the order is the same each time.
            (when(e.created_on), e.id),
            e.resource_type or "",
            e.action or "",
            e.status or "",
            e.user_name or "",
            e.client_ip or "",
            details,
        ),
    )


AUDIT_COLUMNS = (
    Column("time", "Time", width=16, zone=True),
    Column("rtype", "Resource", width=11),
    Column("action", "Action", width=8),
    Column("status", "Status", width=8, priority=2),
    Column("user", "User", min_width=10),
    Column("ip", "Client IP", width=15, priority=3),
    Column("details", "Details", min_width=10, priority=1),
)
