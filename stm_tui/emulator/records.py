"""Constructors for stored records, shared by the seed and the write endpoints, so seeded
data and data created over the API have exactly the same shape."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from typing import Any

from stm_tui.emulator import crypto
from stm_tui.emulator.util import iso

PROFILE_SUMMARY_KEYS = ("id", "name")


class Action:
    """The console audit log's vocabulary (C: STM audit log). A revocation or an early
    close is an Update whose details say so; the vocabulary has no word of its own for it."""

    APPROVE = "Approve"
    DELETE = "Delete"
    DOWNLOAD = "Download"
    EXPIRE = "Expire"
    GENERATE = "Generate"
    GENERATE_CSR = "Generate CSR"
    IMPORT = "Import"
    REFRESH = "Refresh"
    REJECT = "Reject"
    REQUEST = "Request"
    SET_UP = "Set up"
    SIGN = "Sign"
    SUSPEND = "Suspend"
    UNSUSPEND = "Unsuspend"
    UPDATE = "Update"

    ALL = (
        APPROVE,
        DELETE,
        DOWNLOAD,
        EXPIRE,
        GENERATE,
        GENERATE_CSR,
        IMPORT,
        REFRESH,
        REJECT,
        REQUEST,
        SET_UP,
        SIGN,
        SUSPEND,
        UNSUSPEND,
        UPDATE,
    )


# Why a signing attempt failed (recorded with the attempt, C: failed attempts are logged).
class SignFailure:
    MISSING_SECOND_FACTOR = "MISSING_SECOND_FACTOR"
    NOT_ASSIGNED = "NOT_ASSIGNED"
    OUTSIDE_RELEASE_WINDOW = "OUTSIDE_RELEASE_WINDOW"
    NOT_A_RELEASE_SIGNER = "NOT_A_RELEASE_SIGNER"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    # The window blocks signing on a failed threat scan, and its latest scan failed (I).
    SCAN_FAILED = "SCAN_FAILED"

    ALL = (
        MISSING_SECOND_FACTOR,
        NOT_ASSIGNED,
        OUTSIDE_RELEASE_WINDOW,
        NOT_A_RELEASE_SIGNER,
        QUOTA_EXCEEDED,
        SCAN_FAILED,
    )


def signature_record(
    *,
    sig_id: str,
    account_id: str,
    keypair: dict[str, Any],
    certificate_id: str | None,
    release_id: str | None,
    user_id: str,
    sig_alg: str,
    hash_b64: str,
    signature_b64: str | None,
    client_ip: str,
    created_on: str,
    failure: str | None = None,
    failure_message: str | None = None,
    sequence: int | None = None,
) -> dict[str, Any]:
    """One signature-log row: a signature made, or an attempt refused (C: N15 fields).
    `sequence` increases in commit order (I: a cursor for monitors)."""
    return {
        "id": sig_id,
        "sequence": sequence,
        "account_id": account_id,
        "keypair_id": keypair["id"],
        "keypair_alias": keypair["alias"],
        "keypair_type": keypair.get("key_modal_type", "STATIC"),
        "signature_type": keypair["key_type"],
        "certificate_id": certificate_id,
        "release_id": release_id,
        "user_id": user_id,
        "sig_alg": sig_alg,
        "hash": hash_b64,
        "signature": signature_b64,
        "status": "FAILED" if failure else "SUCCESS",
        "failure_reason": failure,
        "failure_message": failure_message,
        "client_ip": client_ip,
        "created_on": created_on,
        "modified_on": created_on,
    }


def audit_record(
    *,
    entry_id: str,
    account_id: str,
    resource_type: str,
    resource_id: str,
    action: str,
    user: dict[str, Any] | None,
    client_ip: str,
    details: str,
    created_on: str,
    status: str = "SUCCESS",
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "account_id": account_id,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "action": action,
        "status": status,
        "user_id": user["id"] if user else None,
        "user_name": user["name"] if user else "Automated",
        "client_ip": client_ip,
        "details": details,
        "created_on": created_on,
        "modified_on": created_on,
    }


def new_api_key() -> tuple[str, str, str]:
    """(value shown once, sha256 stored, hint)."""
    value = secrets.token_hex(32)
    return value, hashlib.sha256(value.encode()).hexdigest(), "…" + value[-4:]


def api_token_record(
    *,
    token_id: str,
    user: dict[str, Any],
    name: str,
    key_hash: str,
    hint: str,
    created_on: str,
    end_date: str | None,
    last_used_at: str | None = None,
) -> dict[str, Any]:
    return {
        "id": token_id,
        "account_id": user["primary_account_id"],
        "user_id": user["id"],
        "name": name,
        "key_hash": key_hash,
        "key_hint": hint,
        "status": "ACTIVE",
        "created_on": created_on,
        "modified_on": created_on,
        "end_date": end_date,
        "last_used_at": last_used_at,
    }


def keypair_record(
    *,
    keypair_id: str,
    account_id: str,
    alias: str,
    key_alg: str,
    key_size: int | None,
    curve: str | None,
    key_type: str,
    key_storage: str,
    key_status: str,
    public_key_der: bytes,
    key_ref: str,
    limit_by_users: bool,
    user_ids: list[str],
    team_ids: list[str],
    profile: dict[str, Any] | None,
    created_by: str,
    created_on: str,
) -> dict[str, Any]:
    return {
        "id": keypair_id,
        "account_id": account_id,
        "alias": alias,
        "key_alg": key_alg,
        "key_size": key_size,
        "curve": curve,
        "key_type": key_type,
        "key_storage": key_storage,
        "key_status": key_status,
        "key_modal_type": "STATIC",
        "public_key": crypto.b64(public_key_der),
        "key_ref": key_ref,
        "limit_by_users": limit_by_users,
        "user_ids": user_ids,
        "team_ids": team_ids,
        "keypair_profile": {k: profile[k] for k in PROFILE_SUMMARY_KEYS} if profile else None,
        "created_on": created_on,
        "created_by": created_by,
        "modified_on": created_on,
        "modified_by": created_by,
    }


def certificate_record(
    *,
    issuer: crypto.Authority,
    cert_id: str,
    keypair: dict[str, Any],
    profile: dict[str, Any],
    alias: str,
    serial: int,
    valid_from: datetime,
    valid_to: datetime,
    default_cert: bool,
    created_by: str,
    created_on: str,
    custom_fields: list[Any] | None = None,
    cert_der: bytes | None = None,
) -> dict[str, Any]:
    """Issues a real certificate for the keypair's public key (or reuses `cert_der`)."""
    template = profile["subject_template"]
    if cert_der is None:
        cert_der = crypto.issue_code_signing(
            issuer,
            base64.b64decode(keypair["public_key"]),
            common_name=template["common_name"],
            organization=template.get("organization"),
            country=template.get("country"),
            serial=serial,
            not_before=valid_from,
            not_after=valid_to,
        )
    public = profile["hierarchy"] == "PUBLIC"
    return {
        "id": cert_id,
        "account_id": keypair["account_id"],
        "alias": alias,
        "keypair_id": keypair["id"],
        "keypair": {
            "id": keypair["id"],
            "alias": keypair["alias"],
            "limit_by_users": keypair["limit_by_users"],
        },
        "cert": crypto.b64(cert_der),
        "certificate_fingerprint": crypto.fingerprint_b64(cert_der),
        "status": "ACTIVE",
        "valid_from": iso(valid_from),
        "valid_to": iso(valid_to),
        "default_cert": default_cert,
        "certificate_profile_id": profile["id"],
        "certificate_profile": {"id": profile["id"], "name": profile["name"]},
        "hierarchy": profile["hierarchy"],
        "certificate_type": profile["certificate_type"],
        "enrollment_method": profile["enrollment_method"],
        "organization": {"id": "1048576"} if public else None,
        "ca_certificate": {"id": "987654321"} if public else None,
        "custom_fields": custom_fields or [],
        "auto_renewal": False,
        "serial_number": format(serial, "x"),
        "subject": _subject(template),
        "revoked_on": None,
        "revocation_reason": None,
        "created_on": created_on,
        "created_by": created_by,
        "modified_on": created_on,
        "modified_by": created_by,
    }


def _subject(template: dict[str, Any]) -> str:
    parts = [f"CN={template['common_name']}"]
    if template.get("organization"):
        parts.append(f"O={template['organization']}")
    if template.get("country"):
        parts.append(f"C={template['country']}")
    return ",".join(parts)


def client_cert_record(
    *,
    cert_id: str,
    account_id: str,
    name: str,
    user_id: str,
    token_id: str,
    cert_der: bytes,
    serial: int,
    subject: str,
    valid_from: str,
    valid_to: str,
) -> dict[str, Any]:
    return {
        "id": cert_id,
        "account_id": account_id,
        "name": name,
        "user_id": user_id,
        "token_id": token_id,
        "fingerprint": hashlib.sha256(cert_der).hexdigest(),
        "serial_number": format(serial, "x"),
        "subject": subject,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "status": "ACTIVE",
        "created_on": valid_from,
        "modified_on": valid_from,
    }
