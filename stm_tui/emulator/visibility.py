"""What a caller may see: assigned-only visibility (C: N7).

A caller with Manage keypair across the account (a Lead) sees every keypair. Everyone else
(Team Lead, Developer, Signer, Build Engineer) sees the keypairs assigned to them: open
keypairs, restricted keypairs listing them, and keypairs whose groups include one of their
teams (for a Team Lead, that covers every keypair of the teams they lead). Certificates and
signatures follow their keypair; releases follow their team, signers and keypairs; the audit
log shows a scoped caller their own actions and entries about what they can see.

The rules exist twice, as SQL (lists, which must stay fast on 100,000 rows) and as Python
(single records); tests/integration/test_emulator_visibility.py checks that they agree.
"""

from __future__ import annotations

from typing import Any

from stm_tui.emulator.context import Caller

Sql = tuple[str, list[Any]]


def assigned(caller: Caller, kp: dict[str, Any]) -> bool:
    """Open, or restricted to a list that names the caller or one of their teams."""
    if not kp["limit_by_users"]:
        return True
    return caller.id in kp["user_ids"] or bool(caller.teams & set(kp["team_ids"]))


def keypair_visible(caller: Caller, kp: dict[str, Any]) -> bool:
    if kp["account_id"] != caller.account_id:
        return False
    return caller.sees_all_keypairs or assigned(caller, kp)


def visible_keypair_ids_sql(caller: Caller) -> Sql:
    """SELECT of the ids of the keypairs the caller may see (in the acting account)."""
    teams = sorted(caller.teams)
    marks = ",".join("?" * len(teams)) or "NULL"
    return (
        "SELECT id FROM keypairs WHERE account_id=? AND ("
        "json_extract(data, '$.limit_by_users')=0"
        " OR EXISTS (SELECT 1 FROM json_each(keypairs.data, '$.user_ids') WHERE value=?)"
        f" OR id IN (SELECT keypair_id FROM keypair_groups WHERE team_id IN ({marks})))",
        [caller.account_id, caller.id, *teams],
    )


def keypair_scope(caller: Caller, column: str = "id") -> Sql | None:
    """A WHERE clause keeping rows whose `column` is a visible keypair id; None: no limit."""
    if caller.sees_all_keypairs:
        return None
    inner, params = visible_keypair_ids_sql(caller)
    return f"{column} IN ({inner})", params


def release_visible(caller: Caller, rec: dict[str, Any], visible_keypairs: set[str]) -> bool:
    if caller.sees_all_keypairs:
        return True
    return (
        rec.get("team_id") in caller.teams
        or caller.id in rec["signer_ids"]
        or rec.get("created_by") == caller.id
        or bool(visible_keypairs & set(rec["keypair_ids"]))
    )


def visible_keypair_set(state: Any, caller: Caller) -> set[str]:
    inner, params = visible_keypair_ids_sql(caller)
    with state.db.read() as c:
        return {r[0] for r in c.execute(inner, params).fetchall()}


def audit_scope(caller: Caller, state: Any) -> Sql | None:
    """Audit entries a scoped caller may read: their own actions, and entries about the
    keypairs, certificates, signatures, releases and teams they can see."""
    if caller.sees_all_keypairs:
        return None
    kp_sql, kp_params = visible_keypair_ids_sql(caller)
    visible = visible_keypair_set(state, caller)
    releases = [
        r["id"]
        for r in state.db.select("releases", "account_id=?", (caller.account_id,))
        if release_visible(caller, r, visible)
    ]
    teams = sorted(caller.teams)
    rel_marks = ",".join("?" * len(releases)) or "NULL"
    team_marks = ",".join("?" * len(teams)) or "NULL"
    return (
        "(user_id=?"
        f" OR (resource_type='KEYPAIR' AND resource_id IN ({kp_sql}))"
        " OR (resource_type='CERTIFICATE' AND resource_id IN"
        f" (SELECT id FROM certificates WHERE keypair_id IN ({kp_sql})))"
        " OR (resource_type='SIGNATURE' AND resource_id IN"
        f" (SELECT id FROM signatures WHERE keypair_id IN ({kp_sql})))"
        f" OR (resource_type='RELEASE' AND resource_id IN ({rel_marks}))"
        f" OR (resource_type='TEAM' AND resource_id IN ({team_marks})))",
        [caller.id, *kp_params, *kp_params, *kp_params, *releases, *teams],
    )
