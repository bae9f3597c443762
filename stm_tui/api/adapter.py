"""The only module that imports httpx.

It owns the one `httpx.AsyncClient` per profile, adds `x-api-key` at the last moment (the key
stays a `SecretStr` everywhere else), refuses writes in read-only mode, and turns every
transport failure into the client's exception hierarchy. httpx is kept behind this seam so it
can be swapped (for httpx2, say) without touching the rest of the client.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from stm_tui import __version__
from stm_tui.api.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    OfflineError,
    PermissionDenied,
    StmError,
    TransientError,
)

log = logging.getLogger("stm_tui.api")

READ_METHODS = frozenset({"GET", "HEAD"})

# TLS alert names that mean "the server did not accept our client certificate".
_CLIENT_CERT_ALERTS = (
    "CERTIFICATE_REQUIRED",
    "BAD_CERTIFICATE",
    "CERTIFICATE_UNKNOWN",
    "UNKNOWN_CA",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_REVOKED",
    "HANDSHAKE_FAILURE",
)


class ReadOnlyError(PermissionDenied):
    """A write was attempted while the session is read-only; nothing was sent."""


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    elapsed_ms: float


class _ApiKeyAuth(httpx.Auth):
    """Adds `x-api-key` per request, so the plain key never sits in the client's defaults."""

    def __init__(self, api_key: SecretStr | None) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._api_key is not None:
            request.headers["x-api-key"] = self._api_key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(***)"


def _ssl_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


def classify_transport_error(exc: httpx.TransportError, method: str, path: str) -> StmError:
    """Map an httpx transport failure to the hierarchy, by exception type first."""
    where = f"{method} {path}"
    kw: dict[str, Any] = {"method": method, "path": path}
    ssl_err = _ssl_failure(exc)
    text = str(exc)
    if isinstance(ssl_err, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return ConfigError(
            "TLS: server certificate verify failed; set SM_CA_FILE (or ca_file in the profile) "
            "to the CA that issued it",
            **kw,
        )
    if ssl_err is not None or any(alert in text.upper() for alert in _CLIENT_CERT_ALERTS):
        # Under TLS 1.3 a missing or rejected client certificate shows up as a ReadError
        # after the handshake: it is an auth problem, not a network blip (never retried).
        return AuthError(
            "TLS: the server rejected the client certificate (missing, wrong or expired); "
            "check SM_CLIENT_CERT_FILE",
            **kw,
        )
    short = text[:160] or type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return OfflineError(f"cannot reach the service ({where}): {short}", **kw)
    if isinstance(exc, httpx.PoolTimeout):
        err: StmError = TransientError(f"too many requests in flight ({where})", **kw)
        err.maybe_sent = False  # type: ignore[attr-defined]
        return err
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"timed out waiting for the service ({where})", **kw)
    err = TransientError(f"connection problem ({where}): {type(exc).__name__}: {short}", **kw)
    # The server closed the connection instead of answering. Over TLS that is also how a
    # rejected (or missing) client certificate can look: asyncio-based servers drop the
    # connection without sending the TLS alert. The client decides with what it knows.
    err.closed_without_answer = isinstance(  # type: ignore[attr-defined]
        exc, httpx.RemoteProtocolError | httpx.ReadError
    )
    return err


def was_maybe_sent(err: StmError) -> bool:
    """Could the server have received (and acted on) the request that failed this way?"""
    if isinstance(err, OfflineError):
        return False
    return bool(getattr(err, "maybe_sent", True))


class HttpAdapter:
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_connections: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only
        # Whether this server has ever answered; see `closed_without_answer`.
        self.ever_answered = False
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=_ApiKeyAuth(api_key),
            verify=ssl_context if ssl_context is not None else ssl.create_default_context(),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"accept": "application/json", "user-agent": f"stm-tui/{__version__}"},
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"HttpAdapter(base_url={str(self._client.base_url)!r}, read_only={self.read_only})"

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        method = method.upper()
        if self.read_only and method not in READ_METHODS:
            raise ReadOnlyError(
                f"read-only mode: {method} {path} was not sent "
                "(start with --write to allow changes)",
                method=method,
                path=path,
            )
        started = time.perf_counter()
        try:
            response = await self._client.request(
                method, path, params=params, json=json, headers=headers
            )
        except httpx.TransportError as exc:
            err = classify_transport_error(exc, method, path)
            log.debug("%s %s failed: %s", method, path, err.kind)
            raise err from None
        except httpx.DecodingError:
            raise BadResponse(
                f"undecodable response body ({method} {path})", method=method, path=path
            ) from None
        self.ever_answered = True
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("%s %s -> %d in %.0f ms", method, path, response.status_code, elapsed)
        return RawResponse(response.status_code, response.headers, response.content, elapsed)

    async def aclose(self) -> None:
        await self._client.aclose()
