"""Keypairs: list, get, create, import, update, suspend/unsuspend, delete, generate
certificate. Suspend sets `key_status` to OFFLINE and unsuspend to ONLINE (C: N6)."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator import crypto, fragments, render
from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    PagingDep,
    list_page_raw,
    record_audit,
    state_of,
)
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import (
    ApiError,
    bad_input,
    conflict,
    invalid_state,
    keypair_not_found,
    unprocessable,
)
from stm_tui.emulator.fields import Alias, Base64, Ref, text
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action, certificate_record, keypair_record
from stm_tui.emulator.routes_common import StrictBody, json_row, read_settings
from stm_tui.emulator.util import new_id
from stm_tui.emulator.visibility import keypair_scope, keypair_visible

router = APIRouter(prefix="/signingmanager/api/v1", tags=["keypairs"])

_HEXLIKE = re.compile(r"^[0-9a-fA-F-]+$")
KEY_ALGS = ("RSA", "ECDSA", "EDDSA")
KEY_SIZES = (2048, 3072, 4096)
RefList = Annotated[list[Ref], Field(max_length=200)]


class CustomField(StrictBody):
    name: text(64, min_length=1)  # type: ignore[valid-type]
    value: text(256)  # type: ignore[valid-type]


class KeypairCreate(StrictBody):
    alias: Alias
    key_alg: Literal["RSA", "ECDSA", "EDDSA"]
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_storage: Literal["HSM", "DISK"] = "HSM"
    limit_by_users: bool = True
    users: RefList = []
    groups: RefList = []
    keypair_profile_id: Ref | None = None
    generate_cert: bool = False
    cert_alias: Alias | None = None
    cert_profile_id: Ref | None = None


class KeypairImport(StrictBody):
    """An externally generated key (I: smctl `keypair import`), as base64 PKCS#8 DER."""

    alias: Alias
    private_key: Base64 = Field(description="base64 of the unencrypted PKCS#8 DER private key")
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_storage: Literal["HSM", "DISK"] = "HSM"
    limit_by_users: bool = True
    users: RefList = []
    groups: RefList = []


class KeypairUpdate(StrictBody):
    alias: Alias | None = None
    limit_by_users: bool | None = None
    users: RefList | None = None
    groups: RefList | None = None
    # Which certificate signs by default (I: smctl `keypair update`, the console's "set as
    # default"): one of the keypair's own, ACTIVE.
    default_certificate_id: Ref | None = None


class CertificateGenerate(StrictBody):
    alias: Alias
    certificate_profile_id: Ref | None = None
    set_as_default_cert: bool = True
    custom_fields: Annotated[list[CustomField], Field(max_length=20)] = []


KeypairRef = Annotated[str, Path(max_length=64, description="keypair id, or its alias (I)")]


def find_keypair(state: EmulatorState, caller: Caller, ref: str) -> dict[str, Any]:
    """By id, or by alias (INFERRED); keypairs the caller may not see are 404, exactly as
    if they did not exist."""
    rec = state.db.get("keypairs", ref)
    if rec is None and not _HEXLIKE.match(ref):
        rows = state.db.select("keypairs", "account_id=? AND alias=?", (caller.account_id, ref))
        rec = rows[0] if rows else None
    if rec is None or not keypair_visible(caller, rec):
        raise keypair_not_found(ref)
    return rec


def second_factor(permission: str, operation: str) -> Any:
    """A dependency: the permission, then the second factor, checked before the body is
    (so a `POST` with an empty body is a side-effect-free probe of both factors)."""

    def check(caller: CallerDep) -> None:
        # The role, or a member permission in some team (checked per team in the handler).
        caller.require_somewhere(permission)
        caller.require_second_factor(operation)

    return Depends(check)


FilterStr = Annotated[str | None, Query(max_length=100)]


def _check_members(
    state: EmulatorState, caller: Caller, users: list[str], groups: list[str]
) -> None:
    for uid in users:
        user = state.db.get("users", uid)
        if user is None or caller.account_id not in user["account_ids"]:
            raise unprocessable("users", f"unknown user id {uid}")
    for tid in groups:
        team = state.db.get("teams", tid)
        if team is None or team["account_id"] != caller.account_id:
            raise unprocessable("groups", f"unknown team id {tid}")
    if caller.led_teams is not None and (not groups or not set(groups) <= caller.led_teams):
        raise ApiError(
            403, "access_denied", "groups: a Team Lead may only assign keypairs to teams they lead"
        )


@router.get("/keypairs", responses=documented(list_=True))
def list_keypairs(
    request: Request,
    caller: CallerDep,
    page: PagingDep,
    id: FilterStr = None,
    alias: FilterStr = None,
    key_alg: Literal["RSA", "ECDSA", "EDDSA"] | None = None,
    # An int Literal would refuse the query string "2048": the enum is checked below.
    key_size: Annotated[int | None, Query(json_schema_extra={"enum": list(KEY_SIZES)})] = None,
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None,
    key_status: Literal["ONLINE", "OFFLINE"] | None = None,
    key_type: Literal["PRODUCTION", "TEST"] | None = None,
    key_storage: Literal["HSM", "DISK"] | None = None,
    team_id: FilterStr = None,
) -> Response:
    state = state_of(request)
    caller.require("VIEW_SM_KEYPAIR")
    if key_size is not None and key_size not in KEY_SIZES:
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
    scope = keypair_scope(caller)
    if scope:
        page.where.append(scope[0])
        page.params.extend(scope[1])
    deps = fragments.Deps(render.Lookup(state))
    return list_page_raw(
        request,
        state,
        "keypairs",
        caller,
        page,
        fragments.KEYPAIR_COLUMNS,
        lambda rows: fragments.keypairs(deps, caller, rows),
    )


@router.get("/keypairs/{keypair_id}", responses=documented(404))
def get_keypair(keypair_id: KeypairRef, request: Request, caller: CallerDep) -> JSONResponse:
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
            raise unprocessable(field, "required: the account has no active private profile")
        profile = candidates[0]
    else:
        found = state.db.get("certificate_profiles", profile_id)
        if found is None or found["account_id"] != caller.account_id:
            raise unprocessable(field, f"unknown certificate profile {profile_id}")
        profile = found
    if profile["status"] != "ACTIVE":
        raise invalid_state(f"certificate profile {profile['name']} is disabled")
    if key_alg not in profile["allowed_key_algs"]:
        raise unprocessable(field, f"profile {profile['name']} does not allow {key_alg} keys")
    if profile["hierarchy"] == "PUBLIC":
        from stm_tui.emulator.routes_settings import certcentral_problem

        problem = certcentral_problem(read_settings(state, caller.account_id))
        if problem is not None:
            raise invalid_state(
                f"{field}: profile {profile['name']} is a CertCentral profile: it needs {problem}"
            )
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


def _alias_free(c: Any, account_id: str, alias: str) -> None:
    if c.execute(
        "SELECT 1 FROM keypairs WHERE account_id=? AND alias=?", (account_id, alias)
    ).fetchone():
        raise conflict(f"a keypair with alias {alias} already exists")


def _insert_keypair(c: Any, state: EmulatorState, kp: dict[str, Any], key: Any) -> None:
    _alias_free(c, kp["account_id"], kp["alias"])
    c.execute("INSERT INTO key_material VALUES (?, ?)", (kp["key_ref"], crypto.private_der(key)))
    Database.insert(c, "keypairs", kp)
    for tid in kp["team_ids"]:
        c.execute("INSERT INTO keypair_groups VALUES (?, ?)", (kp["id"], tid))


@router.post(
    "/keypairs",
    status_code=201,
    responses=documented(409, 422),
    dependencies=[second_factor("GENERATE_SM_KEYPAIR", "keypair generation operation")],
)
def create_keypair(body: KeypairCreate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    spec = body.model_dump()
    profile = None
    if body.keypair_profile_id is not None:
        profile = state.db.get("keypair_profiles", body.keypair_profile_id)
        if profile is None or profile["account_id"] != caller.account_id:
            raise unprocessable(
                "keypair_profile_id", f"unknown keypair profile {body.keypair_profile_id}"
            )

        status = render.keypair_profile_status(profile, state.now_iso())
        if status != "ACTIVE":
            raise invalid_state(
                f"keypair_profile_id: keypair profile {profile['name']} is {status}"
                + (f" until {profile['active_from']}" if status == "INACTIVE" else "")
            )
        fixed = ("key_alg", "key_size", "curve", "key_status", "key_type", "key_storage")
        if profile["profile_type"] == "FIXED":  # a Fixed profile's values win (C)
            spec.update({k: profile[k] for k in fixed if profile.get(k) is not None})
            if profile["key_alg"] != "RSA":
                spec["key_size"] = None
            if profile["key_alg"] == "RSA":
                spec["curve"] = None
        else:
            # Customizable: the caller's values, the profile's where none was sent.
            sent = body.model_fields_set
            spec.update(
                {k: profile[k] for k in fixed if k not in sent and profile.get(k) is not None}
            )
    elif read_settings(state, caller.account_id).get("require_keypair_profile"):
        raise unprocessable(
            "keypair_profile_id", "required: the account requires a keypair profile"
        )
    if not caller.has("GENERATE_SM_KEYPAIR"):
        # Only the member permission of a team grants it: the keypair must belong there.
        allowed = caller.teams_granting("GENERATE_SM_KEYPAIR")
        if not body.groups or not set(body.groups) <= allowed:
            raise ApiError(
                403,
                "access_denied",
                "groups: your team permission to generate keypairs covers only keypairs of "
                "those teams; name one of them in groups",
            )
    alg = spec["key_alg"]
    if alg == "RSA":
        if spec["key_size"] not in (2048, 3072, 4096):
            raise unprocessable("key_size", "RSA needs one of 2048, 3072, 4096")
        spec["curve"] = None
    elif alg == "ECDSA":
        if spec["curve"] not in ("P256", "P384", "P521"):
            raise unprocessable("curve", "ECDSA needs one of P256, P384, P521")
        spec["key_size"] = None
    else:
        if spec["curve"] not in (None, "Ed25519"):
            raise unprocessable("curve", "must be Ed25519 for EDDSA")
        spec["curve"], spec["key_size"] = "Ed25519", None
    _check_members(state, caller, body.users, body.groups)
    cert_profile = None
    cert_alias = body.cert_alias or f"{body.alias}-cert"
    if body.generate_cert:
        if len(cert_alias) > 64:
            raise unprocessable("cert_alias", "the default (alias + '-cert') is too long: name one")
        cert_profile = _cert_profile(state, caller, body.cert_profile_id, "cert_profile_id", alg)
    if state.db.count("keypairs", "account_id=? AND alias=?", (caller.account_id, body.alias)):
        raise conflict(f"a keypair with alias {body.alias} already exists")
    key = crypto.generate_key(alg, spec["key_size"], spec["curve"])  # slow part, outside the lock
    kp = keypair_record(
        keypair_id=new_id(),
        account_id=caller.account_id,
        alias=body.alias,
        key_alg=alg,
        key_size=spec["key_size"],
        curve=spec["curve"],
        key_type=spec["key_type"],
        key_storage=spec["key_storage"],
        key_status=spec["key_status"],
        public_key_der=crypto.public_der(key),
        key_ref=new_id(),
        limit_by_users=body.limit_by_users,
        user_ids=list(dict.fromkeys(body.users or [caller.id])),
        team_ids=list(dict.fromkeys(body.groups)),
        profile=profile,
        created_by=caller.id,
        created_on=state.now_iso(),
    )
    with state.db.tx() as c:
        _insert_keypair(c, state, kp, key)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            Action.GENERATE,
            f"Keypair {body.alias} generated ({alg})",
        )
        if cert_profile is not None:
            _cert_alias_free(c, caller.account_id, cert_alias)
            cert = _new_certificate(state, caller, kp, cert_profile, cert_alias, True, [])
            Database.insert(c, "certificates", cert)
            record_audit(
                c,
                state,
                caller,
                "CERTIFICATE",
                cert["id"],
                Action.GENERATE,
                f"Certificate {cert_alias} generated for {body.alias}",
            )
    return JSONResponse(render.keypair(render.Lookup(state), caller, kp), status_code=201)


@router.post(
    "/keypairs/import",
    status_code=201,
    responses=documented(409, 422),
    dependencies=[second_factor("IMPORT_SM_KEYPAIR", "keypair import operation")],
)
def import_keypair(body: KeypairImport, request: Request, caller: CallerDep) -> JSONResponse:
    """An external private key becomes a keypair (I path; C: the Import keypair permission)."""
    state = state_of(request)
    try:
        key = crypto.load_importable(base64.b64decode(body.private_key))
    except (ValueError, TypeError) as exc:
        reason = str(exc) if "must" in str(exc) or "only" in str(exc) else "cannot be read"
        raise unprocessable("private_key", f"not a supported PKCS#8 key: {reason}") from None
    alg, size, curve = crypto.describe_key(key)
    _check_members(state, caller, body.users, body.groups)
    kp = keypair_record(
        keypair_id=new_id(),
        account_id=caller.account_id,
        alias=body.alias,
        key_alg=alg,
        key_size=size,
        curve=curve,
        key_type=body.key_type,
        key_storage=body.key_storage,
        key_status=body.key_status,
        public_key_der=crypto.public_der(key),
        key_ref=new_id(),
        limit_by_users=body.limit_by_users,
        user_ids=list(dict.fromkeys(body.users or [caller.id])),
        team_ids=list(dict.fromkeys(body.groups)),
        profile=None,
        created_by=caller.id,
        created_on=state.now_iso(),
    )
    with state.db.tx() as c:
        _insert_keypair(c, state, kp, key)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            Action.IMPORT,
            f"Keypair {body.alias} imported ({alg})",
        )
    return JSONResponse(render.keypair(render.Lookup(state), caller, kp), status_code=201)


def permitted_keypair(
    state: EmulatorState, caller: Caller, ref: str, permission: str
) -> dict[str, Any]:
    """The keypair, if the role grants `permission` or a member permission does in one of
    the keypair's teams (403 first when neither could, as before team permissions)."""
    caller.require_somewhere(permission)
    kp = find_keypair(state, caller, ref)
    caller.require_on(permission, kp["team_ids"])
    return kp


def _manageable(state: EmulatorState, caller: Caller, ref: str) -> dict[str, Any]:
    return permitted_keypair(state, caller, ref, "MANAGE_SM_KEYPAIR")


@router.put("/keypairs/{keypair_id}", responses=documented(404, 409, 422))
def update_keypair(
    keypair_id: KeypairRef, body: KeypairUpdate, request: Request, caller: CallerDep
) -> JSONResponse:
    state = state_of(request)
    kp = _manageable(state, caller, keypair_id)
    users = body.users if body.users is not None else kp["user_ids"]
    groups = body.groups if body.groups is not None else kp["team_ids"]
    if body.users is not None or body.groups is not None:
        _check_members(state, caller, users, groups)
    with state.db.tx() as c:
        if body.alias is not None and body.alias != kp["alias"]:
            _alias_free(c, caller.account_id, body.alias)
        if body.default_certificate_id is not None:
            _make_default(c, state, caller, kp, body.default_certificate_id)
        if body.alias is not None:
            kp["alias"] = body.alias
        if body.limit_by_users is not None:
            kp["limit_by_users"] = body.limit_by_users
        kp["user_ids"] = list(dict.fromkeys(users))
        kp["team_ids"] = list(dict.fromkeys(groups))
        if body.default_certificate_id is not None:
            _make_default(c, state, caller, kp, body.default_certificate_id)
        kp["modified_on"], kp["modified_by"] = state.now_iso(), caller.id
        Database.update(c, "keypairs", kp)
        c.execute("DELETE FROM keypair_groups WHERE keypair_id=?", (kp["id"],))
        for tid in kp["team_ids"]:
            c.execute("INSERT INTO keypair_groups VALUES (?, ?)", (kp["id"], tid))
        record_audit(
            c, state, caller, "KEYPAIR", kp["id"], Action.UPDATE, f"Keypair {kp['alias']} updated"
        )
    return JSONResponse(render.keypair(render.Lookup(state), caller, kp))


def _make_default(
    c: Any, state: EmulatorState, caller: Caller, kp: dict[str, Any], cert_id: str
) -> None:
    rows = c.execute("SELECT id FROM certificates WHERE keypair_id=?", (kp["id"],)).fetchall()
    certs = [json_row(c, "certificates", r[0]) for r in rows]
    chosen = next((cert for cert in certs if cert["id"] == cert_id), None)
    if chosen is None:
        raise unprocessable(
            "default_certificate_id", f"no certificate {cert_id} of keypair {kp['alias']}"
        )
    status = render.cert_status(chosen, state.now_iso())
    if status != "ACTIVE":
        raise invalid_state(f"certificate {chosen['alias']} is {status}")
    for cert in certs:
        if cert["default_cert"] != (cert is chosen):
            cert.update(
                default_cert=cert is chosen, modified_on=state.now_iso(), modified_by=caller.id
            )
            Database.update(c, "certificates", cert)


def _set_status(request: Request, caller: Caller, keypair_id: str, status: str) -> JSONResponse:
    """Suspend = OFFLINE, unsuspend = ONLINE (C: N6); there is no other suspended state."""
    state = state_of(request)
    kp = _manageable(state, caller, keypair_id)
    suspend = status == "OFFLINE"
    with state.db.tx() as c:
        fresh = json_row(c, "keypairs", kp["id"])
        if fresh["key_status"] == status:
            raise invalid_state(f"keypair {kp['alias']} is already {status}")
        fresh["key_status"] = status
        fresh["modified_on"], fresh["modified_by"] = state.now_iso(), caller.id
        Database.update(c, "keypairs", fresh)
        record_audit(
            c,
            state,
            caller,
            "KEYPAIR",
            kp["id"],
            Action.SUSPEND if suspend else Action.UNSUSPEND,
            f"Keypair {kp['alias']} {'suspended' if suspend else 'unsuspended'} (status {status})",
        )
    return JSONResponse(render.keypair(render.Lookup(state), caller, fresh))


@router.post("/keypairs/{keypair_id}/suspend", responses=documented(404, 422))
def suspend_keypair(keypair_id: KeypairRef, request: Request, caller: CallerDep) -> JSONResponse:
    return _set_status(request, caller, keypair_id, "OFFLINE")


@router.post("/keypairs/{keypair_id}/unsuspend", responses=documented(404, 422))
def unsuspend_keypair(keypair_id: KeypairRef, request: Request, caller: CallerDep) -> JSONResponse:
    return _set_status(request, caller, keypair_id, "ONLINE")


@router.delete("/keypairs/{keypair_id}", status_code=204, responses=documented(404))
def delete_keypair(keypair_id: KeypairRef, request: Request, caller: CallerDep) -> Response:
    state = state_of(request)
    kp = permitted_keypair(state, caller, keypair_id, "APPROVE_SM_KEYPAIR_DELETE")
    with state.db.tx() as c:
        delete_keypair_in(c, state, caller, kp)
    return Response(status_code=204)


def delete_keypair_in(c: Any, state: EmulatorState, caller: Caller, kp: dict[str, Any]) -> None:
    """Delete a keypair inside the caller's transaction: its certificates become REVOKED."""
    now = state.now_iso()
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
        c, state, caller, "KEYPAIR", kp["id"], Action.DELETE, f"Keypair {kp['alias']} deleted"
    )


@router.post(
    "/keypairs/{keypair_id}/certificates",
    status_code=201,
    responses=documented(404, 409, 422),
    dependencies=[second_factor("GENERATE_SM_CERTIFICATE", "certificate generation operation")],
)
def generate_certificate(
    keypair_id: KeypairRef,
    body: CertificateGenerate,
    request: Request,
    caller: CallerDep,
) -> JSONResponse:
    state = state_of(request)
    kp = find_keypair(state, caller, keypair_id)
    caller.require_on("GENERATE_SM_CERTIFICATE", kp["team_ids"])
    profile = _cert_profile(
        state, caller, body.certificate_profile_id, "certificate_profile_id", kp["key_alg"]
    )
    custom = [f.model_dump() for f in body.custom_fields]
    cert = _new_certificate(
        state, caller, kp, profile, body.alias, body.set_as_default_cert, custom
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
            Action.GENERATE,
            f"Certificate {body.alias} generated for {kp['alias']}",
        )
    return JSONResponse(render.certificate(render.Lookup(state), cert), status_code=201)
