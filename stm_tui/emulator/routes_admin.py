"""Emulator-only endpoints: health (no auth); faults, stats, the activity simulator and
run-time settings (admin token)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stm_tui.emulator.activity import MAX_BURST
from stm_tui.emulator.context import EmulatorState, state_of
from stm_tui.emulator.errors import ApiError
from stm_tui.emulator.faults import FaultSpec

router = APIRouter(prefix="/_emulator", tags=["emulator"])


def _admin(request: Request, token: str | None) -> EmulatorState:
    state = state_of(request)
    if not token or not hmac.compare_digest(token.encode(), state.admin_token.encode()):
        raise ApiError(401, "invalid_api_key", "x-emulator-admin-token is missing or wrong")
    return state


@router.get("/health")
def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "version": state_of(request).version})


@router.get("/faults")
def get_faults(
    request: Request, x_emulator_admin_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    return JSONResponse(_admin(request, x_emulator_admin_token).faults.as_dict())


@router.put("/faults")
def put_faults(
    request: Request,
    spec: Annotated[dict[str, Any], Body()],
    x_emulator_admin_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    state = _admin(request, x_emulator_admin_token)
    try:
        state.faults = FaultSpec.from_mapping(spec)
    except ValueError as exc:
        raise ApiError(400, "invalid_input_field", str(exc)) from None
    return JSONResponse(state.faults.as_dict())


@router.get("/stats")
def get_stats(
    request: Request, x_emulator_admin_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    state = _admin(request, x_emulator_admin_token)
    with state.stats_lock:
        counts = dict(sorted(state.stats.items()))
    return JSONResponse({"requests": counts, "total": sum(counts.values())})


@router.delete("/stats", status_code=204)
def reset_stats(
    request: Request, x_emulator_admin_token: Annotated[str | None, Header()] = None
) -> Response:
    state = _admin(request, x_emulator_admin_token)
    with state.stats_lock:
        state.stats.clear()
    return Response(status_code=204)


# ---- the activity simulator and run-time settings ------------------------------------------


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    running: bool | None = None
    rate_per_minute: float | None = Field(None, ge=0, le=6000)
    failure_share: float | None = Field(None, ge=0, le=1)


class BurstRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=MAX_BURST)
    release_id: str | None = Field(None, max_length=64)
    failure_share: float = Field(0.0, ge=0, le=1)


class ConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scan_delay_s: float | None = Field(None, ge=0, le=600)


def _activity_view(state: EmulatorState) -> dict[str, Any]:
    sim = state.activity
    return {
        "running": sim.running,
        "rate_per_minute": sim.rate_per_minute,
        "failure_share": sim.FAILURE_SHARE,
        "signed": sim.signed,
        "refused": sim.refused,
    }


def _body(model: type[Any], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ApiError(400, "invalid_input_field", f"{field}: {first.get('msg')}") from None


@router.get("/activity")
def get_activity(
    request: Request, x_emulator_admin_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    return JSONResponse(_activity_view(_admin(request, x_emulator_admin_token)))


@router.put("/activity")
def put_activity(
    request: Request,
    spec: Annotated[dict[str, Any], Body()],
    x_emulator_admin_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Start or stop the simulator, change its rate (signatures per minute) or the share
    of attempts that are refused."""
    state = _admin(request, x_emulator_admin_token)
    body = _body(ActivityUpdate, spec)
    sim = state.activity
    if body.rate_per_minute is not None:
        sim.set_rate(body.rate_per_minute)
    if body.failure_share is not None:
        sim.FAILURE_SHARE = body.failure_share
    if body.running is True:
        sim.start()
    elif body.running is False:
        sim.stop()
    return JSONResponse(_activity_view(state))


@router.post("/activity/burst")
async def burst(
    request: Request,
    spec: Annotated[dict[str, Any], Body()],
    x_emulator_admin_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """`count` attempts at once in open windows (or in `release_id`), in one transaction:
    `{"attempted", "signed", "failed"}`. 422 when no window is open to sign in."""
    state = _admin(request, x_emulator_admin_token)
    body = _body(BurstRequest, spec)
    result = await run_in_threadpool(
        state.activity.burst, body.count, body.release_id, body.failure_share
    )
    if result["attempted"] == 0:
        raise ApiError(
            422, "invalid_state", "no open release window with signers to sign in"
        )
    return JSONResponse(result)


@router.get("/config")
def get_config(
    request: Request, x_emulator_admin_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    state = _admin(request, x_emulator_admin_token)
    return JSONResponse({"scan_delay_s": state.scan_delay})


@router.put("/config")
def put_config(
    request: Request,
    spec: Annotated[dict[str, Any], Body()],
    x_emulator_admin_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """`scan_delay_s`: how long a submitted scan stays IN_PROGRESS (0: finished at once)."""
    state = _admin(request, x_emulator_admin_token)
    body = _body(ConfigUpdate, spec)
    if body.scan_delay_s is not None:
        state.scan_delay = body.scan_delay_s
    return JSONResponse({"scan_delay_s": state.scan_delay})
