"""Signing: `POST /keypairs/{id}/sign` (C), the release-window rules and the signature log.

Every attempt on a keypair the caller can see is logged, refused ones too (C: the console's
signature log shows failed attempts): a missing second factor, a keypair not assigned to
the caller, an OFFLINE keypair outside an open release window, a caller who is not a signer
of that window, a window whose maximum is reached."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, Field

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    missing_second_factor,
    state_of,
)
from stm_tui.emulator.db import Database, next_sequence
from stm_tui.emulator.errors import ApiError, invalid_state, unprocessable
from stm_tui.emulator.fields import Base64
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action, SignFailure, audit_record, signature_record
from stm_tui.emulator.routes_common import StrictBody, json_row
from stm_tui.emulator.routes_keypairs import KeypairRef, find_keypair
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["signing"])

# The documented spellings (C: DigiCert's list, jsign's `SHA256withRSA`); the server matches
# any casing of them.
SIG_ALG_NAMES = tuple(
    sorted(
        {
            f"{h}{w}RSA"
            for h in ("SHA1", "SHA224", "SHA256", "SHA384", "SHA512")
            for w in ("with", "With")
        }
        | {f"{h}WithRSA" for h in ("SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512")}
        | {f"{h}{w}ECDSA" for h in ("SHA256", "SHA384", "SHA512") for w in ("with", "With")}
        | {"ED25519"}
    )
)


_KNOWN = {name.lower() for name in SIG_ALG_NAMES}


def _known_sig_alg(value: str) -> str:
    if value.lower() not in _KNOWN:
        raise ValueError("must be one of " + ", ".join(SIG_ALG_NAMES) + " (any casing)")
    return value


SigAlg = Annotated[
    str,
    Field(
        max_length=32,
        json_schema_extra={"enum": list(SIG_ALG_NAMES)},
        description="matched case-insensitively (I); must fit the keypair's algorithm",
    ),
    AfterValidator(_known_sig_alg),
]


class SignRequest(StrictBody):
    hash: Base64 = Field(description="base64 of the digest, whose length fits sig_alg")
    sig_alg: SigAlg


class Refused(Exception):
    """A signing attempt the rules refuse: logged as FAILED, then answered with `error`."""

    def __init__(self, reason: str, error: ApiError, release_id: str | None = None) -> None:
        super().__init__(error.message)
        self.reason = reason
        self.error = error
        # The window the attempt was refused in (so a monitor of it shows the attempt).
        self.release_id = release_id


async def _second_factor(request: Request, caller: CallerDep, keypair_id: KeypairRef) -> None:
    """Checked before the body, like the other two-factor operations; an attempt on a
    keypair the caller can see is logged (with the body's hash and algorithm when valid)."""
    caller.require_somewhere("SIGN_SM_HASH")
    if not (caller.second_factor_checked and caller.client_cert is None):
        return
    state = state_of(request)
    error = missing_second_factor("sign operation")
    try:
        kp = find_keypair(state, caller, keypair_id)
    except ApiError:
        raise error from None
    hash_b64, sig_alg = _attempted(await request.body())
    record_refusal(
        state,
        caller.account_id,
        caller.user,
        caller.client_ip,
        kp,
        sig_alg,
        hash_b64,
        Refused(SignFailure.MISSING_SECOND_FACTOR, error),
    )
    raise error


def _attempted(raw: bytes) -> tuple[str, str]:
    """(hash, sig_alg) of a refused request's body, each only if valid (the log shows them
    to other people), else ""."""
    try:
        data = SignRequest.model_validate_json(raw)
    except ValueError:
        return "", ""
    return data.hash, data.sig_alg


@router.post(
    "/keypairs/{keypair_id}/sign",
    responses=documented(404, 422),
    dependencies=[Depends(_second_factor)],
)
def sign_hash(
    keypair_id: KeypairRef, body: SignRequest, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    kp = find_keypair(state, caller, keypair_id)
    digest = base64.b64decode(body.hash)
    key_alg = crypto.SIG_ALGS.get(body.sig_alg.lower(), ("", None))[0]
    if key_alg != kp["key_alg"]:
        raise unprocessable("sig_alg", f"{body.sig_alg} does not fit a {kp['key_alg']} keypair")
    key = state.signing_key(kp["key_ref"])
    try:
        signature = crypto.sign_digest(key, kp["key_alg"], body.sig_alg, digest)
    except crypto.SignError as exc:
        raise ApiError(422, "invalid_input_field", str(exc)) from None
    sig_id = sign_and_record(
        state, caller, kp, body.sig_alg, body.hash, crypto.b64(signature), caller.client_ip
    )
    return JSONResponse({"id": sig_id, "signature": crypto.b64(signature)})


def sign_and_record(
    state: EmulatorState,
    caller: Caller | dict[str, Any],
    kp: dict[str, Any],
    sig_alg: str,
    hash_b64: str,
    signature_b64: str,
    client_ip: str,
) -> str:
    """The release rules and the signature log, checked and written in one transaction; a
    refusal is logged in a transaction of its own, then raised. `caller` is the API caller,
    or (the activity simulator) a user record."""
    user = caller.user if isinstance(caller, Caller) else caller
    try:
        with state.db.tx() as c:
            return sign_in(c, state, user, caller, kp, sig_alg, hash_b64, signature_b64, client_ip)
    except Refused as refused:
        record_refusal(state, kp["account_id"], user, client_ip, kp, sig_alg, hash_b64, refused)
        raise refused.error from None


def _not_assigned(caller: Caller, kp: dict[str, Any]) -> Refused:
    teams = caller.teams & set(kp["team_ids"])
    if teams and kp["limit_by_users"] and caller.id not in kp["user_ids"]:
        message = (
            f"keypair {kp['alias']} belongs to your team, but your member permissions there"
            " do not include sign"
        )
    else:
        message = f"keypair {kp['alias']} is limited to its users and teams"
    return Refused(SignFailure.NOT_ASSIGNED, ApiError(403, "access_denied", message))


def window_scan_failed(c: Any, release: dict[str, Any]) -> dict[str, Any] | None:
    """The window's latest (not deleted) threat scan, if it failed."""
    row = c.execute(
        "SELECT data FROM scans WHERE release_id=? AND json_extract(data, '$.deleted')=0"
        " ORDER BY created_on DESC, rowid DESC LIMIT 1",
        (release["id"],),
    ).fetchone()
    scan = json.loads(row[0]) if row else None
    return scan if scan is not None and scan["status"] == "FAIL" else None


def sign_in(
    c: Any,
    state: EmulatorState,
    user: dict[str, Any],
    caller: Caller | dict[str, Any],
    kp: dict[str, Any],
    sig_alg: str,
    hash_b64: str,
    signature_b64: str,
    client_ip: str,
) -> str:
    """Check the rules and write one signature inside transaction `c` (raises Refused)."""
    account_id = kp["account_id"]
    now = state.now_iso()
    if isinstance(caller, Caller) and not render.may_use_keypair(caller, kp):
        raise _not_assigned(caller, kp)
    releases = [
        json_row(c, "releases", r[0])
        for r in c.execute("SELECT id FROM releases WHERE account_id=?", (account_id,)).fetchall()
    ]
    open_windows = [
        r
        for r in releases
        if kp["id"] in r["keypair_ids"] and render.release_status(r, now) == "OPEN"
    ]
    mine = [r for r in open_windows if user["id"] in r["signer_ids"]]
    if kp["key_status"] == "OFFLINE":
        offline = [r for r in open_windows if r["release_type"] == "OFFLINE"]
        mine = [r for r in mine if r["release_type"] == "OFFLINE"]
        if offline and not mine:
            raise Refused(
                SignFailure.NOT_A_RELEASE_SIGNER,
                ApiError(
                    403,
                    "access_denied",
                    f"you are not a signer of the open release window {offline[0]['name']}",
                ),
                offline[0]["id"],
            )
        if not mine:
            raise Refused(
                SignFailure.OUTSIDE_RELEASE_WINDOW,
                invalid_state(
                    f"keypair {kp['alias']} is OFFLINE: it signs only inside an open"
                    " offline release window that lists it and you"
                ),
            )
    release = mine[0] if mine else None
    if release is not None and release.get("max_signatures") is not None:
        used = c.execute(
            "SELECT COUNT(*) FROM signatures WHERE release_id=?"
            " AND json_extract(data, '$.status')='SUCCESS'",
            (release["id"],),
        ).fetchone()[0]
        if used >= release["max_signatures"]:
            raise Refused(
                SignFailure.QUOTA_EXCEEDED,
                invalid_state(
                    f"release window {release['name']} reached its maximum of "
                    f"{release['max_signatures']} signatures"
                ),
                release["id"],
            )
    if release is not None and release.get("block_on_failed_scan"):
        failed = window_scan_failed(c, release)
        if failed is not None:
            raise Refused(
                SignFailure.SCAN_FAILED,
                invalid_state(
                    f"release window {release['name']} blocks signing while its threat scan"
                    f" fails: scan {failed['alias']} is FAIL (risk {failed['risk_level']})"
                ),
                release["id"],
            )
    sig_id = new_id()
    Database.insert(
        c,
        "signatures",
        signature_record(
            sig_id=sig_id,
            account_id=account_id,
            keypair=kp,
            certificate_id=_signing_certificate(c, kp["id"], now),
            release_id=release["id"] if release else None,
            user_id=user["id"],
            sig_alg=sig_alg,
            hash_b64=hash_b64,
            signature_b64=signature_b64,
            client_ip=client_ip,
            created_on=now,
            sequence=next_sequence(c),
        ),
    )
    Database.insert(
        c,
        "audit",
        audit_record(
            entry_id=new_id(),
            account_id=account_id,
            resource_type="SIGNATURE",
            resource_id=sig_id,
            action=Action.SIGN,
            user=user,
            client_ip=client_ip,
            details=f"Hash signed with {kp['alias']} ({sig_alg})",
            created_on=now,
        ),
    )
    return sig_id


def _open_window_of(c: Any, kp: dict[str, Any], now: str) -> str | None:
    rows = c.execute(
        "SELECT data FROM releases WHERE account_id=? ORDER BY created_on, id", (kp["account_id"],)
    ).fetchall()
    for rel in (json.loads(r[0]) for r in rows):
        if kp["id"] in rel["keypair_ids"] and render.release_status(rel, now) == "OPEN":
            return str(rel["id"])
    return None


def _signing_certificate(c: Any, keypair_id: str, now: str) -> str | None:
    row = c.execute(
        "SELECT id FROM certificates WHERE keypair_id=? AND status='ACTIVE'"
        " AND valid_to>? ORDER BY json_extract(data, '$.default_cert') DESC,"
        " created_on DESC LIMIT 1",
        (keypair_id, now),
    ).fetchone()
    return row[0] if row else None


def record_refusal(
    state: EmulatorState,
    account_id: str,
    user: dict[str, Any],
    client_ip: str,
    kp: dict[str, Any],
    sig_alg: str,
    hash_b64: str,
    refused: Refused,
) -> str:
    """A FAILED signature-log row and a FAILURE audit entry for a refused attempt."""
    with state.db.tx() as c:
        return refusal_in(c, state, account_id, user, client_ip, kp, sig_alg, hash_b64, refused)


def refusal_in(
    c: Any,
    state: EmulatorState,
    account_id: str,
    user: dict[str, Any],
    client_ip: str,
    kp: dict[str, Any],
    sig_alg: str,
    hash_b64: str,
    refused: Refused,
) -> str:
    now = state.now_iso()
    sig_id = new_id()
    release_id = refused.release_id
    if release_id is None and refused.reason != SignFailure.OUTSIDE_RELEASE_WINDOW:
        # An attempt on a keypair of an open window shows in that window's log.
        release_id = _open_window_of(c, kp, now)
    Database.insert(
        c,
        "signatures",
        signature_record(
            sig_id=sig_id,
            account_id=account_id,
            keypair=kp,
            certificate_id=_signing_certificate(c, kp["id"], now),
            release_id=release_id,
            user_id=user["id"],
            sig_alg=sig_alg,
            hash_b64=hash_b64,
            signature_b64=None,
            client_ip=client_ip,
            created_on=now,
            failure=refused.reason,
            failure_message=refused.error.message,
            sequence=next_sequence(c),
        ),
    )
    Database.insert(
        c,
        "audit",
        audit_record(
            entry_id=new_id(),
            account_id=account_id,
            resource_type="SIGNATURE",
            resource_id=sig_id,
            action=Action.SIGN,
            user=user,
            client_ip=client_ip,
            details=f"Signing with {kp['alias']} refused: {refused.error.message}",
            created_on=now,
            status="FAILURE",
        ),
    )
    return sig_id
