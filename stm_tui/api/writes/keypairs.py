"""Keypair writes: generate, update, suspend (OFFLINE), unsuspend (ONLINE), delete."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stm_tui.api.resources import ResourceName
from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import Alias, RequestModel

KeyAlg = Literal["RSA", "ECDSA", "EDDSA"]
KEY_SIZES = (2048, 3072, 4096)
CURVES: dict[str, tuple[str, ...]] = {"ECDSA": ("P256", "P384", "P521"), "EDDSA": ("Ed25519",)}


class GenerateKeypair(RequestModel):
    alias: Alias
    keypair_profile_id: str | None = None
    key_alg: KeyAlg | None = None
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_storage: Literal["HSM", "DISK"] = "HSM"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    limit_by_users: bool = True
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    generate_cert: bool = False
    cert_alias: Alias | None = None
    cert_profile_id: str | None = None
    set_as_default_cert: bool = True

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.key_alg is None and self.keypair_profile_id is None:
            out["key_alg"] = "required without a keypair profile"
        if self.key_alg == "RSA":
            if self.key_size is None:
                out["key_size"] = "required for RSA: 2048, 3072 or 4096"
            if self.curve is not None:
                out["curve"] = "RSA has no curve"
        elif self.key_alg in CURVES:
            if self.key_size is not None:
                out["key_size"] = f"{self.key_alg} has a curve, not a key size"
            allowed = CURVES[self.key_alg]
            if self.key_alg == "ECDSA" and self.curve is None:
                out["curve"] = "required for ECDSA: " + ", ".join(allowed)
            elif self.curve is not None and self.curve not in allowed:
                out["curve"] = f"{self.key_alg} uses " + ", ".join(allowed)
        if self.generate_cert:
            if self.cert_alias is None:
                out["cert_alias"] = "required to generate a certificate"
            elif self.cert_alias == self.alias:
                pass  # STM allows it; the certificate alias space is separate
            if self.cert_profile_id is None:
                out["cert_profile_id"] = "required to generate a certificate"
        if not self.limit_by_users and (self.users or self.groups):
            out["users"] = "an open keypair is usable by everyone: no users or teams to list"
        return out


class UpdateKeypair(RequestModel):
    alias: Alias | None = None
    limit_by_users: bool | None = None
    users: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    default_certificate_id: str | None = Field(default=None, description="INFERRED field")

    def problems(self) -> dict[str, str]:
        if not self.model_fields_set - {"alias"} and self.alias is None:
            return {"_": "nothing to change"}
        return {}


def generate_keypair(req: GenerateKeypair) -> WriteCall:
    alg = req.key_alg or "profile"
    detail = req.curve or (str(req.key_size) if req.key_size else "")
    what = " ".join(p for p in (alg, detail, req.key_storage, req.key_status, req.key_type) if p)
    body = body_of(req)
    if not req.generate_cert:
        for key in ("cert_alias", "cert_profile_id", "set_as_default_cert"):
            body.pop(key, None)
    touches: tuple[ResourceName, ...] = (
        ("keypairs", "certificates") if req.generate_cert else ("keypairs",)
    )
    return WriteCall(
        action="keypair.generate",
        summary=f"Generate keypair {req.alias} ({what})",
        method="POST",
        path=endpoint("keypairs"),
        body=body,
        target=Target("keypairs", req.alias, lookup={"alias": req.alias}),
        touches=touches,
    )


def update_keypair(keypair_id: str, alias: str, req: UpdateKeypair) -> WriteCall:
    changes = ", ".join(sorted(req.model_fields_set)) or "nothing"
    return WriteCall(
        action="keypair.update",
        summary=f"Update keypair {alias} ({changes})",
        method="PUT",
        path=endpoint("keypair", id=keypair_id),
        body=body_of(req, only=req.model_fields_set),
        target=Target("keypairs", alias, item_id=keypair_id),
        touches=("keypairs", "certificates"),
        idempotent=True,
    )


def suspend_keypair(keypair_id: str, alias: str) -> WriteCall:
    return WriteCall(
        action="keypair.suspend",
        summary=f"Suspend keypair {alias}: set it OFFLINE (it signs only in an approved offline "
        "release that lists it)",
        method="POST",
        path=endpoint("keypair_suspend", id=keypair_id),
        target=Target("keypairs", alias, item_id=keypair_id),
        touches=("keypairs",),
        idempotent=True,
    )


def unsuspend_keypair(keypair_id: str, alias: str) -> WriteCall:
    return WriteCall(
        action="keypair.unsuspend",
        summary=f"Unsuspend keypair {alias}: set it ONLINE (it signs at any time)",
        method="POST",
        path=endpoint("keypair_unsuspend", id=keypair_id),
        target=Target("keypairs", alias, item_id=keypair_id),
        touches=("keypairs",),
        idempotent=True,
    )


def delete_keypair(keypair_id: str, alias: str) -> WriteCall:
    return WriteCall(
        action="keypair.delete",
        summary=f"Delete keypair {alias} and revoke its certificates (cannot be undone)",
        method="DELETE",
        path=endpoint("keypair", id=keypair_id),
        target=Target("keypairs", alias, item_id=keypair_id),
        touches=("keypairs", "certificates", "releases"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=alias,
    )
