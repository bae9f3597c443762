"""Bulk rows for `seed="scale:N"`: demo data plus generated keypairs (two certificates each)
until there are N certificates, and a signature per ten certificates.

Bulk keypairs share a small pool of key material (one key per algorithm) because generating
50,000 keys would take hours; every row still has its own id, alias, serial number and a real
certificate issued by the demo intermediate CA.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Protocol

from stm_tui.emulator import crypto
from stm_tui.emulator.db import Database, next_sequence
from stm_tui.emulator.records import certificate_record, keypair_record, signature_record
from stm_tui.emulator.util import iso


class Seeded(Protocol):
    """What the bulk rows build on: the demo organisation a `Seeder` made (named here rather
    than imported, so `seed` uses this module and not the other way round)."""

    db: Database
    now: datetime
    rng: random.Random
    accounts: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    teams: list[dict[str, Any]]
    cert_profiles: list[dict[str, Any]]
    issuer: crypto.Authority | None

    def uid(self) -> str: ...

BATCH = 5000
_SIG_ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}
_POOL = [("RSA", 2048), ("ECDSA", "P256"), ("ECDSA", "P384"), ("EDDSA", "Ed25519")]


def seed_bulk(seeder: Seeded, total_certs: int) -> None:
    db = seeder.db
    remaining = total_certs - db.count("certificates")
    if remaining <= 0:
        return
    pool = []
    keys: dict[str, crypto.PrivateKey] = {}
    with db.tx() as c:
        for alg, param in _POOL:
            key = crypto.generate_key(
                alg,
                key_size=param if alg == "RSA" else None,  # type: ignore[arg-type]
                curve=None if alg == "RSA" else str(param),
            )
            ref = seeder.uid()
            c.execute("INSERT INTO key_material VALUES (?, ?)", (ref, crypto.private_der(key)))
            pool.append((alg, param, ref, crypto.public_der(key)))
            keys[ref] = key
    account = seeder.accounts[0]["id"]
    creator = seeder.users["lead"]
    private, short = seeder.cert_profiles[0], seeder.cert_profiles[1]
    assert seeder.issuer is not None
    span_minutes = 2 * 365 * 24 * 60
    keypairs: list[dict[str, Any]] = []
    certs: list[dict[str, Any]] = []
    groups: list[tuple[str, str]] = []
    signatures: list[dict[str, Any]] = []
    n_keypairs = (remaining + 1) // 2
    made = 0
    for i in range(n_keypairs):
        alg, param, ref, public = pool[i % len(pool)]
        created = seeder.now - timedelta(minutes=span_minutes * (n_keypairs - i) / n_keypairs + 60)
        team = seeder.teams[i % len(seeder.teams)]
        kp = keypair_record(
            keypair_id=seeder.uid(),
            account_id=account,
            alias=f"bulk-{alg.lower()}-{i:06d}",
            key_alg=alg,
            key_size=param if alg == "RSA" else None,  # type: ignore[arg-type]
            curve=None if alg == "RSA" else str(param),
            key_type="TEST" if i % 3 else "PRODUCTION",
            key_storage="HSM" if i % 2 else "DISK",
            key_status="ONLINE",
            public_key_der=public,
            key_ref=ref,
            limit_by_users=bool(i % 4),
            user_ids=[creator["id"]],
            team_ids=[team["id"]],
            profile=None,
            created_by=creator["id"],
            created_on=iso(created),
        )
        keypairs.append(kp)
        groups.append((kp["id"], team["id"]))
        for j in range(2):
            if made >= remaining:
                break
            start = created + timedelta(minutes=j)
            profile = short if (i + j) % 10 == 0 else private
            lifetime = profile["validity_days"] * (1 if profile is short else 3)
            cert = certificate_record(
                issuer=seeder.issuer,
                cert_id=seeder.uid(),
                keypair=kp,
                profile=profile,
                alias=f"{kp['alias']}-cert-{j + 1}",
                serial=(1 << 120) + seeder.rng.getrandbits(119),
                valid_from=start,
                # mostly current: one in ten is short-lived (and so mostly expired)
                valid_to=start + timedelta(days=lifetime),
                default_cert=bool(j),
                created_by=creator["id"],
                created_on=iso(start),
            )
            if i % 50 == 7 and j == 0:
                cert.update(
                    status="REVOKED",
                    revoked_on=iso(start + timedelta(days=1)),
                    revocation_reason="superseded",
                )
            certs.append(cert)
            made += 1
            if made % 10 == 0:
                when = iso(start + timedelta(minutes=5))
                sig_alg = _SIG_ALGS[alg]
                digest = seeder.rng.getrandbits(256).to_bytes(32, "big")
                signatures.append(
                    signature_record(
                        sig_id=seeder.uid(),
                        account_id=account,
                        keypair=kp,
                        certificate_id=cert["id"],
                        release_id=None,
                        user_id=creator["id"],
                        sig_alg=sig_alg,
                        hash_b64=crypto.b64(digest),
                        signature_b64=crypto.b64(
                            crypto.sign_digest(keys[ref], alg, sig_alg, digest)
                        ),
                        client_ip="10.20.0.10",
                        created_on=when,
                    )
                )
        if len(certs) >= BATCH:
            _flush(db, keypairs, certs, groups, signatures)
    _flush(db, keypairs, certs, groups, signatures)
    db.analyze()


def _flush(
    db: Database,
    keypairs: list[dict[str, Any]],
    certs: list[dict[str, Any]],
    groups: list[tuple[str, str]],
    signatures: list[dict[str, Any]],
) -> None:
    with db.tx() as c:
        Database.insert_many(c, "keypairs", keypairs)
        Database.insert_many(c, "certificates", certs)
        first = next_sequence(c)
        for n, sig in enumerate(signatures):
            sig["sequence"] = first + n
        Database.insert_many(c, "signatures", signatures)
        c.executemany("INSERT INTO keypair_groups VALUES (?, ?)", groups)
    for batch in (keypairs, certs, groups, signatures):
        batch.clear()
