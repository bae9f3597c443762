"""Account Manager (`/account/api/v1`): users, roles, accounts, API tokens, client
certificates, audit log. Lists are bare JSON arrays (C)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from stm_tui.emulator import render
from stm_tui.emulator.context import Caller, authenticate, json_list_response, state_of
from stm_tui.emulator.errors import not_found

router = APIRouter(prefix="/account/api/v1", tags=["account manager"])


def visible_users(request: Request, caller: Caller) -> list[dict[str, Any]]:
    state = state_of(request)
    return state.db.select(
        "users", "id IN (SELECT user_id FROM user_accounts WHERE account_id=?)",
        (caller.account_id,))


@router.get("/user/me")
def get_me(request: Request, caller: Caller = Depends(authenticate)) -> JSONResponse:
    return JSONResponse(render.user(render.Lookup(state_of(request)), caller.user))


@router.get("/user")
def list_users(request: Request, caller: Caller = Depends(authenticate),
               user_type: str | None = None, status: str | None = None) -> Response:
    lk = render.Lookup(state_of(request))
    rows = [u for u in visible_users(request, caller)
            if (user_type is None or u["user_type"] == user_type)
            and (status is None or u["status"] == status)]
    return json_list_response(request, [render.user(lk, u) for u in rows])


@router.get("/user/{user_id}")
def get_user(user_id: str, request: Request, caller: Caller = Depends(authenticate)) -> JSONResponse:
    state = state_of(request)
    rec = state.db.get("users", user_id)
    if rec is None or not set(rec["account_ids"]) & set(caller.account_ids):
        raise not_found("User", user_id)
    return JSONResponse(render.user(render.Lookup(state), rec))
