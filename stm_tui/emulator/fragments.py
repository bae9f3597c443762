"""Rendered list items kept as JSON bytes, so a page of certificates or keypairs is mostly
spliced, not re-rendered.

An entry holds the JSON of one stored record cut into pieces around every value that depends
on something else: the certificate chain, the derived certificate status, the keypair ref,
the account, users and teams an item names, a keypair's embedded certificates (the same
fragments the certificate listing uses, so each certificate is rendered once per change),
`number_of_active_certificates` and the caller's `is_signable_by_me`. Those values are
rendered for each request (once per request for each user, account, team or keypair) and
spliced in, so a rename, a revoke or a clock moving past `valid_to` shows on the next read.
What stays cached depends on the stored record alone: an entry is used while the hash of the
row's `data` is the one it was made from; rows whose entry is valid are never JSON-decoded.

The output is exactly `dumps(render.certificate(...))` / `dumps(render.keypair(...))`: those
stay the single definition of the JSON; this module only cuts it into pieces.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stm_tui.emulator import render
from stm_tui.emulator.context import Caller
from stm_tui.emulator.fragment_cache import Entry, FragmentCache
from stm_tui.emulator.util import dumps

CERT_COLUMNS = "id, keypair_id, account_id, status, valid_to, data"
KEYPAIR_COLUMNS = "id, account_id, data"
_CERT_HOLES = (
    "chain",
    "certificate_status",
    "keypair",
    "account",
    "created_by_user",
    "modified_by_user",
)
_KEYPAIR_HOLES = (
    "certificates",
    "number_of_active_certificates",
    "account",
    "users",
    "groups",
    "is_signable_by_me",
    "created_by_user",
    "modified_by_user",
)
_MARKERS: dict[str, bytes] = {}
_STATUS = {s: dumps(s).encode() for s in ("ACTIVE", "EXPIRED", "REVOKED")}


def cut(item: dict[str, Any], holes: Sequence[str]) -> list[bytes]:
    """`dumps(item)` in pieces around the values of `holes`, top-level keys of `item` in
    order: pieces[0] + value0 + pieces[1] + ... + pieces[-1] is the whole JSON again.

    One encoding with each hole's value set to 0, cut at `"hole":0`. Inside a string every
    quote is escaped, so a marker is never found there; where one occurs more than once (a
    nested object using the name), the pieces are encoded one run of keys at a time."""
    zeroed = dict(item)
    for key in holes:
        zeroed[key] = 0
    text = dumps(zeroed).encode()
    pieces: list[bytes] = []
    start = 0
    for key in holes:
        marker = _MARKERS.get(key) or _MARKERS.setdefault(key, b'"' + key.encode() + b'":0')
        found = text.find(marker, start)
        if found < 0 or text.count(marker) != 1:
            return _cut_by_runs(item, holes)
        at = found + len(marker) - 1
        pieces.append(text[start:at])
        start = at + 1
    pieces.append(text[start:])
    return pieces


def _cut_by_runs(item: dict[str, Any], holes: Sequence[str]) -> list[bytes]:
    pieces: list[bytes] = []
    members: list[str] = []  # of the piece being built; joined with "," as dumps does
    lead = "{"  # what the piece starts with: "{", or "," after a spliced value
    run: dict[str, Any] = {}
    for key, value in item.items():
        if key not in holes:
            run[key] = value
            continue
        if run:
            members.append(dumps(run)[1:-1])
            run = {}
        members.append(dumps(key) + ":")
        pieces.append((lead + ",".join(members)).encode())
        members, lead = [], ","
    if run:
        members.append(dumps(run)[1:-1])
    pieces.append(((lead + ",".join(members)) if members else "").encode() + b"}")
    return pieces


class Deps:
    """The JSON of what items point at (users, accounts, teams, keypair refs, the chain),
    rendered once per request."""

    def __init__(self, lk: render.Lookup) -> None:
        self.lk = lk
        self.chain = dumps(lk.state.chain()).encode()
        self._users: dict[str | None, bytes] = {}
        self._accounts: dict[str, bytes] = {}
        self._groups: dict[str, bytes | None] = {}
        self._keypairs: dict[str, bytes | None] = {}

    def user(self, user_id: str | None) -> bytes:
        found = self._users.get(user_id)
        if found is None:
            found = self._users[user_id] = dumps(self.lk.user_ref(user_id)).encode()
        return found

    def account(self, account_id: str) -> bytes:
        found = self._accounts.get(account_id)
        if found is None:
            found = self._accounts[account_id] = dumps(self.lk.account(account_id)).encode()
        return found

    def group(self, team_id: str) -> bytes | None:
        if team_id not in self._groups:
            group = render.team_group(self.lk, team_id)
            self._groups[team_id] = None if group is None else dumps(group).encode()
        return self._groups[team_id]

    def keypair_ref(self, keypair_id: str) -> bytes | None:
        if keypair_id not in self._keypairs:
            ref = self.lk.keypair_ref(keypair_id)
            self._keypairs[keypair_id] = None if ref is None else dumps(ref).encode()
        return self._keypairs[keypair_id]


def _status(status: str, valid_to: str, now: str) -> str:
    """`render.cert_status` from the row's columns."""
    if status == "REVOKED":
        return "REVOKED"
    return "EXPIRED" if valid_to <= now else "ACTIVE"


def certificates(deps: Deps, rows: Sequence[Sequence[Any]]) -> list[bytes]:
    """The JSON of certificate rows (`CERT_COLUMNS`), each rendered only if it changed."""
    lk = deps.lk
    cache: FragmentCache = lk.state.fragment_cache
    lk.prefetch_keypair_refs([r[1] for r in rows])
    entries = cache.get_many([("certificate", r[0]) for r in rows])
    out: list[bytes] = []
    fresh: list[tuple[tuple[str, str], Entry]] = []
    for (cert_id, keypair_id, account_id, status, valid_to, data), entry in zip(
        rows, entries, strict=True
    ):
        data_hash = hash(data)
        if entry is None or entry.data_hash != data_hash:
            rec = json.loads(data)
            inputs = (rec["created_by"], rec["modified_by"])
            entry = Entry(data_hash, inputs, cut(render.certificate(lk, rec), _CERT_HOLES))
            fresh.append((("certificate", cert_id), entry))
        created_by, modified_by = entry.inputs
        ref = deps.keypair_ref(keypair_id)
        if ref is None:  # the keypair is gone: its stored ref stands in (render.certificate)
            ref = dumps(json.loads(data)["keypair"]).encode()
        p = entry.pieces
        out.append(
            b"".join(
                (
                    p[0],
                    deps.chain,
                    p[1],
                    _STATUS[_status(status, valid_to, lk.now)],
                    p[2],
                    ref,
                    p[3],
                    deps.account(account_id),
                    p[4],
                    deps.user(created_by),
                    p[5],
                    deps.user(modified_by),
                    p[6],
                )
            )
        )
    if fresh:
        cache.put_many(fresh)
    return out


_KEYPAIR_INPUTS = (
    "id",
    "limit_by_users",
    "user_ids",
    "team_ids",
    "key_status",
    "created_by",
    "modified_by",
)


def keypairs(deps: Deps, caller: Caller, rows: Sequence[Sequence[Any]]) -> list[bytes]:
    """The JSON of keypair rows (`KEYPAIR_COLUMNS`) with their certificates embedded."""
    lk = deps.lk
    state = lk.state
    ids = [r[0] for r in rows]
    by_keypair: dict[str, list[bytes]] = {i: [] for i in ids}
    active: dict[str, int] = dict.fromkeys(ids, 0)
    if ids:
        marks = ",".join("?" * len(ids))
        cert_rows = state.db.select_raw(
            "certificates", CERT_COLUMNS, f"keypair_id IN ({marks})", ids
        )
        for cert_row, fragment in zip(cert_rows, certificates(deps, cert_rows), strict=True):
            by_keypair[cert_row[1]].append(fragment)
            active[cert_row[1]] += _status(cert_row[3], cert_row[4], lk.now) == "ACTIVE"
    cache: FragmentCache = state.fragment_cache
    entries = cache.get_many([("keypair", i) for i in ids])
    out: list[bytes] = []
    fresh: list[tuple[tuple[str, str], Entry]] = []
    for (kp_id, account_id, data), entry in zip(rows, entries, strict=True):
        data_hash = hash(data)
        if entry is None or entry.data_hash != data_hash:
            rec = json.loads(data)
            inputs = {k: rec[k] for k in _KEYPAIR_INPUTS}
            lk.certs_by_keypair[kp_id] = []  # spliced in below, not rendered again
            entry = Entry(data_hash, inputs, cut(render.keypair(lk, caller, rec), _KEYPAIR_HOLES))
            fresh.append((("keypair", kp_id), entry))
        kp = entry.inputs
        groups = (deps.group(t) for t in kp["team_ids"])
        p = entry.pieces
        out.append(
            b"".join(
                (
                    p[0],
                    b"[" + b",".join(by_keypair[kp_id]) + b"]",
                    p[1],
                    str(active[kp_id]).encode(),
                    p[2],
                    deps.account(account_id),
                    p[3],
                    b"[" + b",".join(deps.user(u) for u in kp["user_ids"] if u is not None) + b"]",
                    p[4],
                    b"[" + b",".join(g for g in groups if g is not None) + b"]",
                    p[5],
                    b"true" if render.signable_by(lk, caller, kp) else b"false",
                    p[6],
                    deps.user(kp["created_by"]),
                    p[7],
                    deps.user(kp["modified_by"]),
                    p[8],
                )
            )
        )
    if fresh:
        cache.put_many(fresh)
    return out
