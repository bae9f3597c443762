"""Fault injection and the request counter, as one pure-ASGI middleware in front of the app.

It also answers a path with a duplicate slash the way production now does: a non-JSON (HTML)
error page, never a 2xx and never folded onto the route (C: N1, DigiCert changed this in
2026 and jsign stopped sending `//keypairs/{id}`; the status, 400, is INFERRED).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, fields
from email.utils import format_datetime
from typing import Any

from starlette.routing import BaseRoute, Match

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIXES = ("/signingmanager/", "/account/")

DUPLICATE_SLASH_PAGE = (
    b"<!doctype html><html><head><title>400 Bad Request</title></head><body>"
    b"<h1>Bad Request</h1><p>The request was rejected because the URL contained a"
    b' potentially malicious string "//".</p></body></html>'
)


@dataclass
class FaultSpec:
    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    spring_error_rate: float = 0.0
    retry_after: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms
            or self.error_rate
            or self.rate_limit_rate
            or self.drop_rate
            or self.malformed_rate
            or self.spring_error_rate
        )

    @classmethod
    def from_mapping(cls, values: MutableMapping[str, Any]) -> FaultSpec:
        """Validate every key and value; raises ValueError naming the bad one."""
        known = {f.name: f for f in fields(cls)}
        spec = cls()
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"{key}: unknown fault (known: {', '.join(known)})")
            try:
                value: float = float(raw) if not isinstance(raw, bool) else float("nan")
            except (TypeError, ValueError):
                raise ValueError(f"{key}: must be a number") from None
            if value != value or value < 0:
                raise ValueError(f"{key}: must be a non-negative number")
            if key.endswith("_rate"):
                if value > 1:
                    raise ValueError(f"{key}: must be between 0 and 1")
                setattr(spec, key, value)
            else:
                if value > 600_000:
                    raise ValueError(f"{key}: too large")
                setattr(spec, key, int(value))
        return spec

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """`latency_ms=200,error_rate=0.3,...` (the --faults syntax)."""
        values: dict[str, Any] = {}
        for part in (text or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"{part}: expected name=value")
            values[key.strip()] = value.strip()
        return cls.from_mapping(values)


class EdgeMiddleware:
    """Duplicate-slash refusal, request counting and fault injection for API routes."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], get_state: Callable[[], Any]) -> None:
        self.app = app
        self.routes = routes  # the endpoint routes themselves (for route templates)
        self.get_state = get_state
        self._templates: dict[tuple[str, str], str] = {}

    def _template(self, scope: Scope) -> str:
        key = (scope["method"], scope["path"])
        found = self._templates.get(key)
        if found is None:
            found = scope["path"]
            for route in self.routes:
                match, _ = route.matches(scope)
                if match == Match.FULL:
                    found = str(getattr(route, "path", found))
                    break
            if len(self._templates) > 5000:
                self._templates.clear()
            self._templates[key] = found
        return f"{scope['method']} {found}"

    async def __call__(self, scope: Scope, receive: Receive, outer_send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, outer_send)
            return
        send = self._dated(outer_send)
        path = scope["path"]
        if "//" in path:
            # Counted under the path as sent, so a test can prove a client never sends one.
            self.get_state().count_request(f"{scope['method']} {path}")
            await send_raw(
                send, 400, DUPLICATE_SLASH_PAGE, [], content_type=b"text/html;charset=utf-8"
            )
            return
        if not path.startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = self.get_state()
        state.count_request(self._template(scope))
        spec: FaultSpec = state.faults
        if spec.active and await self._inject(spec, state.fault_rng, state, scope, send):
            return
        await self.app(scope, receive, send)

    def _dated(self, send: Send) -> Send:
        """Every answer carries `Date` from the emulator's clock (uvicorn's own is off), so
        clients can tell their clock's skew from the server's (TOTP needs both close)."""

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"date" for name, _ in headers):
                    when = format_datetime(self.get_state().now(), usegmt=True)
                    headers.append((b"date", when.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return dated

    async def _inject(
        self, spec: FaultSpec, rng: random.Random, state: Any, scope: Scope, send: Send
    ) -> bool:
        if spec.latency_ms:
            await asyncio.sleep(spec.latency_ms / 1000)
        draw = rng.random()
        edge = spec.error_rate
        if draw < edge:
            await self._server_error(spec, rng, scope, send)
            return True
        edge += spec.rate_limit_rate
        if draw < edge:
            await _send_json(
                send,
                429,
                b'{"error":{"status":"rate_limited","message":"Too many requests; retry later."}}',
                [(b"retry-after", str(spec.retry_after).encode())],
                account=scope["path"].startswith("/account/"),
            )
            return True
        edge += spec.drop_rate
        if draw < edge:
            await self._drop(state, scope, send)
            return True
        edge += spec.malformed_rate
        if draw < edge:
            await self._malformed(rng, state, scope, send)
            return True
        edge += spec.spring_error_rate
        if draw < edge:
            # Spring Boot's default error body, as production answers a 5xx (C: N2).
            body = {
                "status": "500",
                "error": "Internal Server Error",
                "path": scope["path"],
            }
            await send_raw(send, 500, json.dumps(body).encode(), [])
            return True
        return False

    async def _server_error(
        self, spec: FaultSpec, rng: random.Random, scope: Scope, send: Send
    ) -> None:
        account = scope["path"].startswith("/account/")
        if rng.random() < 0.5:
            # Production has been seen to answer 500 with a plain-string error (C: J4).
            await send_raw(send, 500, b'{"error":"Internal Server Error"}', [])
        else:
            await _send_json(
                send,
                503,
                b'{"error":{"status":"service_unavailable","message":'
                b'"Service temporarily unavailable."}}',
                [(b"retry-after", str(spec.retry_after).encode())],
                account=account,
            )

    async def _drop(self, state: Any, scope: Scope, send: Send) -> None:
        transport = _transport_for(state, scope)
        if transport is not None:
            transport.abort()
            for _ in range(3):  # let the server notice the disconnect before we return
                await asyncio.sleep(0)
            return
        # No socket to cut (in-process transport): promise a body and never send it.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        raise ConnectionAbortedError("emulator fault: dropped connection")

    async def _malformed(self, rng: random.Random, state: Any, scope: Scope, send: Send) -> None:
        if rng.random() < 0.5:
            await send_raw(send, 200, b'{"total": 3, "offset": 0, "items": [{"id": ', [])
            return
        body = b'{"total":1,"offset":0,"limit":20,"items":[{"id":"truncated'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body) * 3).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": True})
        transport = _transport_for(state, scope)
        if transport is not None:
            transport.abort()
            for _ in range(3):
                await asyncio.sleep(0)
            return
        raise ConnectionAbortedError("emulator fault: truncated body")


def _transport_for(state: Any, scope: Scope) -> Any:
    client = scope.get("client")
    registry = getattr(state, "transports", None)
    if not client or registry is None:
        return None
    return registry.get(tuple(client))


async def _send_json(
    send: Send, status: int, stm_body: bytes, headers: list[tuple[bytes, bytes]], *, account: bool
) -> None:
    body = stm_body
    if account:  # Account Manager's shape for the same condition
        body = stm_body.replace(b'{"error":{"status":', b'{"errors":[{"code":').replace(
            b"}}", b"}]}"
        )
    await send_raw(send, status, body, headers)


async def send_raw(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    content_type: bytes = b"application/json",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
