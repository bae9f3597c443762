"""Write actions of release windows and the approvals inbox: approve or reject a requested
offline window (approval tier: who asked, what exactly), close one early (irreversible), and
approve or reject any request waiting on the current user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stm_tui.api.models import ApprovalRequest, ReleaseWindow
from stm_tui.api.writes import approvals, releases
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.views import format as f
from stm_tui.views.actions import WriteAction
from stm_tui.views.rows.activity import signatures_used
from stm_tui.views.rows.approvals import release_of
from stm_tui.views.rows.base import Context

CLOSED = ("CLOSED", "EXPIRED", "REJECTED")


def _name(r: ReleaseWindow) -> str:
    return r.name or r.id


def _window(r: ReleaseWindow) -> str | None:
    if r.start_time is None or r.end_time is None:
        return None
    span = f.short_span(r.end_time - r.start_time)
    return f"{f.dt(r.start_time, zone=True)} to {f.dt(r.end_time, zone=True)} ({span})"


def release_what(r: ReleaseWindow) -> str:
    limit = "no signature limit" if r.max_signatures is None else f"{r.max_signatures} signatures"
    keys = f.names(r.keypairs, "alias", limit=5) or "no keypairs"
    signers = f.names(r.users, limit=5) or "no signers"
    kind = (r.release_type or "").lower()
    return f"{kind} release {_name(r)}: keypairs {keys}; signers {signers}; {limit}"


def _release_approval(r: ReleaseWindow, ctx: Context) -> Mapping[str, str | None]:
    who = r.created_by_user
    return {
        "what": release_what(r),
        "requested_by": (who.name or who.id or "?") if who else "?",
        "requested_at": f.dt(r.created_on, zone=True),
        "window": _window(r),
        "notes": r.notes,
    }


def _pending(r: Any) -> str | None:
    status = r.status or "?"
    return None if status == "PENDING_APPROVAL" else f"not waiting for approval (it is {status})"


def _open(r: Any) -> str | None:
    return f"already {r.status}" if r.status in CLOSED else None


def _close_impact(r: ReleaseWindow) -> list[str]:
    lines = [f"signatures used: {signatures_used(r).plain}"]
    keys = f.names(r.keypairs, "alias", limit=10)
    if keys:
        lines.append(f"keypairs {keys} can no longer sign in this window")
    return lines


def _approve_release(r: ReleaseWindow) -> WriteCall:
    return releases.approve_release(r.id, _name(r))


def _reject_release(r: ReleaseWindow) -> WriteCall:
    call = releases.reject_release(r.id, _name(r), releases.RejectRelease())
    return call


def _close_release(r: ReleaseWindow) -> WriteCall:
    return releases.close_release(r.id, _name(r))


APPROVE_RELEASE = WriteAction(
    "release.approve", "A", "Approve", Tier.APPROVAL, _approve_release, _pending,
    approval=_release_approval,
)
REJECT_RELEASE = WriteAction(
    "release.reject", "D", "Reject", Tier.APPROVAL, _reject_release, _pending,
    approval=_release_approval, confirm_label="Reject",
)
CLOSE_RELEASE = WriteAction(
    "release.close", "X", "Close early", Tier.IRREVERSIBLE, _close_release, _open,
    _close_impact,
)


# -- the inbox ----------------------------------------------------------------------------


def _request_approval(r: ApprovalRequest, ctx: Context) -> Mapping[str, str | None]:
    window = release_of(r, ctx)
    if window is not None:
        # A requested window: what exactly it allows, and when, from the store.
        return {**_release_approval(window, ctx), "requested_by": approvals.requester(r)}
    return {
        "what": approvals.what(r),
        "requested_by": approvals.requester(r),
        "requested_at": f.dt(r.created_on, zone=True),
        "window": None,
        "notes": r.reason,
    }


def _requested_window(r: ApprovalRequest) -> tuple[str, str] | None:
    if r.kind != "OFFLINE_RELEASE" or r.release is None or not r.release.id:
        return None
    return "releases", r.release.id


def _decidable(r: Any) -> str | None:
    if r.status not in (None, "PENDING"):
        return f"already {r.status}"
    if r.can_decide is False:
        return "not yours to decide (you asked for it, or lack the right)"
    return None


APPROVE_REQUEST = WriteAction(
    "approval.approve", "A", "Approve", Tier.APPROVAL, approvals.approve_request, _decidable,
    approval=_request_approval, refers_to=_requested_window,
)
REJECT_REQUEST = WriteAction(
    "approval.reject", "D", "Reject", Tier.APPROVAL, approvals.reject_request, _decidable,
    approval=_request_approval, confirm_label="Reject", refers_to=_requested_window,
)
