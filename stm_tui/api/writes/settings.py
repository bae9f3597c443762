"""Account settings and the CertCentral integration key."""

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


class SetCertCentral(RequestModel):
    api_key: SecretStr
    region: Literal["GLOBAL", "EUROPE"] = "GLOBAL"

    @field_validator("api_key")
    @classmethod
    def _printable(cls, value: SecretStr) -> SecretStr:
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


def set_certcentral(account_label: str, req: SetCertCentral) -> WriteCall:
    return WriteCall(
        action="certcentral.set",
        summary=f"Set the CertCentral API key of {account_label} ({req.region})",
        method="PUT",
        path=endpoint("account_settings_certcentral"),
        body=body_of(req),
        target=Target("account_settings", account_label),
        touches=("account_settings",),
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
