"""One exception hierarchy for every failure the client can report.

The UI and the poller switch on the exception type (or on `.kind`), never on message text.
Messages are built only from the HTTP status, the server's error code and message, and our
own wording: never from request headers, so no secret can reach them.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

KINDS = frozenset(
    {
        "offline",
        "transient",
        "auth",
        "permission",
        "not_found",
        "rate_limited",
        "bad_response",
        "server_error",
        "outcome_unknown",
        "config",
    }
)

# Longest server-provided message we keep: enough for a field name and a reason, short
# enough that a large HTML page from a proxy does not end up in a status bar.
_MAX_SERVER_MESSAGE = 300


class StmError(Exception):
    """Base of every client error. `.kind` is one of `KINDS`; `.message` is safe to show."""

    kind: ClassVar[str] = "server_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(kind={self.kind!r}, status={self.status!r}, message={self.message!r})"


class OfflineError(StmError):
    """The service could not be reached at all (refused, DNS, connect timeout)."""

    kind = "offline"


class TransientError(StmError):
    """A network blip after connecting (reset, dropped, read timeout); safe to retry a GET."""

    kind = "transient"


class AuthError(StmError):
    """401, or the TLS layer rejected (or required) the client certificate."""

    kind = "auth"


class ClientCertPasswordError(StmError):
    """The PKCS#12 file could not be opened with the given password."""

    kind = "config"


class PermissionDenied(StmError):
    """403: authenticated, but the role lacks the permission."""

    kind = "permission"


class NotFound(StmError):
    kind = "not_found"


class RateLimited(StmError):
    """429 after retries (or a pause too long to wait inline); `.retry_after` in seconds."""

    kind = "rate_limited"

    retry_after: float

    def __init__(self, message: str, *, retry_after: float, **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)


class BadResponse(StmError):
    """Malformed, truncated or wrongly shaped body."""

    kind = "bad_response"


class ServerError(StmError):
    """5xx, or a 4xx the client has no better class for (400, 409, 422)."""

    kind = "server_error"


class RequestRejected(ServerError):
    """400, 409 or 422: the server refused the request as invalid, duplicate or wrong state."""


class OutcomeUnknown(StmError):
    """A write timed out or the connection dropped: it may or may not have happened."""

    kind = "outcome_unknown"


class ConfigError(StmError):
    """Local configuration problem (missing host, bad file permissions, refused setting)."""

    kind = "config"


def parse_error_body(body: bytes) -> tuple[str | None, str | None]:
    """Return (code, message) from any of the three documented error shapes.

    Shapes: STM `{"error": {"status"|"code": ..., "message": ...}}`, production's
    `{"error": "<plain string>"}` and Account Manager's `{"errors": [{"code", "message"}]}`.
    Anything else yields (None, None) and the caller falls back to the HTTP status.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    err = data.get("error")
    if isinstance(err, str):
        return None, _clip(err)
    if isinstance(err, dict):
        code = err.get("status") if isinstance(err.get("status"), str) else err.get("code")
        msg = err.get("message")
        return _str_or_none(code), _clip(msg) if isinstance(msg, str) else None
    errs = data.get("errors")
    if isinstance(errs, list) and errs and isinstance(errs[0], dict):
        first = errs[0]
        msg = first.get("message")
        return _str_or_none(first.get("code")), _clip(msg) if isinstance(msg, str) else None
    return None, None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_MESSAGE else text[: _MAX_SERVER_MESSAGE - 1] + "…"


def error_for_status(
    status: int,
    body: bytes,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> StmError:
    """Map an HTTP error response to the hierarchy."""
    code, server_msg = parse_error_body(body)
    detail = server_msg or code or "no details"
    where = f"{method} {path}"
    kw: dict[str, Any] = {"status": status, "code": code, "method": method, "path": path}
    if status == 401:
        return AuthError(f"authentication failed (401 {code or 'unauthorized'}): {detail}", **kw)
    if status == 403:
        return PermissionDenied(f"permission denied (403): {detail}", **kw)
    if status == 404:
        return NotFound(f"not found (404): {detail}", **kw)
    if status == 429:
        wait = retry_after if retry_after is not None else 1.0
        return RateLimited(f"rate limited (429); retry in {wait:.0f} s", retry_after=wait, **kw)
    if status >= 500:
        return ServerError(
            f"server error ({status}) on {where}: {detail}", retry_after=retry_after, **kw
        )
    return RequestRejected(f"request rejected ({status} {code or 'invalid'}): {detail}", **kw)
