"""Account settings and the CertCentral integration: set up (region and API key), update,
validate, enable, disable, delete.

The CertCentral API key is write-only: it travels as a `SecretStr` (redacted in every
preview, dry run and audit record) and the service keeps only a hint of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import RequestModel

Purpose = Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"]


class ReleasePreferences(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comparison_matches_required: int | None = Field(default=None, ge=2, le=6)
    allowed_keypair_types: tuple[Literal["ONLINE", "OFFLINE", "TEST"], ...] | None = None
    default_purpose: Purpose | None = None
    block_signing_on_failed_scan: Literal["YES", "NO", "SPECIFY"] | None = None
    restrict_scans_to_releases: bool | None = None


class UpdateAccountSettings(RequestModel):
    require_keypair_profile: bool | None = None
    release_preferences: ReleasePreferences | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.model_fields_set else {"_": "nothing to change"}


Region = Literal["GLOBAL", "EUROPE"]
REGION_NAMES = {"GLOBAL": "CertCentral global", "EUROPE": "CertCentral Europe"}


class SetCertCentral(RequestModel):
    api_key: SecretStr
    region: Region = "GLOBAL"

    @field_validator("api_key")
    @classmethod
    def _printable(cls, value: SecretStr) -> SecretStr:
        return _printable_key(value)


class UpdateCertCentral(RequestModel):
    """Change the region, the key or both of an integration that is set up."""

    region: Region | None = None
    api_key: SecretStr | None = None

    @field_validator("api_key")
    @classmethod
    def _printable(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _printable_key(value)

    def problems(self) -> dict[str, str]:
        if self.region is None and self.api_key is None:
            return {"_": "nothing to change: give a region, a new API key or both"}
        return {}


def _printable_key(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if not 8 <= len(text) <= 512 or not all("!" <= ch <= "~" for ch in text):
        # Never echo the value: it is a credential.
        raise ValueError("must be 8-512 printable characters without spaces")
    return value


def update_account_settings(account_label: str, req: UpdateAccountSettings) -> WriteCall:
    changes = ", ".join(sorted(req.model_fields_set)) or "nothing"
    return WriteCall(
        action="account_settings.update",
        summary=f"Update the account settings of {account_label} ({changes})",
        method="PUT",
        path=endpoint("account_settings"),
        body=body_of(req, only=req.model_fields_set),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        idempotent=True,
    )


def set_require_keypair_profile(account_label: str, required: bool) -> WriteCall:
    verb = "Require" if required else "Stop requiring"
    return WriteCall(
        action="account_settings.require_keypair_profile",
        summary=f"{verb} a keypair profile to generate keypairs in {account_label}",
        method="PUT",
        path=endpoint("account_settings"),
        body={"require_keypair_profile": required},
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        idempotent=True,
    )


def set_certcentral(account_label: str, req: SetCertCentral) -> WriteCall:
    return WriteCall(
        action="certcentral.set",
        summary=f"Set up the CertCentral integration of {account_label} "
        f"({REGION_NAMES[req.region]}, API key as typed; only a hint is kept)",
        method="PUT",
        path=endpoint("account_settings_certcentral"),
        body=body_of(req),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        idempotent=True,
    )


def update_certcentral(account_label: str, req: UpdateCertCentral) -> WriteCall:
    parts = []
    if req.region is not None:
        parts.append(f"region {REGION_NAMES[req.region]}")
    if req.api_key is not None:
        parts.append("a new API key")
    return WriteCall(
        action="certcentral.update",
        summary=f"Update the CertCentral integration of {account_label} ({', '.join(parts)})",
        method="PUT",
        path=endpoint("account_settings_certcentral"),
        body=body_of(req),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        idempotent=True,
    )


def validate_certcentral(account_label: str) -> WriteCall:
    return WriteCall(
        action="certcentral.validate",
        summary=f"Validate the CertCentral integration of {account_label} (connected or not)",
        method="POST",
        path=endpoint("account_settings_certcentral_validate"),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        idempotent=True,
    )


def enable_certcentral(account_label: str) -> WriteCall:
    return WriteCall(
        action="certcentral.enable",
        summary=f"Enable the CertCentral integration of {account_label}",
        method="POST",
        path=endpoint("account_settings_certcentral_enable"),
        target=Target("account_settings", account_label),
        touches=("account_settings", "certificate_profiles"),
        idempotent=True,
    )


def disable_certcentral(account_label: str) -> WriteCall:
    return WriteCall(
        action="certcentral.disable",
        summary=f"Disable the CertCentral integration of {account_label}: no public "
        "certificates until it is enabled again (the key is kept)",
        method="POST",
        path=endpoint("account_settings_certcentral_disable"),
        target=Target("account_settings", account_label),
        touches=("account_settings", "certificate_profiles"),
        idempotent=True,
    )


def delete_certcentral(account_label: str) -> WriteCall:
    return WriteCall(
        action="certcentral.delete",
        summary=f"Remove the CertCentral API key of {account_label}: public certificates "
        "cannot be issued until a key is set again",
        method="DELETE",
        path=endpoint("account_settings_certcentral"),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
        tier=Tier.IRREVERSIBLE,
        confirm_text=account_label,
    )
