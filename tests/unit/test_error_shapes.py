"""Every error body production is known to send becomes a clear, safe message (issue 10.6),
the 403 for a missing second factor is its own error (issue 10.2), and server text in an
error message can never drive the terminal (issue 8.2)."""

from __future__ import annotations

import json

import pytest

from stm_tui.api import errors
from stm_tui.sanitize import is_clean

MFA_MESSAGE = (
    "User is not multi-factor authenticated. Missing Client Authentication Certificate. As per "
    "compliance rules, user needs to be authenticated using multi-factor for performing sign "
    "operation."
)


def body(value: object) -> bytes:
    return json.dumps(value).encode()


# (status, body, content type, error class, code, words the message must contain)
SHAPES = [
    pytest.param(
        404,
        body({"error": {"status": "invalid_input_field", "message": "Keypair not present"}}),
        "application/json",
        errors.NotFound,
        "invalid_input_field",
        ["not found (404)", "Keypair not present"],
        id="stm-error-object",
    ),
    pytest.param(
        400,
        body({"error": {"code": "invalid_request", "message": "alias is required"}}),
        "application/json",
        errors.RequestRejected,
        "invalid_request",
        ["400", "alias is required"],
        id="digicert-one-error-code",
    ),
    pytest.param(
        500,
        body({"error": "Unable to fetch certificate chain"}),
        "application/json",
        errors.ServerError,
        None,
        ["server error (500)", "Unable to fetch certificate chain"],
        id="plain-string-error",
    ),
    pytest.param(
        409,
        body({"errors": [{"code": "duplicate_error", "message": "name already exists"}]}),
        "application/json",
        errors.RequestRejected,
        "duplicate_error",
        ["409", "name already exists"],
        id="account-manager-errors-array",
    ),
    pytest.param(
        404,
        body({"errors": [{"code": "INTERNAL_SERVER_ERROR", "message": "Path not found"}]}),
        "application/json",
        errors.NotFound,
        "INTERNAL_SERVER_ERROR",
        ["not found (404)", "Path not found"],
        id="digicert-one-unknown-path",
    ),
    pytest.param(
        500,
        body(
            {
                "timestamp": "2026-07-01T10:00:00.000+00:00",
                "status": "500",
                "error": "Internal Server Error",
                "path": "/signingmanager/api/v1/certificates",
            }
        ),
        "application/json",
        errors.ServerError,
        None,
        ["server error (500)", "Internal Server Error"],
        id="spring-boot",
    ),
    pytest.param(
        502,
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1></body></html>",
        "text/html; charset=utf-8",
        errors.ServerError,
        None,
        ["the server answered with an HTML page (status 502)"],
        id="html-page",
    ),
    pytest.param(
        404,
        b"<html><body>Not Found</body></html>",
        None,
        errors.NotFound,
        None,
        ["the server answered with an HTML page (status 404)"],
        id="html-page-without-content-type",
    ),
    pytest.param(503, b"", None, errors.ServerError, None, ["503", "empty body"], id="empty-body"),
    pytest.param(
        500,
        b"Service exploded",
        "text/plain",
        errors.ServerError,
        None,
        ["500", "Service exploded"],
        id="plain-text",
    ),
    pytest.param(
        401,
        body({"error": {"status": "invalid_api_key", "message": "Invalid API key"}}),
        "application/json",
        errors.AuthError,
        "invalid_api_key",
        ["authentication failed (401", "Invalid API key"],
        id="401",
    ),
    pytest.param(
        403,
        body({"error": {"status": "access_denied", "message": "Missing permission VIEW"}}),
        "application/json",
        errors.PermissionDenied,
        "access_denied",
        ["permission denied (403)", "Missing permission VIEW"],
        id="403-permission",
    ),
]


@pytest.mark.parametrize(("status", "raw", "ctype", "cls", "code", "words"), SHAPES)
def test_every_production_error_shape_reads_clearly(
    status: int,
    raw: bytes,
    ctype: str | None,
    cls: type[errors.StmError],
    code: str | None,
    words: list[str],
) -> None:
    err = errors.error_for_status(status, raw, method="GET", path="/x", content_type=ctype)
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    for word in words:
        assert word in err.message
    assert "no details" not in err.message
    assert "<html" not in err.message.lower()


def test_the_missing_second_factor_is_its_own_error_and_names_the_factor() -> None:
    raw = body({"error": {"status": "access_denied", "message": MFA_MESSAGE}})
    err = errors.error_for_status(403, raw, method="POST", path="/sign")
    assert isinstance(err, errors.SecondFactorMissing)
    assert err.kind == "second_factor"
    assert "client authentication certificate" in err.message.lower()
    assert "SM_CLIENT_CERT_FILE" in err.message
    assert err.kind in errors.ERROR_KINDS
    assert err.kind in errors.NOT_TRANSIENT


def test_a_plain_permission_403_is_not_mistaken_for_the_second_factor() -> None:
    raw = body({"error": {"status": "access_denied", "message": "role lacks SIGN_SM_HASH"}})
    err = errors.error_for_status(403, raw, method="POST", path="/sign")
    assert type(err) is errors.PermissionDenied


HOSTILE = "\x1b]52;c;cHduZWQ=\x07\x1b]0;owned\x07\x1b[2J\x08\x9b31m\u202eevil"


@pytest.mark.parametrize(
    "raw",
    [
        body({"error": {"status": "x\x1b[2Jy", "message": HOSTILE}}),
        body({"error": HOSTILE}),
        body({"errors": [{"code": HOSTILE, "message": HOSTILE}]}),
        body({"status": "500", "error": HOSTILE, "path": HOSTILE}),
        HOSTILE.encode(),
    ],
    ids=["object", "string", "errors-array", "spring", "plain"],
)
def test_server_text_in_error_messages_is_sanitised(raw: bytes) -> None:
    for status in (400, 401, 403, 404, 500):
        err = errors.error_for_status(status, raw, method="GET", path="/x")
        for text in (err.message, err.code or "", str(err), repr(err)):
            assert is_clean(text), text
            assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
            assert "\u202e" not in text


def test_a_huge_error_message_is_bounded() -> None:
    err = errors.error_for_status(500, body({"error": "A" * 1_000_000}), method="GET", path="/x")
    assert len(err.message) < 600


def test_deeply_nested_error_bodies_do_not_escape_as_recursion_errors() -> None:
    err = errors.error_for_status(500, b"[" * 200_000, method="GET", path="/x")
    assert type(err) is errors.ServerError
    assert "500" in err.message
