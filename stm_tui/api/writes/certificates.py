"""Certificate writes: generate for a keypair, set as the keypair's default, revoke."""

from __future__ import annotations

from typing import Literal

from stm_tui.api.writes.call import Target, Tier, WriteCall, endpoint
from stm_tui.api.writes.validation import Alias, RequestModel

RevocationReason = Literal[
    "unspecified", "key_compromise", "superseded", "cessation_of_operation"
]
REVOCATION_REASONS: tuple[str, ...] = (
    "unspecified",
    "key_compromise",
    "superseded",
    "cessation_of_operation",
)


class GenerateCertificate(RequestModel):
    alias: Alias
    certificate_profile_id: str
    set_as_default_cert: bool = False


class RevokeCertificate(RequestModel):
    reason: RevocationReason = "unspecified"


def generate_certificate(
    keypair_id: str, keypair_alias: str, req: GenerateCertificate
) -> WriteCall:
    default = " as its default" if req.set_as_default_cert else ""
    return WriteCall(
        action="certificate.generate",
        summary=f"Generate certificate {req.alias} for keypair {keypair_alias}{default}",
        method="POST",
        path=endpoint("keypair_certificates", id=keypair_id),
        body={
            "alias": req.alias,
            "certificate_profile_id": req.certificate_profile_id,
            "set_as_default_cert": req.set_as_default_cert,
            "custom_fields": [],
        },
        target=Target("certificates", req.alias, lookup={"alias": req.alias}),
        touches=("certificates", "keypairs"),
    )


def set_default_certificate(
    keypair_id: str, keypair_alias: str, certificate_id: str, certificate_alias: str
) -> WriteCall:
    return WriteCall(
        action="certificate.set_default",
        summary=f"Make {certificate_alias} the default certificate of keypair {keypair_alias}",
        method="PUT",
        path=endpoint("keypair", id=keypair_id),
        body={"default_certificate_id": certificate_id},
        target=Target("keypairs", keypair_alias, item_id=keypair_id),
        touches=("keypairs", "certificates"),
        idempotent=True,
    )


def revoke_certificate(certificate_id: str, alias: str, req: RevokeCertificate) -> WriteCall:
    return WriteCall(
        action="certificate.revoke",
        summary=f"Revoke certificate {alias} ({req.reason}; cannot be undone)",
        method="POST",
        path=endpoint("certificate_revoke", id=certificate_id),
        body={"reason": req.reason},
        target=Target("certificates", alias, item_id=certificate_id),
        touches=("certificates", "keypairs"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=alias,
    )
