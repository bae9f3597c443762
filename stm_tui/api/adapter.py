"""The only module that imports httpx.

It owns the one `httpx.AsyncClient` per profile, adds `x-api-key` at the last moment (the key
stays a `SecretStr` everywhere else), refuses writes in read-only mode, and turns every
transport failure into the client's exception hierarchy. httpx is kept behind this seam so it
can be swapped (for httpx2, say) without touching the rest of the client.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from stm_tui import __version__
from stm_tui.api.body import ACCEPT_ENCODING, BoundedBody
from stm_tui.api.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    DeadlineExceeded,
    OfflineError,
    PermissionDenied,
    StmError,
    TransientError,
)
from stm_tui.api.hosts import is_loopback

log = logging.getLogger("stm_tui.api")

READ_METHODS = frozenset({"GET", "HEAD"})

DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_DEADLINE = 60.0

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


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from (causes, contexts, group members)."""
    seen: set[int] = set()
    out: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        out.append(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
    return out


def _ssl_failure(exc: BaseException) -> ssl.SSLError | None:
    # "Want read/write" is the non-blocking socket's "not yet", seen when the peer reset the
    # connection mid-read: no verdict about TLS itself.
    benign = (ssl.SSLWantReadError, ssl.SSLWantWriteError)
    return next(
        (e for e in _chain(exc) if isinstance(e, ssl.SSLError) and not isinstance(e, benign)),
        None,
    )


# What OpenSSL says when the other side answered a TLS ClientHello in plain HTTP.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
            "UNKNOWN_PROTOCOL", "HTTP_REQUEST")


def connect_failure_class(exc: BaseException) -> str:
    """A short name for why a connection could not be made, for people, not programs."""
    for err in _chain(exc):
        if isinstance(err, socket.gaierror):
            return "the host name could not be resolved (DNS)"
        code = getattr(err, "errno", None)
        if isinstance(err, ConnectionRefusedError) or code == errno.ECONNREFUSED:
            return "connection refused (nothing is listening on that port)"
        if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "network unreachable"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout (no answer from the host)"
    text = str(exc)
    if "All connection attempts failed" in text:
        return "connection refused or unreachable"
    return text[:160] or type(exc).__name__


def classify_transport_error(
    exc: BaseException,
    method: str,
    path: str,
    *,
    base_url: str = "",
    client_cert: bool = False,
) -> StmError:
    """Map an httpx transport failure to the hierarchy, by exception type first. Messages
    name the URL that was tried and the real cause."""
    url = f"{base_url}{path}"
    where = f"{method} {url}"
    kw: dict[str, Any] = {"method": method, "path": path}
    ssl_err = _ssl_failure(exc)
    text = str(exc)
    upper = " ".join(str(e) for e in _chain(exc)).upper()
    if isinstance(ssl_err, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in upper:
        return ConfigError(
            f"TLS: certificate verify failed for {base_url}; set SM_CA_FILE (or "
            "ca_file in the profile) to the CA that issued it",
            **kw,
        )
    if any(marker in upper for marker in _NOT_TLS):
        plain = "http://" + base_url.split("://", 1)[-1]
        if is_loopback(urlsplit(base_url).hostname or ""):
            hint = f"did you mean {plain}?"
        else:
            hint = (
                "plain HTTP is refused for anything but loopback (the API key would travel "
                "in clear): use the service's https:// address"
            )
        return ConfigError(
            f"the server at {base_url} does not speak TLS (it answered in plain HTTP); {hint}",
            **kw,
        )
    if any(alert in upper for alert in _CLIENT_CERT_ALERTS):
        # Under TLS 1.3 a missing or rejected client certificate shows up as a ReadError
        # after the handshake: it is an auth problem, not a network blip (never retried).
        return AuthError(_client_cert_message(base_url, client_cert), **kw)
    if ssl_err is not None:
        reason = getattr(ssl_err, "reason", None) or type(ssl_err).__name__
        return OfflineError(f"TLS handshake with {base_url} failed ({reason})", **kw)
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return OfflineError(f"cannot reach {base_url} ({method} {path}): "
                            f"{connect_failure_class(exc)}", **kw)
    if isinstance(exc, httpx.PoolTimeout):
        pooled = TransientError(f"too many requests in flight ({where})", **kw)
        pooled.maybe_sent = False
        return pooled
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"timed out waiting for {base_url} ({method} {path})", **kw)
    short = text[:160] or type(exc).__name__
    err = TransientError(f"connection problem ({where}): {type(exc).__name__}: {short}", **kw)
    # The server closed the connection instead of answering. Over TLS that is also how a
    # rejected (or missing) client certificate can look: asyncio-based servers drop the
    # connection without sending the TLS alert. The client decides with what it knows.
    err.closed_without_answer = isinstance(
        exc, httpx.RemoteProtocolError | httpx.ReadError | ConnectionResetError
    )
    return err


def _client_cert_message(base_url: str, client_cert: bool) -> str:
    if client_cert:
        return (
            f"TLS: {base_url} rejected the client certificate (wrong, expired or not "
            "issued for this host); check SM_CLIENT_CERT_FILE"
        )
    return (
        f"TLS: {base_url} requires a client certificate and none is configured; set "
        "SM_CLIENT_CERT_FILE (or client_cert_file in the profile) to your .p12"
    )


def was_maybe_sent(err: StmError) -> bool:
    """Could the server have received (and acted on) the request that failed this way?"""
    if isinstance(err, TransientError):
        return err.maybe_sent
    return not isinstance(err, OfflineError)


class HttpAdapter:
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        client_cert: bool = False,
        max_connections: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only
        self.base_url = base_url
        # A read timeout bounds each wait for bytes; the deadline bounds the whole exchange,
        # so a server trickling a byte every few seconds cannot hold a request for hours.
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.client_cert = client_cert
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
            headers={
                "accept": "application/json",
                "accept-encoding": ACCEPT_ENCODING,
                "user-agent": f"stm-tui/{__version__}",
            },
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
        content: bytes | None = None,
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
        deadline = asyncio.timeout(self.deadline)
        try:
            async with deadline:
                status, response_headers, answer = await self._exchange(
                    method, path, params, json, headers, content
                )
        except TimeoutError as exc:
            if not deadline.expired():  # a socket's own timeout, not the deadline
                raise classify_transport_error(
                    exc, method, path, base_url=self.base_url, client_cert=self.client_cert
                ) from None
            raise DeadlineExceeded(
                f"no complete answer within {self.deadline:g} s from {self.base_url} "
                f"({method} {path}); the server is too slow or stalled",
                method=method,
                path=path,
            ) from None
        except (httpx.TransportError, ssl.SSLError, OSError) as exc:
            # httpcore lets some TLS alerts (TLSV13_ALERT_CERTIFICATE_REQUIRED, read after
            # the handshake) and socket errors through unwrapped: they are classified too.
            err = classify_transport_error(
                exc, method, path, base_url=self.base_url, client_cert=self.client_cert
            )
            log.debug("%s %s failed: %s", method, path, err.kind)
            raise err from None
        except httpx.HTTPError:  # anything else httpx raises about a broken exchange
            raise BadResponse(
                f"unreadable response ({method} {path})", method=method, path=path
            ) from None
        self.ever_answered = True
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("%s %s -> %d in %.0f ms", method, path, status, elapsed)
        return RawResponse(status, response_headers, answer, elapsed)

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        content: bytes | None = None,
    ) -> tuple[int, httpx.Headers, bytes]:
        request = self._client.build_request(
            method, path, params=params, json=json, headers=headers, content=content
        )
        response = await self._client.send(request, stream=True)
        try:
            if response.is_stream_consumed:
                # An in-memory response (a test transport): httpx already holds it decoded.
                body = BoundedBody(None, self.max_body_bytes, f"{method} {path}")
                body.feed(response.content)
            else:
                body = BoundedBody(
                    response.headers.get("content-encoding"),
                    self.max_body_bytes,
                    f"{method} {path}",
                )
                async for chunk in response.aiter_raw():
                    body.feed(chunk)
            received = body.finish()
        finally:
            await response.aclose()
        return response.status_code, response.headers, received

    async def aclose(self) -> None:
        await self._client.aclose()
