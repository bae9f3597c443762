"""Deciding an approval request: approve (which carries the action out) or reject.

One pair of calls for every kind that waits on a second person (INFERRED paths:
`/approval-requests/{id}/approve|reject`): a keypair deletion or export, a certificate
revocation, a requested offline release window. The summary says what exactly is decided and
who asked, because that is what the approver confirms.
"""

from __future__ import annotations

from pydantic import Field

from stm_tui.api import models as m
from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import FreeText, RequestModel

# What approving each kind does, in the words the confirmation shows.
KIND_WORDS = {
    "KEYPAIR_DELETE": "deletion of keypair",
    "KEYPAIR_EXPORT": "export of keypair",
    "CERTIFICATE_REVOCATION": "revocation of certificate",
    "OFFLINE_RELEASE": "offline release window",
}
# What else an approval changes, for the collections refreshed after it.
_TOUCHES: dict[str, tuple[str, ...]] = {
    "KEYPAIR_DELETE": ("keypairs", "certificates"),
    "KEYPAIR_EXPORT": (),
    "CERTIFICATE_REVOCATION": ("certificates", "keypairs"),
    "OFFLINE_RELEASE": ("releases",),
}


class Decision(RequestModel):
    reason: FreeText | None = Field(default=None, max_length=500)


def what(req: m.ApprovalRequest) -> str:
    """"deletion of keypair build-key", "offline release window desktop-4.4.0"."""
    name = req.resource.name if req.resource and req.resource.name else req.id
    return f"{KIND_WORDS.get(req.kind or '', (req.kind or 'request').lower())} {name}"


def requester(req: m.ApprovalRequest) -> str:
    user = req.requested_by_user
    return (user.name or user.id or "?") if user is not None else "?"


def approve_request(req: m.ApprovalRequest, decision: Decision | None = None) -> WriteCall:
    body = body_of(decision) if decision is not None else {}
    return WriteCall(
        action="approval.approve",
        summary=f"Approve the {what(req)} (asked by {requester(req)})",
        method="POST",
        path=endpoint("approval_approve", id=req.id),
        body=body or None,
        target=Target("approvals", what(req), item_id=req.id),
        touches=("approvals", *_TOUCHES.get(req.kind or "", ())),  # type: ignore[arg-type]
        tier=Tier.APPROVAL,
    )


def reject_request(req: m.ApprovalRequest, decision: Decision | None = None) -> WriteCall:
    body = body_of(decision) if decision is not None else {}
    why = f": {decision.reason}" if decision is not None and decision.reason else ""
    return WriteCall(
        action="approval.reject",
        summary=f"Reject the {what(req)} (asked by {requester(req)}){why}",
        method="POST",
        path=endpoint("approval_reject", id=req.id),
        body=body or None,
        target=Target("approvals", what(req), item_id=req.id),
        touches=("approvals", *_TOUCHES.get(req.kind or "", ())),  # type: ignore[arg-type]
        tier=Tier.APPROVAL,
    )
