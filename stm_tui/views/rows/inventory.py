"""Rows for keypairs, keypair profiles, certificates and certificate profiles."""

from __future__ import annotations

from rich.text import Text

from stm_tui.api.models import Certificate, CertificateProfile, Keypair, KeypairProfile
from stm_tui.views import format as f
from stm_tui.views.rows.base import Context, days_left, num, plain, status, when
from stm_tui.views.table_model import Column, Row


def key_spec(alg: str | None, size: int | None, curve: str | None) -> str:
    if size:
        return plain(f"{alg or '?'} {size}")
    if curve:
        return plain(f"{alg or '?'} {curve}")
    return plain(alg)


def keypair_state(kp: Keypair) -> str:
    # Suspending a keypair sets its key_status to OFFLINE: there is no separate flag.
    return plain(kp.key_status)


def keypair_restriction(kp: Keypair) -> str:
    if not kp.limit_by_users:
        return "anyone"
    return f"{len(kp.users)} users, {len(kp.groups)} teams"


def keypair_row(kp: Keypair, ctx: Context) -> Row:
    active = kp.number_of_active_certificates
    if active is None:
        active = sum(1 for c in kp.certificates if c.certificate_status == "ACTIVE")
    return Row(
        kp.id,
        (
            plain(kp.alias),
            key_spec(kp.key_alg, kp.key_size, kp.curve),
            plain(kp.key_type),
            plain(kp.key_storage),
            status(keypair_state(kp)),
            str(active),
            f.names(kp.groups),
            keypair_restriction(kp),
            plain(kp.keypair_profile.name if kp.keypair_profile else None),
        ),
        sort_keys=(
            ((kp.alias or "").lower(), kp.id),
            key_spec(kp.key_alg, kp.key_size, kp.curve),
            kp.key_type or "",
            kp.key_storage or "",
            keypair_state(kp),
            active,
            f.names(kp.groups),
            keypair_restriction(kp),
            kp.keypair_profile.name if kp.keypair_profile and kp.keypair_profile.name else "",
        ),
        style="dim" if kp.key_status == "OFFLINE" else None,
    )


KEYPAIR_COLUMNS = (
    Column("alias", "Alias", min_width=12, whole=True),
    Column("alg", "Algorithm", width=10),
    Column("type", "Type", width=10, priority=2),
    Column("storage", "Storage", width=7, priority=3),
    Column("status", "Status", width=9),
    # The API's number_of_active_certificates: expired and revoked ones do not count.
    Column("certs", "Active certs", width=12, align="right"),
    Column("teams", "Teams", min_width=8, priority=1),
    Column("restrict", "Restrictions", width=17, priority=4),
    Column("profile", "Profile", min_width=8, priority=5),
)


def keypair_profile_row(p: KeypairProfile, ctx: Context) -> Row:
    spec = key_spec(p.key_alg, p.key_size, p.curve)
    teams = f.names(p.teams)
    return Row(
        p.id,
        (
            f.text(p.name),
            f.status(p.status),
            plain(p.profile_type),
            plain(p.scope),
            spec,
            plain(p.key_type),
            f.status(p.key_status),
            teams,
        ),
        sort_keys=(
            (p.name or "").lower(),
            p.status or "",
            p.profile_type or "",
            p.scope or "",
            spec,
            p.key_type or "",
            p.key_status or "",
            teams,
        ),
    )


KEYPAIR_PROFILE_COLUMNS = (
    Column("name", "Name", min_width=14, whole=True),
    Column("status", "Status", width=9),
    Column("ptype", "Profile", width=12),
    Column("scope", "Scope", width=7, priority=2),
    Column("alg", "Algorithm", width=10),
    Column("ktype", "Key type", width=10),
    Column("kstatus", "Key status", width=10, priority=1),
    Column("teams", "Teams", min_width=8, priority=3),
)


# A revoked certificate has no time left to count.
REVOKED = Text("revoked", style="red")


def cert_row(c: Certificate, ctx: Context) -> Row:
    days = c.days_left(ctx.now)
    subject = f.cn(c.subject_name)
    issuer = f.cn(c.issuer_name)
    profile = c.certificate_profile.name if c.certificate_profile else None
    keypair = c.keypair.alias if c.keypair else None
    return Row(
        c.id,
        (
            plain(c.alias),
            plain(subject),
            plain(c.serial_hex),
            plain(issuer),
            status(c.certificate_status),
            f.dt(c.not_before),
            f.dt(c.not_after),
            REVOKED if c.certificate_status == "REVOKED" else days_left(days),
            plain(keypair),
            plain(profile),
            plain(c.hierarchy),
        ),
        sort_keys=(
            (c.alias or "").lower(),
            subject.lower(),
            c.serial_hex or "",
            issuer.lower(),
            c.certificate_status or "",
            when(c.not_before),
            when(c.not_after),
            (num(days), (c.alias or "").lower(), c.id),
            keypair or "",
            profile or "",
            c.hierarchy or "",
        ),
        style="dim" if c.certificate_status == "REVOKED" else None,
    )


CERTIFICATE_COLUMNS = (
    Column("alias", "Alias", min_width=12, whole=True),
    Column("subject", "Subject", min_width=10, priority=2),
    Column("serial", "Serial", width=12, priority=6),
    Column("issuer", "Issuer", min_width=10, priority=7),
    Column("status", "Status", width=8),
    Column("from", "Valid from", width=16, zone=True, priority=8),
    Column("to", "Valid to", width=16, zone=True, priority=3, cli="EXPIRES"),
    Column("days", "Left", width=9, align="right", cli="DAYS"),
    Column("keypair", "Keypair", min_width=10, priority=5),
    Column("profile", "Profile", min_width=8, priority=9),
    Column("hierarchy", "Hier.", width=7, priority=4),
)


def cert_profile_row(p: CertificateProfile, ctx: Context) -> Row:
    algs = plain(", ".join(map(str, p.allowed_key_algs)))
    return Row(
        p.id,
        (
            f.text(p.name),
            f.status(p.status),
            plain(p.hierarchy),
            plain(p.certificate_type),
            plain(p.enrollment_method),
            Text(f"{p.validity_days} d" if p.validity_days is not None else f.DASH),
            algs,
        ),
        sort_keys=(
            (p.name or "").lower(),
            p.status or "",
            p.hierarchy or "",
            p.certificate_type or "",
            p.enrollment_method or "",
            num(p.validity_days),
            algs,
        ),
    )


CERTIFICATE_PROFILE_COLUMNS = (
    Column("name", "Name", min_width=14, whole=True),
    Column("status", "Status", width=8),
    Column("hierarchy", "Hierarchy", width=9),
    Column("ctype", "Type", width=7),
    Column("enroll", "Enrollment", width=12, priority=2),
    Column("validity", "Validity", width=8, align="right"),
    Column("algs", "Key algorithms", min_width=10, priority=1),
)
