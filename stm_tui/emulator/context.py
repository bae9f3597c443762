"""Per-server state, the authenticated caller, and the shared list machinery
(paging, `modified_since`, weak ETags and 304)."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from stm_tui import __version__
from stm_tui.emulator import crypto
from stm_tui.emulator.db import Database
from stm_tui.emulator.errors import ApiError, bad_input, denied
from stm_tui.emulator.faults import FaultSpec
from stm_tui.emulator.fragment_cache import FragmentCache
from stm_tui.emulator.rbac import permissions_for
from stm_tui.emulator.records import audit_record
from stm_tui.emulator.util import Clock, dumps, iso, new_id, parse_ts

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 2**31  # SQLite integers are 64-bit; keep absurd offsets a 400, not an overflow


class EmulatorState:
    """Everything the ASGI app needs; one per running emulator."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        admin_token: str,
        faults: FaultSpec,
        rng_seed: int,
        *,
        tls: bool = False,
    ) -> None:
        self.db = db
        # Under TLS the listener asks for a client certificate, so the application can (and
        # does) insist on it as the second factor; over plain HTTP it cannot know.
        self.tls = tls
        self.clock = clock
        self.admin_token = admin_token
        self.faults = faults
        self.fault_rng = random.Random(rng_seed)
        self.stats: Counter[str] = Counter()
        self.stats_lock = threading.Lock()
        self.version = __version__
        # Seconds a submitted scan stays IN_PROGRESS (0: done before the answer).
        self.scan_delay = 1.0
        self.activity: Any = None  # the ActivitySimulator, made by the server
        self._totals: dict[tuple[Any, ...], int] = {}
        self._orders: dict[tuple[Any, ...], list[int]] = {}
        self._ca: tuple[crypto.Authority, crypto.Authority] | None = None
        self._chain: list[dict[str, str]] | None = None
        self._keys: dict[str, crypto.PrivateKey] = {}
        self.fragment_cache = FragmentCache()  # rendered list items, see fragments.py
        self._kp_refs: tuple[int, dict[str, dict[str, Any]]] = (-1, {})
        # Pages built from fragments are pure CPU under the GIL: side by side they only slow
        # each other down (each SQLite step hands the GIL over), so they take turns.
        self.page_lock = threading.Lock()
        self.transports: dict[
            tuple[str, int], Any
        ] = {}  # live sockets, for dropped-connection faults

    def signing_key(self, key_ref: str) -> crypto.PrivateKey:
        """The private key behind `key_ref`, loaded once (signing bursts reuse it)."""
        key = self._keys.get(key_ref)
        if key is None:
            if len(self._keys) > 256:
                self._keys.clear()
            key = self._keys[key_ref] = crypto.load_private(self.db.key_material(key_ref))
        return key

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def now_iso(self) -> str:
        return iso(self.now())

    def authorities(self) -> tuple[crypto.Authority, crypto.Authority]:
        """(root, intermediate) of the demo code-signing hierarchy."""
        if self._ca is None:
            raw = self.db.meta_get("code_signing_ca")
            if raw is None:
                raise RuntimeError("the data directory has no CA hierarchy")
            data = json.loads(raw)
            self._ca = (
                crypto.Authority(bytes.fromhex(data["root_cert"]), bytes.fromhex(data["root_key"])),
                crypto.Authority(bytes.fromhex(data["int_cert"]), bytes.fromhex(data["int_key"])),
            )
        return self._ca

    def chain(self) -> list[dict[str, str]]:
        """The certificate chain (C order: intermediate, then root); shared, never mutated."""
        if self._chain is None:
            root, inter = self.authorities()
            self._chain = [
                {"cert_type": "intermediate", "blob": crypto.b64(inter.cert_der)},
                {"cert_type": "root", "blob": crypto.b64(root.cert_der)},
            ]
        return self._chain

    def cached_total(self, key: tuple[Any, ...], compute: Callable[[], int]) -> int:
        """COUNT(*) over a big table is the costly part of a page; reuse it until a write."""
        full = (self.db.version, *key)
        value = self._totals.get(full)
        if value is None:
            if len(self._totals) > 2000:
                self._totals.clear()
            value = compute()
            self._totals[full] = value
        return value

    def cached_order(self, key: tuple[Any, ...], compute: Callable[[], list[int]]) -> list[int]:
        """The rowids of a listing in page order, reused until a write.

        SQLite's OFFSET walks every earlier row, so a page deep into 100,000 certificates
        costs twice the first one; with the order held, any page is a lookup by rowid."""
        full = (self.db.version, *key)
        value = self._orders.get(full)
        if value is None:
            # Only the current version's orders are worth keeping (about 1 MB each).
            self._orders = {k: v for k, v in self._orders.items() if k[0] == self.db.version}
            if len(self._orders) > 16:
                self._orders.clear()
            value = compute()
            self._orders[full] = value
        return value

    def keypair_refs(self) -> dict[str, dict[str, Any]]:
        """Keypair refs ({id, alias, limit_by_users}) read since the last write, by id;
        callers add what they read. Never mutate a ref: pages share them."""
        version, refs = self._kp_refs
        if version != self.db.version:
            refs = {}
            self._kp_refs = (self.db.version, refs)
        return refs

    def count_request(self, key: str) -> None:
        with self.stats_lock:
            self.stats[key] += 1


@dataclass
class Caller:
    user: dict[str, Any]
    account_id: str
    account_ids: list[str]
    roles: list[str]
    permissions: frozenset[str]
    led_teams: set[str] | None  # None: no team scoping
    member_teams: set[str]
    client_ip: str
    token_id: str | None
    # The client authentication certificate presented in the TLS handshake (its record), or
    # None; `second_factor_checked` is False on a plain-HTTP listener, which cannot see one.
    client_cert: dict[str, Any] | None = None
    second_factor_checked: bool = False
    # team id -> the STM permission codes the caller's member permissions grant there
    # (active teams only; see team_perms.py)
    team_grants: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def name(self) -> str:
        return str(self.user["name"])

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise denied(permission)

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def may(self, permission: str, team_ids: Any = ()) -> bool:
        """The role grants `permission`, or a member permission does in one of `team_ids`
        (the teams the resource belongs to)."""
        if permission in self.permissions:
            return True
        return any(permission in self.team_grants.get(t, frozenset()) for t in team_ids or ())

    def require_on(self, permission: str, team_ids: Any = ()) -> None:
        if not self.may(permission, team_ids):
            raise denied(permission)

    def may_somewhere(self, permission: str) -> bool:
        """The role grants it, or a member permission in some team does."""
        return permission in self.permissions or any(
            permission in g for g in self.team_grants.values()
        )

    def require_somewhere(self, permission: str) -> None:
        if not self.may_somewhere(permission):
            raise denied(permission)

    def teams_granting(self, permission: str) -> set[str]:
        return {t for t, g in self.team_grants.items() if permission in g}

    @property
    def sees_all_keypairs(self) -> bool:
        """Manage keypair across the account (a Lead); everyone else sees what is assigned
        to them (C: N7) and, for a Team Lead, what belongs to the teams they lead."""
        return self.has("MANAGE_SM_KEYPAIR") and self.led_teams is None

    @property
    def teams(self) -> set[str]:
        return self.member_teams | (self.led_teams or set())

    def require_second_factor(self, operation: str) -> None:
        """403 unless the caller presented a client authentication certificate (C: N5, N8)."""
        if self.second_factor_checked and self.client_cert is None:
            raise missing_second_factor(operation)


def state_of(request: Request) -> EmulatorState:
    state = request.app.state.emu
    assert isinstance(state, EmulatorState)
    return state


def _unauthorised(message: str) -> ApiError:
    return ApiError(401, "invalid_api_key", message)


SIGN_MFA_MESSAGE = (
    "User is not multi-factor authenticated. Missing Client Authentication Certificate. As per"
    " compliance rules, user needs to be authenticated using multi-factor for performing sign"
    " operation."
)


def missing_second_factor(operation: str) -> ApiError:
    """The production answer for signing (C: N5), worded the same for the other operations
    that need both factors (keypair generation and import, certificate generation; I)."""
    message = SIGN_MFA_MESSAGE.replace("performing sign operation", f"performing {operation}")
    return ApiError(403, "access_denied", message)


def peer_certificate(state: EmulatorState, request: Request) -> bytes | None:
    """DER of the client certificate presented on this request's TLS connection."""
    client = request.client
    transport = state.transports.get((client.host, client.port)) if client else None
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return bytes(der) if der else None


def _client_cert_record(state: EmulatorState, der: bytes, now: str) -> dict[str, Any]:
    """The registered, active certificate behind a handshake (401 otherwise). The listener's
    CA already vouched for it; this checks it was issued here and is still valid."""
    fingerprint = hashlib.sha256(der).hexdigest()
    rows = state.db.select("client_certs", "fingerprint=?", (fingerprint,))
    rec = rows[0] if rows else None
    if rec is None or rec["status"] != "ACTIVE" or rec["valid_to"] <= now:
        raise _unauthorised("The client authentication certificate is unknown, revoked or expired.")
    return rec


def _active_user(state: EmulatorState, user_id: str, now: str) -> dict[str, Any]:
    user = state.db.get("users", user_id)
    if user is None or user["status"] != "ACTIVE" or (user.get("end_date") or "9") <= now:
        raise _unauthorised("Invalid or expired API key.")
    return user


def authenticate(
    request: Request,
    account_id: str | None = Query(
        None,
        max_length=64,
        description="act in another account the caller belongs to (403 otherwise)",
    ),
) -> Caller:
    """FastAPI dependency: the caller behind `x-api-key` (and, under TLS, the client
    certificate), in the account it acts on."""
    state = state_of(request)
    now = state.now_iso()
    cert = None
    if state.tls:
        der = peer_certificate(state, request)
        cert = _client_cert_record(state, der, now) if der is not None else None
    key = request.headers.get("x-api-key")
    token: dict[str, Any] | None = None
    if key:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        rows = state.db.select("api_tokens", "key_hash=?", (digest,))
        token = rows[0] if rows else None
        if token is None or token["status"] != "ACTIVE" or (token.get("end_date") or "9") <= now:
            raise _unauthorised("Invalid or expired API key.")
        user = _active_user(state, token["user_id"], now)
        if cert is not None and cert["user_id"] != user["id"]:
            raise _unauthorised(
                "The client authentication certificate belongs to another user than the API key."
            )
        _touch_token(state, token, now)
    elif cert is not None and request.url.path.startswith("/account/"):
        # Account Manager also takes the certificate alone (C: D6, "certificate only").
        user = _active_user(state, cert["user_id"], now)
    else:
        raise _unauthorised("Missing API key: send it in the x-api-key header.")
    accounts = list(user["account_ids"])
    acting = (
        accounts[0]
        if user.get("primary_account_id") not in accounts
        else user["primary_account_id"]
    )
    if account_id is not None:
        if account_id not in accounts:
            raise ApiError(
                403, "access_denied", f"account_id: the caller is not a member of {account_id}"
            )
        acting = account_id
    roles = list(user.get("roles", []))
    perms = permissions_for(roles)
    member_teams = set(user.get("team_ids", []))
    led: set[str] | None = None
    if "SSM_TEAM_LEAD" in roles and "MANAGE_SM_ALL_TEAMS" not in perms:
        led = set(user.get("led_team_ids", []))
    client = request.client
    return Caller(
        team_grants=team_grants_of(state, user),
        user=user,
        account_id=acting,
        account_ids=accounts,
        roles=roles,
        permissions=perms,
        led_teams=led,
        member_teams=member_teams,
        client_ip=client.host if client else "127.0.0.1",
        token_id=token["id"] if token else None,
        client_cert=cert,
        second_factor_checked=state.tls,
    )


def team_grants_of(state: EmulatorState, user: dict[str, Any]) -> dict[str, frozenset[str]]:
    """What the user's member permissions grant, per active team they belong to."""
    from stm_tui.emulator.team_perms import granted_codes

    grants: dict[str, frozenset[str]] = {}
    for team_id in user.get("team_ids", []):
        team = state.db.get("teams", team_id)
        if team is None or team["status"] != "ACTIVE":
            continue
        for member in team["members"]:
            if member["user_id"] == user["id"]:
                grants[team_id] = granted_codes(member["permissions"])
    return grants


def _touch_token(state: EmulatorState, token: dict[str, Any], now: str) -> None:
    """Record `last_used_at`, at most once an hour per token (a write costs an fsync)."""
    last = token.get("last_used_at")
    if last and parse_ts(last) > state.now() - timedelta(hours=1):
        return
    token["last_used_at"] = now
    with state.db.tx() as c:
        Database.update(c, "api_tokens", token)


@dataclass
class Paging:
    limit: int
    offset: int
    modified_since: str | None
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)


TimestampQuery = Annotated[
    str | None,
    Query(max_length=40, json_schema_extra={"format": "date-time"}),
]


def paging(
    limit: int | None = Query(
        None,
        ge=1,
        description=f"page size, default {DEFAULT_LIMIT}; values above {MAX_LIMIT} are clamped",
    ),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    modified_since: TimestampQuery = None,
    if_none_match: str | None = Header(
        None, max_length=200, description="an ETag from an earlier answer: 304 if unchanged"
    ),
) -> Paging:
    if limit is None:
        limit = DEFAULT_LIMIT
    since = None
    if modified_since is not None:
        since = timestamp_param("modified_since", modified_since)
    return Paging(limit=min(limit, MAX_LIMIT), offset=offset, modified_since=since)


def timestamp_param(name: str, value: str) -> str:
    try:
        return iso(parse_ts(value))
    except (ValueError, OverflowError):
        raise bad_input(
            name, "must be an ISO-8601 timestamp such as 2026-11-27T10:00:00Z"
        ) from None


def enum_param(name: str, value: str | None, allowed: Sequence[str]) -> str | None:
    if value is not None and value not in allowed:
        raise bad_input(name, "must be one of " + ", ".join(allowed))
    return value


def json_list_response(request: Request, payload: Any, status_code: int = 200) -> Response:
    """A list body with a weak ETag; `If-None-Match` with the same tag gets 304."""
    return etag_response(request, dumps(payload).encode(), status_code)


def etag_response(request: Request, body: bytes, status_code: int = 200) -> Response:
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'
    match = request.headers.get("if-none-match")
    if match and etag in [t.strip() for t in match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(
        body, status_code=status_code, media_type="application/json", headers={"ETag": etag}
    )


# From this offset on, pages are served from a cached row order instead of LIMIT/OFFSET.
DEEP_OFFSET = 1000


def _page_filter(
    table: str, caller: Caller, page: Paging
) -> tuple[str, str, list[Any]]:
    """(table to read, WHERE, its parameters) of a listing."""
    where = ["account_id=?", *page.where]
    params: list[Any] = [caller.account_id, *page.params]
    source = table
    if page.modified_since:
        where.append("modified_on>?")
        params.append(page.modified_since)
        # Change-only refreshes match few rows: walk the modified_on index, not the whole
        # created_on order (the planner guesses wrong on big tables).
        source = f"{table} INDEXED BY {table}_modified"
    return source, " AND ".join(where), params


def _page_rowids(
    state: EmulatorState, table: str, source: str, sql: str, params: list[Any], page: Paging,
    order: str,
) -> tuple[int, list[int] | None]:
    """(total, the page's rowids from the cached order, or None below DEEP_OFFSET)."""
    total = state.cached_total(
        (table, sql, tuple(params)), lambda: state.db.count(source, sql, params)
    )
    if page.offset < DEEP_OFFSET:
        return total, None
    rowids = state.cached_order(
        (table, sql, tuple(params), order),
        lambda: state.db.select_rowids(source, sql, params, order=order),
    )
    return total, rowids[page.offset : page.offset + page.limit]


def _envelope(request: Request, total: int, page: Paging, parts: Sequence[bytes]) -> Response:
    head = f'{{"total":{total},"offset":{page.offset},"limit":{page.limit},"items":['
    return etag_response(request, head.encode() + b",".join(parts) + b"]}")


def list_page(
    request: Request,
    state: EmulatorState,
    table: str,
    caller: Caller,
    page: Paging,
    render: Callable[[dict[str, Any]], dict[str, Any]],
    py_filter: Callable[[dict[str, Any]], bool] | None = None,
    prefetch: Callable[[list[dict[str, Any]]], None] | None = None,
    order: str = "created_on, id",
) -> Response:
    """The STM envelope over `table`, ordered by created_on then id (or `order`)."""
    source, sql, params = _page_filter(table, caller, page)
    if py_filter is None:
        total, rowids = _page_rowids(state, table, source, sql, params, page, order)
        if rowids is not None:
            rows = state.db.select_by_rowids(table, rowids)
        else:
            rows = state.db.select(
                source, sql, params, order=order, limit=page.limit, offset=page.offset
            )
    else:  # derived fields (release status): small tables, filtered after loading
        matching = [r for r in state.db.select(source, sql, params, order=order) if py_filter(r)]
        total = len(matching)
        rows = matching[page.offset : page.offset + page.limit]
    if prefetch is not None:
        prefetch(rows)
    return _envelope(request, total, page, [dumps(render(row)).encode() for row in rows])


def list_page_raw(
    request: Request,
    state: EmulatorState,
    table: str,
    caller: Caller,
    page: Paging,
    columns: str,
    items: Callable[[list[tuple[Any, ...]]], list[bytes]],
    order: str = "created_on, id",
) -> Response:
    """`list_page` for items made from undecoded rows (`columns`): `items` turns the page's
    rows into their JSON, from cached fragments where it can (see fragments.py)."""
    source, sql, params = _page_filter(table, caller, page)
    with state.page_lock:
        total, rowids = _page_rowids(state, table, source, sql, params, page, order)
        if rowids is not None:
            rows = state.db.select_raw_by_rowids(table, columns, rowids)
        else:
            rows = state.db.select_raw(
                source, columns, sql, params, order=order, limit=page.limit, offset=page.offset
            )
        return _envelope(request, total, page, items(rows))


def record_audit(
    c: Any,
    state: EmulatorState,
    caller: Caller,
    resource_type: str,
    resource_id: str,
    action: str,
    details: str,
    status: str = "SUCCESS",
) -> None:
    """Append one audit entry inside the caller's write transaction."""
    now = state.now_iso()
    Database.insert(
        c,
        "audit",
        audit_record(
            entry_id=new_id(),
            account_id=caller.account_id,
            resource_type=resource_type,
            resource_id=resource_id,
            action=action,
            user=caller.user,
            client_ip=caller.client_ip,
            details=details,
            created_on=now,
            status=status,
        ),
    )


def team_scope_sql(caller: Caller, column: str = "id") -> tuple[str, list[Any]] | None:
    """SQL restricting keypair rows (by `column`) to the teams a Team Lead leads."""
    if caller.led_teams is None:
        return None
    teams = sorted(caller.led_teams)
    marks = ",".join("?" * len(teams)) or "NULL"
    return (
        f"{column} IN (SELECT keypair_id FROM keypair_groups WHERE team_id IN ({marks}))",
        teams,
    )


CallerDep = Annotated[Caller, Depends(authenticate)]
PagingDep = Annotated[Paging, Depends(paging)]
