"""The ASGI application: routers, error handlers and the edge middleware."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from stm_tui import __version__
from stm_tui.emulator import errors
from stm_tui.emulator.context import EmulatorState
from stm_tui.emulator.faults import EdgeMiddleware
from stm_tui.emulator.openapi import build_openapi

DESCRIPTION = """The stm-tui STM emulator: Software Trust Manager (`/signingmanager/api/v1`)
and Account Manager (`/account/api/v1`) as described in docs/api-contract.md. Which shapes
are CONFIRMED and which INFERRED is listed in docs/emulator.md."""


def create_app(state: EmulatorState) -> Any:
    from stm_tui.emulator import (
        routes_account,
        routes_admin,
        routes_approvals,
        routes_authenticator,
        routes_certificates,
        routes_keypairs,
        routes_logs,
        routes_profiles,
        routes_releases,
        routes_scans,
        routes_settings,
        routes_signing,
        routes_teams,
    )

    app = FastAPI(title="stm-tui STM emulator", version=__version__, description=DESCRIPTION)
    app.state.emu = state
    routes = []
    for module in (
        routes_keypairs,
        routes_signing,
        routes_certificates,
        routes_releases,
        routes_profiles,
        routes_logs,
        routes_scans,
        routes_teams,
        routes_settings,
        routes_account,
        routes_admin,
        routes_approvals,
        routes_authenticator,
    ):
        app.include_router(module.router)
        routes.extend(module.router.routes)
    app.add_exception_handler(errors.ApiError, errors.handle_api_error)
    app.add_exception_handler(RequestValidationError, errors.handle_validation)
    app.add_exception_handler(StarletteHTTPException, errors.handle_http)
    app.add_exception_handler(Exception, errors.handle_unexpected)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return EdgeMiddleware(app, routes, lambda: state)
