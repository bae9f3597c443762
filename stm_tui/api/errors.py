"""One exception hierarchy for every failure the client can report.

The UI and the poller switch on the exception type (or on `.kind`), never on message text.
Messages are built only from the HTTP status, the server's error code and message, and our
own wording: never from request headers, so no secret can reach them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from stm_tui.sanitize import clean_message

if TYPE_CHECKING:
    from stm_tui.api.models import Resource
    from stm_tui.api.writes.call import WriteCall

ERROR_KINDS = frozenset(
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
        "second_factor",
    }
)

# Failures that asking again cannot fix: the poller stops polling the resource and says so
# once; only a manual refresh asks again.
NOT_TRANSIENT = frozenset({"auth", "permission", "second_factor"})

# Longest server-provided message we keep: enough for a field name and a reason, short
# enough that a large page from a proxy does not end up in a status bar.
_MAX_SERVER_MESSAGE = 300
_MAX_SERVER_CODE = 80
# Only the start of an error body is looked at: a hostile 50 MB body must cost nothing.
_MAX_ERROR_BODY = 64 * 1024


class StmError(Exception):
    """Base of every client error. `.kind` is one of `ERROR_KINDS`; `.message` is safe to show."""

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
    """A network blip after connecting (reset, dropped, read timeout); safe to retry a GET.

    `maybe_sent`: whether the server could have received (and acted on) the request; False
    when it never left the pool. `closed_without_answer`: the server hung up instead of
    answering, which over TLS is also how a refused client certificate can look."""

    kind = "transient"
    maybe_sent: bool = True
    closed_without_answer: bool = False


class DeadlineExceeded(TransientError):
    """The whole exchange took longer than the request deadline (a stalled or trickling
    server). Not retried: asking again would only wait as long again."""


class AuthError(StmError):
    """401, or the TLS layer rejected (or required) the client certificate."""

    kind = "auth"


class ClientCertPasswordError(StmError):
    """The PKCS#12 file could not be opened with the given password."""

    kind = "config"


class PermissionDenied(StmError):
    """403: authenticated, but the role lacks the permission."""

    kind = "permission"


class SecondFactorMissing(PermissionDenied):
    """403 `access_denied` because the call needs the second factor (the client
    authentication certificate) and the request came with the API key alone.

    STM enforces this in the application for signing, keypair generation and import, and
    certificate generation; reads work with the key alone."""

    kind = "second_factor"


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
    """A write timed out or the connection dropped: it may or may not have happened.

    `call` is the write that was sent (once; it is never retried). `current` is what a re-read
    of its target showed afterwards: the item by id, or for a creation the item its `lookup`
    finds; None when there is nothing there or the re-read failed too. `checked` tells those
    apart: True when the re-read got an answer (so None means "not there")."""

    kind = "outcome_unknown"

    call: WriteCall
    current: Resource | None
    checked: bool

    def __init__(
        self,
        message: str,
        *,
        call: WriteCall,
        current: Resource | None = None,
        checked: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.call = call
        self.current = current
        self.checked = checked


class ConfigError(StmError):
    """Local configuration problem (missing host, bad file permissions, refused setting)."""

    kind = "config"


def _clip(text: str, limit: int = _MAX_SERVER_MESSAGE) -> str:
    """Server text made safe for a terminal (one line, no control sequences) and bounded."""
    return clean_message(" ".join(text.split()), limit=limit)


def _text(value: object, limit: int = _MAX_SERVER_MESSAGE) -> str | None:
    return _clip(value, limit) if isinstance(value, str) and value.strip() else None


def _looks_like_html(head: bytes, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    start = head.lstrip()[:512].lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


def parse_error_body(
    body: bytes, content_type: str | None = None
) -> tuple[str | None, str | None]:
    """(code, message) from any error shape production is known to send; both already
    sanitised. None where the body has no such part.

    JSON shapes: STM `{"error": {"status"|"code", "message"}}`, `{"error": "<string>"}`,
    Account Manager's and the DigiCert ONE gateway's `{"errors": [{"code", "message"}]}`, and
    Spring Boot's `{"status": "500", "error": "Internal Server Error", "path", "message"?}`.
    An HTML page (a proxy's or the gateway's) gives the message "HTML page"; an empty body
    "empty body"; any other text its first line.
    """
    head = body[:_MAX_ERROR_BODY]
    if not head.strip():
        return None, "empty body"
    if _looks_like_html(head, content_type):
        return None, "HTML page"
    try:
        data = json.loads(body) if len(body) <= _MAX_ERROR_BODY else None
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        data = None
    if data is None:
        text = head.decode("utf-8", errors="replace").strip()
        if text[:1] in ("{", "["):
            return None, "unreadable JSON body"
        return None, _text(text.splitlines()[0] if text else "")
    if not isinstance(data, dict):
        return None, None
    err = data.get("error")
    if isinstance(err, dict):
        raw_code = err.get("status") if isinstance(err.get("status"), str) else err.get("code")
        return _text(raw_code, _MAX_SERVER_CODE), _text(err.get("message"))
    errs = data.get("errors")
    if isinstance(errs, list) and errs and isinstance(errs[0], dict):
        first = errs[0]
        return _text(first.get("code"), _MAX_SERVER_CODE), _text(first.get("message"))
    if isinstance(err, str):
        # Spring Boot puts the reason phrase in `error` and, when enabled, details in
        # `message`; production's plain-string shape has only `error`.
        detail = _text(data.get("message"))
        reason = _text(err)
        if detail and reason and detail != reason:
            return None, f"{reason}: {detail}"
        return None, reason or detail
    return None, _text(data.get("message"))


_MFA_WORDS = ("multi-factor", "client authentication certificate", "second factor", "2fa")


def _is_second_factor(code: str | None, message: str | None) -> bool:
    text = (message or "").lower()
    return (code in (None, "access_denied")) and any(w in text for w in _MFA_WORDS)


def error_for_status(
    status: int,
    body: bytes,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
    content_type: str | None = None,
) -> StmError:
    """Map an HTTP error response to the hierarchy."""
    code, server_msg = parse_error_body(body, content_type)
    if server_msg == "HTML page":
        # Production answers some failures (a `//` in the path, gateway errors) with an HTML
        # page; its text is markup, not a message.
        detail = f"the server answered with an HTML page (status {status})"
    else:
        detail = server_msg or code or "no details"
    where = f"{method} {path}"
    kw: dict[str, Any] = {"status": status, "code": code, "method": method, "path": path}
    if status == 401:
        return AuthError(f"authentication failed (401 {code or 'unauthorized'}): {detail}", **kw)
    if status == 403:
        if _is_second_factor(code, server_msg):
            return SecondFactorMissing(
                "second factor missing (403): this call needs the client authentication "
                "certificate as well as the API key; set SM_CLIENT_CERT_FILE (and its "
                f"password) to your .p12. The server said: {detail}",
                **kw,
            )
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
