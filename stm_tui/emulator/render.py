"""Stored records -> the contract's JSON objects. Derived fields (certificate EXPIRED,
release OPEN/EXPIRED, counts, `is_signable_by_me`) are computed here, at read time."""

from __future__ import annotations

from typing import Any

from stm_tui.emulator.context import Caller, EmulatorState
from stm_tui.emulator.rbac import (
    ACCOUNT_MANAGER_APP_ID,
    ALL_ROLE_NAMES,
    AM_ROLE_PERMISSIONS,
    ROLE_IDS,
    ROLE_PERMISSIONS,
    SOFTWARE_TRUST_APP_ID,
    am_permissions,
    stm_permissions,
)

HSM_PARTITIONS = {
    "HSM": {
        "id": "5d0c9f8e-3b1a-4c2d-8e7f-6a5b4c3d2e1f",
        "name": "stm-hsm-partition-01",
        "display_name": "Primary HSM partition",
        "partition_name": "PARTITION_01",
        "hsm_provider": {"name": "Thales Luna"},
        "security_level": "FIPS_140_2_LEVEL_3",
        "allowed_uses": ["SIGN"],
        "enabled": True,
        "created_date": "2024-01-15T09:30:00",
    },
    "DISK": {
        "id": "5d0c9f8e-3b1a-4c2d-8e7f-6a5b4c3d2e20",
        "name": "stm-software-store",
        "display_name": "Software key store",
        "partition_name": "SOFTWARE",
        "hsm_provider": {"name": "Software"},
        "security_level": "SOFTWARE",
        "allowed_uses": ["SIGN"],
        "enabled": True,
        "created_date": "2024-01-15T09:30:00",
    },
}


class Lookup:
    """Per-request memo of small records referenced by many items."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.now = state.now_iso()  # one "now" per request keeps derived statuses consistent
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._kp_refs: dict[str, dict[str, Any]] = {}
        self.certs_by_keypair: dict[str, list[dict[str, Any]]] = {}

    def keypair_ref(self, keypair_id: str) -> dict[str, Any] | None:
        """{id, alias, limit_by_users} without decoding the whole keypair record."""
        if keypair_id not in self._kp_refs:
            self.prefetch_keypair_refs([keypair_id])
        return self._kp_refs.get(keypair_id)

    def prefetch_keypair_refs(self, ids: list[str]) -> None:
        wanted = sorted(set(ids) - set(self._kp_refs))
        if not wanted:
            return
        # Refs read since the last write are still right (json_extract parses each keypair).
        known = self.state.keypair_refs()
        for kp_id in wanted:
            ref = known.get(kp_id)
            if ref is not None:
                self._kp_refs[kp_id] = ref
        wanted = [k for k in wanted if k not in self._kp_refs]
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        with self.state.db.read() as c:
            rows = c.execute(
                "SELECT id, alias, json_extract(data, '$.limit_by_users') FROM keypairs"
                f" WHERE id IN ({marks})",
                wanted,
            ).fetchall()
        for kp_id, alias, limited in rows:
            ref = {"id": kp_id, "alias": alias, "limit_by_users": bool(limited)}
            self._kp_refs[kp_id] = known[kp_id] = ref

    def get(self, table: str, item_id: str | None) -> dict[str, Any] | None:
        if item_id is None:
            return None
        key = (table, item_id)
        if key not in self._cache:
            self._cache[key] = self.state.db.get(table, item_id)
        return self._cache[key]

    def user_ref(self, user_id: str | None, auth_type: bool = True) -> dict[str, Any] | None:
        if user_id is None:
            return None
        user = self.get("users", user_id)
        ref: dict[str, Any] = {"id": user_id, "name": user["name"] if user else "Automated"}
        if auth_type:
            ref["auth_type"] = "BASIC"
        return ref

    def account(self, account_id: str) -> dict[str, Any]:
        acc = self.get("accounts", account_id) or {"id": account_id, "name": "unknown"}
        return {
            "id": acc["id"],
            "name": acc["name"],
            "cert_central_integration_allowed": acc.get("cert_central_integration_allowed", True),
            "dynamic_test_keypair_allowed": True,
            "gpg_enabled": False,
            "is_csr_gen_enabled": True,
        }


def cert_status(rec: dict[str, Any], now: str) -> str:
    if rec["status"] == "REVOKED":
        return "REVOKED"
    return "EXPIRED" if rec["valid_to"] <= now else "ACTIVE"


def release_status(rec: dict[str, Any], now: str) -> str:
    stored = str(rec["status"])
    if stored in ("CLOSED", "REJECTED"):
        return stored
    if now >= rec["end_time"]:
        return "EXPIRED"
    if stored == "APPROVED" and now >= rec["start_time"]:
        return "OPEN"
    return stored


def certificate(lk: Lookup, rec: dict[str, Any]) -> dict[str, Any]:
    state = lk.state
    kp_ref = lk.keypair_ref(rec["keypair_id"]) or rec["keypair"]
    return {
        "id": rec["id"],
        "alias": rec["alias"],
        "cert": rec["cert"],
        "chain": state.chain(),
        "certificate_fingerprint": rec["certificate_fingerprint"],
        "certificate_status": cert_status(rec, lk.now),
        "valid_from": rec["valid_from"],
        "valid_to": rec["valid_to"],
        "default_cert": rec["default_cert"],
        "keypair": kp_ref,
        "account": lk.account(rec["account_id"]),
        "certificate_profile": rec["certificate_profile"],
        "hierarchy": rec["hierarchy"],
        "certificate_type": rec["certificate_type"],
        "enrollment_method": rec["enrollment_method"],
        "organization": rec.get("organization"),
        "ca_certificate": rec.get("ca_certificate"),
        "custom_fields": rec.get("custom_fields", []),
        "auto_renewal": rec.get("auto_renewal", False),
        "serial_number": rec["serial_number"],
        "subject": rec["subject"],
        "revoked_on": rec.get("revoked_on"),
        "revocation_reason": rec.get("revocation_reason"),
        "created_on": rec["created_on"],
        "created_by": rec["created_by"],
        "created_by_user": lk.user_ref(rec["created_by"]),
        "modified_on": rec["modified_on"],
        "modified_by": rec["modified_by"],
        "modified_by_user": lk.user_ref(rec["modified_by"]),
    }


def team_group(lk: Lookup, team_id: str) -> dict[str, Any] | None:
    team = lk.get("teams", team_id)
    if team is None:
        return None
    return {
        "id": team["id"],
        "name": team["name"],
        "status": team["status"],
        "created_on": team["created_on"],
        "created_by": team["created_by"],
        "modified_on": team["modified_on"],
        "modified_by": team["modified_by"],
    }


def open_releases_for(lk: Lookup, keypair_id: str) -> list[dict[str, Any]]:
    now = lk.now
    rows = lk.state.db.select(
        "releases", "account_id IN (SELECT account_id FROM keypairs WHERE id=?)", (keypair_id,)
    )
    return [r for r in rows if keypair_id in r["keypair_ids"] and release_status(r, now) == "OPEN"]


def may_use_keypair(caller: Caller, kp: dict[str, Any]) -> bool:
    """Whether the caller may sign with the keypair: an open keypair or one listing the
    caller, with the Sign permission of the role; or, through a team of the keypair, the
    team's `sign` member permission (a Lead sees every keypair but signs only with those
    assigned to them)."""
    direct = not kp["limit_by_users"] or caller.id in kp["user_ids"]
    if direct and caller.has("SIGN_SM_HASH"):
        return True
    return bool(caller.teams_granting("SIGN_SM_HASH") & set(kp["team_ids"]))


def signable_by(lk: Lookup, caller: Caller, kp: dict[str, Any]) -> bool:
    """ONLINE keys sign any time; OFFLINE (suspended) keys only inside an open OFFLINE
    release window that lists the keypair and the caller (C: N6)."""
    if not may_use_keypair(caller, kp):
        return False
    if kp["key_status"] == "ONLINE":
        return True
    return any(
        caller.id in r["signer_ids"] and r["release_type"] == "OFFLINE"
        for r in open_releases_for(lk, kp["id"])
    )


def certificates_of(lk: Lookup, keypair_id: str) -> list[dict[str, Any]]:
    certs = lk.certs_by_keypair.get(keypair_id)
    if certs is None:
        certs = lk.certs_by_keypair[keypair_id] = lk.state.db.select(
            "certificates", "keypair_id=?", (keypair_id,)
        )
    return certs


def keypair(lk: Lookup, caller: Caller, rec: dict[str, Any]) -> dict[str, Any]:
    certs = certificates_of(lk, rec["id"])
    rendered = [certificate(lk, c) for c in certs]
    groups = [g for g in (team_group(lk, t) for t in rec["team_ids"]) if g is not None]
    return {
        "id": rec["id"],
        "alias": rec["alias"],
        "key_alg": rec["key_alg"],
        "key_size": rec["key_size"],
        "curve": rec["curve"],
        "key_type": rec["key_type"],
        "key_storage": rec["key_storage"],
        "key_status": rec["key_status"],
        "key_modal_type": rec.get("key_modal_type", "STATIC"),
        "public_key": rec["public_key"],
        "certificates": rendered,
        "number_of_active_certificates": sum(
            1 for c in rendered if c["certificate_status"] == "ACTIVE"
        ),
        "account": lk.account(rec["account_id"]),
        "limit_by_users": rec["limit_by_users"],
        "users": [u for u in (lk.user_ref(uid) for uid in rec["user_ids"]) if u],
        "groups": groups,
        "team_ids": list(rec["team_ids"]),
        "is_signable_by_me": signable_by(lk, caller, rec),
        "keypair_profile": rec.get("keypair_profile"),
        "created_on": rec["created_on"],
        "created_by": rec["created_by"],
        "created_by_user": lk.user_ref(rec["created_by"]),
        "modified_on": rec["modified_on"],
        "modified_by_user": lk.user_ref(rec["modified_by"]),
        "hsm_partition_details": HSM_PARTITIONS[rec["key_storage"]],
    }


def release(lk: Lookup, rec: dict[str, Any]) -> dict[str, Any]:
    kps = [lk.get("keypairs", k) for k in rec["keypair_ids"]]
    count = lk.state.db.count(
        "signatures", "release_id=? AND json_extract(data, '$.status')='SUCCESS'", (rec["id"],)
    )
    return {
        "id": rec["id"],
        "name": rec["name"],
        "version": rec.get("version"),
        "team_id": rec.get("team_id"),
        "release_type": rec["release_type"],
        "purpose": rec["purpose"],
        "status": release_status(rec, lk.now),
        "start_time": rec["start_time"],
        "end_time": rec["end_time"],
        "keypairs": [{"id": k["id"], "alias": k["alias"]} for k in kps if k],
        "users": [lk.user_ref(u, auth_type=False) for u in rec["signer_ids"]],
        "max_signatures": rec.get("max_signatures"),
        "signature_count": count,
        "block_on_failed_scan": rec.get("block_on_failed_scan", False),
        "project": rec.get("project"),
        "notes": rec.get("notes"),
        "approved_by_user": lk.user_ref(rec.get("approved_by"), auth_type=False),
        "rejection_reason": rec.get("rejection_reason"),
        "approved_on": rec.get("approved_on"),
        "created_on": rec["created_on"],
        "created_by_user": lk.user_ref(rec["created_by"], auth_type=False),
        "modified_on": rec["modified_on"],
    }


def signature(lk: Lookup, rec: dict[str, Any]) -> dict[str, Any]:
    kp = lk.get("keypairs", rec["keypair_id"])
    cert = lk.get("certificates", rec.get("certificate_id")) if rec.get("certificate_id") else None
    rel = lk.get("releases", rec.get("release_id")) if rec.get("release_id") else None
    return {
        "id": rec["id"],
        "keypair": {"id": rec["keypair_id"], "alias": kp["alias"] if kp else rec["keypair_alias"]},
        "certificate": {"id": cert["id"], "alias": cert["alias"]} if cert else None,
        "release": {"id": rel["id"], "name": rel["name"]} if rel else None,
        "user": lk.user_ref(rec["user_id"], auth_type=False),
        "keypair_type": rec.get("keypair_type", "STATIC"),
        "signature_type": rec.get("signature_type", kp["key_type"] if kp else "PRODUCTION"),
        "sig_alg": rec["sig_alg"],
        "hash": rec["hash"],
        "signature": rec.get("signature"),
        "status": rec["status"],
        "failure_reason": rec.get("failure_reason"),
        "failure_message": rec.get("failure_message"),
        "client_ip": rec["client_ip"],
        "created_on": rec["created_on"],
        "sequence": rec.get("sequence"),
    }


def scan(rec: dict[str, Any], with_findings: bool) -> dict[str, Any]:
    out = {
        k: v
        for k, v in rec.items()
        if k
        not in ("account_id", "findings", "project_alias", "release_id", "modified_on", "_pending")
    }
    if with_findings:
        out["findings"] = rec["findings"]
    return out


RESOURCE_LIST_CAP = 200


def team(lk: Lookup, rec: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    """A team with its members' nine permissions; the detail view (GET /teams/{id} and
    every write) also lists the mapped resources, each list capped at 200 (counts are
    whole)."""
    from stm_tui.emulator.team_perms import member_defaults

    members = []
    for m in rec["members"]:
        user = lk.get("users", m["user_id"])
        perms = member_defaults(m["is_lead"])  # only to fill names a record lacks
        perms.update({k: bool(v) for k, v in m["permissions"].items() if k in perms})
        members.append(
            {
                "user_id": m["user_id"],
                "name": user["name"] if user else "unknown",
                "is_lead": m["is_lead"],
                "roles": list(user.get("roles", [])) if user else [],
                "permissions": perms,
            }
        )
    out: dict[str, Any] = {
        "id": rec["id"],
        "name": rec["name"],
        "description": rec.get("description"),
        "status": rec["status"],
        "members": members,
        "resource_counts": {},
        "created_on": rec["created_on"],
        "created_by": rec["created_by"],
        "modified_on": rec["modified_on"],
        "modified_by": rec["modified_by"],
    }
    resources, counts = team_resources(lk, rec)
    out["resource_counts"] = counts
    if detail:
        out["resources"] = resources
    return out


def team_resources(
    lk: Lookup, rec: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """(resources, whole counts): a team of a scale seed holds tens of thousands of keypairs."""
    db = lk.state.db
    team_id, account_id = rec["id"], rec["account_id"]
    with db.read() as c:
        keypairs = [
            {"id": r[0], "alias": r[1]}
            for r in c.execute(
                "SELECT k.id, k.alias FROM keypair_groups g JOIN keypairs k ON k.id=g.keypair_id"
                " WHERE g.team_id=? ORDER BY k.created_on, k.id LIMIT ?",
                (team_id, RESOURCE_LIST_CAP),
            ).fetchall()
        ]
        keypair_count = c.execute(
            "SELECT COUNT(*) FROM keypair_groups WHERE team_id=?", (team_id,)
        ).fetchone()[0]
    profiles = {
        table: [
            {"id": p["id"], "name": p["name"]}
            for p in db.select(table, "account_id=?", (account_id,))
            if any(t["id"] == team_id for t in p.get("teams", []))
        ]
        for table in ("keypair_profiles", "certificate_profiles")
    }
    certs = [lk.get("certificates", cid) for cid in rec.get("certificate_ids", [])]
    releases = db.select(
        "releases", "account_id=? AND team_id=?", (account_id, team_id)
    )
    resources = {
        "keypair_profiles": profiles["keypair_profiles"],
        "certificate_profiles": profiles["certificate_profiles"],
        "keypairs": keypairs,
        "certificates": [{"id": c["id"], "alias": c["alias"]} for c in certs if c],
        "releases": [{"id": r["id"], "name": r["name"]} for r in releases],
    }
    counts = {k: len(v) for k, v in resources.items()}
    counts["keypairs"] = int(keypair_count)
    return {k: v[:RESOURCE_LIST_CAP] for k, v in resources.items()}, counts


def _application(app_id: str, name: str, roles: list[str], perms: frozenset[str]) -> dict[str, Any]:
    return {
        "id": app_id,
        "name": name,
        "permissions": sorted(perms),
        "roles": [{"id": ROLE_IDS[r], "code": r, "name": ALL_ROLE_NAMES[r]} for r in roles],
    }


def user(lk: Lookup, rec: dict[str, Any]) -> dict[str, Any]:
    roles = list(rec.get("roles", []))
    stm_roles = [r for r in roles if r in ROLE_PERMISSIONS]
    am_roles = [r for r in roles if r in AM_ROLE_PERMISSIONS]
    applications = [
        _application(SOFTWARE_TRUST_APP_ID, "Software Trust", stm_roles, stm_permissions(roles))
    ]
    if am_roles:
        applications.append(
            _application(ACCOUNT_MANAGER_APP_ID, "Account Manager", am_roles, am_permissions(roles))
        )
    accounts = [lk.get("accounts", a) for a in rec["account_ids"]]
    teams = [lk.get("teams", t) for t in rec.get("team_ids", [])]
    return {
        "id": rec["id"],
        "email": rec.get("email"),
        "name": rec["name"],
        "status": rec["status"],
        "access_scope": "account",
        "primary_account_id": rec["primary_account_id"],
        "accounts": [{"id": a["id"], "name": a["name"]} for a in accounts if a],
        "created_at": rec["created_on"],
        "created_by": rec.get("created_by"),
        "user_type": rec["user_type"],
        "friendly_name": rec.get("friendly_name"),
        "description": rec.get("description"),
        "locale": "en_US",
        "end_date": rec.get("end_date"),
        "applications": applications,
        "teams": [{"id": t["id"], "name": t["name"]} for t in teams if t],
        **two_factor_readiness(lk, rec),
    }


# A client certificate that ends sooner than this does not count as ready (I).
READY_MARGIN_DAYS = 30


def two_factor_readiness(lk: Lookup, rec: dict[str, Any]) -> dict[str, Any]:
    """Whether the user can meet a two-factor requirement: an enrolled authenticator (the
    browser) or an active client authentication certificate (tools) that is not about to
    expire. `two_factor_enabled` is the enrolment, kept under its older name."""
    from datetime import timedelta

    from stm_tui.emulator.util import iso, parse_ts

    enrolled = (rec.get("authenticator") or {}).get("status") == "ENROLLED"
    certs = [
        c
        for c in lk.state.db.select("client_certs", "user_id=?", (rec["id"],))
        if c["status"] == "ACTIVE" and c["valid_to"] > lk.now
    ]
    valid_to = max((c["valid_to"] for c in certs), default=None)
    margin = iso(parse_ts(lk.now) + timedelta(days=READY_MARGIN_DAYS))
    return {
        "authenticator_enrolled": enrolled,
        "two_factor_enabled": enrolled,
        "active_client_certificates": len(certs),
        "client_certificate_valid_to": valid_to,
        "two_factor_ready": enrolled or (valid_to is not None and valid_to > margin),
    }


AUDIT_FIELDS = (
    "id",
    "account_id",
    "resource_type",
    "resource_id",
    "action",
    "status",
    "user_id",
    "user_name",
    "client_ip",
    "details",
    "created_on",
)


def audit(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec.get(k) for k in AUDIT_FIELDS}


def api_token(rec: dict[str, Any], now: str) -> dict[str, Any]:
    status = rec["status"]
    if status == "ACTIVE" and rec.get("end_date") and rec["end_date"] <= now:
        status = "EXPIRED"
    return {
        "id": rec["id"],
        "name": rec["name"],
        "user_id": rec["user_id"],
        "key_hint": rec["key_hint"],
        "created_at": rec["created_on"],
        "end_date": rec.get("end_date"),
        "last_used_at": rec.get("last_used_at"),
        "status": status,
    }


def client_cert(rec: dict[str, Any], now: str) -> dict[str, Any]:
    status = rec["status"]
    if status == "ACTIVE" and rec["valid_to"] <= now:
        status = "EXPIRED"
    return {
        "id": rec["id"],
        "name": rec["name"],
        "user_id": rec["user_id"],
        "token_id": rec.get("token_id"),
        "serial_number": rec["serial_number"],
        "subject": rec["subject"],
        "valid_from": rec["valid_from"],
        "valid_to": rec["valid_to"],
        "status": status,
        "created_at": rec["created_on"],
    }


def profile(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "account_id"}
    out.setdefault("teams", [])
    return out


def keypair_profile(rec: dict[str, Any], now: str) -> dict[str, Any]:
    """A keypair profile with its derived `status` (DISABLED by hand, INACTIVE until
    `active_from`, else ACTIVE); `enabled` is what enable/disable set."""

    out = {k: v for k, v in rec.items() if k != "account_id"}
    out.setdefault("key_storage", "HSM")
    out.setdefault("active_from", None)
    out.setdefault("teams", [])
    out["enabled"] = rec.get("enabled", True)
    out["status"] = keypair_profile_status(rec, now)
    return out


def account(rec: dict[str, Any], admins: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented Account Manager account (C: N10), plus the fields the client already
    reads (status, organization_id, cert_central_integration_allowed, created_at: I)."""
    return {
        "id": rec["id"],
        "name": rec["name"],
        "active": rec["status"] == "ACTIVE",
        "service_period": rec.get("service_period") or {"from": rec["created_at"][:10], "to": None},
        "friendly_identifier": rec.get("friendly_identifier") or rec["id"][:8],
        "admins": [{"id": a["id"], "email": a.get("email"), "name": a["name"]} for a in admins],
        "sign_in_methods": rec.get("sign_in_methods") or default_sign_in_methods(True),
        "locale": rec.get("locale", "en_US"),
        "status": rec["status"],
        "organization_id": rec["organization_id"],
        "cert_central_integration_allowed": rec["cert_central_integration_allowed"],
        "created_at": rec["created_at"],
    }


def default_sign_in_methods(mfa: bool) -> list[dict[str, Any]]:
    """The account's sign-in methods; 2FA is the `mfaStatus` of the standard one (C: N10)."""
    return [
        {
            "signInMethod": "standard",
            "status": "enabled",
            "mfaStatus": "enabled" if mfa else "disabled",
            "clientAuthCertLoginEnabled": True,
        }
    ]


def keypair_profile_status(rec: dict[str, Any], now: str) -> str:
    """DISABLED (by hand), INACTIVE (until `active_from`), else ACTIVE."""
    if not rec.get("enabled", True):
        return "DISABLED"
    if rec.get("active_from") and rec["active_from"] > now:
        return "INACTIVE"
    return "ACTIVE"
