"""Keypair profiles and certificate profiles: create."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stm_tui.api.writes.call import Target, WriteCall, body_of, endpoint
from stm_tui.api.writes.keypairs import CURVES, KeyAlg
from stm_tui.api.writes.validation import FreeText, RequestModel


class CreateKeypairProfile(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)
    key_alg: KeyAlg
    profile_type: Literal["FIXED", "CUSTOMIZABLE"] = "FIXED"
    key_status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    key_size: Literal[2048, 3072, 4096] | None = None
    curve: Literal["P256", "P384", "P521", "Ed25519"] | None = None
    key_type: Literal["PRODUCTION", "TEST"] = "TEST"
    team_ids: tuple[str, ...] = ()

    def problems(self) -> dict[str, str]:
        if self.key_alg == "RSA" and self.curve is not None:
            return {"curve": "RSA has no curve"}
        if self.key_alg in CURVES:
            if self.key_size is not None:
                return {"key_size": f"{self.key_alg} has a curve, not a key size"}
            if self.curve is not None and self.curve not in CURVES[self.key_alg]:
                return {"curve": f"{self.key_alg} uses " + ", ".join(CURVES[self.key_alg])}
        return {}


class SubjectTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    common_name: FreeText = Field(min_length=1, max_length=64)
    organization: FreeText | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class CreateCertificateProfile(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)
    hierarchy: Literal["PUBLIC", "PRIVATE"] = "PRIVATE"
    certificate_type: Literal["EV", "OV", "PRIVATE"] = "PRIVATE"
    enrollment_method: str | None = Field(default=None, max_length=64)
    validity_days: int = Field(default=365, ge=1, le=3650)
    allowed_key_algs: tuple[KeyAlg, ...] = ("RSA", "ECDSA", "EDDSA")
    subject_template: SubjectTemplate | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.allowed_key_algs else {"allowed_key_algs": "at least one"}


def create_keypair_profile(req: CreateKeypairProfile) -> WriteCall:
    detail = req.curve or (str(req.key_size) if req.key_size else "")
    what = " ".join(p for p in (req.profile_type, req.key_alg, detail, req.key_type) if p)
    return WriteCall(
        action="keypair_profile.create",
        summary=f"Create keypair profile {req.name} ({what})",
        method="POST",
        path=endpoint("keypair_profiles"),
        body=body_of(req),
        target=Target("keypair_profiles", req.name, lookup={"name": req.name}),
        touches=("keypair_profiles",),
    )


def create_certificate_profile(req: CreateCertificateProfile) -> WriteCall:
    return WriteCall(
        action="certificate_profile.create",
        summary=f"Create certificate profile {req.name} ({req.hierarchy} "
        f"{req.certificate_type}, {req.validity_days} days)",
        method="POST",
        path=endpoint("certificate_profiles"),
        body=body_of(req),
        target=Target("certificate_profiles", req.name, lookup={"name": req.name}),
        touches=("certificate_profiles",),
    )
