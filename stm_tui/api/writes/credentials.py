"""API tokens and client authentication certificates (Account Manager).

Both come back once with their secret (the token value; the PKCS#12 and the password the
service generated for it), so their calls are marked `returns_secret`. Revoking either is
irreversible: whatever uses it stops working.
"""

from __future__ import annotations

from datetime import date

from stm_tui.api import models as m
from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import CredentialName, RequestModel


class CreateApiToken(RequestModel):
    name: CredentialName
    user_id: str | None = None  # another user's token (an administrator); default: yours
    end_date: date | None = None  # the token expires at 23:59:59 UTC that day


class CreateClientCertificate(RequestModel):
    name: CredentialName
    user_id: str | None = None
    token_id: str | None = None  # the token it belongs to; default: the one making the call
    end_date: date | None = None  # no later than the token's end date


def create_api_token(req: CreateApiToken) -> WriteCall:
    until = f" until {req.end_date.isoformat()}" if req.end_date else ""
    return WriteCall(
        action="api_token.create",
        summary=f"Create API token {req.name}{until} (its value is shown once)",
        method="POST",
        path=endpoint("api_tokens"),
        body=body_of(req),
        target=Target("api_tokens", req.name, lookup={"name": req.name}),
        touches=("api_tokens",),
        returns_secret=True,
        returns=m.ApiToken,
    )


def delete_api_token(token_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="api_token.delete",
        summary=f"Revoke API token {name}: everything using it stops working (cannot be undone)",
        method="DELETE",
        path=endpoint("api_token", id=token_id),
        target=Target("api_tokens", name, item_id=token_id),
        touches=("api_tokens", "client_certificates"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=name,
        step_up=True,
    )


def create_client_certificate(req: CreateClientCertificate) -> WriteCall:
    return WriteCall(
        action="client_certificate.create",
        summary=f"Create client authentication certificate {req.name} (the .p12 and its "
        "password are shown once)",
        method="POST",
        path=endpoint("client_certificates"),
        body=body_of(req),
        target=Target("client_certificates", req.name, lookup={"name": req.name}),
        touches=("client_certificates", "users"),
        returns_secret=True,
        returns=m.ClientCertificate,
    )


def revoke_client_certificate(certificate_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="client_certificate.revoke",
        summary=f"Revoke client authentication certificate {name} (cannot be undone)",
        method="DELETE",
        path=endpoint("client_certificate", id=certificate_id),
        target=Target("client_certificates", name, item_id=certificate_id),
        touches=("client_certificates", "users"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=name,
        step_up=True,
    )
