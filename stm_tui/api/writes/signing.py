"""Signing a pre-computed digest with a keypair (what jsign and smctl send)."""

from __future__ import annotations

import base64

from pydantic import Field

from stm_tui.api import models as m
from stm_tui.api.writes.call import Target, WriteCall, endpoint
from stm_tui.api.writes.validation import RequestModel


class SignHash(RequestModel):
    digest: bytes = Field(min_length=1, max_length=128)  # raw bytes; sent base64
    # As the service documents them (SHA256WithRSA, ..., ED25519); jsign's casing works too.
    sig_alg: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")


def sign_hash(keypair_id: str, keypair_alias: str, req: SignHash) -> WriteCall:
    return WriteCall(
        action="keypair.sign",
        summary=f"Sign a {len(req.digest)}-byte digest with keypair {keypair_alias} "
        f"({req.sig_alg})",
        method="POST",
        path=endpoint("keypair_sign", id=keypair_id),
        body={"hash": base64.b64encode(req.digest).decode("ascii"), "sig_alg": req.sig_alg},
        target=Target("keypairs", keypair_alias, item_id=keypair_id),
        touches=("signatures", "releases"),
        returns=m.SignResult,
    )
