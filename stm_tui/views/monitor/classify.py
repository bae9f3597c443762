"""How an attempt relates to a watched window, and what a refusal means in words.

- `in`: a signature the server attributed to the window (it counts against the maximum);
- `outside`: a signature on one of the window's keypairs while the window was open, but not
  attributed to it (an online keypair used by someone who is not a signer of the window);
- `failed`: a refused attempt, attributed to the window or on one of its keypairs while it
  was open.
A server may log a refusal without a release (it refused before attributing one; STM
documents nothing either way), so the window's keypairs and times tie those to it; one that
names the window (the emulator does for quota, signer and scan refusals) is tied by that.
"""

from __future__ import annotations

from typing import Literal

from stm_tui.views.monitor.records import Attempt, Window

Relation = Literal["in", "outside", "failed"]

# Server statuses of a window that was open during its times.
OPENED = frozenset({"APPROVED", "OPEN", "EXPIRED", "CLOSED"})

FAILURE_LABELS = {
    "MISSING_SECOND_FACTOR": "missing second factor",
    "NOT_ASSIGNED": "keypair not assigned",
    "OUTSIDE_RELEASE_WINDOW": "outside the window",
    "NOT_A_RELEASE_SIGNER": "not a listed signer",
    "QUOTA_EXCEEDED": "quota exceeded",
    "SCAN_FAILED": "blocked by the failed scan",
}


def failure_label(attempt: Attempt) -> str:
    """The refusal in words; a reason the monitor does not know is shown as sent (cleaned)."""
    reason = attempt.failure_reason
    if reason is None:
        return "refused" if not attempt.ok else ""
    return FAILURE_LABELS.get(reason.upper(), reason.lower().replace("_", " "))


def relation(attempt: Attempt, window: Window,
             keypair_ids: frozenset[str] | None = None) -> Relation | None:
    """`keypair_ids`: the window's, when the caller has them at hand (a burst asks this
    for every attempt)."""
    if attempt.release_id == window.id:
        return "in" if attempt.ok else "failed"
    kp_ids = window.keypair_ids if keypair_ids is None else keypair_ids
    if attempt.keypair_id is None or attempt.keypair_id not in kp_ids:
        return None
    if window.status not in OPENED:
        return None  # never open (pending approval, rejected)
    if not window.covers(attempt.created_on):
        return None
    return "outside" if attempt.ok else "failed"
