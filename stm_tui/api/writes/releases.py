"""Release windows: request (create), approve, reject, close early.

An offline release is requested by one person and approved or rejected by another; closing
one early ends its signing for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import FreeText, ReleaseName, RequestModel


class CreateRelease(RequestModel):
    name: ReleaseName
    keypair_ids: tuple[str, ...] = Field(min_length=1, max_length=50)
    version: FreeText | None = Field(default=None, max_length=64)
    team_id: str | None = None
    release_type: Literal["ONLINE", "OFFLINE", "TEST"] = "OFFLINE"
    purpose: Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"] = "SIGN"
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 366)
    signer_ids: tuple[str, ...] = Field(default=(), max_length=200)
    # Zero passes the type so the rule below words it (the service refuses it too).
    max_signatures: int | None = Field(default=None, ge=0, le=10_000_000)
    block_on_failed_scan: bool = False
    project: FreeText | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=4000)

    def problems(self) -> dict[str, str]:
        if self.max_signatures == 0:
            return {"max_signatures": "a maximum of zero allows no signature; leave it out for"
                    " no limit"}
        if self.end_time is None and self.duration_minutes is None:
            return {"end_time": "give an end time or a duration"}
        if self.start_time is not None and self.start_time.tzinfo is None:
            return {"start_time": "add a time zone: Z for UTC, or +02:00"}
        if self.end_time is not None and self.end_time.tzinfo is None:
            return {"end_time": "add a time zone: Z for UTC, or +02:00"}
        if self.end_time is not None and self.duration_minutes is not None:
            return {"duration_minutes": "give an end time or a duration, not both"}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            return {"end_time": "must be after the start time"}
        return {}


class RejectRelease(RequestModel):
    reason: FreeText | None = Field(default=None, max_length=500)


def create_release(req: CreateRelease) -> WriteCall:
    keys = f"{len(req.keypair_ids)} keypair(s)"
    return WriteCall(
        action="release.create",
        summary=f"Request {req.release_type} release {req.name} ({req.purpose}, {keys})",
        method="POST",
        path=endpoint("releases"),
        body=body_of(req),
        target=Target("releases", req.name, lookup={"name": req.name}),
        touches=("releases",),
    )


def approve_release(release_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="release.approve",
        summary=f"Approve release {name}: its keypairs may sign inside the window",
        method="POST",
        path=endpoint("release_approve", id=release_id),
        target=Target("releases", name, item_id=release_id),
        touches=("releases",),
        tier=Tier.APPROVAL,
    )


def reject_release(release_id: str, name: str, req: RejectRelease) -> WriteCall:
    why = f": {req.reason}" if req.reason else ""
    return WriteCall(
        action="release.reject",
        summary=f"Reject release {name}{why}",
        method="POST",
        path=endpoint("release_reject", id=release_id),
        body=body_of(req) or None,
        target=Target("releases", name, item_id=release_id),
        touches=("releases",),
        tier=Tier.APPROVAL,
    )


def close_release(release_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="release.close",
        summary=f"Close release {name} now: no more signatures in it (cannot be undone)",
        method="POST",
        path=endpoint("release_close", id=release_id),
        target=Target("releases", name, item_id=release_id),
        touches=("releases",),
        tier=Tier.IRREVERSIBLE,
        confirm_text=name,
    )
