"""Seeds a data directory: `empty` (accounts, the five role users, settings), `demo` (a
believable organisation with weeks of history) and `scale:N` (demo plus bulk rows until there
are N certificates, for performance work).

Everything but key material derives from `random.Random(rng_seed)` and the clock, so ids,
aliases, dates and counts are identical on every run. Bulk rows of `scale:N` share a small
pool of key material (each still has its own id, alias, serial and certificate).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from stm_tui.emulator import crypto
from stm_tui.emulator.bulk import seed_bulk
from stm_tui.emulator.db import Database
from stm_tui.emulator.rbac import CREDENTIAL_ROLES, permissions_for
from stm_tui.emulator.records import (
    Action,
    SignFailure,
    api_token_record,
    audit_record,
    certificate_record,
    keypair_record,
    new_api_key,
    signature_record,
)
from stm_tui.emulator.render import default_sign_in_methods
from stm_tui.emulator.seed_data import (
    ACCOUNTS,
    APPROVAL_REQUESTS,
    CERT_PROFILES,
    KEYPAIR_PROFILES,
    KEYPAIRS,
    LABS_KEYPAIRS,
    MEMBER_EXTRAS,
    NO_AUTHENTICATOR,
    OPEN_KEYPAIRS,
    ORG,
    SUSPENDED,
    TEAMS,
    USERS,
)
from stm_tui.emulator.team_perms import member_defaults
from stm_tui.emulator.util import iso, uuid_from

CC_REFUSED = "CertCentral refused the API key: it was revoked or has expired; enter a new one"
SEED_SIG_ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}
FAILURE_MESSAGES = {
    SignFailure.MISSING_SECOND_FACTOR: "Missing Client Authentication Certificate",
    SignFailure.NOT_ASSIGNED: "the keypair is limited to its users and teams",
    SignFailure.OUTSIDE_RELEASE_WINDOW: "the keypair is OFFLINE and no release window is open",
    SignFailure.NOT_A_RELEASE_SIGNER: "not a signer of the open release window",
    SignFailure.QUOTA_EXCEEDED: "the release window reached its maximum signatures",
    SignFailure.SCAN_FAILED: "the release window blocks signing: its threat scan failed",
}


class Seeder:
    def __init__(self, db: Database, now: datetime, rng_seed: int) -> None:
        self.db = db
        self.now = now.replace(microsecond=0)
        self.rng = random.Random(rng_seed)
        self.totp_rng = random.Random(rng_seed * 7919 + 17)
        self.accounts: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.teams: list[dict[str, Any]] = []
        self.kp_profiles: list[dict[str, Any]] = []
        self.cert_profiles: list[dict[str, Any]] = []
        self.keypairs: dict[str, dict[str, Any]] = {}
        self.private_keys: dict[str, crypto.PrivateKey] = {}
        self.certs: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.credentials: dict[str, dict[str, str]] = {}
        self.issuer: crypto.Authority | None = None

    # ---- helpers ----------------------------------------------------------------------

    def uid(self) -> str:
        return uuid_from(self.rng)

    def ago(self, days: float, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)

    def ip(self) -> str:
        return f"10.20.{self.rng.randint(0, 15)}.{self.rng.randint(2, 254)}"

    def log(
        self,
        account_id: str,
        resource_type: str,
        resource_id: str,
        action: str,
        user: dict[str, Any] | None,
        when: datetime,
        details: str,
        status: str = "SUCCESS",
    ) -> None:
        self.audit.append(
            audit_record(
                entry_id=self.uid(),
                account_id=account_id,
                resource_type=resource_type,
                resource_id=resource_id,
                action=action,
                user=user,
                client_ip=self.ip(),
                details=details,
                created_on=iso(when),
                status=status,
            )
        )

    # ---- the parts of the organisation ------------------------------------------------------

    def seed_ca(self, c: sqlite3.Connection) -> None:
        root_key = crypto.generate_key("ECDSA", curve="P384")
        root = crypto.make_ca(
            "stm-tui Demo Root CA", ORG, self.ago(3 * 365), 20, key=root_key, path_length=1
        )
        inter = crypto.make_ca(
            "stm-tui Demo Code Signing CA", ORG, self.ago(2 * 365), 10, issuer=root, path_length=0
        )
        self.issuer = inter
        Database.meta_set(
            c,
            "code_signing_ca",
            json.dumps(
                {
                    "root_cert": root.cert_der.hex(),
                    "root_key": root.key_der.hex(),
                    "int_cert": inter.cert_der.hex(),
                    "int_key": inter.key_der.hex(),
                }
            ),
        )

    def seed_accounts_and_users(self, c: sqlite3.Connection, user_keys: set[str]) -> None:
        for i, (name, cc_allowed) in enumerate(ACCOUNTS):
            when = iso(self.ago(900 - i * 200))
            acc = {
                "id": self.uid(),
                "name": name,
                "status": "ACTIVE",
                "organization_id": self.uid(),
                "cert_central_integration_allowed": cc_allowed,
                "created_at": when,
                "friendly_identifier": f"{name.split()[-1].upper()}-{1040 + i}",
                "service_period": {
                    "from": when[:10],
                    "to": iso(self.now + timedelta(days=400))[:10],
                },
                "locale": "en_US",
                # The account's 2FA requirement (C: Account Manager's sign-in settings). The
                # demo's main account has not turned it on yet: a setup step to do.
                "sign_in_methods": default_sign_in_methods(i != 0),
                "created_on": when,
                "modified_on": when,
            }
            acc["account_id"] = acc["id"]
            self.accounts.append(acc)
            Database.insert(c, "accounts", acc)
        for n, (key, name, email, roles, acc_idx, user_type) in enumerate(USERS):
            if key not in user_keys:
                continue
            created = iso(self.ago(700 - n * 23))
            account_ids = [self.accounts[i]["id"] for i in acc_idx]
            user = {
                "id": self.uid(),
                "account_id": account_ids[0],
                "name": name,
                "email": email or None,
                "status": "ACTIVE",
                "user_type": user_type,
                "friendly_name": name if user_type == "service" else None,
                "description": "CI signing identity" if user_type == "service" else None,
                "primary_account_id": account_ids[0],
                "account_ids": account_ids,
                "roles": roles,
                "team_ids": [],
                "led_team_ids": [],
                "created_on": created,
                "modified_on": created,
                "created_by": None,
                "end_date": (self.now + timedelta(days=400)).strftime("%Y-%m-%dT23:59:59Z")
                if user_type == "service"
                else None,
                "authenticator": self.authenticator(key, user_type, created),
            }
            self.users[key] = user
        lead_id = self.users["lead"]["id"] if "lead" in self.users else None
        for user in self.users.values():
            user["created_by"] = lead_id if user["id"] != lead_id else None

    def authenticator(self, key: str, user_type: str, created: str) -> dict[str, Any] | None:
        """Standard users have an enrolled authenticator app, except two who have not
        done it yet (a setup step to show). Secrets come from their own generator so the
        rest of the demo does not shift."""
        if user_type != "standard" or key in NO_AUTHENTICATOR:
            return None
        secret = base64.b32encode(self.totp_rng.getrandbits(160).to_bytes(20, "big"))
        return {
            "status": "ENROLLED",
            "secret": secret.decode().rstrip("="),
            "started_on": created,
            "enrolled_on": created,
            "last_step": None,
        }

    def seed_tokens(self, c: sqlite3.Connection) -> None:
        for key, user in self.users.items():
            value, digest, hint = new_api_key()
            token = api_token_record(
                token_id=self.uid(),
                user=user,
                name=f"{user['name'].split()[0].lower()}-api-key",
                key_hash=digest,
                hint=hint,
                created_on=user["created_on"],
                end_date=None,
                last_used_at=iso(self.ago(self.rng.randint(0, 5), self.rng.randint(1, 20))),
            )
            Database.insert(c, "api_tokens", token)
            if key in CREDENTIAL_ROLES:
                self.credentials[key] = {"id": user["id"], "api_key": value}
                if user.get("authenticator"):
                    # For tests and SM_TOTP_SECRET: the role's authenticator seed.
                    self.credentials[key]["totp_secret"] = user["authenticator"]["secret"]
        for uk in ("lead", "developer"):  # a revoked and an expired token for the lists
            if uk not in self.users:
                continue
            user = self.users[uk]
            for name, status, end in (
                ("old-laptop", "REVOKED", None),
                ("2025-automation", "ACTIVE", iso(self.ago(30))),
            ):
                token = api_token_record(
                    token_id=self.uid(),
                    user=user,
                    name=name,
                    key_hash=hashlib.sha256(self.uid().encode()).hexdigest(),
                    hint="…" + self.uid()[-4:],
                    created_on=iso(self.ago(400)),
                    end_date=end,
                )
                token["status"] = status
                Database.insert(c, "api_tokens", token)

    def seed_teams(self, c: sqlite3.Connection) -> None:
        account = self.accounts[0]["id"]
        lead = self.users["lead"]
        for n, (name, description, lead_key, member_keys) in enumerate(TEAMS):
            created = iso(self.ago(600 - n * 40))
            team_id = self.uid()
            members = [
                {
                    "user_id": self.users[lead_key]["id"],
                    "is_lead": True,
                    "permissions": member_defaults(True),
                }
            ]
            self.users[lead_key]["led_team_ids"].append(team_id)
            self.users[lead_key]["team_ids"].append(team_id)
            for mk in member_keys:
                perms = member_defaults(False, permissions_for(self.users[mk]["roles"]))
                perms.update(MEMBER_EXTRAS.get((name, mk), {}))
                members.append(
                    {"user_id": self.users[mk]["id"], "is_lead": False, "permissions": perms}
                )
                self.users[mk]["team_ids"].append(team_id)
            team = {
                "id": team_id,
                "account_id": account,
                "name": name,
                "description": description,
                "status": "ACTIVE",
                "members": members,
                "created_on": created,
                "created_by": lead["id"],
                "modified_on": created,
                "modified_by": lead["id"],
            }
            self.teams.append(team)
            Database.insert(c, "teams", team)
            self.log(
                account,
                "TEAM",
                team_id,
                Action.GENERATE,
                lead,
                self.ago(600 - n * 40),
                f"Team {name} created",
            )

    def save_users(self, c: sqlite3.Connection) -> None:
        for user in self.users.values():
            Database.insert(c, "users", user)
            for acc in user["account_ids"]:
                c.execute("INSERT INTO user_accounts VALUES (?, ?)", (user["id"], acc))
            self.log(
                user["primary_account_id"],
                "USER",
                user["id"],
                Action.GENERATE,
                self.users.get("lead"),
                datetime.fromisoformat(user["created_on"]),
                f"User {user['name']} created",
            )

    def seed_profiles(self, c: sqlite3.Connection) -> None:
        account = self.accounts[0]["id"]
        for n, (name, ptype, status, alg, size, curve, ktype) in enumerate(KEYPAIR_PROFILES):
            when = iso(self.ago(500 - n * 10))
            prof = {
                "id": self.uid(),
                "account_id": account,
                "name": name,
                "profile_type": ptype,
                "scope": "ACCOUNT" if n else "SYSTEM",
                "key_status": status,
                "key_alg": alg,
                "key_size": size,
                "curve": curve,
                "key_type": ktype,
                "key_storage": "HSM",
                "enabled": True,
                "active_from": None,
                "teams": [{"id": t["id"], "name": t["name"]} for t in self.teams[: n % 3]],
                "created_on": when,
                "created_by": self.users["lead"]["id"] if "lead" in self.users else None,
                "modified_on": when,
            }
            self.kp_profiles.append(prof)
            Database.insert(c, "keypair_profiles", prof)
        for acc in self.accounts:
            for n, (name, hierarchy, ctype, method, days, algs) in enumerate(CERT_PROFILES):
                when = iso(self.ago(500 - n * 10))
                prof = {
                    "id": self.uid(),
                    "account_id": acc["id"],
                    "name": name,
                    "status": "ACTIVE",
                    "hierarchy": hierarchy,
                    "certificate_type": ctype,
                    "enrollment_method": method,
                    "validity_days": days,
                    "allowed_key_algs": algs,
                    "subject_template": {
                        "common_name": acc["name"],
                        "organization": acc["name"],
                        "country": "US",
                    },
                    "teams": [],
                    "created_on": when,
                    "modified_on": when,
                }
                if acc is self.accounts[0]:
                    self.cert_profiles.append(prof)
                Database.insert(c, "certificate_profiles", prof)

    def seed_settings(self, c: sqlite3.Connection) -> None:
        for n, acc in enumerate(self.accounts):
            when = iso(self.ago(90))
            lead = self.users.get("lead")
            settings = {
                "id": acc["id"],
                "account_id": acc["id"],
                "require_keypair_profile": False,
                # Set up months ago; CertCentral has since refused the key (revoked there):
                # "not connected" is a setup step for the demo to show.
                "certcentral": {
                    "configured": n == 0,
                    "enabled": n == 0,
                    "connected": False,
                    "region": "GLOBAL" if n == 0 else None,
                    "api_key_hint": "…b3f9" if n == 0 else None,
                    "configured_on": when if n == 0 else None,
                    "configured_by": lead["id"] if (n == 0 and lead) else None,
                    "validated_on": iso(self.ago(2)) if n == 0 else None,
                    "connection_error": CC_REFUSED if n == 0 else None,
                    "key_problem": CC_REFUSED if n == 0 else None,
                },
                "release_preferences": {
                    "comparison_matches_required": 2,
                    "allowed_keypair_types": ["ONLINE", "OFFLINE", "TEST"],
                    "default_purpose": "SIGN",
                    "block_signing_on_failed_scan": "SPECIFY",
                    "restrict_scans_to_releases": False,
                },
                "created_on": when,
                "modified_on": when,
            }
            c.execute("INSERT INTO settings VALUES (?, ?)", (acc["id"], json.dumps(settings)))

    # ---- keypairs and certificates ------------------------------------------------------------

    def generate_keys(self, specs: list[tuple[str, Any]]) -> list[crypto.PrivateKey]:
        """RSA generation dominates the seed. OpenSSL releases the GIL, so threads run on all
        cores; four of them (on two cores) also keep a fair share of a busy machine."""

        def make(spec: tuple[str, Any]) -> crypto.PrivateKey:
            alg, param = spec
            if alg == "RSA":
                return crypto.generate_key("RSA", key_size=int(param))
            return crypto.generate_key(alg, curve=param)

        order = sorted(
            range(len(specs)), key=lambda i: -(specs[i][1] if specs[i][0] == "RSA" else 0)
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            made = dict(zip(order, pool.map(lambda i: make(specs[i]), order), strict=True))
        return [made[i] for i in range(len(specs))]

    def seed_keypairs(self, c: sqlite3.Connection) -> None:
        plan = [(0, row) for row in KEYPAIRS] + [(1, row) for row in LABS_KEYPAIRS]
        keys = self.generate_keys([(row[1], row[2]) for _, row in plan])
        creators = ["lead", "team_lead", "developer", "lena", "omar"]
        for n, ((acc_idx, row), key) in enumerate(zip(plan, keys, strict=True)):
            alias, alg, param, ktype, kstatus, storage, team_idx, cert_plan = row
            account = self.accounts[acc_idx]["id"]
            creator = self.users["lead" if acc_idx else creators[n % len(creators)]]
            created = self.ago(420 - n * 11, self.rng.randint(0, 23))
            key_ref = self.uid()
            c.execute("INSERT INTO key_material VALUES (?, ?)", (key_ref, crypto.private_der(key)))
            team_ids = [self.teams[team_idx]["id"]] if team_idx is not None and acc_idx == 0 else []
            user_ids = [self.users["lead"]["id"]]
            for uk in ("signer", "ci_bot", "developer", "build_engineer", "grace"):
                if self.rng.random() < 0.45 and acc_idx == 0:
                    user_ids.append(self.users[uk]["id"])
            profile = None
            if alg == "RSA" and param == 3072 and ktype == "PRODUCTION" and storage == "HSM":
                profile = self.kp_profiles[0]
            kp = keypair_record(
                keypair_id=self.uid(),
                account_id=account,
                alias=alias,
                key_alg=alg,
                key_size=param if alg == "RSA" else None,
                curve=None if alg == "RSA" else param,
                key_type=ktype,
                key_storage=storage,
                key_status=kstatus,
                public_key_der=crypto.public_der(key),
                key_ref=key_ref,
                limit_by_users=alias not in OPEN_KEYPAIRS,
                user_ids=user_ids,
                team_ids=team_ids,
                profile=profile,
                created_by=creator["id"],
                created_on=iso(created),
            )
            if alias in SUSPENDED:  # suspended = OFFLINE (C: N6)
                kp["key_status"] = "OFFLINE"
                kp["modified_on"] = iso(self.ago(6, n % 5))
                kp["modified_by"] = self.users["lead"]["id"]
            self.keypairs[alias] = kp
            self.private_keys[kp["id"]] = key
            for team_id in team_ids:
                c.execute("INSERT INTO keypair_groups VALUES (?, ?)", (kp["id"], team_id))
            self.log(
                account,
                "KEYPAIR",
                kp["id"],
                Action.GENERATE,
                creator,
                created,
                f"Keypair {alias} generated ({alg} {param})",
            )
            if alias in SUSPENDED:
                self.log(
                    account,
                    "KEYPAIR",
                    kp["id"],
                    Action.SUSPEND,
                    self.users["lead"],
                    self.ago(6, n % 5),
                    f"Keypair {alias} suspended (status OFFLINE)",
                )
            self.seed_certs_for(kp, cert_plan, created, creator, acc_idx)
            Database.insert(c, "keypairs", kp)

    def seed_certs_for(
        self,
        kp: dict[str, Any],
        plan: str,
        created: datetime,
        creator: dict[str, Any],
        acc_idx: int,
    ) -> None:
        if plan == "none":
            return
        priv, short, ev, ov = self.cert_profiles
        profile = ev if plan == "public" and kp["key_alg"] != "EDDSA" else priv
        if plan == "public" and self.rng.random() < 0.3:
            profile = ov
        lifetimes: list[tuple[datetime, datetime, str | None]] = []
        if plan == "rotated":
            old_from = created
            lifetimes.append((old_from, old_from + timedelta(days=365), "superseded"))
            new_from = self.ago(self.rng.randint(20, 60))
            lifetimes.append((new_from, new_from + timedelta(days=365), None))
        elif plan == "expiring":
            start = self.now + timedelta(days=self.rng.randint(3, 25)) - timedelta(days=90)
            profile = short
            lifetimes.append((start, start + timedelta(days=90), None))
        elif plan == "expired":
            start = self.ago(self.rng.randint(400, 700))
            lifetimes.append((start, start + timedelta(days=365), None))
        elif plan == "revoked":
            start = self.ago(self.rng.randint(60, 200))
            lifetimes.append((start, start + timedelta(days=365), "key_compromise"))
        else:
            start = self.ago(self.rng.randint(10, 300))
            lifetimes.append((start, start + timedelta(days=365), None))
        assert self.issuer is not None
        for i, (valid_from, valid_to, revoked) in enumerate(lifetimes):
            last = i == len(lifetimes) - 1
            suffix = (
                "cert" if len(lifetimes) == 1 else f"cert-{valid_from.year}{'-v2' if last else ''}"
            )
            cert = certificate_record(
                issuer=self.issuer,
                cert_id=self.uid(),
                keypair=kp,
                profile=profile,
                alias=f"{kp['alias']}-{suffix}",
                serial=self.rng.getrandbits(120) | (1 << 120),
                valid_from=valid_from,
                valid_to=valid_to,
                default_cert=last,
                created_by=creator["id"],
                created_on=iso(max(valid_from, created)),
            )
            if acc_idx == 1:
                cert["certificate_profile"] = {"id": profile["id"], "name": profile["name"]}
            self.log(
                kp["account_id"],
                "CERTIFICATE",
                cert["id"],
                Action.GENERATE,
                creator,
                max(valid_from, created),
                f"Certificate {cert['alias']} issued",
            )
            if revoked:
                when = min(self.now - timedelta(days=2), valid_from + timedelta(days=30))
                cert.update(
                    status="REVOKED",
                    revoked_on=iso(when),
                    revocation_reason=revoked,
                    modified_on=iso(when),
                    modified_by=self.users["lead"]["id"],
                    default_cert=False,
                )
                self.log(
                    kp["account_id"],
                    "CERTIFICATE",
                    cert["id"],
                    Action.UPDATE,
                    self.users["lead"],
                    when,
                    f"Certificate {cert['alias']} revoked ({revoked})",
                )
            self.certs.append(cert)

    # ---- releases, scans, signatures ----------------------------------------------------------

    def seed_releases(self, c: sqlite3.Connection) -> list[dict[str, Any]]:
        u, k, t = self.users, self.keypairs, self.teams
        account = self.accounts[0]["id"]
        # (name, version, team, type, purpose, start offset h, duration h, keypairs, signers,
        #  max, stored status, project)
        plan = [
            (
                "desktop-4.2.0",
                "4.2.0",
                0,
                "OFFLINE",
                "DETECT_THREATS_AND_SIGN",
                -24 * 20,
                48,
                ["desktop-driver-kit"],
                ["signer", "ci_bot"],
                200,
                "CLOSED",
                "desktop-client",
            ),
            (
                "mobile-2026.10",
                "2026.10",
                1,
                "ONLINE",
                "SIGN",
                -24 * 12,
                72,
                ["mobile-android-upload"],
                ["grace", "build_engineer"],
                None,
                "APPROVED",
                "mobile-app",
            ),
            (
                "desktop-4.3.0",
                "4.3.0",
                0,
                "OFFLINE",
                "DETECT_THREATS_AND_SIGN",
                -6,
                30,
                ["desktop-installer-ev"],
                ["signer", "ci_bot", "developer"],
                50,
                "APPROVED",
                "desktop-client",
            ),
            (
                "platform-fw-7.1",
                "7.1.0",
                2,
                "OFFLINE",
                "SIGN",
                -2,
                12,
                ["platform-firmware-update", "platform-firmware-root"],
                ["build_engineer", "nightly", "signer"],
                40,
                "APPROVED",
                "firmware",
            ),
            (
                "platform-q4-hotfix",
                "7.0.4",
                2,
                "ONLINE",
                "SIGN",
                -3,
                24,
                ["platform-container-sign"],
                ["ci_bot", "build_engineer"],
                None,
                "APPROVED",
                "platform",
            ),
            (
                "mobile-ios-3.0",
                "3.0.0",
                1,
                "OFFLINE",
                "DETECT_THREATS_AND_SIGN",
                24 * 2,
                48,
                ["mobile-ios-enterprise"],
                ["grace"],
                100,
                "APPROVED",
                "mobile-app",
            ),
            (
                "desktop-4.4.0-rc1",
                "4.4.0-rc1",
                0,
                "OFFLINE",
                "SIGN",
                24 * 5,
                24,
                ["desktop-mac-release"],
                ["signer"],
                50,
                "PENDING_APPROVAL",
                "desktop-client",
            ),
            (
                "desktop-4.3.1-hotfix",
                "4.3.1",
                0,
                "OFFLINE",
                "SIGN",
                24 * 2,
                12,
                ["desktop-legacy-signer"],
                ["signer"],
                20,
                "REJECTED",
                "desktop-client",
            ),
        ]
        releases = []
        for n, (
            name,
            version,
            team_idx,
            rtype,
            purpose,
            start_h,
            dur_h,
            kps,
            signers,
            max_sig,
            status,
            project,
        ) in enumerate(plan):
            start = self.now + timedelta(hours=start_h)
            # Requested three days ahead, but never in the future: an entry stamped ahead
            # of the clock froze the dashboard's audit log.
            created = min(start - timedelta(days=3), self.now - timedelta(hours=6))
            requester = u["developer"] if n % 2 else u["team_lead"]
            decided = status in ("APPROVED", "CLOSED")
            rel = {
                "id": self.uid(),
                "account_id": account,
                "name": name,
                "version": version,
                "team_id": t[team_idx]["id"],
                "release_type": rtype,
                "purpose": purpose,
                "status": status,
                "start_time": iso(start),
                "end_time": iso(start + timedelta(hours=dur_h)),
                "keypair_ids": [k[a]["id"] for a in kps],
                "signer_ids": [u[s]["id"] for s in signers],
                "max_signatures": max_sig,
                # desktop-4.3.0 signs on although its scan failed: the monitor's alert case.
                "block_on_failed_scan": "THREATS" in purpose and name != "desktop-4.3.0",
                "project": project,
                "notes": f"Release {version} of {project}",
                # Online releases are created approved; offline ones by a second person (C).
                "approved_by": (u["lead"] if rtype == "OFFLINE" else requester)["id"]
                if decided
                else None,
                "approved_on": iso(created + timedelta(hours=5 if rtype == "OFFLINE" else 0))
                if decided
                else None,
                "rejection_reason": "Scan of 4.3.1 not attached" if status == "REJECTED" else None,
                "created_on": iso(created),
                "created_by": requester["id"],
                "modified_on": iso(created + timedelta(hours=5)),
            }
            if status == "CLOSED":
                rel["modified_on"] = iso(start + timedelta(hours=dur_h - 6))
            releases.append(rel)
            Database.insert(c, "releases", rel)
            self.log(
                account,
                "RELEASE",
                rel["id"],
                Action.REQUEST if rtype == "OFFLINE" else Action.GENERATE,
                requester,
                created,
                f"Release window {name} requested",
            )
            if rtype == "OFFLINE" and status in ("APPROVED", "CLOSED", "REJECTED"):
                approved = status != "REJECTED"
                self.log(
                    account,
                    "RELEASE",
                    rel["id"],
                    Action.APPROVE if approved else Action.REJECT,
                    u["lead"],
                    created + timedelta(hours=5),
                    f"Release window {name} {'approved' if approved else 'rejected'}",
                )
        return releases

    def seed_scans(self, c: sqlite3.Connection, releases: list[dict[str, Any]]) -> None:
        account = self.accounts[0]["id"]
        findings_catalogue = [
            (
                "vulnerabilities",
                "HIGH",
                "OpenSSL buffer over-read",
                "libssl 3.0.7",
                "CVE-2023-0286",
                "lib/libssl.so.3",
            ),
            (
                "vulnerabilities",
                "MEDIUM",
                "zlib inflate heap overflow",
                "zlib 1.2.11",
                "CVE-2022-37434",
                "bin/updater",
            ),
            (
                "secrets",
                "CRITICAL",
                "AWS access key embedded",
                "config loader",
                None,
                "resources/settings.json",
            ),
            (
                "malware",
                "CRITICAL",
                "Known trojan dropper signature",
                "setup helper",
                None,
                "tools/helper.exe",
            ),
            (
                "licenses",
                "LOW",
                "GPL-3.0 component in proprietary bundle",
                "readline 8.1",
                None,
                "lib/libreadline.so",
            ),
            (
                "tampering",
                "HIGH",
                "Unsigned binary replaced after build",
                "launcher",
                None,
                "bin/launcher",
            ),
            (
                "vulnerabilities",
                "LOW",
                "Outdated jQuery",
                "jquery 3.4.1",
                "CVE-2020-11022",
                "web/js/jquery.js",
            ),
        ]
        plan = [
            ("desktop-client", "4.2.0", "PASS", 0, []),
            ("desktop-client", "4.3.0", "FAIL", 2, [0, 1, 2]),
            ("mobile-app", "2026.10", "PASS", 1, [6]),
            ("firmware", "7.1.0", "IN_PROGRESS", 3, []),
            ("platform", "7.0.4", "FAIL", 4, [3, 5]),
            ("mobile-app", "3.0.0-beta", "ERROR", None, []),
            ("platform", "7.0.3", "PASS", None, [4, 6]),
            ("desktop-client", "4.1.9", "FAIL", None, [1]),
        ]
        by_project: dict[str, str] = {}
        for n, (project, version, status, rel_idx, finding_idx) in enumerate(plan):
            created = self.ago(25 - n * 3, 4)
            project_id = by_project.setdefault(project, self.uid())
            findings = []
            counts = dict.fromkeys(
                ("malware", "vulnerabilities", "secrets", "licenses", "tampering"), 0
            )
            for fi in finding_idx:
                cat, sev, title, comp, cve, path = findings_catalogue[fi]
                counts[cat] += 1
                findings.append(
                    {
                        "id": self.uid(),
                        "category": cat,
                        "severity": sev,
                        "title": title,
                        "detail": f"{title} detected in {comp}.",
                        "component": comp,
                        "cve": cve,
                        "path": path,
                    }
                )
            order = ["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
            risk = max(
                (f["severity"] for f in findings), key=lambda s: order.index(str(s)), default="NONE"
            )
            rel = releases[rel_idx] if rel_idx is not None else None
            tool = "FOSSA" if version == "7.0.3" else "REVERSINGLABS"  # FOSSA: source scans
            ext = "tar.gz" if tool == "FOSSA" else ("apk" if "mobile" in project else "zip")
            file_name = f"{project}-{version}{'-src' if tool == 'FOSSA' else ''}.{ext}"
            scan = {
                "id": self.uid(),
                "account_id": account,
                "alias": f"{project}-{version}-scan",
                "project": {"id": project_id, "alias": project},
                "project_alias": project,
                "release": {"id": rel["id"], "name": rel["name"]} if rel else None,
                "release_id": rel["id"] if rel else None,
                "version": version,
                "file_name": file_name,
                # What smctl prints for a scan (C: N14): SHA-1 of the file, the tool, and a
                # deleted flag (the oldest desktop scan was deleted).
                "checksum": hashlib.sha1(f"{file_name}:{n}".encode()).hexdigest(),  # noqa: S324
                "checksum_type": "SHA1",
                "tool": tool,
                "deleted": version == "4.1.9",
                "status": status,
                "risk_level": risk if status in ("PASS", "FAIL") else "NONE",
                "finding_counts": counts,
                "reports": [{"type": "RISK"}, {"type": "SARIF"}, {"type": "SBOM_CYCLONEDX"}]
                if status in ("PASS", "FAIL")
                else [],
                "findings": findings,
                "created_on": iso(created),
                "completed_on": iso(created + timedelta(minutes=14))
                if status != "IN_PROGRESS"
                else None,
                "created_by_user": {
                    "id": self.users["build_engineer"]["id"],
                    "name": self.users["build_engineer"]["name"],
                },
                "modified_on": iso(created + timedelta(minutes=14)),
            }
            Database.insert(c, "scans", scan)
            self.log(
                account,
                "SCAN",
                scan["id"],
                Action.GENERATE,
                self.users["build_engineer"],
                created,
                f"Threat scan {scan['alias']}: {status}",
            )

    def seed_signatures(self, c: sqlite3.Connection, releases: list[dict[str, Any]]) -> None:
        """A few weeks of signing history, mostly during working hours, with real signatures
        over the logged hashes; a few attempts were refused (and logged as FAILED)."""
        account = self.accounts[0]["id"]
        usable = [
            kp
            for kp in self.keypairs.values()
            if kp["account_id"] == account and kp["alias"] not in SUSPENDED
        ]
        certs_by_kp = {cert["keypair_id"]: cert for cert in self.certs if cert["default_cert"]}
        signers = ["ci_bot", "signer", "build_engineer", "developer", "nightly", "grace"]
        rows: list[dict[str, Any]] = []
        for _ in range(320):
            when = self.ago(self.rng.uniform(0.05, 21))
            kp = self.rng.choice(usable)
            user = self.users[self.rng.choice(signers)]
            release_id = None
            for rel in releases:
                if (
                    kp["id"] in rel["keypair_ids"]
                    and rel["status"] in ("APPROVED", "CLOSED")
                    and rel["start_time"] <= iso(when) < rel["end_time"]
                ):
                    release_id = rel["id"]
            if kp["key_status"] == "OFFLINE" and release_id is None:
                continue
            failed = self.rng.random() < 0.03
            failure = self.rng.choice(SignFailure.ALL[:5]) if failed else None
            rows.append(self.signature(kp, certs_by_kp, release_id, user["id"], when, failure))
        # Signatures inside the open offline releases, so their counters are believable.
        for rel in releases:
            if rel["name"] in ("desktop-4.3.0", "platform-fw-7.1", "desktop-4.2.0"):
                start = datetime.fromisoformat(rel["start_time"].replace("Z", "+00:00"))
                count = {"desktop-4.2.0": 37, "desktop-4.3.0": 39}.get(rel["name"], 12)
                for i in range(count):
                    when = min(
                        start + timedelta(minutes=7 * i + 3), self.now - timedelta(minutes=1)
                    )
                    if rel["name"] == "desktop-4.3.0":  # 39 of 50 over the last six hours
                        when = start + timedelta(minutes=9 * i + 2)
                    kp = self.keypairs_by_id(rel["keypair_ids"][i % len(rel["keypair_ids"])])
                    user_id = rel["signer_ids"][i % len(rel["signer_ids"])]
                    rows.append(self.signature(kp, certs_by_kp, rel["id"], user_id, when, None))
        rows.sort(key=lambda r: (r["created_on"], r["id"]))
        for n, row in enumerate(rows, start=1):
            row["sequence"] = n
        Database.insert_many(c, "signatures", rows)
        users_by_id = {u["id"]: u for u in self.users.values()}
        for row in rows[::4]:  # the audit log records a sample of signing events
            self.audit.append(
                audit_record(
                    entry_id=self.uid(),
                    account_id=account,
                    resource_type="SIGNATURE",
                    resource_id=row["id"],
                    action=Action.SIGN,
                    user=users_by_id[row["user_id"]],
                    client_ip=row["client_ip"],
                    details=f"Hash signed with {row['keypair_alias']} ({row['sig_alg']})"
                    if row["status"] == "SUCCESS"
                    else f"Signing with {row['keypair_alias']} refused: {row['failure_message']}",
                    created_on=row["created_on"],
                    status=row["status"].replace("FAILED", "FAILURE"),
                )
            )

    def signature(
        self,
        kp: dict[str, Any],
        certs_by_kp: dict[str, dict[str, Any]],
        release_id: str | None,
        user_id: str,
        when: datetime,
        failure: str | None,
    ) -> dict[str, Any]:
        sig_alg = SEED_SIG_ALGS[kp["key_alg"]]
        digest = self.rng.getrandbits(256).to_bytes(32, "big")
        signature = None
        if failure is None:
            key = self.private_keys[kp["id"]]
            signature = crypto.b64(crypto.sign_digest(key, kp["key_alg"], sig_alg, digest))
        cert = certs_by_kp.get(kp["id"])
        return signature_record(
            sig_id=self.uid(),
            account_id=kp["account_id"],
            keypair=kp,
            certificate_id=cert["id"] if cert else None,
            release_id=None if failure else release_id,
            user_id=user_id,
            sig_alg=sig_alg,
            hash_b64=crypto.b64(digest),
            signature_b64=signature,
            client_ip=self.ip(),
            created_on=iso(when),
            failure=failure,
            failure_message=FAILURE_MESSAGES[failure] if failure else None,
        )

    def seed_approval_requests(self, c: sqlite3.Connection) -> None:
        """One pending request of each kind, waiting for the Lead (the requested offline
        release desktop-4.4.0-rc1 is the fourth kind)."""
        account = self.accounts[0]["id"]
        for n, (kind, requester, alias, reason) in enumerate(APPROVAL_REQUESTS):
            kp = self.keypairs[alias]
            cert = None
            if kind == "CERTIFICATE_REVOCATION":
                cert = next(
                    x for x in self.certs if x["keypair_id"] == kp["id"] and x["default_cert"]
                )
            when = self.ago(0, 20 - n * 6)
            user = self.users[requester]
            name = cert["alias"] if cert else kp["alias"]
            rec = {
                "id": self.uid(),
                "account_id": account,
                "kind": kind,
                "status": "PENDING",
                "keypair_id": kp["id"],
                "certificate_id": cert["id"] if cert else None,
                "release_id": None,
                "resource_name": name,
                "reason": reason,
                "revocation_reason": "superseded" if cert else None,
                "requested_by": user["id"],
                "created_on": iso(when),
                "decided_by": None,
                "decided_on": None,
                "decision_reason": None,
                "modified_on": iso(when),
            }
            Database.insert(c, "approval_requests", rec)
            what = kind.lower().replace("_", " ")
            self.log(
                account,
                "CERTIFICATE" if cert else "KEYPAIR",
                cert["id"] if cert else kp["id"],
                Action.REQUEST,
                user,
                when,
                f"Requested the {what} of {name}: {reason}",
            )

    def keypairs_by_id(self, keypair_id: str) -> dict[str, Any]:
        return next(kp for kp in self.keypairs.values() if kp["id"] == keypair_id)

    # ---- entry points ---------------------------------------------------------------------

    def run(self, kind: str) -> None:
        full = kind != "empty"
        keys = {u[0] for u in USERS} if full else set(CREDENTIAL_ROLES)
        with self.db.tx() as c:
            self.seed_ca(c)
            self.seed_accounts_and_users(c, keys)
            if full:
                self.seed_teams(c)
            self.save_users(c)
            self.seed_tokens(c)
            self.seed_profiles(c)
            self.seed_settings(c)
            if full:
                self.seed_keypairs(c)
                Database.insert_many(c, "certificates", self.certs)
                releases = self.seed_releases(c)
                self.seed_scans(c, releases)
                self.seed_signatures(c, releases)
                self.seed_approval_requests(c)
            self.audit.sort(key=lambda a: (a["created_on"], a["id"]))
            Database.insert_many(c, "audit", self.audit)
            Database.meta_set(c, "credentials", json.dumps(self.credentials))
            Database.meta_set(c, "seed", kind)


def seed_database(db: Database, kind: str, now: datetime, rng_seed: int) -> None:
    seeder = Seeder(db, now, rng_seed)
    if kind.startswith("scale:"):
        seeder.run("demo")
        seed_bulk(seeder, int(kind.split(":", 1)[1]))
        with db.tx() as c:
            Database.meta_set(c, "seed", kind)
        return
    seeder.run(kind)
