"""The contract's error shapes: STM `{"error": {"status", "message"}}`, Account Manager
`{"errors": [{"code", "message"}]}`, a path no route serves (`{"errors": [{"code":
"INTERNAL_SERVER_ERROR", "message": "Path not found"}]}`, C), and (fault injection only)
`{"error": "<string>"}` and Spring's `{"status": "500", "error", "path"}`.

Statuses: 400 when one field is invalid on its own (what the OpenAPI document describes);
422 when a well-formed request cannot be carried out: fields that contradict each other, a
reference to something that does not exist, or a state that forbids it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

ACCOUNT_PREFIX = "/account/"


class ApiError(Exception):
    def __init__(
        self, http_status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_input(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_input_field", f"{field}: {message}")


def unprocessable(field: str, message: str) -> ApiError:
    """A well-formed request the emulator cannot carry out (cross-field rule, unknown
    reference): 422, with the field named like a 400."""
    return ApiError(422, "invalid_input_field", f"{field}: {message}")


def not_found(kind: str, item_id: str) -> ApiError:
    return ApiError(404, "resource_not_found", f"{kind} not present for given id {item_id}.")


def keypair_not_found(item_id: str) -> ApiError:
    # Exact production text (C: jsign's tests).
    return ApiError(
        404,
        "invalid_input_field",
        f"Keypair not present for given keypairId {item_id}. Please provide correct keypairId.",
    )


def denied(permission: str) -> ApiError:
    return ApiError(403, "access_denied", f"The caller's role lacks the permission {permission}.")


def conflict(message: str) -> ApiError:
    return ApiError(409, "duplicate_error", message)


def invalid_state(message: str) -> ApiError:
    return ApiError(422, "invalid_state", message)


def error_body(path: str, code: str, message: str) -> dict[str, Any]:
    if path.startswith(ACCOUNT_PREFIX):
        return {"errors": [{"code": code, "message": message}]}
    return {"error": {"status": code, "message": message}}


def error_response(path: str, err: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(path, err.code, err.message), status_code=err.http_status, headers=err.headers
    )


async def handle_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(request.url.path, exc)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def handle_validation(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 becomes the contract's 400 with a field-level message."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid"}
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    message = f"{_field_of(tuple(first.get('loc') or ()))}: {reason}"
    return error_response(request.url.path, ApiError(400, "invalid_input_field", message))


_HTTP_CODES = {
    401: "invalid_api_key",
    403: "access_denied",
    404: "resource_not_found",
    405: "method_not_allowed",
    429: "rate_limited",
    503: "service_unavailable",
}


# A path no route serves, on any DigiCert ONE host (C: N3, jsign's invalid-endpoint test).
PATH_NOT_FOUND = {"errors": [{"code": "INTERNAL_SERVER_ERROR", "message": "Path not found"}]}


async def handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return JSONResponse(PATH_NOT_FOUND, status_code=404)
    code = _HTTP_CODES.get(exc.status_code, "invalid_request")
    message = str(exc.detail) if exc.detail else code
    return JSONResponse(
        error_body(request.url.path, code, message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug, not a fault: keep the contract's shape so clients still parse it.
    return JSONResponse(
        error_body(request.url.path, "internal_error", "internal error"), status_code=500
    )
