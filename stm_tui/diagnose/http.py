"""Raw requests for the factor checks: the API key alone, the certificate alone, both.

The client always sends what the profile configures; the doctor needs to send *less* (no key,
no certificate) and to see the status and headers of a refusal, so it talks to the server
through the client's HTTP adapter directly: the same TLS, limits and error classification as
the dashboard, one pool of connections per combination of factors (a client certificate
belongs to a connection, not to a request).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from stm_tui.api.adapter import HttpAdapter
from stm_tui.api.errors import parse_error_body

# Identity and error answers are small; a larger one is a broken or hostile server.
MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    date: str | None
    content_type: str | None
    body: bytes
    sent: datetime
    received: datetime

    @property
    def error(self) -> tuple[str | None, str | None]:
        """(code, message) of an error body, sanitised."""
        return parse_error_body(self.body, self.content_type)


class Prober:
    """Requests with exactly the factors given: `api_key` may be None, and `ssl_context`
    carries a client certificate or not."""

    def __init__(
        self,
        host: str,
        *,
        api_key: SecretStr | None,
        ssl_context: ssl.SSLContext | None,
        client_cert: bool,
        connect_timeout: float,
        read_timeout: float,
        deadline: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._clock = clock
        self._http = HttpAdapter(
            host,
            api_key,
            ssl_context=ssl_context,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            max_body_bytes=MAX_BODY,
            client_cert=client_cert,
            max_connections=2,
            read_only=False,  # the second-factor probe is a POST (that the server refuses)
        )

    async def send(self, method: str, path: str, body: Any = None) -> Answer:
        """Raises the client's `StmError`s for transport failures."""
        sent = self._clock()
        raw = await self._http.send(method, path, json=body)
        received = self._clock()
        return Answer(
            raw.status,
            raw.headers.get("date"),
            raw.headers.get("content-type"),
            raw.content,
            sent,
            received,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
