"""STM account settings, including the write-only CertCentral API key. The account's
two-factor requirement is not an STM setting: it lives in Account Manager, as the
`mfaStatus` of the account's standard sign-in method (C: N9, N10)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from stm_tui.emulator.context import (
    CallerDep,
    EmulatorState,
    record_audit,
    state_of,
)
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
    api_key: str = Field(min_length=8, max_length=512, pattern=r"^[\x21-\x7e]+$")
    region: Literal["GLOBAL", "EUROPE"] = "GLOBAL"


def _render_settings(state: EmulatorState, settings: dict[str, Any]) -> dict[str, Any]:
    account = state.db.get("accounts", settings["id"]) or {"id": settings["id"], "name": ""}
    return {
        "account": {"id": account["id"], "name": account["name"]},
        "require_keypair_profile": settings["require_keypair_profile"],
        "certcentral": settings["certcentral"],
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


@router.put("/account-settings/certcentral", responses=documented(404))
def set_certcentral(body: CertCentralKey, request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTCENTRAL_KEY")
    now = state.now_iso()
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        # The key itself is write-only: only a hint of it is ever stored or returned.
        settings["certcentral"] = {
            "configured": True,
            "region": body.region,
            "api_key_hint": "…" + body.api_key[-4:],
            "configured_on": now,
            "configured_by": caller.id,
        }
        settings["modified_on"] = now
        _save_settings(c, settings)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            caller.account_id,
            Action.SET_UP,
            f"CertCentral integration set up ({body.region})",
        )
    return JSONResponse(_render_settings(state, settings))


@router.delete("/account-settings/certcentral", responses=documented(404))
def delete_certcentral(request: Request, caller: CallerDep) -> JSONResponse:
    state = state_of(request)
    caller.require("MANAGE_SM_CERTCENTRAL_KEY")
    with state.db.tx() as c:
        settings = load_settings(c, caller.account_id)
        settings["certcentral"] = {
            "configured": False,
            "region": None,
            "api_key_hint": None,
            "configured_on": None,
            "configured_by": None,
        }
        settings["modified_on"] = state.now_iso()
        _save_settings(c, settings)
        record_audit(
            c,
            state,
            caller,
            "ACCOUNT",
            caller.account_id,
            Action.DELETE,
            "CertCentral integration removed",
        )
    return JSONResponse(_render_settings(state, settings))
