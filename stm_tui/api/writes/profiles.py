"""Keypair profiles and certificate profiles: create, update, enable, disable; certificate
profiles also clone.

Keypair profile fields are the console's (stm-console.md section 3: name, Fixed or
Customizable, scope, active now or inactive until a date, keypair status, algorithm and
size/curve); category and storage follow the keypair form (INFERRED). Certificate profile
fields are all INFERRED (private hierarchy or CertCentral, certificate type, validity,
subject template): docs/emulator.md marks them so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from stm_tui.api.writes.call import Target, WriteCall, body_of, endpoint
from stm_tui.api.writes.keypairs import CURVES, KeyAlg
from stm_tui.api.writes.validation import FreeText, RequestModel

ProfileType = Literal["FIXED", "CUSTOMIZABLE"]
Scope = Literal["ACCOUNT", "SYSTEM"]
KeyStatus = Literal["ONLINE", "OFFLINE"]
Category = Literal["PRODUCTION", "TEST"]
Storage = Literal["HSM", "DISK"]
KeySize = Literal[2048, 3072, 4096]
Curve = Literal["P256", "P384", "P521", "Ed25519"]
Activation = Literal["NOW", "LATER"]
Hierarchy = Literal["PUBLIC", "PRIVATE"]
CertificateType = Literal["EV", "OV", "PRIVATE"]
# What a hierarchy allows: CertCentral (PUBLIC) issues EV and OV, a private CA its own.
TYPES_OF: dict[str, tuple[str, ...]] = {"PUBLIC": ("EV", "OV"), "PRIVATE": ("PRIVATE",)}


def _algorithm_problems(
    key_alg: str | None, key_size: int | None, curve: str | None
) -> dict[str, str]:
    if key_alg == "RSA":
        if curve is not None:
            return {"curve": "RSA has no curve"}
        if key_size is None:
            return {"key_size": "required for RSA: 2048, 3072 or 4096"}
    elif key_alg in CURVES:
        if key_size is not None:
            return {"key_size": f"{key_alg} has a curve, not a key size"}
        allowed = CURVES[key_alg]
        if key_alg == "ECDSA" and curve is None:
            return {"curve": "required for ECDSA: " + ", ".join(allowed)}
        if curve is not None and curve not in allowed:
            return {"curve": f"{key_alg} uses " + ", ".join(allowed)}
    return {}


def _activation_problems(activation: str | None, active_from: datetime | None) -> dict[str, str]:
    if activation == "LATER" and active_from is None:
        return {"active_from": "required: the date and time it becomes active"}
    if activation == "NOW" and active_from is not None:
        return {"active_from": "leave empty for a profile active now"}
    if active_from is not None and active_from.tzinfo is None:
        return {"active_from": "add a time zone: Z for UTC, or +02:00"}
    return {}


class CreateKeypairProfile(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)
    key_alg: KeyAlg
    profile_type: ProfileType = "FIXED"
    scope: Scope = "ACCOUNT"
    # "inactive until" a date: LATER with `active_from`; NOW sends no date.
    activation: Activation = "NOW"
    active_from: datetime | None = None
    key_status: KeyStatus = "ONLINE"
    key_size: KeySize | None = None
    curve: Curve | None = None
    key_type: Category = "TEST"
    key_storage: Storage = "HSM"
    team_ids: tuple[str, ...] = ()

    def problems(self) -> dict[str, str]:
        found = _algorithm_problems(self.key_alg, self.key_size, self.curve)
        return {**found, **_activation_problems(self.activation, self.active_from)}


class UpdateKeypairProfile(RequestModel):
    """What changes; fields left out keep their value. `activation` NOW makes the profile
    active at once (sends `active_from: null`), LATER sets the date."""

    name: FreeText | None = Field(default=None, min_length=1, max_length=100)
    profile_type: ProfileType | None = None
    scope: Scope | None = None
    activation: Activation | None = None
    active_from: datetime | None = None
    key_status: KeyStatus | None = None
    key_alg: KeyAlg | None = None
    key_size: KeySize | None = None
    curve: Curve | None = None
    key_type: Category | None = None
    key_storage: Storage | None = None
    team_ids: tuple[str, ...] | None = None

    def problems(self) -> dict[str, str]:
        if not self.model_fields_set:
            return {"_": "nothing to change"}
        found = {}
        if self.key_alg is not None:
            found = _algorithm_problems(self.key_alg, self.key_size, self.curve)
        return {**found, **_activation_problems(self.activation, self.active_from)}


class CreateCertificateProfile(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)
    hierarchy: Hierarchy = "PRIVATE"
    certificate_type: CertificateType = "PRIVATE"
    validity_days: int = Field(default=365, ge=1, le=3650)
    allowed_key_algs: tuple[KeyAlg, ...] = ("RSA", "ECDSA", "EDDSA")
    # The subject template (INFERRED): sent as `subject_template`; none: the account's name.
    common_name: FreeText | None = Field(default=None, min_length=1, max_length=64)
    organization: FreeText | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    team_ids: tuple[str, ...] = ()

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if not self.allowed_key_algs:
            out["allowed_key_algs"] = "at least one"
        if self.certificate_type not in TYPES_OF[self.hierarchy]:
            out["certificate_type"] = _type_message(self.hierarchy)
        if self.common_name is None and (self.organization or self.country):
            out["common_name"] = "required when the subject template has other fields"
        return out


class UpdateCertificateProfile(RequestModel):
    name: FreeText | None = Field(default=None, min_length=1, max_length=100)
    hierarchy: Hierarchy | None = None
    certificate_type: CertificateType | None = None
    validity_days: int | None = Field(default=None, ge=1, le=3650)
    allowed_key_algs: tuple[KeyAlg, ...] | None = None
    common_name: FreeText | None = Field(default=None, min_length=1, max_length=64)
    organization: FreeText | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    team_ids: tuple[str, ...] | None = None

    def problems(self) -> dict[str, str]:
        if not self.model_fields_set:
            return {"_": "nothing to change"}
        out: dict[str, str] = {}
        if self.allowed_key_algs is not None and not self.allowed_key_algs:
            out["allowed_key_algs"] = "at least one"
        if (
            self.hierarchy
            and self.certificate_type
            and self.certificate_type not in TYPES_OF[self.hierarchy]
        ):
            out["certificate_type"] = _type_message(self.hierarchy)
        subject = {"common_name", "organization", "country"} & self.model_fields_set
        if subject and self.common_name is None:
            out["common_name"] = "required: the subject template is sent whole"
        return out


class CloneCertificateProfile(RequestModel):
    name: FreeText = Field(min_length=1, max_length=100)


def _type_message(hierarchy: str) -> str:
    if hierarchy == "PUBLIC":
        return "a CertCentral (PUBLIC) profile issues EV or OV certificates"
    return "a private hierarchy issues PRIVATE certificates"


def _kp_detail(alg: str | None, size: int | None, curve: str | None) -> str:
    return " ".join(p for p in (alg, curve or (str(size) if size else "")) if p)


# -- keypair profiles ------------------------------------------------------------------------


def create_keypair_profile(req: CreateKeypairProfile) -> WriteCall:
    body = body_of(req)
    body.pop("activation", None)
    if req.key_alg == "EDDSA":
        body.setdefault("curve", "Ed25519")
    detail = _kp_detail(req.key_alg, req.key_size, req.curve)
    when = f", inactive until {req.active_from:%Y-%m-%d %H:%M %Z}" if req.active_from else ""
    what = " ".join(p for p in (req.profile_type, detail, req.key_status, req.key_type) if p)
    return WriteCall(
        action="keypair_profile.create",
        summary=f"Create keypair profile {req.name} ({what}{when})",
        method="POST",
        path=endpoint("keypair_profiles"),
        body=body,
        target=Target("keypair_profiles", req.name, lookup={"name": req.name}),
        touches=("keypair_profiles",),
    )


def update_keypair_profile(profile_id: str, name: str, req: UpdateKeypairProfile) -> WriteCall:
    fields = set(req.model_fields_set) - {"activation"}
    body: dict[str, Any] = body_of(req, only=fields)
    if req.activation == "NOW":
        body["active_from"] = None  # the emulator (I): null makes it active now
    if req.key_alg is not None:
        # A new algorithm replaces size and curve together (the emulator does the same).
        body.setdefault("key_size", req.key_size)
        body.setdefault("curve", req.curve)
    changes = ", ".join(sorted(set(body) | ({"activation"} & req.model_fields_set)))
    return WriteCall(
        action="keypair_profile.update",
        summary=f"Update keypair profile {name} ({changes or 'nothing'}); keypairs generated "
        "before keep their values",
        method="PUT",
        path=endpoint("keypair_profile", id=profile_id),
        body=body,
        target=Target("keypair_profiles", name, item_id=profile_id),
        touches=("keypair_profiles",),
        idempotent=True,
    )


def enable_keypair_profile(profile_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="keypair_profile.enable",
        summary=f"Enable keypair profile {name}: keypairs can be generated from it again",
        method="POST",
        path=endpoint("keypair_profile_enable", id=profile_id),
        target=Target("keypair_profiles", name, item_id=profile_id),
        touches=("keypair_profiles",),
        idempotent=True,
    )


def disable_keypair_profile(profile_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="keypair_profile.disable",
        summary=f"Disable keypair profile {name}: no new keypairs from it (existing ones "
        "stay); the audit log calls it Suspend",
        method="POST",
        path=endpoint("keypair_profile_disable", id=profile_id),
        target=Target("keypair_profiles", name, item_id=profile_id),
        touches=("keypair_profiles",),
        idempotent=True,
    )


# -- certificate profiles --------------------------------------------------------------------


def _subject(req: CreateCertificateProfile | UpdateCertificateProfile) -> dict[str, str] | None:
    if req.common_name is None:
        return None
    out = {"common_name": req.common_name}
    if req.organization:
        out["organization"] = req.organization
    if req.country:
        out["country"] = req.country
    return out


_SUBJECT_FIELDS = ("common_name", "organization", "country")


def create_certificate_profile(req: CreateCertificateProfile) -> WriteCall:
    body = body_of(req)
    for key in _SUBJECT_FIELDS:
        body.pop(key, None)
    subject = _subject(req)
    if subject is not None:
        body["subject_template"] = subject
    where = "CertCentral" if req.hierarchy == "PUBLIC" else "private hierarchy"
    return WriteCall(
        action="certificate_profile.create",
        summary=f"Create certificate profile {req.name} ({where}, {req.certificate_type}, "
        f"{req.validity_days} days)",
        method="POST",
        path=endpoint("certificate_profiles"),
        body=body,
        target=Target("certificate_profiles", req.name, lookup={"name": req.name}),
        touches=("certificate_profiles",),
    )


def update_certificate_profile(
    profile_id: str, name: str, req: UpdateCertificateProfile
) -> WriteCall:
    body = body_of(req, only=set(req.model_fields_set) - set(_SUBJECT_FIELDS))
    subject = _subject(req)
    if subject is not None:
        body["subject_template"] = subject
    changes = ", ".join(sorted(body)) or "nothing"
    return WriteCall(
        action="certificate_profile.update",
        summary=f"Update certificate profile {name} ({changes}); issued certificates keep "
        "their terms",
        method="PUT",
        path=endpoint("certificate_profile", id=profile_id),
        body=body,
        target=Target("certificate_profiles", name, item_id=profile_id),
        touches=("certificate_profiles",),
        idempotent=True,
    )


def clone_certificate_profile(
    profile_id: str, name: str, req: CloneCertificateProfile
) -> WriteCall:
    return WriteCall(
        action="certificate_profile.clone",
        summary=f"Clone certificate profile {name} as {req.name} (active, without its teams)",
        method="POST",
        path=endpoint("certificate_profile_clone", id=profile_id),
        body=body_of(req),
        target=Target("certificate_profiles", req.name, lookup={"name": req.name}),
        touches=("certificate_profiles",),
    )


def enable_certificate_profile(profile_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="certificate_profile.enable",
        summary=f"Enable certificate profile {name}: certificates can be issued from it again",
        method="POST",
        path=endpoint("certificate_profile_enable", id=profile_id),
        target=Target("certificate_profiles", name, item_id=profile_id),
        touches=("certificate_profiles",),
        idempotent=True,
    )


def disable_certificate_profile(profile_id: str, name: str) -> WriteCall:
    return WriteCall(
        action="certificate_profile.disable",
        summary=f"Disable certificate profile {name}: no new certificates from it (issued "
        "ones stay valid)",
        method="POST",
        path=endpoint("certificate_profile_disable", id=profile_id),
        target=Target("certificate_profiles", name, item_id=profile_id),
        touches=("certificate_profiles",),
        idempotent=True,
    )
