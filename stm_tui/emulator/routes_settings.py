"""STM account settings, including the write-only CertCentral API key. The account's
two-factor requirement is not an STM setting: it lives in Account Manager, as the
`mfaStatus` of the account's standard sign-in method (C: N9, N10)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator.context import (
    Caller,
    CallerDep,
    EmulatorState,
    record_audit,
    state_of,
)
from stm_tui.emulator.errors import invalid_state, unprocessable
from stm_tui.emulator.openapi import documented
from stm_tui.emulator.records import Action
from stm_tui.emulator.routes_common import (
    StrictBody,
    load_settings,
)

router = APIRouter(prefix="/signingmanager/api/v1", tags=["account settings"])


# ---- account settings ---------------------------------------------------------------------


class ReleasePreferences(StrictBody):
    comparison_matches_required: int | None = Field(None, ge=2, le=6)
    allowed_keypair_types: list[Literal["ONLINE", "OFFLINE", "TEST"]] | None = None
    default_purpose: Literal["SIGN", "DETECT_THREATS", "DETECT_THREATS_AND_SIGN"] | None = None
    block_signing_on_failed_scan: Literal["YES", "NO", "SPECIFY"] | None = None
    restrict_scans_to_releases: bool | None = None


class SettingsUpdate(StrictBody):
    require_keypair_profile: bool | None = None
    release_preferences: ReleasePreferences | None = None


class CertCentralKey(StrictBody):
    """Set up (api_key required) or update (either field) the integration. The key is
    write-only: it is checked and reduced to a hint, never stored, logged or returned."""

    api_key: str | None = Field(None, min_length=8, max_length=512, pattern=r"^[\x21-\x7e]+$")
    region: Literal["GLOBAL", "EUROPE"] | None = None


# What a CertCentral API key looks like to the emulator (I): 32-64 letters and digits.
CC_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{32,64}")
CC_PUBLIC = (
    "configured",
    "enabled",
    "connected",
    "region",
    "api_key_hint",
    "configured_on",
    "configured_by",
    "validated_on",
    "connection_error",
)
NOT_CONFIGURED = {
    "configured": False,
    "enabled": False,
    "connected": False,
    "region": None,
    "api_key_hint": None,
    "configured_on": None,
    "configured_by": None,
    "validated_on": None,
    "connection_error": None,
}


def key_problem(api_key: str) -> str | None:
    """Why CertCentral would refuse this key (the emulator checks its shape), or None."""
    if not CC_KEY_SHAPE.fullmatch(api_key):
        return (
            "CertCentral refused the API key: a CertCentral API key is 32-64 letters and digits"
        )
    return None


def certcentral_problem(settings: dict[str, Any]) -> str | None:
    """What keeps CertCentral (PUBLIC) profiles from working, or None when connected."""
    cc = settings.get("certcentral") or {}
    if not cc.get("configured"):
        return "the CertCentral integration to be set up"
    if not cc.get("enabled", True):
        return "the CertCentral integration to be enabled (it is disabled)"
    if not cc.get("connected", True):
        return "a connected CertCentral integration (" + (
            cc.get("connection_error") or "not connected"
        ) + ")"
    return None


def _validate(cc: dict[str, Any], now: str) -> None:
    problem = cc.get("key_problem")
    cc["validated_on"] = now
    if not cc.get("enabled", True):
        cc["connected"], cc["connection_error"] = False, "the integration is disabled"
    else:
        cc["connected"], cc["connection_error"] = problem is None, problem


def _render_settings(state: EmulatorState, settings: dict[str, Any]) -> dict[str, Any]:
    account = state.db.get("accounts", settings["id"]) or {"id": settings["id"], "name": ""}
    return {
        "account": {"id": account["id"], "name": account["name"]},
        "require_keypair_profile": settings["require_keypair_profile"],
        "certcentral": {
            k: settings["certcentral"].get(k, NOT_CONFIGURED[k] if k != "enabled" else True)
            for k in CC_PUBLIC
        },
        "release_preferences": settings["release_preferences"],
        "modified_on": settings["modified_on"],
    }


def _save_settings(c: Any, settings: dict[str, Any]) -> None:
    c.execute("UPDATE settings SET data=? WHERE id=?", (json.dumps(settings), settings["id"]))


@router.get("/account-settings", responses=documented(404))
def get_settings(request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    with state.db.read() as c:
        settings = load_settings(c, caller.account_id)
    return JSONResponse(_render_settings(state, settings))


@router.put("/account-settings", responses=documented(404))
def update_settings(body: SettingsUpdate, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_ACCOUNT_SETTINGS")
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        if body.require_keypair_profile is not None:
            settings["require_keypair_profile"] = body.require_keypair_profile
        if body.release_preferences is not None:
            for key, value in body.release_preferences.model_dump().items():
                if value is not None:
                    settings["release_preferences"][key] = value
        settings["modified_on"] = state.now_iso()
        _save_settings(c, settings)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            caller.account_id,
            Action.UPDATE,
            "Account settings updated",
        )
    return JSONResponse(_render_settings(state, settings))


def _certcentral_write(
    request: Request,
    caller: Caller,
    change: Callable[[dict[str, Any], dict[str, Any], str], tuple[str, str]],
) -> JSONResponse:
    """Load the settings, apply `change(settings, cc, now)` -> (audit action, details), save."""
    state = state_of(request)
    caller.require("MANAGE_SM_CERTCENTRAL_KEY")
    now = state.now_iso()
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        cc = dict(settings.get("certcentral") or NOT_CONFIGURED)
        action, details = change(settings, cc, now)
        settings["certcentral"] = cc
        settings["modified_on"] = now
        _save_settings(c, settings)
        record_audit(c, state, caller, "ACCOUNT", caller.account_id, action, details)
    return JSONResponse(_render_settings(state, settings))


def _configured(cc: dict[str, Any]) -> None:
    if not cc.get("configured"):
        raise invalid_state("the CertCentral integration is not set up")


@router.put("/account-settings/certcentral", responses=documented(404, 422))
def set_certcentral(body: CertCentralKey, request: Request, caller: CallerDep) -> JSONResponse:
    """Set up (region and API key) or update either; the key is validated at once."""
    state = state_of(request)
    account = state.db.get("accounts", caller.account_id) or {}
    if not account.get("cert_central_integration_allowed", True):
        raise invalid_state("this account is not allowed a CertCentral integration")

    def change(settings: dict[str, Any], cc: dict[str, Any], now: str) -> tuple[str, str]:
        setting_up = not cc.get("configured")
        if setting_up and body.api_key is None:
            raise unprocessable("api_key", "required to set up the CertCentral integration")
        region = body.region or cc.get("region") or "GLOBAL"
        if body.api_key is not None:
            # Only a hint and the verdict on its shape are kept; the key itself is dropped.
            cc["api_key_hint"] = "…" + body.api_key[-4:]
            cc["key_problem"] = key_problem(body.api_key)
        cc.update(configured=True, region=region, configured_on=now, configured_by=caller.id)
        if setting_up:
            cc["enabled"] = True
        _validate(cc, now)
        if setting_up:
            return Action.SET_UP, f"CertCentral integration set up ({region})"
        return Action.UPDATE, f"CertCentral integration updated ({region})"

    return _certcentral_write(request, caller, change)


@router.post("/account-settings/certcentral/validate", responses=documented(404, 422))
def validate_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    """Checks the stored key with CertCentral (here: its shape): `certcentral.connected`
    and, when false, `certcentral.connection_error` say how it went."""

    def change(settings: dict[str, Any], cc: dict[str, Any], now: str) -> tuple[str, str]:
        _configured(cc)
        _validate(cc, now)
        verdict = "connected" if cc["connected"] else "not connected"
        return Action.REFRESH, f"CertCentral integration validated: {verdict}"

    return _certcentral_write(request, caller, change)


def _enable(enable: bool) -> Callable[[dict[str, Any], dict[str, Any], str], tuple[str, str]]:
    def change(settings: dict[str, Any], cc: dict[str, Any], now: str) -> tuple[str, str]:
        _configured(cc)
        if cc.get("enabled", True) == enable:
            raise invalid_state(
                f"the CertCentral integration is already {'enabled' if enable else 'disabled'}"
            )
        cc["enabled"] = enable
        _validate(cc, now)
        return (
            Action.UNSUSPEND if enable else Action.SUSPEND,
            f"CertCentral integration {'enabled' if enable else 'disabled'}",
        )

    return change


@router.post("/account-settings/certcentral/disable", responses=documented(404, 422))
def disable_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    return _certcentral_write(request, caller, _enable(False))


@router.post("/account-settings/certcentral/enable", responses=documented(404, 422))
def enable_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    return _certcentral_write(request, caller, _enable(True))


@router.delete("/account-settings/certcentral", responses=documented(404))
def delete_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    def change(settings: dict[str, Any], cc: dict[str, Any], now: str) -> tuple[str, str]:
        cc.clear()
        cc.update(NOT_CONFIGURED)
        return Action.DELETE, "CertCentral integration removed"

    return _certcentral_write(request, caller, change)
