"""The calling user's authenticator app (TOTP), and the step-up code sensitive Account
Manager operations ask for (paths and shapes I; C: the console's 2FA is password plus an
authenticator code).

Enrolment: `POST /user/me/authenticator` issues a fresh secret and its otpauth URI, shown
once; `POST /user/me/authenticator/verify` with a current code completes it; `DELETE`
removes it. Step-up: when the account requires two-factor authentication and the caller has
an enrolled authenticator, the operations in `STEP_UP_OPERATIONS` need a current code in the
`x-totp-code` header (401 `totp_required` without one, 401 `totp_invalid` for a wrong or
used one)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import render, totp
from stm_tui.emulator.context import Caller, CallerDep, EmulatorState, record_audit, state_of
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, invalid_state, not_found, unprocessable
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import StrictBody, json_row

router = APIRouter(prefix="/account/api/v1", tags=["account manager"])

# The operations that ask for a code (documented in docs/api-contract.md).
STEP_UP_OPERATIONS = {
    "mfa_off": "turning the account's two-factor requirement off",
    "deactivate_user": "deactivating a user",
    "revoke_token": "revoking an API token",
    "revoke_client_certificate": "revoking a client authentication certificate",
    "remove_authenticator": "removing an authenticator",
}

TotpHeader = Annotated[
    str | None,
    Header(
        max_length=32,
        description="a current code of the caller's authenticator, for operations that ask",
    ),
]


class VerifyBody(StrictBody):
    code: str = Field(
        min_length=6,
        max_length=6,
        pattern=totp.CODE_PATTERN,
        description="the 6-digit code (ASCII or full-width digits)",
    )


def account_requires_2fa(state: EmulatorState, account_id: str) -> bool:
    account = state.db.get("accounts", account_id) or {}
    methods = account.get("sign_in_methods") or render.default_sign_in_methods(True)
    return any(
        m.get("signInMethod") == "standard" and m.get("mfaStatus") == "enabled" for m in methods
    )


def _accept(state: EmulatorState, user_id: str, code: str, field: str, status: int) -> None:
    """Check `code` against the user's authenticator and burn its time step (in its own
    transaction, so a code is spent even if the operation then fails)."""
    with state.db.tx() as c:
        user = json_row(c, "users", user_id)
        auth = dict(user.get("authenticator") or {})
        verdict, step = totp.check(auth["secret"], code, state.now(), auth.get("last_step"))
        if verdict != totp.ACCEPTED:
            why = (
                "that code's time step was already used: wait for the next code"
                if verdict == totp.REPLAYED
                else "the code does not match (check the device's clock)"
            )
            if status == 401:
                raise ApiError(401, "totp_invalid", f"{field}: {why}")
            raise unprocessable(field, why)
        auth["last_step"] = step
        user["authenticator"] = auth
        Database.update(c, "users", user)


def require_step_up(state: EmulatorState, caller: Caller, code: str | None, operation: str) -> None:
    """401 `totp_required` unless the operation may go ahead: the account does not require
    2FA, the caller has no authenticator, or `code` is a current, unused code."""
    if not (totp.enrolled(caller.user) and account_requires_2fa(state, caller.account_id)):
        return
    if not code:
        raise ApiError(
            401,
            "totp_required",
            f"{STEP_UP_OPERATIONS[operation].capitalize()} needs a current code from your"
            " authenticator app (the account requires two-factor authentication): send it in"
            " the x-totp-code header.",
        )
    _accept(state, caller.id, _header_text(code), "x-totp-code", 401)


def _header_text(value: str) -> str:
    """Header bytes arrive decoded as Latin-1; a client that sent UTF-8 (full-width digits,
    say) gets them read back as it meant them."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _view(user: dict[str, Any]) -> dict[str, Any]:
    auth = user.get("authenticator") or {}
    return {
        "status": auth.get("status", "NONE"),
        "started_on": auth.get("started_on"),
        "enrolled_on": auth.get("enrolled_on"),
        "algorithm": "SHA1",
        "digits": totp.DIGITS,
        "period": totp.PERIOD,
    }


def _human(caller: Caller) -> None:
    if caller.user["user_type"] == "service":
        raise ApiError(
            403,
            "access_denied",
            "A service user has no authenticator: it cannot sign in to the browser.",
        )


@router.get("/user/me/authenticator")
def get_authenticator(request: Request, caller: CallerDep) -> JSONResponse:
    """`status`: NONE, PENDING (started, not verified) or ENROLLED; never the secret."""
    return JSONResponse(_view(caller.user))


@router.post("/user/me/authenticator", status_code=201, responses=documented(422))
def start_enrolment(request: Request, caller: CallerDep) -> JSONResponse:
    """A fresh secret and its otpauth URI, shown this once; starting again replaces a
    pending secret. An enrolled authenticator must be removed first."""
    state = state_of(request)
    _human(caller)
    secret = totp.new_secret()
    now = state.now_iso()
    with state.db.tx() as c:
        user = json_row(c, "users", caller.id)
        if totp.enrolled(user):
            raise invalid_state("an authenticator is already enrolled: remove it first")
        user["authenticator"] = {"status": "PENDING", "secret": secret, "started_on": now}
        user["modified_on"] = now
        Database.update(c, "users", user)
        record_audit(
            c, state, caller, "USER", caller.id, Action.REQUEST, "Authenticator enrolment started"
        )
    account_name = caller.user.get("email") or caller.name
    out = _view(user)
    out.update(
        secret=secret,
        otpauth_uri=totp.otpauth_uri(secret, account_name),
        issuer=totp.ISSUER,
        account_name=account_name,
    )
    return JSONResponse(out, status_code=201)


@router.post("/user/me/authenticator/verify", responses=documented(422))
def verify_enrolment(body: VerifyBody, request: Request, caller: CallerDep) -> JSONResponse:
    """Completes enrolment with a current code (the step before or after also counts)."""
    state = state_of(request)
    _human(caller)
    status = (caller.user.get("authenticator") or {}).get("status")
    if status != "PENDING":
        raise invalid_state(
            "no enrolment is pending: start one with POST /account/api/v1/user/me/authenticator"
        )
    _accept(state, caller.id, body.code, "code", 422)
    now = state.now_iso()
    with state.db.tx() as c:
        user = json_row(c, "users", caller.id)
        user["authenticator"] = dict(user["authenticator"], status="ENROLLED", enrolled_on=now)
        user["modified_on"] = now
        Database.update(c, "users", user)
        record_audit(c, state, caller, "USER", caller.id, Action.SET_UP, "Authenticator enrolled")
    return JSONResponse(_view(user))


def _remove(state: EmulatorState, caller: Caller, user_id: str, code: str | None) -> Response:
    require_step_up(state, caller, code, "remove_authenticator")
    now = state.now_iso()
    with state.db.tx() as c:
        user = json_row(c, "users", user_id)
        if not user.get("authenticator"):
            raise invalid_state(f"{user['name']} has no authenticator")
        user["authenticator"] = None
        user["modified_on"] = now
        Database.update(c, "users", user)
        record_audit(
            c,
            state,
            caller,
            "USER",
            user_id,
            Action.DELETE,
            f"Authenticator of {user['name']} removed",
        )
    return Response(status_code=204)


@router.delete("/user/me/authenticator", status_code=204, responses=documented(422))
def remove_my_authenticator(
    request: Request, caller: CallerDep, x_totp_code: TotpHeader = None
) -> Response:
    return _remove(state_of(request), caller, caller.id, x_totp_code)


@router.delete("/user/{user_id}/authenticator", status_code=204, responses=documented(404, 422))
def reset_authenticator(
    user_id: Annotated[str, Path(max_length=64)],
    request: Request,
    caller: CallerDep,
    x_totp_code: TotpHeader = None,
) -> Response:
    """An administrator resets another user's authenticator (a lost phone)."""
    state = state_of(request)
    caller.require("MANAGE_AM_USER")
    user = state.db.get("users", user_id)
    if user is None or caller.account_id not in user["account_ids"]:
        raise not_found("User", user_id)
    return _remove(state, caller, user_id, x_totp_code)
