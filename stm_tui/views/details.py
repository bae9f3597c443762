"""Detail views: one function per resource turning a model into a Rich renderable.

Every value is wrapped in `Text` (never read as markup) after the sanitiser has cleaned and
bounded it; ids and fingerprints are `Folded` tokens that break only between their groups.
Tables have fixed column widths so that a refresh with new rows does not move the columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from stm_tui.api.models import (
    Account,
    AccountSettings,
    AuditEvent,
    Certificate,
    CertificateProfile,
    Keypair,
    KeypairProfile,
    ReleaseWindow,
    Scan,
    Signature,
    Team,
    User,
)
from stm_tui.api.writes.teams import PERMISSIONS as TEAM_PERMISSIONS
from stm_tui.sanitize import clean_cell
from stm_tui.views import format as f
from stm_tui.views.access import readiness
from stm_tui.views.render import Fields, Folded
from stm_tui.views.rows.activity import FINDING_CLASSES, audit_details, signatures_used
from stm_tui.views.rows.base import Context
from stm_tui.views.rows.inventory import key_spec, keypair_restriction, keypair_state
from stm_tui.views.rows.people import certcentral_state, role_names, settings_for, yes_no
from stm_tui.views.severity import SEVERITIES

Pairs = Iterable[tuple[str, Any]]
RECENT_SIGNATURES = 10


def fields(pairs: Pairs) -> Fields:
    rows: list[tuple[str, Any]] = []
    for label, value in pairs:
        if not isinstance(value, Text | Folded | Table):
            value = f.text(value, limit=f.DETAIL_LIMIT)
        rows.append((clean_cell(label), value))
    return Fields(rows)


def token(value: str | None) -> Folded | Text:
    """An id, serial or fingerprint: whole, or broken after a `-` or `:` only."""
    return Folded(clean_cell(value)) if value else Text(f.DASH)


def when(value: Any) -> str:
    return f.dt(value, zone=True)


def heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def title(value: str | None) -> Text:
    return f.text(value, "bold reverse")


def small_table() -> Table:
    # `expand` and fixed widths: columns keep their place when the rows change.
    return Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=True)


def signatures_of(ctx: Context, keep: Callable[[Signature], bool]) -> list[Signature]:
    items = [s for s in ctx.store.collection("signatures").items.values() if keep(s)]
    items.sort(key=lambda s: s.created_on.timestamp() if s.created_on else 0.0, reverse=True)
    return items


def signature_log(
    sigs: list[Signature], limit: int | None = None, *, show_keypair: bool = True
) -> RenderableType:
    if not sigs:
        return Text("no signatures", style="dim")
    table = small_table()
    table.add_column(f"Time ({f.zone_label()})", no_wrap=True, width=16)
    # Ratios, not content: the columns depend on the pane's width only, never on the rows.
    if show_keypair:
        table.add_column("Keypair", overflow="ellipsis", no_wrap=True, ratio=3)
    table.add_column("User", overflow="ellipsis", no_wrap=True, ratio=3)
    table.add_column("Status", no_wrap=True, width=7)
    table.add_column("Algorithm", overflow="ellipsis", no_wrap=True, ratio=2)
    for s in sigs[:limit] if limit else sigs:
        cells = [Text(f.dt(s.created_on))]
        if show_keypair:
            cells.append(f.text(s.keypair.alias if s.keypair else None))
        cells += [f.text(s.user.name if s.user else None), f.status(s.status), f.text(s.sig_alg)]
        table.add_row(*cells)
    return table


def account_detail(a: Account, ctx: Context) -> RenderableType:
    settings = settings_for(a.id, ctx)
    parts: list[RenderableType] = [
        title(a.name),
        fields(
            [
                ("id", token(a.id)),
                ("status", f.status(a.status)),
                ("organization", token(a.organization_id)),
                ("CertCentral allowed", yes_no(a.cert_central_integration_allowed)),
                ("created", when(a.created_at)),
            ]
        ),
    ]
    parts += [heading("Settings"), settings_detail(settings)]
    return Group(*parts)


def settings_detail(s: AccountSettings | None) -> RenderableType:
    if s is None:
        return Text("settings not loaded (visible for your own account only)", style="dim")
    cc = s.certcentral or {}
    prefs = s.release_preferences or {}
    return fields(
        [
            ("2FA required", yes_no(s.two_factor_required)),
            ("keypair profile required", yes_no(s.require_keypair_profile)),
            ("CertCentral", certcentral_state(s)),
            ("CertCentral key", cc.get("api_key_hint")),
            ("configured by", cc.get("configured_by")),
            ("comparison matches", prefs.get("comparison_matches_required")),
            ("allowed keypair types", ", ".join(prefs.get("allowed_keypair_types") or []) or None),
            ("default purpose", prefs.get("default_purpose")),
            ("block on failed scan", prefs.get("block_signing_on_failed_scan")),
            ("scans only in releases", yes_no(prefs.get("restrict_scans_to_releases"))),
        ]
    )


def user_detail(u: User, ctx: Context) -> RenderableType:
    return Group(
        title(u.display_name),
        fields(
            [
                ("id", token(u.id)),
                ("email", u.email),
                ("type", u.user_type),
                ("status", f.status(u.status)),
                ("roles", role_names(u)),
                ("teams", f.names(u.teams, limit=10)),
                ("accounts", f.names(u.accounts, limit=10)),
                ("authenticator", yes_no(u.authenticator_enrolled)),
                ("client certificates", u.active_client_certificates),
                ("2FA readiness", _readiness(u, ctx)),
                ("token expires", f"{when(u.end_date)} ({f.relative(u.end_date, ctx.now)})"),
                ("description", f.block(u.description)),
                ("created", when(u.created_at)),
            ]
        ),
        heading("Permissions"),
        f.text(", ".join(sorted(u.permissions)), limit=f.DETAIL_LIMIT),
    )


def _readiness(u: User, ctx: Context) -> str:
    ready, why = readiness(u, ctx.now)
    return f"{'ready' if ready else 'NOT ready'}: {why}"


def team_detail(t: Team, ctx: Context) -> RenderableType:
    # The nine member permissions, grouped: how many of each group a member holds.
    members = small_table()
    members.add_column("Member", no_wrap=True, overflow="ellipsis", ratio=1)
    for col in ("Lead", "Manage", "Approve", "Operate"):
        members.add_column(col, no_wrap=True, width=len(col))
    for m in t.members:
        perms = m.permissions
        members.add_row(
            f.text(m.name or m.user_id),
            yes_no(m.is_lead),
            *(_held(perms, group) for group in ("Manage", "Approve", "Operation")),
        )
    return Group(
        title(t.name),
        fields(
            [
                ("id", token(t.id)),
                ("description", f.block(t.description)),
                ("status", f.status(t.status)),
                ("modified", when(t.modified_on)),
            ]
        ),
        heading(f"Members ({len(t.members)})"),
        members,
    )


def _held(perms: dict[str, bool], group: str) -> str:
    names = [name for name, g, _ in TEAM_PERMISSIONS if g == group]
    return f"{sum(1 for n in names if perms.get(n))}/{len(names)}"


def keypair_profile_detail(p: KeypairProfile, ctx: Context) -> RenderableType:
    return Group(
        title(p.name),
        fields(
            [
                ("id", token(p.id)),
                ("status", f.status(p.status)),
                ("active from", when(p.active_from) if p.active_from else None),
                ("profile type", p.profile_type),
                ("scope", p.scope),
                ("key", key_spec(p.key_alg, p.key_size, p.curve)),
                ("key type", p.key_type),
                ("key status", f.status(p.key_status)),
                ("storage", p.key_storage),
                ("teams", f.names(p.teams, limit=10)),
                ("modified", when(p.modified_on)),
            ]
        ),
    )


def keypair_detail(kp: Keypair, ctx: Context) -> RenderableType:
    certs = small_table()
    certs.add_column("Certificate", no_wrap=True, overflow="ellipsis", ratio=1)
    certs.add_column("Status", no_wrap=True, width=8)
    certs.add_column("Left", no_wrap=True, justify="right", width=9)
    for c in kp.certificates:
        certs.add_row(f.text(c.alias), f.status(c.certificate_status), cert_left(c, ctx))
    sigs = signatures_of(ctx, lambda s: s.keypair is not None and s.keypair.id == kp.id)
    return Group(
        title(kp.alias),
        fields(
            [
                ("id", token(kp.id)),
                ("key", key_spec(kp.key_alg, kp.key_size, kp.curve)),
                ("type / storage", f"{kp.key_type or '-'} / {kp.key_storage or '-'}"),
                ("status", f.status(keypair_state(kp))),
                ("key SHA-256", token(kp.public_key_fingerprint)),
                ("profile", kp.keypair_profile.name if kp.keypair_profile else None),
                ("restrictions", keypair_restriction(kp)),
                ("users allowed", f.names(kp.users, limit=8)),
                ("teams allowed", f.names(kp.groups, limit=8)),
                ("signable by me", yes_no(kp.is_signable_by_me)),
                ("created", when(kp.created_on)),
            ]
        ),
        heading(f"Certificates ({len(kp.certificates)})"),
        certs if kp.certificates else Text("none", style="dim"),
        heading(f"Recent signatures ({len(sigs)})"),
        signature_log(sigs, RECENT_SIGNATURES, show_keypair=False),
    )


def cert_left(c: Certificate, ctx: Context) -> Text:
    """Days left, or `revoked`: a revoked certificate has no time left to count."""
    if c.certificate_status == "REVOKED":
        return Text("revoked", style="red")
    return f.days_left(c.days_left(ctx.now))


def certificate_detail(c: Certificate, ctx: Context) -> RenderableType:
    chain = small_table()
    chain.add_column("Chain", no_wrap=True, width=12)
    chain.add_column("Subject", overflow="fold", ratio=1)
    chain.add_column(f"Valid to ({f.zone_label()})", no_wrap=True, width=16)
    for entry, decoded in zip(c.chain, c.decoded_chain, strict=False):
        chain.add_row(
            f.text(entry.cert_type), f.text(decoded.subject.rfc4514_string(), limit=f.DETAIL_LIMIT),
            f.dt(decoded.not_valid_after_utc),
        )
    left = c.days_left(ctx.now)
    if c.certificate_status == "REVOKED":
        left_label = "days left"
    else:
        left_label = "expired" if left is not None and left < 0 else "days left"
    return Group(
        title(c.alias),
        fields(
            [
                ("id", token(c.id)),
                ("status", f.status(c.certificate_status)),
                ("subject", c.subject_name),
                ("issuer", c.issuer_name),
                ("serial", token(c.serial_hex)),
                ("valid from", when(c.not_before)),
                ("valid to", when(c.not_after)),
                (left_label, cert_left(c, ctx)),
                ("SHA-256", token(c.sha256_fingerprint)),
                ("keypair", c.keypair.alias if c.keypair else None),
                ("profile", c.certificate_profile.name if c.certificate_profile else None),
                ("hierarchy / type", f"{c.hierarchy or '-'} / {c.certificate_type or '-'}"),
                ("default", yes_no(c.default_cert)),
                ("revoked", f"{when(c.revoked_on)} {c.revocation_reason or ''}".strip()
                 if c.revoked_on else None),
            ]
        ),
        heading("Chain"),
        chain if c.chain else Text("none", style="dim"),
    )


def certificate_profile_detail(p: CertificateProfile, ctx: Context) -> RenderableType:
    template = p.subject_template or {}
    return Group(
        title(p.name),
        fields(
            [
                ("id", token(p.id)),
                ("status", f.status(p.status)),
                ("hierarchy", p.hierarchy),
                ("type", p.certificate_type),
                ("enrollment", p.enrollment_method),
                ("validity", f"{p.validity_days} days" if p.validity_days else None),
                ("key algorithms", ", ".join(map(str, p.allowed_key_algs)) or None),
                *((f"subject {k}", v) for k, v in sorted(template.items())),
            ]
        ),
    )


def release_detail(r: ReleaseWindow, ctx: Context) -> RenderableType:
    sigs = signatures_of(ctx, lambda s: s.release is not None and s.release.id == r.id)
    return Group(
        title(r.name),
        fields(
            [
                ("id", token(r.id)),
                ("version", r.version),
                ("status", f.status(r.status)),
                ("type / purpose", f"{r.release_type or '-'} / {r.purpose or '-'}"),
                ("start", f"{when(r.start_time)} ({f.relative(r.start_time, ctx.now)})"),
                ("end", f"{when(r.end_time)} ({f.relative(r.end_time, ctx.now)})"),
                ("signatures", signatures_used(r)),
                ("keypairs", f.names(r.keypairs, "alias", limit=10)),
                ("signers", f.names(r.users, limit=10)),
                ("scan must pass", yes_no(r.block_on_failed_scan)),
                ("project", r.project),
                ("approved by", r.approved_by_user.name if r.approved_by_user else None),
                *_rejection(r),
                ("notes", f.block(r.notes)),
            ]
        ),
        heading(f"Signature log ({len(sigs)})"),
        signature_log(sigs),
    )


def _rejection(r: ReleaseWindow) -> Pairs:
    """Why it was rejected, as the approver typed it (`rejection_reason`, which the model
    keeps as an unknown field): on a rejected window only, a dash when none was given."""
    if r.status != "REJECTED":
        return []
    reason = (r.model_extra or {}).get("rejection_reason")
    return [("rejection reason", f.block(reason if isinstance(reason, str) else None))]


def scan_detail(s: Scan, ctx: Context) -> RenderableType:
    counts = ", ".join(f"{k} {s.finding_counts.get(k, 0)}" for k in FINDING_CLASSES)
    parts: list[RenderableType] = [
        title(s.alias),
        fields(
            [
                ("id", token(s.id)),
                ("status", f.status(s.status)),
                ("risk", f.severity(s.risk_level)),
                ("project", s.project.alias or s.project.name if s.project else None),
                ("release", s.release.name if s.release else None),
                ("file", s.file_name),
                ("findings", counts),
                ("created", when(s.created_on)),
                ("completed", when(s.completed_on)),
            ]
        ),
    ]
    parts += findings_by_severity(s)
    return Group(*parts)


def findings_by_severity(s: Scan) -> list[RenderableType]:
    if s.findings is None:
        return [heading("Findings"), Text("loading the report…", style="dim")]
    if not s.findings:
        return [heading("Findings"), Text("no findings", style="green")]
    out: list[RenderableType] = []
    known = set(SEVERITIES)
    groups = [*SEVERITIES, *sorted({x.severity or "?" for x in s.findings} - known)]
    for sev in groups:
        items = [x for x in s.findings if (x.severity or "?") == sev]
        if not items:
            continue
        heading_style = f.SEVERITY_STYLE.get(sev, "bold")
        out.append(Text(f"\n{clean_cell(sev)} ({len(items)})", style=heading_style))
        for x in items:
            # A hanging indent: a long title or description wraps under itself, not at 0.
            line = f.text(x.title or "?", "bold", limit=f.DETAIL_LIMIT)
            line.append_text(f.text(f"  [{x.category or '?'}]", "dim"))
            out.append(Padding(Text("• ").append_text(line), (0, 0, 0, 2)))
            extra = [clean_cell(v) for v in (x.component, x.cve, x.path) if v]
            if extra:
                out.append(Padding(Text(" · ".join(extra), style="dim"), (0, 0, 0, 4)))
            if x.detail:
                out.append(Padding(f.block(x.detail), (0, 0, 0, 4)))
    return out


def audit_detail(e: AuditEvent, ctx: Context) -> RenderableType:
    return Group(
        title(f"{e.resource_type or '?'} {e.action or '?'}"),
        fields(
            [
                ("id", token(e.id)),
                ("time", when(e.created_on)),
                ("status", f.status(e.status)),
                ("user", e.user_name),
                ("user id", token(e.user_id)),
                ("resource id", token(e.resource_id)),
                ("client IP", e.client_ip),
                ("account", token(e.account_id)),
                ("details", f.block(audit_details(e))),
            ]
        ),
    )


def signature_detail(s: Signature, ctx: Context) -> RenderableType:
    return Group(
        title(s.id),
        fields(
            [
                ("time", when(s.created_on)),
                ("keypair", s.keypair.alias if s.keypair else None),
                ("certificate", s.certificate.alias if s.certificate else None),
                ("release", s.release.name if s.release else None),
                ("user", s.user.name if s.user else None),
                ("algorithm", s.sig_alg),
                ("status", f.status(s.status)),
                ("client IP", s.client_ip),
                ("hash", token(s.hash)),
            ]
        ),
    )

