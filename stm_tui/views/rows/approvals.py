"""Rows and the detail of the approvals inbox: what waits on the current user, with its age."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from stm_tui.api.models import ApprovalRequest, ReleaseWindow
from stm_tui.api.writes.approvals import KIND_WORDS, requester
from stm_tui.views import format as f
from stm_tui.views.render import Fields
from stm_tui.views.rows.base import Context, plain, when
from stm_tui.views.table_model import Column, Row

# Short names of the kinds for the list (the detail and confirmation use the full words).
KIND_SHORT = {
    "KEYPAIR_DELETE": "delete keypair",
    "KEYPAIR_EXPORT": "export keypair",
    "CERTIFICATE_REVOCATION": "revoke cert",
    "OFFLINE_RELEASE": "offline release",
}


def resource_name(r: ApprovalRequest) -> str | None:
    return r.resource.name if r.resource is not None and r.resource.name else None


def release_of(r: ApprovalRequest, ctx: Context) -> ReleaseWindow | None:
    if r.kind != "OFFLINE_RELEASE" or r.release is None or not r.release.id:
        return None
    held = ctx.store.collection("releases").get(r.release.id) if "releases" in ctx.store.names \
        else None
    return held if isinstance(held, ReleaseWindow) else None


def window_text(rel: ReleaseWindow | None) -> str | None:
    if rel is None or rel.start_time is None or rel.end_time is None:
        return None
    span = f.short_span(rel.end_time - rel.start_time)
    return f"{f.dt(rel.start_time, zone=True)} to {f.dt(rel.end_time, zone=True)} ({span})"


def approval_row(r: ApprovalRequest, ctx: Context) -> Row:
    kind = KIND_SHORT.get(r.kind or "", (r.kind or "").lower())
    return Row(
        r.id,
        (
            f.text(kind),
            f.text(resource_name(r)),
            f.text(requester(r) if r.requested_by_user else None),
            plain(f.ago(r.created_on, ctx.now) if r.created_on else f.DASH),
            f.text(r.reason),
        ),
        sort_keys=(
            kind,
            (resource_name(r) or "").lower(),
            requester(r).lower(),
            (when(r.created_on), r.id),
            r.reason or "",
        ),
    )


APPROVAL_COLUMNS = (
    Column("kind", "Request", width=15),
    Column("name", "For", min_width=16, whole=True),
    Column("by", "Asked by", min_width=12, cli="REQUESTED BY"),
    Column("age", "Age", width=8, align="right"),
    Column("reason", "Reason", min_width=10, priority=1),
)


def approval_detail(r: ApprovalRequest, ctx: Context) -> RenderableType:
    rel = release_of(r, ctx)
    words = KIND_WORDS.get(r.kind or "", r.kind or "request")
    pairs: list[tuple[str, object]] = [
        ("request", f"{words} {resource_name(r) or ''}".strip()),
        ("asked by", requester(r)),
        ("asked", f"{f.dt(r.created_on, zone=True)} ({f.ago(r.created_on, ctx.now)})"),
        ("reason", r.reason),
    ]
    if r.revocation_reason:
        pairs.append(("revocation reason", r.revocation_reason))
    if r.keypair is not None and r.keypair.alias:
        pairs.append(("keypair", r.keypair.alias))
    if r.certificate is not None and r.certificate.alias:
        pairs.append(("certificate", r.certificate.alias))
    if rel is not None:
        pairs += [
            ("window", window_text(rel)),
            ("keypairs", f.names(rel.keypairs, "alias", limit=10)),
            ("signers", f.names(rel.users, limit=10)),
            ("max signatures", "no limit" if rel.max_signatures is None
             else str(rel.max_signatures)),
            ("notes", rel.notes),
        ]
    if r.can_decide is False:
        pairs.append(("you", "cannot decide this one (you asked, or lack the right)"))
    rows = [
        (label, value if isinstance(value, Text) else f.text(value, limit=f.DETAIL_LIMIT))
        for label, value in pairs
    ]
    return Group(f.text(f"{words} {resource_name(r) or ''}", "bold reverse"), Fields(rows))
