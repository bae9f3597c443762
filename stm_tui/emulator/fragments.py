"""Rendered list items kept as JSON bytes, so a page of certificates or keypairs is mostly
spliced, not re-rendered.

An entry is valid while the stored record is unchanged (the hash of its `data` column) and
everything else it was rendered from still renders the same: the keypair ref, the users and
the account a certificate names, a keypair's teams and users. Those are re-derived for every
request from the request's `Lookup` (a few small records) and compared with what the entry
saw. What changes per request or per caller is never cached but spliced in: the certificate
chain, a keypair's embedded certificates (the same fragments the certificate listing uses,
each rendered once per change), `number_of_active_certificates` and `is_signable_by_me`.
Derived statuses (EXPIRED by the clock) are part of each entry's inputs, so a clock moving
past `valid_to` renders that certificate again.

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
_CERT_HOLES = ("chain",)
_KEYPAIR_HOLES = ("certificates", "number_of_active_certificates", "is_signable_by_me")


def cut(item: dict[str, Any], holes: Sequence[str]) -> list[bytes]:
    """`dumps(item)` in pieces around the values of `holes`, top-level keys of `item` in
    order: pieces[0] + value0 + pieces[1] + ... + pieces[-1] is the whole JSON again.

    One encoding with each hole's value set to 0, cut at the first `"hole":0` after the
    previous cut. Inside a string every quote is escaped, so `"hole":` there is never
    matched; a nested object before a hole must not use the hole's name as a key (the
    items cut here only nest objects whose keys `render` fixes)."""
    text = dumps({k: 0 if k in holes else v for k, v in item.items()}).encode()
    pieces: list[bytes] = []
    start = 0
    for key in holes:
        marker = b'"' + key.encode() + b'":'
        at = text.index(marker + b"0", start) + len(marker)
        pieces.append(text[start:at])
        start = at + 1
    pieces.append(text[start:])
    return pieces


class Deps:
    """The small records items point at, rendered once per request."""

    def __init__(self, lk: render.Lookup) -> None:
        self.lk = lk
        self._users: dict[str | None, dict[str, Any] | None] = {}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any] | None] = {}
        self.chain = dumps(lk.state.chain()).encode()

    def user(self, user_id: str | None) -> dict[str, Any] | None:
        if user_id not in self._users:
            self._users[user_id] = self.lk.user_ref(user_id)
        return self._users[user_id]

    def account(self, account_id: str) -> dict[str, Any]:
        if account_id not in self._accounts:
            self._accounts[account_id] = self.lk.account(account_id)
        return self._accounts[account_id]

    def group(self, team_id: str) -> dict[str, Any] | None:
        if team_id not in self._groups:
            self._groups[team_id] = render.team_group(self.lk, team_id)
        return self._groups[team_id]


def _status(status: str, valid_to: str, now: str) -> str:
    """`render.cert_status` from the row's columns."""
    if status == "REVOKED":
        return "REVOKED"
    return "EXPIRED" if valid_to <= now else "ACTIVE"


def _cert_seen(deps: Deps, row: Sequence[Any], inputs: tuple[str, str]) -> tuple[Any, ...]:
    _, keypair_id, account_id, status, valid_to, _ = row
    return (
        _status(status, valid_to, deps.lk.now),
        deps.lk.keypair_ref(keypair_id),
        deps.user(inputs[0]),
        deps.user(inputs[1]),
        deps.account(account_id),
    )


def certificates(deps: Deps, rows: Sequence[Sequence[Any]]) -> list[bytes]:
    """The JSON of certificate rows (`CERT_COLUMNS`), each rendered only if it changed."""
    cache: FragmentCache = deps.lk.state.fragment_cache
    deps.lk.prefetch_keypair_refs([r[1] for r in rows])
    entries = cache.get_many([("certificate", r[0]) for r in rows])
    out: list[bytes] = []
    fresh: list[tuple[tuple[str, str], Entry]] = []
    for row, entry in zip(rows, entries, strict=True):
        data_hash = hash(row[5])
        if (
            entry is None
            or entry.data_hash != data_hash
            or entry.seen != _cert_seen(deps, row, entry.inputs)
        ):
            rec = json.loads(row[5])
            inputs = (rec["created_by"], rec["modified_by"])
            entry = Entry(
                data_hash,
                inputs,
                _cert_seen(deps, row, inputs),
                cut(render.certificate(deps.lk, rec), _CERT_HOLES),
            )
            fresh.append((("certificate", row[0]), entry))
        head, tail = entry.pieces
        out.append(head + deps.chain + tail)
    if fresh:
        cache.put_many(fresh)
    return out


def _keypair_seen(deps: Deps, account_id: str, inputs: dict[str, Any]) -> tuple[Any, ...]:
    return (
        [g for g in (deps.group(t) for t in inputs["team_ids"]) if g is not None],
        [u for u in (deps.user(uid) for uid in inputs["user_ids"]) if u],
        deps.user(inputs["created_by"]),
        deps.user(inputs["modified_by"]),
        deps.account(account_id),
    )


_KEYPAIR_INPUTS = ("id", "limit_by_users", "user_ids", "team_ids", "key_status")


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
        if (
            entry is None
            or entry.data_hash != data_hash
            or entry.seen != _keypair_seen(deps, account_id, entry.inputs)
        ):
            rec = json.loads(data)
            inputs = {k: rec[k] for k in (*_KEYPAIR_INPUTS, "created_by", "modified_by")}
            lk.certs_by_keypair[kp_id] = []  # spliced in below, not rendered again
            entry = Entry(
                data_hash,
                inputs,
                _keypair_seen(deps, account_id, inputs),
                cut(render.keypair(lk, caller, rec), _KEYPAIR_HOLES),
            )
            fresh.append((("keypair", kp_id), entry))
        signable = render.signable_by(lk, caller, entry.inputs)
        head, after_certs, after_count, tail = entry.pieces
        out.append(
            b"".join(
                (
                    head,
                    b"[",
                    b",".join(by_keypair[kp_id]),
                    b"]",
                    after_certs,
                    str(active[kp_id]).encode(),
                    after_count,
                    b"true" if signable else b"false",
                    tail,
                )
            )
        )
    if fresh:
        cache.put_many(fresh)
    return out
