"""Keypairs: list, get, create, update, suspend/unsuspend, delete, sign, generate certificate."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    enum_param,
    list_page,
    record_audit,
    state_of,
    team_scope_sql,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import (
    ApiError,
    bad_input,
    conflict,
    invalid_state,
    keypair_not_found,
)
from stm_tui.emulator.records import certificate_record, keypair_record
from stm_tui.emulator.routes_common import StrictBody, json_row, read_settings
from stm_tui.emulator.util import new_id

router = APIRouter(prefix="/signingmanager/api/v1", tags=["keypairs"])

_ALIAS = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_HEXLIKE = re.compile(r"^[0-9a-fA-F-]+$")
KEY_ALGS = ("RSA", "ECDSA", "EDDSA")


class KeypairCreate(StrictBody):
    alias: str = Field(description="3-64 chars [A-Za-z0-9._-], with a non-hex letter")
    key_alg: Literal["RSA", "ECDSA", "EDDSA"]
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_storage: Literal["HSM", "DISK"] = "HSM"
    limit_by_users: bool = True
    users: list[str] = []
    groups: list[str] = []
    keypair_profile_id: str | None = None
    generate_cert: bool = False
    cert_alias: str | None = None
    cert_profile_id: str | None = None


class KeypairUpdate(StrictBody):
    alias: str | None = None
    limit_by_users: bool | None = None
    users: list[str] | None = None
    groups: list[str] | None = None


class CertificateGenerate(StrictBody):
    alias: str
    certificate_profile_id: str | None = None
    set_as_default_cert: bool = True
    custom_fields: list[Any] = []


def check_alias(field: str, alias: str) -> None:
    if not _ALIAS.match(alias):
        raise bad_input(field, "must be 3-64 characters of letters, digits, '.', '_' or '-'")
    if _HEXLIKE.match(alias):
        raise bad_input(field, "must contain a letter other than a-f (it would read as an id)")


def find_keypair(state: EmulatorState, caller: Caller, ref: str) -> dict[str, Any]:
    """By id, or by alias (INFERRED); hidden keypairs (other account, other team) are 404."""
    rec = state.db.get("keypairs", ref)
    if rec is None and not _HEXLIKE.match(ref):
        rows = state.db.select("keypairs", "account_id=? AND alias=?", (caller.account_id, ref))
        rec = rows[0] if rows else None
    if rec is None or rec["account_id"] != caller.account_id:
        raise keypair_not_found(ref)
    if caller.led_teams is not None and not (caller.led_teams & set(rec["team_ids"])):
        raise keypair_not_found(ref)
    return rec


def _check_members(
    state: EmulatorState, caller: Caller, users: list[str], groups: list[str]
) -> None:
    for uid in users:
        user = state.db.get("users", uid)
        if user is None or caller.account_id not in user["account_ids"]:
            raise bad_input("users", f"unknown user id {uid}")
    for tid in groups:
        team = state.db.get("teams", tid)
        if team is None or team["account_id"] != caller.account_id:
            raise bad_input("groups", f"unknown team id {tid}")
    if caller.led_teams is not None and (not groups or not set(groups) <= caller.led_teams):
        raise ApiError(
            403, "access_denied", "groups: a Team Lead may only assign keypairs to teams they lead"
        )


@router.get("/keypairs")
def list_keypairs(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    id: str | None = None,
    alias: str | None = None,
    key_alg: str | None = None,
    key_size: int | None = None,
    curve: str | None = None,
    key_status: str | None = None,
    key_type: str | None = None,
    key_storage: str | None = None,
    team_id: str | None = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_KEYPAIR")
    enum_param("key_alg", key_alg, KEY_ALGS)
    enum_param("key_status", key_status, ("ONLINE", "OFFLINE"))
    enum_param("key_type", key_type, ("PRODUCTION", "TEST"))
    enum_param("key_storage", key_storage, ("HSM", "DISK"))
    if key_size is not None and key_size not in (2048, 3072, 4096):
        raise bad_input("key_size", "must be one of 2048, 3072, 4096")
    for col, value in (
        ("id", id),
        ("alias", alias),
        ("key_alg", key_alg),
        ("key_size", key_size),
        ("curve", curve),
        ("key_status", key_status),
        ("key_type", key_type),
        ("key_storage", key_storage),
    ):
        if value is not None:
            page.where.append(f"{col}=?")
            page.params.append(value)
    if team_id is not None:
        page.where.append("id IN (SELECT keypair_id FROM keypair_groups WHERE team_id=?)")
        page.params.append(team_id)
    scope = team_scope_sql(caller)
    if scope:
        page.where.append(scope[0])
        page.params.extend(scope[1])
    lk = render.Lookup(state)
    return list_page(
        request,
        state,
        "keypairs",
        caller,
        page,
        lambda r: render.keypair(lk, caller, r),
        prefetch=lambda rows: render.prefetch_certificates(lk, rows),
        cache_key=lambda r: render.keypair_cache_key(lk, caller, r),
    )


@router.get("/keypairs/{keypair_id}")
def get_keypair(keypair_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("VIEW_SM_KEYPAIR")
    rec = find_keypair(state, caller, keypair_id)
    return JSONResponse(render.keypair(render.Lookup(state), caller, rec))


def _cert_profile(
    state: EmulatorState, caller: Caller, profile_id: str | None, field: str, key_alg: str
) -> dict[str, Any]:
    if profile_id is None:
        rows = state.db.select("certificate_profiles", "account_id=?", (caller.account_id,))
        candidates = [p for p in rows if p["hierarchy"] == "PRIVATE" and p["status"] == "ACTIVE"]
        if not candidates:
            raise bad_input(field, "required: the account has no active private profile")
        profile = candidates[0]
    else:
        found = state.db.get("certificate_profiles", profile_id)
        if found is None or found["account_id"] != caller.account_id:
            raise bad_input(field, f"unknown certificate profile {profile_id}")
        profile = found
    if profile["status"] != "ACTIVE":
        raise invalid_state(f"certificate profile {profile['name']} is disabled")
    if key_alg not in profile["allowed_key_algs"]:
        raise bad_input(field, f"profile {profile['name']} does not allow {key_alg} keys")
    if profile["hierarchy"] == "PUBLIC" and not read_settings(state, caller.account_id).get(
        "certcentral", {}
    ).get("configured"):
        raise invalid_state("a PUBLIC profile needs the CertCentral integration to be configured")
    return profile


def _new_certificate(
    state: EmulatorState,
    caller: Caller,
    kp: dict[str, Any],
    profile: dict[str, Any],
    alias: str,
    default: bool,
    custom_fields: list[Any],
) -> dict[str, Any]:
    now = state.now()
    return certificate_record(
        issuer=state.authorities()[1],
        cert_id=new_id(),
        keypair=kp,
        profile=profile,
        alias=alias,
        serial=secrets.randbits(120) | (1 << 120),
        valid_from=now,
        valid_to=now + timedelta(days=int(profile["validity_days"])),
        default_cert=default,
        created_by=caller.id,
        created_on=state.now_iso(),
        custom_fields=custom_fields,
    )


def _cert_alias_free(c: Any, account_id: str, alias: str) -> None:
    if c.execute(
        "SELECT 1 FROM certificates WHERE account_id=? AND alias=?", (account_id, alias)
    ).fetchone():
        raise conflict(f"a certificate with alias {alias} already exists")


@router.post("/keypairs", status_code=201)
def create_keypair(body: KeypairCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("GENERATE_SM_KEYPAIR")
    check_alias("alias", body.alias)
    spec = body.model_dump()
    profile = None
    if body.keypair_profile_id is not None:
        profile = state.db.get("keypair_profiles", body.keypair_profile_id)
        if profile is None or profile["account_id"] != caller.account_id:
            raise bad_input(
                "keypair_profile_id", f"unknown keypair profile {body.keypair_profile_id}"
            )
        fixed = ("key_alg", "key_size", "curve", "key_status", "key_type")
        if profile["profile_type"] == "FIXED":
            spec.update({k: profile[k] for k in fixed})
        else:
            spec.update({k: profile[k] for k in fixed if spec.get(k) is None})
    elif read_settings(state, caller.account_id).get("require_keypair_profile"):
        raise bad_input("keypair_profile_id", "required: the account requires a keypair profile")
    alg = spec["key_alg"]
    if alg == "RSA":
        if spec["key_size"] not in (2048, 3072, 4096):
            raise bad_input("key_size", "must be one of 2048, 3072, 4096")
        spec["curve"] = None
    elif alg == "ECDSA":
        if spec["curve"] not in ("P256", "P384", "P521"):
            raise bad_input("curve", "must be one of P256, P384, P521")
        spec["key_size"] = None
    else:
        if spec["curve"] not in (None, "Ed25519"):
            raise bad_input("curve", "must be Ed25519 for EDDSA")
        spec["curve"], spec["key_size"] = "Ed25519", None
    _check_members(state, caller, body.users, body.groups)
    cert_profile = None
    if body.generate_cert:
        cert_alias = body.cert_alias or f"{body.alias}-cert"
        check_alias("cert_alias", cert_alias)
        cert_profile = _cert_profile(state, caller, body.cert_profile_id, "cert_profile_id", alg)
    if state.db.count("keypairs", "account_id=? AND alias=?", (caller.account_id, body.alias)):
        raise conflict(f"a keypair with alias {body.alias} already exists")
    key = crypto.generate_key(alg, spec["key_size"], spec["curve"])  # slow part, outside the lock
    key_ref = new_id()
    kp = keypair_record(
        keypair_id=new_id(),
        account_id=caller.account_id,
        alias=body.alias,
        key_alg=alg,
        key_size=spec["key_size"],
        curve=spec["curve"],
        key_type=spec["key_type"],
        key_storage=body.key_storage,
        key_status=spec["key_status"],
        public_key_der=crypto.public_der(key),
        key_ref=key_ref,
        limit_by_users=body.limit_by_users,
        user_ids=list(dict.fromkeys(body.users or [caller.id])),
        team_ids=list(dict.fromkeys(body.groups)),
        profile=profile,
        created_by=caller.id,
        created_on=state.now_iso(),
    )
    with state.db.tx() as c:
        if c.execute(
            "SELECT 1 FROM keypairs WHERE account_id=? AND alias=?", (caller.account_id, body.alias)
        ).fetchone():
            raise conflict(f"a keypair with alias {body.alias} already exists")
        c.execute("INSERT INTO key_material VALUES (?, ?)", (key_ref, crypto.private_der(key)))
        Database.insert(c, "keypairs", kp)
        for tid in kp["team_ids"]:
            c.execute("INSERT INTO keypair_groups VALUES (?, ?)", (kp["id"], tid))
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            "CREATE",
            f"Keypair {body.alias} generated ({alg})",
        )
        if cert_profile is not None:
            alias = body.cert_alias or f"{body.alias}-cert"
            _cert_alias_free(c, caller.account_id, alias)
            cert = _new_certificate(state, caller, kp, cert_profile, alias, True, [])
            Database.insert(c, "certificates", cert)
            record_audit(
                c, state, caller, "CERTIFICATE", cert["id"], "CREATE", f"Certificate {alias} issued"
            )
    return JSONResponse(render.keypair(render.Lookup(state), caller, kp), status_code=201)


def _manageable(state: EmulatorState, caller: Caller, ref: str) -> dict[str, Any]:
    caller.require("MANAGE_SM_KEYPAIR")
    return find_keypair(state, caller, ref)


@router.put("/keypairs/{keypair_id}")
def update_keypair(
    keypair_id: str, body: KeypairUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    kp = _manageable(state, caller, keypair_id)
    if body.alias is not None:
        check_alias("alias", body.alias)
    users = body.users if body.users is not None else kp["user_ids"]
    groups = body.groups if body.groups is not None else kp["team_ids"]
    if body.users is not None or body.groups is not None:
        _check_members(state, caller, users, groups)
    with state.db.tx() as c:
        if (
            body.alias is not None
            and body.alias != kp["alias"]
            and c.execute(
                "SELECT 1 FROM keypairs WHERE account_id=? AND alias=?",
                (caller.account_id, body.alias),
            ).fetchone()
        ):
            raise conflict(f"a keypair with alias {body.alias} already exists")
        if body.alias is not None:
            kp["alias"] = body.alias
        if body.limit_by_users is not None:
            kp["limit_by_users"] = body.limit_by_users
        kp["user_ids"] = list(dict.fromkeys(users))
        kp["team_ids"] = list(dict.fromkeys(groups))
        kp["modified_on"], kp["modified_by"] = state.now_iso(), caller.id
        Database.update(c, "keypairs", kp)
        c.execute("DELETE FROM keypair_groups WHERE keypair_id=?", (kp["id"],))
        for tid in kp["team_ids"]:
            c.execute("INSERT INTO keypair_groups VALUES (?, ?)", (kp["id"], tid))
        record_audit(
            c, state, caller, "KEYPAIR", kp["id"], "UPDATE", f"Keypair {kp['alias']} updated"
        )
    return JSONResponse(render.keypair(render.Lookup(state), caller, kp))


def _set_suspended(request: Request, caller: Caller, keypair_id: str, value: bool) -> JSONResponse:
    state = state_of(request)
    kp = _manageable(state, caller, keypair_id)
    with state.db.tx() as c:
        fresh = json_row(c, "keypairs", kp["id"])
        if fresh["suspended"] == value:
            raise invalid_state(
                f"keypair {kp['alias']} is already {'suspended' if value else 'active'}"
            )
        fresh["suspended"] = value
        fresh["modified_on"], fresh["modified_by"] = state.now_iso(), caller.id
        Database.update(c, "keypairs", fresh)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            "SUSPEND" if value else "UNSUSPEND",
            f"Keypair {kp['alias']} {'suspended' if value else 'unsuspended'}",
        )
    return JSONResponse(render.keypair(render.Lookup(state), caller, fresh))


@router.post("/keypairs/{keypair_id}/suspend")
def suspend_keypair(keypair_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    return _set_suspended(request, caller, keypair_id, True)


@router.post("/keypairs/{keypair_id}/unsuspend")
def unsuspend_keypair(keypair_id: str, request: Request, caller: CallerDep) -> JSONResponse:
    return _set_suspended(request, caller, keypair_id, False)


@router.delete("/keypairs/{keypair_id}", status_code=204)
def delete_keypair(keypair_id: str, request: Request, caller: CallerDep) -> Response:
    state = state_of(request)
    caller.require("APPROVE_SM_KEYPAIR_DELETE")
    kp = find_keypair(state, caller, keypair_id)
    now = state.now_iso()
    with state.db.tx() as c:
        json_row(c, "keypairs", kp["id"])  # still there (a concurrent delete loses)
        for cert in [
            json_row(c, "certificates", r[0])
            for r in c.execute(
                "SELECT id FROM certificates WHERE keypair_id=?", (kp["id"],)
            ).fetchall()
        ]:
            if cert["status"] != "REVOKED":
                cert.update(
                    status="REVOKED",
                    revoked_on=now,
                    default_cert=False,
                    revocation_reason="cessation_of_operation",
                    modified_on=now,
                    modified_by=caller.id,
                )
                Database.update(c, "certificates", cert)
        c.execute("DELETE FROM keypairs WHERE id=?", (kp["id"],))
        c.execute("DELETE FROM keypair_groups WHERE keypair_id=?", (kp["id"],))
        c.execute(
            "DELETE FROM key_material WHERE id=? AND NOT EXISTS (SELECT 1 FROM keypairs"
            " WHERE json_extract(data, '$.key_ref')=?)",
            (kp["key_ref"], kp["key_ref"]),
        )
        record_audit(
            c, state, caller, "KEYPAIR", kp["id"], "DELETE", f"Keypair {kp['alias']} deleted"
        )
    return Response(status_code=204)


@router.post("/keypairs/{keypair_id}/certificates", status_code=201)
def generate_certificate(
    keypair_id: str,
    body: CertificateGenerate,
    request: Request,
    caller: CallerDep,
) -> JSONResponse:
    state = state_of(request)
    caller.require("GENERATE_SM_CERTIFICATE")
    kp = find_keypair(state, caller, keypair_id)
    check_alias("alias", body.alias)
    profile = _cert_profile(
        state, caller, body.certificate_profile_id, "certificate_profile_id", kp["key_alg"]
    )
    cert = _new_certificate(
        state, caller, kp, profile, body.alias, body.set_as_default_cert, body.custom_fields
    )
    with state.db.tx() as c:
        _cert_alias_free(c, caller.account_id, body.alias)
        if body.set_as_default_cert:
            for row in c.execute(
                "SELECT id FROM certificates WHERE keypair_id=?", (kp["id"],)
            ).fetchall():
                other = json_row(c, "certificates", row[0])
                if other["default_cert"]:
                    other.update(
                        default_cert=False, modified_on=state.now_iso(), modified_by=caller.id
                    )
                    Database.update(c, "certificates", other)
        Database.insert(c, "certificates", cert)
        record_audit(
            c,
            state,
            caller,
            "CERTIFICATE",
            cert["id"],
            "CREATE",
            f"Certificate {body.alias} issued for {kp['alias']}",
        )
    return JSONResponse(render.certificate(render.Lookup(state), cert), status_code=201)
