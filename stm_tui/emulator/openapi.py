"""The emulator's OpenAPI document, made to describe what it really answers.

FastAPI's generated document knows the routes, parameters and bodies (as strict as the
validation, see fields.py) but not the answers: it promises a 422 validation error that
never comes (the emulator answers 400) and none of the statuses the handlers raise. This
module declares, per route, the statuses it can answer (`documented(...)` in the route
decorator) and adds the ones every API route can answer: 400 when it takes input, 401 and
403 (every route is authenticated, and `account_id` names an account), 429, 500 and 503
(fault injection, and production). Each error status gets the body schema of its API:
STM `{"error": {"status", "message"}}`, Account Manager `{"errors": [{"code", "message"}]}`,
and for a 500 also the plain-string and Spring shapes production has sent.

`tests/integration/test_emulator_openapi.py` runs schemathesis against the running emulator
to keep this true.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

API_PREFIXES = ("/signingmanager/", "/account/")

DESCRIPTIONS = {
    304: "Not Modified: `If-None-Match` names the current ETag; no body",
    400: "a field is invalid on its own (type, length, characters, allowed values)",
    401: "missing, unknown or expired API key; unknown, revoked or expired client"
    " certificate, or one of another user than the API key",
    403: "the caller's role lacks the permission, the second factor (client certificate) is"
    " missing, or `account_id` names an account the caller is not a member of",
    404: "nothing with that id (or alias) that the caller may see",
    409: "the name or alias is already used, or the keypair is already in a live release",
    413: "the uploaded file is larger than the emulator scans (20 MB)",
    422: "well formed, but not possible: fields that contradict each other, a reference to"
    " something that does not exist, or a state that forbids it",
    429: "rate limited; retry after `Retry-After` seconds",
    500: "server error (production has answered a plain string and a Spring Boot body)",
    503: "temporarily unavailable; retry after `Retry-After` seconds",
}


def documented(*statuses: int, list_: bool = False) -> dict[int | str, dict[str, Any]]:
    """The route's own answers beyond the common ones (`responses=` of a route decorator)."""
    out: dict[int | str, dict[str, Any]] = {s: {"description": DESCRIPTIONS[s]} for s in statuses}
    if list_:
        out[304] = {"description": DESCRIPTIONS[304], "content": {}}
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_MESSAGE = {"type": "string"}
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "StmError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {"status": {"type": "string"}, "message": _MESSAGE},
            }
        },
    },
    "AccountManagerErrors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": _MESSAGE},
                },
            }
        },
    },
    "PlainStringError": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "SpringError": {
        "type": "object",
        "required": ["status", "error", "path"],
        "properties": {
            "status": {"type": "string"},
            "error": {"type": "string"},
            "path": {"type": "string"},
        },
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_ETAG = {"ETag": {"description": "weak ETag of the body", "schema": {"type": "string"}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_content(path: str, status: int) -> dict[str, Any]:
    own = _ref("AccountManagerErrors" if path.startswith("/account/") else "StmError")
    if status == 500:
        return _json({"anyOf": [own, _ref("PlainStringError"), _ref("SpringError")]})
    return _json(own)


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _complete_operation(path: str, method: str, op: dict[str, Any]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    if "422" in responses and _is_fastapi_validation(responses["422"]):
        del responses["422"]  # validation errors are answered 400
    api = path.startswith(API_PREFIXES)
    admin = path.startswith("/_emulator/") and path != "/_emulator/health"
    common: list[int] = []
    if op.get("parameters") or op.get("requestBody"):
        common.append(400)
    if api:
        common += [401, 403, 429, 500, 503]
        op["security"] = (
            [{"apiKey": []}, {"clientCertificate": []}]
            if path.startswith("/account/")
            else [{"apiKey": []}]
        )
    elif admin:
        common.append(401)
        op["security"] = [{"adminToken": []}]
    for status in common:
        responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
    for code, response in responses.items():
        status = int(code)
        if status >= 400 and "content" not in response:
            response["content"] = _error_content(path, status)
        if status in (429, 503):
            response.setdefault("headers", _RETRY_AFTER)
        if status == 304:
            response.pop("content", None)
            response.setdefault("headers", _ETAG)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(ERROR_SCHEMAS)
    components["securitySchemes"] = {
        "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "clientCertificate": {
            "type": "mutualTLS",
            "description": "the client authentication certificate (under --tls)",
        },
        "adminToken": {"type": "apiKey", "in": "header", "name": "x-emulator-admin-token"},
    }
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            _complete_operation(path, method, op)
    app.openapi_schema = schema
    return schema
