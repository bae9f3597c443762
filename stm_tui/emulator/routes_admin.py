"""Emulator-only endpoints: health (no auth), faults and stats (admin token)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response
from fastapi.responses import JSONResponse

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
