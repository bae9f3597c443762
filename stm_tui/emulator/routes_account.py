"""Account Manager (`/account/api/v1`): users, roles, accounts, API tokens, client
certificates, audit log. Lists are bare JSON arrays (C)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    json_list_response,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, bad_input, conflict, not_found
from stm_tui.emulator.rbac import ROLE_IDS, ROLE_NAMES, ROLE_PERMISSIONS
from stm_tui.emulator.records import api_token_record, new_api_key
from stm_tui.emulator.util import iso, new_id

router = APIRouter(prefix="/account/api/v1", tags=["account manager"])


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


@router.get("/user")
def list_users(
    request: Request,
    caller: CallerDep,
    user_type: str | None = None,
    status: str | None = None,
) -> Response:
    lk = render.Lookup(state_of(request))
    rows = [
        u
        for u in visible_users(request, caller)
        if (user_type is None or u["user_type"] == user_type)
        and (status is None or u["status"] == status)
    ]
    return json_list_response(request, [render.user(lk, u) for u in rows])


@router.get("/user/{user_id}")
def get_user(user_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    rec = state.db.get("users", user_id)
    if rec is None or not set(rec["account_ids"]) & set(caller.account_ids):
        raise not_found("User", user_id)
    return JSONResponse(render.user(render.Lookup(state), rec))


# ---- users: create and update -------------------------------------------------------------

_FRIENDLY = re.compile(r"^[A-Za-z0-9 _-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_type: Literal["standard", "service"] = "standard"
    email: str | None = None
    name: str | None = Field(None, max_length=128)
    friendly_name: str | None = None
    description: str | None = Field(None, max_length=1000)
    end_date: str | None = None
    account_ids: list[str] = []
    roles: list[
        Literal["SSM_LEAD", "SSM_TEAM_LEAD", "SSM_DEVELOPER", "SSM_SIGNER", "SSM_BUILD_ENGINEER"]
    ] = []


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["ACTIVE", "DISABLED"] | None = None
    roles: (
        list[
            Literal[
                "SSM_LEAD", "SSM_TEAM_LEAD", "SSM_DEVELOPER", "SSM_SIGNER", "SSM_BUILD_ENGINEER"
            ]
        ]
        | None
    ) = None
    description: str | None = Field(None, max_length=1000)
    end_date: str | None = None


def end_of_day(field: str, value: str | None) -> str | None:
    """A date (or timestamp) -> 23:59:59Z that day (C: service-user token expiry)."""
    if value is None:
        return None
    day = value[:10]
    if not _DATE.match(day):
        raise bad_input(field, "must be a date such as 2027-06-30")
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        raise bad_input(field, "must be a valid date") from None
    return f"{day}T23:59:59Z"


@router.post("/user", status_code=201)
def create_user(body: UserCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_USERS")
    accounts = list(dict.fromkeys(body.account_ids or [caller.account_id]))
    for acc in accounts:
        if acc not in caller.account_ids:
            raise bad_input("account_ids", f"not an account of the caller: {acc}")
    if body.user_type == "standard":
        if body.email is None or not _EMAIL.match(body.email):
            raise bad_input("email", "a valid e-mail address is required")
        name = (body.name or body.email.split("@")[0]).strip() or body.email
        friendly = None
    else:
        if body.friendly_name is None or not _FRIENDLY.match(body.friendly_name):
            raise bad_input("friendly_name", "required: letters, digits, spaces, '-' or '_'")
        name = friendly = body.friendly_name
    end_date = end_of_day("end_date", body.end_date)
    now = state.now_iso()
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": accounts[0],
        "name": name,
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
        "two_factor_enabled": body.user_type == "standard",
    }
    token_value = None
    with state.db.tx() as c:
        if body.email and c.execute("SELECT 1 FROM users WHERE email=?", (body.email,)).fetchone():
            raise conflict(f"a user with e-mail {body.email} already exists")
        if (
            friendly
            and c.execute("SELECT 1 FROM users WHERE friendly_name=?", (friendly,)).fetchone()
        ):
            raise conflict(f"a service user named {friendly} already exists")
        Database.insert(c, "users", rec)
        for acc in accounts:
            c.execute("INSERT INTO user_accounts VALUES (?, ?)", (rec["id"], acc))
        if body.user_type == "service":
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
        record_audit(c, state, caller, "USER", rec["id"], "CREATE", f"User {name} created")
    out = render.user(render.Lookup(state), rec)
    if token_value is not None:
        out["api_token"] = token_value  # shown once (C)
    return JSONResponse(out, status_code=201)


@router.put("/user/{user_id}")
def update_user(
    user_id: str, body: UserUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_USERS")
    rec = state.db.get("users", user_id)
    if rec is None or caller.account_id not in rec["account_ids"]:
        raise not_found("User", user_id)
    if body.status is not None:
        if rec["id"] == caller.id and body.status == "DISABLED":
            raise ApiError(422, "invalid_state", "status: you cannot disable yourself")
        rec["status"] = body.status
    if body.roles is not None:
        rec["roles"] = list(dict.fromkeys(body.roles))
    if body.description is not None:
        rec["description"] = body.description
    if body.end_date is not None:
        rec["end_date"] = end_of_day("end_date", body.end_date)
    rec["modified_on"] = state.now_iso()
    with state.db.tx() as c:
        Database.update(c, "users", rec)
        record_audit(c, state, caller, "USER", rec["id"], "UPDATE", f"User {rec['name']} updated")
    return JSONResponse(render.user(render.Lookup(state), rec))


# ---- roles and accounts -----------------------------------------------------------------


@router.get("/role")
def list_roles(
    request: Request, caller: CallerDep, application_code: str | None = None
) -> Response:
    roles = [
        {
            "id": ROLE_IDS[code],
            "code": code,
            "name": ROLE_NAMES[code],
            "application_code": "software_trust",
            "permissions": sorted(perms),
        }
        for code, perms in ROLE_PERMISSIONS.items()
    ]
    if application_code is not None:
        roles = [r for r in roles if r["application_code"] == application_code]
    return json_list_response(request, roles)


def _account(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rec["id"],
        "name": rec["name"],
        "status": rec["status"],
        "organization_id": rec["organization_id"],
        "cert_central_integration_allowed": rec["cert_central_integration_allowed"],
        "created_at": rec["created_at"],
    }


@router.get("/account")
def list_accounts(request: Request, caller: CallerDep) -> Response:
    state = state_of(request)
    rows = [state.db.get("accounts", a) for a in caller.account_ids]
    return json_list_response(request, [_account(r) for r in rows if r])


@router.get("/account/{account_ref}")
def get_account(account_ref: str, request: Request, caller: CallerDep) -> JSONResponse:
    rec = state_of(request).db.get("accounts", account_ref)
    if rec is None or account_ref not in caller.account_ids:
        raise not_found("Account", account_ref)
    return JSONResponse(_account(rec))


# ---- API tokens and client certificates ---------------------------------------------------


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=100)
    user_id: str | None = None
    end_date: str | None = None


class ClientCertCreate(TokenCreate):
    password: str = Field(min_length=8, max_length=256)


def _subject_user(request: Request, caller: Caller, user_id: str | None) -> dict[str, Any]:
    """Yourself, or (MANAGE_SM_USERS) another user of your account."""
    if user_id is None or user_id == caller.id:
        return caller.user
    caller.require("MANAGE_SM_USERS")
    user = state_of(request).db.get("users", user_id)
    if user is None or caller.account_id not in user["account_ids"]:
        raise bad_input("user_id", f"unknown user id {user_id}")
    return user


@router.get("/api-token")
def list_tokens(request: Request, caller: CallerDep, user_id: str | None = None) -> Response:
    state = state_of(request)
    user = _subject_user(request, caller, user_id)
    now = state.now_iso()
    rows = state.db.select("api_tokens", "user_id=?", (user["id"],))
    return json_list_response(request, [render.api_token(r, now) for r in rows])


@router.post("/api-token", status_code=201)
def create_token(body: TokenCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    user = _subject_user(request, caller, body.user_id)
    end_date = end_of_day("end_date", body.end_date)
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
        Database.insert(c, "api_tokens", rec)
        record_audit(
            c,
            state,
            caller,
            "API_TOKEN",
            rec["id"],
            "CREATE",
            f"API token {body.name} created for {user['name']}",
        )
    out = render.api_token(rec, state.now_iso())
    out["token"] = value  # shown once
    return JSONResponse(out, status_code=201)


@router.delete("/api-token/{token_id}", status_code=204)
def delete_token(token_id: str, request: Request, caller: CallerDep) -> Response:
    state = state_of(request)
    rec = state.db.get("api_tokens", token_id)
    if rec is None:
        raise not_found("API token", token_id)
    owner = state.db.get("users", rec["user_id"])
    if rec["user_id"] != caller.id:
        caller.require("MANAGE_SM_USERS")
        if owner is None or caller.account_id not in owner["account_ids"]:
            raise not_found("API token", token_id)
    with state.db.tx() as c:
        c.execute("DELETE FROM api_tokens WHERE id=?", (token_id,))
        record_audit(
            c, state, caller, "API_TOKEN", token_id, "DELETE", f"API token {rec['name']} deleted"
        )
    return Response(status_code=204)


@router.get("/client-certificate")
def list_client_certs(request: Request, caller: CallerDep, user_id: str | None = None) -> Response:
    state = state_of(request)
    user = _subject_user(request, caller, user_id)
    now = state.now_iso()
    rows = state.db.select("client_certs", "user_id=?", (user["id"],))
    return json_list_response(request, [render.client_cert(r, now) for r in rows])


@router.post("/client-certificate", status_code=201)
def create_client_cert(body: ClientCertCreate, request: Request, caller: CallerDep) -> JSONResponse:
    from stm_tui.emulator.tls import tls_authority

    state = state_of(request)
    user = _subject_user(request, caller, body.user_id)
    end_date = end_of_day("end_date", body.end_date)
    now = state.now()
    not_after = (
        datetime.strptime(end_date[:10], "%Y-%m-%d").replace(
            hour=23, minute=59, second=59, tzinfo=UTC
        )
        if end_date
        else now + timedelta(days=365)
    )
    if not_after <= now:
        raise bad_input("end_date", "must be in the future")
    # Back-dated a day: peers with a slightly slow clock must not see "not yet valid".
    p12, cert = crypto.issue_client_p12(
        tls_authority(state.db, now),
        user["name"],
        body.password,
        now - timedelta(days=1),
        not_after,
    )
    rec: dict[str, Any] = {
        "id": new_id(),
        "account_id": caller.account_id,
        "name": body.name,
        "user_id": user["id"],
        "serial_number": format(cert.serial_number, "x"),
        "subject": cert.subject.rfc4514_string(),
        "valid_from": iso(now),
        "valid_to": iso(not_after),
        "status": "ACTIVE",
        "created_on": iso(now),
        "modified_on": iso(now),
    }
    with state.db.tx() as c:
        Database.insert(c, "client_certs", rec)
        record_audit(
            c,
            state,
            caller,
            "CLIENT_CERTIFICATE",
            rec["id"],
            "CREATE",
            f"Client certificate {body.name} created for {user['name']}",
        )
    out = render.client_cert(rec, iso(now))
    out["p12"] = crypto.b64(p12)  # shown once
    return JSONResponse(out, status_code=201)


@router.get("/audit-log")
def account_audit(
    request: Request,
    caller: CallerDep,
    resource_type: str | None = None,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_AUDIT_LOG")
    where, params = ["account_id=?"], [caller.account_id]
    for col, value in (("resource_type", resource_type), ("user_id", user_id)):
        if value is not None:
            where.append(f"{col}=?")
            params.append(value)
    rows = state.db.select(
        "audit", " AND ".join(where), params, order="created_on DESC, id DESC", limit=limit
    )
    return json_list_response(request, [render.audit(r) for r in rows])
