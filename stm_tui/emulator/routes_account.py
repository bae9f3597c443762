"""Account Manager (`/account/api/v1`): users, roles, accounts, API tokens, client
authentication certificates, audit log. Lists are bare JSON arrays (C).

Administering people and credentials takes an Account Manager role (Account Administrator:
MANAGE_AM_USER, MANAGE_AM_ACCOUNT); STM roles grant none of it (C: N9). Every member may
list the people, roles and accounts of their accounts, and manage their own API tokens and
client certificates, except a service user, which *is* its token (C: N11)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    json_list_response,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, conflict, invalid_state, not_found, unprocessable
from stm_tui.emulator.fields import CredentialName, Day, Email, Ref, name, text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.rbac import (
    ALL_ROLE_NAMES,
    AM_ROLE_CODES,
    AM_ROLE_PERMISSIONS,
    ROLE_IDS,
    ROLE_PERMISSIONS,
    STM_ROLE_CODES,
)
from stm_tui.emulator.records import Action, api_token_record, client_cert_record, new_api_key
from stm_tui.emulator.routes_authenticator import TotpHeader, require_step_up
from stm_tui.emulator.util import iso, new_id

router = APIRouter(prefix="/account/api/v1", tags=["account manager"])

Id = Annotated[str, Path(max_length=64)]
FilterStr = Annotated[str | None, Query(max_length=100)]
RoleCode = Literal[STM_ROLE_CODES + AM_ROLE_CODES]  # type: ignore[valid-type]
UserName = name(128)
Description = text(1000, multiline=True)
AM_RESOURCES = ("USER", "API_TOKEN", "CLIENT_CERTIFICATE", "ACCOUNT")


class AmBody(BaseModel):
    model_config = ConfigDict(extra="ignore")


def visible_users(request: Request, caller: Caller) -> list[dict[str, Any]]:
    state = state_of(request)
    return state.db.select(
        "users",
        "id IN (SELECT user_id FROM user_accounts WHERE account_id=?)",
        (caller.account_id,),
    )


@router.get("/user/me")
def get_me(request: Request, caller: CallerDep) -> JSONResponse:
    return JSONResponse(render.user(render.Lookup(state_of(request)), caller.user))


@router.get("/user", responses=documented(list_=True))
def list_users(
    request: Request,
    caller: CallerDep,
    user_type: Literal["standard", "service"] | None = None,
    status: Literal["ACTIVE", "DISABLED"] | None = None,
) -> Response:
    lk = render.Lookup(state_of(request))
    rows = [
        u
        for u in visible_users(request, caller)
        if (user_type is None or u["user_type"] == user_type)
        and (status is None or u["status"] == status)
    ]
    return json_list_response(request, [render.user(lk, u) for u in rows])


@router.get("/user/{user_id}", responses=documented(404))
def get_user(user_id: Id, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = state.db.get("users", user_id)
    if rec is None or not set(rec["account_ids"]) & set(caller.account_ids):
        raise not_found("User", user_id)
    return JSONResponse(render.user(render.Lookup(state), rec))


# ---- users: create and update -------------------------------------------------------------


class UserCreate(AmBody):
    user_type: Literal["standard", "service"] = "standard"
    email: Email | None = None
    name: UserName | None = None  # type: ignore[valid-type]
    friendly_name: CredentialName | None = None
    description: Description | None = None  # type: ignore[valid-type]
    end_date: Day | None = None
    account_ids: Annotated[list[Ref], Field(max_length=20)] = []
    roles: Annotated[list[RoleCode], Field(max_length=10)] = []  # type: ignore[valid-type]


class UserUpdate(AmBody):
    status: Literal["ACTIVE", "DISABLED"] | None = None
    roles: Annotated[list[RoleCode], Field(max_length=10)] | None = None  # type: ignore[valid-type]
    description: Description | None = None  # type: ignore[valid-type]
    end_date: Day | None = None


def end_of_day(value: str | None) -> str | None:
    """A date (or timestamp) -> 23:59:59Z that day (C: tokens and service users)."""
    return None if value is None else f"{value[:10]}T23:59:59Z"


def _future(state: EmulatorState, field: str, end: str | None) -> str | None:
    if end is not None and end <= state.now_iso():
        raise unprocessable(field, "must be today or later")
    return end


@router.post("/user", status_code=201, responses=documented(409, 422))
def create_user(body: UserCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_AM_USER")
    accounts = list(dict.fromkeys(body.account_ids or [caller.account_id]))
    for acc in accounts:
        if acc not in caller.account_ids:
            raise unprocessable("account_ids", f"not an account of the caller: {acc}")
    if body.user_type == "standard":
        if body.email is None:
            raise unprocessable("email", "required for a standard user")
        user_name = body.name or body.email.split("@")[0]
        friendly = None
    else:
        if body.friendly_name is None:
            raise unprocessable("friendly_name", "required for a service user")
        user_name = friendly = body.friendly_name
    end_date = _future(state, "end_date", end_of_day(body.end_date))
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": accounts[0],
        "name": user_name,
        "email": body.email,
        "status": "ACTIVE",
        "user_type": body.user_type,
        "friendly_name": friendly,
        "description": body.description,
        "primary_account_id": accounts[0],
        "account_ids": accounts,
        "roles": list(dict.fromkeys(body.roles)),
        "team_ids": [],
        "led_team_ids": [],
        "created_on": now,
        "modified_on": now,
        "created_by": caller.id,
        "end_date": end_date,
        "authenticator": None,
    }
    token_value = None
    with state.db.tx() as c:
        # A standard user's e-mail is their sign-in; a service user's is only where alerts
        # go, and several service users may share a team mailbox.
        if (
            body.user_type == "standard"
            and c.execute(
                "SELECT 1 FROM users WHERE email=? AND user_type='standard'", (body.email,)
            ).fetchone()
        ):
            raise conflict(f"a user with e-mail {body.email} already exists")
        if (
            friendly
            and c.execute("SELECT 1 FROM users WHERE friendly_name=?", (friendly,)).fetchone()
        ):
            raise conflict(f"a service user named {friendly} already exists")
        Database.insert(c, "users", rec)
        for acc in accounts:
            c.execute("INSERT INTO user_accounts VALUES (?, ?)", (rec["id"], acc))
        if body.user_type == "service":  # the service user is its token (C)
            token_value, digest, hint = new_api_key()
            Database.insert(
                c,
                "api_tokens",
                api_token_record(
                    token_id=new_id(),
                    user=rec,
                    name=f"{friendly} token",
                    key_hash=digest,
                    hint=hint,
                    created_on=now,
                    end_date=end_date,
                ),
            )
        record_audit(
            c, state, caller, "USER", rec["id"], Action.GENERATE, f"User {user_name} created"
        )
    out = render.user(render.Lookup(state), rec)
    if token_value is not None:
        out["api_token"] = token_value  # shown once (C)
    return JSONResponse(out, status_code=201)


@router.put("/user/{user_id}", responses=documented(404, 422))
def update_user(
    user_id: Id,
    body: UserUpdate,
    request: Request,
    caller: CallerDep,
    x_totp_code: TotpHeader = None,
) -> JSONResponse:
    """Roles, description, end date, or `status` DISABLED: deactivation is irreversible (a
    deactivated user cannot be re-activated; its API tokens and client certificates are
    revoked at once)."""
    state = state_of(request)
    caller.require("MANAGE_AM_USER")
    rec = state.db.get("users", user_id)
    if rec is None or caller.account_id not in rec["account_ids"]:
        raise not_found("User", user_id)
    deactivate = body.status == "DISABLED" and rec["status"] != "DISABLED"
    if rec["status"] == "DISABLED" and (
        body.status == "ACTIVE" or body.roles is not None or body.end_date is not None
    ):
        raise invalid_state(
            f"user {rec['name']} is deactivated, which cannot be undone: create a new user"
        )
    if body.status == "DISABLED" and rec["id"] == caller.id:
        raise invalid_state("status: you cannot disable yourself")
    if body.roles is not None:
        if rec["id"] == caller.id and set(body.roles) != set(rec.get("roles", [])):
            # As in STM's teams, nobody edits their own permissions (C: team permissions).
            raise invalid_state("roles: you cannot change your own roles")
        rec["roles"] = list(dict.fromkeys(body.roles))
    if body.description is not None:
        rec["description"] = body.description
    if body.end_date is not None:
        rec["end_date"] = _future(state, "end_date", end_of_day(body.end_date))
    if deactivate:
        require_step_up(state, caller, x_totp_code, "deactivate_user")
        rec["status"] = "DISABLED"
    now = state.now_iso()
    rec["modified_on"] = now
    with state.db.tx() as c:
        Database.update(c, "users", rec)
        revoked = _revoke_credentials(c, rec["id"], now) if deactivate else 0
        record_audit(
            c,
            state,
            caller,
            "USER",
            rec["id"],
            Action.UPDATE,
            f"User {rec['name']} deactivated ({revoked} credentials revoked)"
            if deactivate
            else f"User {rec['name']} updated",
        )
    return JSONResponse(render.user(render.Lookup(state), rec))


def _revoke_credentials(c: Any, user_id: str, now: str) -> int:
    """A deactivated user's tokens and client certificates stop working for good."""
    count = 0
    for table in ("api_tokens", "client_certs"):
        rows = c.execute(f"SELECT data FROM {table} WHERE user_id=?", (user_id,)).fetchall()
        for rec in [json.loads(r[0]) for r in rows]:
            if rec["status"] == "ACTIVE":
                rec.update(status="REVOKED", modified_on=now)
                Database.update(c, table, rec)
                count += 1
    return count


# ---- roles and accounts -----------------------------------------------------------------


@router.get("/role", responses=documented(list_=True))
def list_roles(
    request: Request,
    caller: CallerDep,
    application_code: Literal["software_trust", "account_manager"] | None = None,
) -> Response:
    roles = [
        {
            "id": ROLE_IDS[code],
            "code": code,
            "name": ALL_ROLE_NAMES[code],
            "application_code": app,
            "permissions": sorted(perms),
        }
        for app, table in (
            ("software_trust", ROLE_PERMISSIONS),
            ("account_manager", AM_ROLE_PERMISSIONS),
        )
        for code, perms in table.items()
    ]
    if application_code is not None:
        roles = [r for r in roles if r["application_code"] == application_code]
    return json_list_response(request, roles)


def _render_account(state: EmulatorState, rec: dict[str, Any]) -> dict[str, Any]:
    admins = [
        u
        for u in state.db.select(
            "users", "id IN (SELECT user_id FROM user_accounts WHERE account_id=?)", (rec["id"],)
        )
        if "AM_ACCOUNT_ADMINISTRATOR" in u.get("roles", []) and u["status"] == "ACTIVE"
    ]
    return render.account(rec, admins)


@router.get("/account", responses=documented(list_=True))
def list_accounts(request: Request, caller: CallerDep) -> Response:
    state = state_of(request)
    rows = [state.db.get("accounts", a) for a in caller.account_ids]
    return json_list_response(request, [_render_account(state, r) for r in rows if r])


@router.get("/account/{account_ref}", responses=documented(404))
def get_account(account_ref: Id, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = state.db.get("accounts", account_ref)
    if rec is None or account_ref not in caller.account_ids:
        raise not_found("Account", account_ref)
    return JSONResponse(_render_account(state, rec))


class SignInMethodUpdate(AmBody):
    signInMethod: Literal["standard"]
    mfaStatus: Literal["enabled", "disabled"] | None = None
    clientAuthCertLoginEnabled: bool | None = None


class AccountUpdate(AmBody):
    sign_in_methods: Annotated[list[SignInMethodUpdate], Field(max_length=5)] | None = None
    locale: Literal["en_US", "de_DE", "fr_FR", "ja_JP", "nl_NL"] | None = None


@router.put("/account/{account_ref}", responses=documented(404))
def update_account(
    account_ref: Id,
    body: AccountUpdate,
    request: Request,
    caller: CallerDep,
    x_totp_code: TotpHeader = None,
) -> JSONResponse:
    """The account's sign-in settings: two-factor authentication is the `mfaStatus` of the
    standard sign-in method (C: N10 shape; the path and body are I)."""
    state = state_of(request)
    caller.require("MANAGE_AM_ACCOUNT")
    rec = state.db.get("accounts", account_ref)
    if rec is None or account_ref not in caller.account_ids:
        raise not_found("Account", account_ref)
    methods = [dict(m) for m in rec.get("sign_in_methods") or render.default_sign_in_methods(True)]
    changes = []
    for update in body.sign_in_methods or []:
        for method in methods:
            if method["signInMethod"] != update.signInMethod:
                continue
            if update.mfaStatus is not None:
                if update.mfaStatus == "disabled" and method.get("mfaStatus") == "enabled":
                    require_step_up(state, caller, x_totp_code, "mfa_off")
                method["mfaStatus"] = update.mfaStatus
                changes.append(f"two-factor authentication {update.mfaStatus}")
            if update.clientAuthCertLoginEnabled is not None:
                method["clientAuthCertLoginEnabled"] = update.clientAuthCertLoginEnabled
                changes.append(
                    "certificate sign-in "
                    + ("enabled" if update.clientAuthCertLoginEnabled else "disabled")
                )
    rec["sign_in_methods"] = methods
    if body.locale is not None:
        rec["locale"] = body.locale
        changes.append(f"locale {body.locale}")
    rec["modified_on"] = state.now_iso()
    with state.db.tx() as c:
        Database.update(c, "accounts", rec)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            rec["id"],
            Action.UPDATE,
            f"Account {rec['name']} updated: " + (", ".join(changes) or "no change"),
        )
    return JSONResponse(_render_account(state, rec))


# ---- API tokens and client certificates ---------------------------------------------------


class TokenCreate(AmBody):
    name: CredentialName
    user_id: Ref | None = None
    end_date: Day | None = Field(None, description="the token expires at 23:59:59 UTC that day")


class ClientCertCreate(AmBody):
    """The PKCS#12 password is generated by the service and shown once (C: N13); a
    `password` sent by the caller is ignored."""

    name: CredentialName
    user_id: Ref | None = None
    token_id: Ref | None = Field(
        None, description="the API token it belongs to (default: the one making this call)"
    )
    end_date: Day | None = Field(None, description="no later than the token's end date")


def _subject_user(request: Request, caller: Caller, user_id: str | None) -> dict[str, Any]:
    """Yourself, or (MANAGE_AM_USER) another user of your account."""
    if user_id is None or user_id == caller.id:
        return caller.user
    caller.require("MANAGE_AM_USER")
    user = state_of(request).db.get("users", user_id)
    if user is None or caller.account_id not in user["account_ids"]:
        raise unprocessable("user_id", f"unknown user id {user_id}")
    return user


def _not_a_service_user(caller: Caller, what: str) -> None:
    if caller.user["user_type"] == "service":
        raise ApiError(
            403,
            "access_denied",
            f"A service user cannot create {what}: service users are the token.",
        )


@router.get("/api-token", responses=documented(422, list_=True))
def list_tokens(request: Request, caller: CallerDep, user_id: FilterStr = None) -> Response:
    state = state_of(request)
    user = _subject_user(request, caller, user_id)
    now = state.now_iso()
    rows = state.db.select("api_tokens", "user_id=?", (user["id"],))
    return json_list_response(request, [render.api_token(r, now) for r in rows])


@router.post("/api-token", status_code=201, responses=documented(409, 422))
def create_token(body: TokenCreate, request: Request, caller: CallerDep) -> JSONResponse:
    """Name unique per user, letters, digits, spaces, `-`, `_`; optional end date; the value
    is shown once (C: N12)."""
    state = state_of(request)
    _not_a_service_user(caller, "API tokens")
    user = _subject_user(request, caller, body.user_id)
    if user["user_type"] == "service":
        raise unprocessable("user_id", "a service user's token is made with the service user")
    end_date = _future(state, "end_date", end_of_day(body.end_date))
    value, digest, hint = new_api_key()
    rec = api_token_record(
        token_id=new_id(),
        user=user,
        name=body.name,
        key_hash=digest,
        hint=hint,
        created_on=state.now_iso(),
        end_date=end_date,
    )
    with state.db.tx() as c:
        if c.execute(
            "SELECT 1 FROM api_tokens WHERE user_id=? AND json_extract(data, '$.name')=?",
            (user["id"], body.name),
        ).fetchone():
            raise conflict(f"an API token named {body.name} already exists")
        Database.insert(c, "api_tokens", rec)
        record_audit(
            c,
            state,
            caller,
            "API_TOKEN",
            rec["id"],
            Action.GENERATE,
            f"API token {body.name} created for {user['name']}",
        )
    out = render.api_token(rec, state.now_iso())
    out["token"] = value  # shown once
    return JSONResponse(out, status_code=201)


def _owned_credential(
    state: EmulatorState, caller: Caller, table: str, item_id: str, kind: str
) -> dict[str, Any]:
    rec = state.db.get(table, item_id)
    if rec is None:
        raise not_found(kind, item_id)
    if rec["user_id"] != caller.id:
        owner = state.db.get("users", rec["user_id"])
        if owner is None or caller.account_id not in owner["account_ids"]:
            raise not_found(kind, item_id)
        caller.require("MANAGE_AM_USER")
    return rec


@router.delete("/api-token/{token_id}", status_code=204, responses=documented(404))
def delete_token(
    token_id: Id, request: Request, caller: CallerDep, x_totp_code: TotpHeader = None
) -> Response:
    """Deleting a token revokes the client certificates that belong to it."""
    state = state_of(request)
    rec = _owned_credential(state, caller, "api_tokens", token_id, "API token")
    require_step_up(state, caller, x_totp_code, "revoke_token")
    now = state.now_iso()
    with state.db.tx() as c:
        c.execute("DELETE FROM api_tokens WHERE id=?", (token_id,))
        rows = c.execute("SELECT data FROM client_certs WHERE token_id=?", (token_id,))
        for cert in [json.loads(r[0]) for r in rows.fetchall()]:
            if cert["status"] == "ACTIVE":
                cert.update(status="REVOKED", modified_on=now)
                Database.update(c, "client_certs", cert)
        record_audit(
            c,
            state,
            caller,
            "API_TOKEN",
            token_id,
            Action.DELETE,
            f"API token {rec['name']} deleted",
        )
    return Response(status_code=204)


@router.get("/client-certificate", responses=documented(422, list_=True))
def list_client_certs(request: Request, caller: CallerDep, user_id: FilterStr = None) -> Response:
    state = state_of(request)
    user = _subject_user(request, caller, user_id)
    now = state.now_iso()
    rows = state.db.select("client_certs", "user_id=?", (user["id"],))
    return json_list_response(request, [render.client_cert(r, now) for r in rows])


def _owning_token(
    state: EmulatorState, caller: Caller, user: dict[str, Any], token_id: str | None
) -> dict[str, Any]:
    now = state.now_iso()

    def usable(t: dict[str, Any] | None) -> bool:
        return (
            t is not None
            and t["user_id"] == user["id"]
            and t["status"] == "ACTIVE"
            and (t.get("end_date") or "9") > now
        )

    if token_id is not None:
        token = state.db.get("api_tokens", token_id)
        if not usable(token):
            raise unprocessable("token_id", f"no active API token {token_id} of {user['name']}")
        assert token is not None
        return token
    if user["id"] == caller.id and caller.token_id is not None:
        own = state.db.get("api_tokens", caller.token_id)
        if own is not None:
            return own
    tokens = [t for t in state.db.select("api_tokens", "user_id=?", (user["id"],)) if usable(t)]
    if not tokens:
        raise unprocessable("token_id", f"{user['name']} has no active API token")
    return tokens[-1]


@router.post("/client-certificate", status_code=201, responses=documented(422))
def create_client_cert(body: ClientCertCreate, request: Request, caller: CallerDep) -> JSONResponse:
    """A client authentication certificate of an API token: it ends no later than the
    token, and comes as a `.p12` whose password the service generates; both are shown once
    (C: N13)."""
    from stm_tui.emulator.tls import tls_authority

    state = state_of(request)
    _not_a_service_user(caller, "client authentication certificates")
    user = _subject_user(request, caller, body.user_id)
    token = _owning_token(state, caller, user, body.token_id)
    now = state.now()
    token_end = token.get("end_date")
    default_end = now + timedelta(days=365)
    if body.end_date is not None:
        not_after = datetime.strptime(body.end_date[:10], "%Y-%m-%d").replace(
            hour=23, minute=59, second=59, tzinfo=UTC
        )
        if not_after <= now:
            raise unprocessable("end_date", "must be today or later")
        if token_end and iso(not_after) > token_end:
            raise unprocessable(
                "end_date", f"must not be later than the API token's end date {token_end[:10]}"
            )
    else:
        not_after = default_end
        if token_end and iso(default_end) > token_end:
            not_after = datetime.strptime(token_end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    password = secrets.token_urlsafe(18)
    # Back-dated a day: peers with a slightly slow clock must not see "not yet valid".
    p12, cert = crypto.issue_client_p12(
        tls_authority(state.db, now), user["name"], password, now - timedelta(days=1), not_after
    )
    rec = client_cert_record(
        cert_id=new_id(),
        account_id=caller.account_id,
        name=body.name,
        user_id=user["id"],
        token_id=token["id"],
        cert_der=cert.public_bytes(serialization.Encoding.DER),
        serial=cert.serial_number,
        subject=cert.subject.rfc4514_string(),
        valid_from=iso(now),
        valid_to=iso(not_after),
    )
    with state.db.tx() as c:
        Database.insert(c, "client_certs", rec)
        record_audit(
            c,
            state,
            caller,
            "CLIENT_CERTIFICATE",
            rec["id"],
            Action.GENERATE,
            f"Client authentication certificate {body.name} created for {user['name']}",
        )
    out = render.client_cert(rec, iso(now))
    out["p12"] = crypto.b64(p12)  # shown once
    out["password"] = password  # shown once (C: generated by the service)
    return JSONResponse(out, status_code=201)


@router.delete("/client-certificate/{cert_id}", status_code=204, responses=documented(404, 422))
def revoke_client_cert(
    cert_id: Id, request: Request, caller: CallerDep, x_totp_code: TotpHeader = None
) -> Response:
    state = state_of(request)
    rec = _owned_credential(state, caller, "client_certs", cert_id, "Client certificate")
    if rec["status"] != "ACTIVE":
        raise invalid_state(f"client certificate {rec['name']} is already {rec['status']}")
    require_step_up(state, caller, x_totp_code, "revoke_client_certificate")
    with state.db.tx() as c:
        rec.update(status="REVOKED", modified_on=state.now_iso())
        Database.update(c, "client_certs", rec)
        record_audit(
            c,
            state,
            caller,
            "CLIENT_CERTIFICATE",
            cert_id,
            Action.DELETE,
            f"Client authentication certificate {rec['name']} revoked",
        )
    return Response(status_code=204)


@router.get("/audit-log", responses=documented(list_=True))
def account_audit(
    request: Request,
    caller: CallerDep,
    resource_type: Literal[AM_RESOURCES] | None = None,  # type: ignore[valid-type]
    user_id: FilterStr = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> Response:
    """Account Manager's own events (users, tokens, certificates, accounts)."""
    state = state_of(request)
    caller.require("VIEW_AM_AUDIT_LOG")
    marks = ",".join("?" * len(AM_RESOURCES))
    where, params = (
        ["account_id=?", f"resource_type IN ({marks})"],
        [
            caller.account_id,
            *AM_RESOURCES,
        ],
    )
    for col, value in (("resource_type", resource_type), ("user_id", user_id)):
        if value is not None:
            where.append(f"{col}=?")
            params.append(value)
    rows = state.db.select(
        "audit", " AND ".join(where), params, order="created_on DESC, id DESC", limit=limit
    )
    return json_list_response(request, [render.audit(r) for r in rows])
