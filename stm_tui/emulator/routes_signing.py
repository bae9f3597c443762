"""Signing: `POST /keypairs/{id}/sign` (C), the release-window rules and the signature log."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import (
    CallerDep,
    EmulatorState,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import (
    ApiError,
    bad_input,
    invalid_state,
)
from stm_tui.emulator.records import audit_record
from stm_tui.emulator.routes_common import StrictBody, json_row
from stm_tui.emulator.routes_keypairs import find_keypair
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["signing"])


class SignRequest(StrictBody):
    hash: str = Field(description="base64 of the digest")
    sig_alg: str = Field(description="e.g. SHA256withRSA (case-insensitive)")


@router.post("/keypairs/{keypair_id}/sign")
def sign_hash(
    keypair_id: str, body: SignRequest, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("SIGN_SM_HASH")
    kp = find_keypair(state, caller, keypair_id)
    try:
        digest = base64.b64decode(body.hash, validate=True)
    except (binascii.Error, ValueError):
        raise bad_input("hash", "must be standard base64") from None
    if kp["suspended"]:
        raise invalid_state(f"keypair {kp['alias']} is suspended and cannot sign")
    if not render.may_use_keypair(caller, kp):
        raise ApiError(
            403, "access_denied", f"keypair {kp['alias']} is limited to its users and teams"
        )
    key = crypto.load_private(state.db.key_material(kp["key_ref"]))
    try:
        signature = crypto.sign_digest(key, kp["key_alg"], body.sig_alg, digest)
    except crypto.SignError as exc:
        raise ApiError(400, "invalid_input_field", str(exc)) from None
    sig_id = sign_and_record(
        state, caller.account_id, caller.user, caller.client_ip, kp, body.sig_alg, body.hash
    )
    return JSONResponse({"id": sig_id, "signature": crypto.b64(signature)})


def sign_and_record(
    state: EmulatorState,
    account_id: str,
    user: dict[str, Any],
    client_ip: str,
    kp: dict[str, Any],
    sig_alg: str,
    hash_b64: str,
) -> str:
    """The release rules and the signature log, checked and written in one transaction."""
    now = state.now_iso()
    with state.db.tx() as c:
        releases = [
            json_row(c, "releases", r[0])
            for r in c.execute(
                "SELECT id FROM releases WHERE account_id=?", (account_id,)
            ).fetchall()
        ]
        open_windows = [
            r
            for r in releases
            if kp["id"] in r["keypair_ids"] and render.release_status(r, now) == "OPEN"
        ]
        mine = [r for r in open_windows if user["id"] in r["signer_ids"]]
        if kp["key_status"] == "OFFLINE" and not mine:
            if open_windows:
                raise ApiError(
                    403,
                    "access_denied",
                    f"you are not a signer of the open release window {open_windows[0]['name']}",
                )
            raise invalid_state(
                f"offline keypair {kp['alias']} signs only inside an open release window"
            )
        release = mine[0] if mine else None
        if release is not None and release.get("max_signatures") is not None:
            used = c.execute(
                "SELECT COUNT(*) FROM signatures WHERE release_id=?", (release["id"],)
            ).fetchone()[0]
            if used >= release["max_signatures"]:
                raise invalid_state(
                    f"release window {release['name']} reached its maximum of "
                    f"{release['max_signatures']} signatures"
                )
        cert_row = c.execute(
            "SELECT id FROM certificates WHERE keypair_id=? AND status='ACTIVE'"
            " AND valid_to>? ORDER BY json_extract(data, '$.default_cert') DESC,"
            " created_on DESC LIMIT 1",
            (kp["id"], now),
        ).fetchone()
        sig_id = new_id()
        Database.insert(
            c,
            "signatures",
            {
                "id": sig_id,
                "account_id": account_id,
                "keypair_id": kp["id"],
                "keypair_alias": kp["alias"],
                "certificate_id": cert_row[0] if cert_row else None,
                "release_id": release["id"] if release else None,
                "user_id": user["id"],
                "sig_alg": sig_alg,
                "hash": hash_b64,
                "status": "SUCCESS",
                "client_ip": client_ip,
                "created_on": now,
                "modified_on": now,
            },
        )
        Database.insert(
            c,
            "audit",
            audit_record(
                entry_id=new_id(),
                account_id=account_id,
                resource_type="SIGNATURE",
                resource_id=sig_id,
                action="SIGN",
                user=user,
                client_ip=client_ip,
                details=f"Hash signed with {kp['alias']} ({sig_alg})",
                created_on=now,
            ),
        )
    return sig_id
