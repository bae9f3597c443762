"""STMClient: the one object the rest of the program talks to the service through.

A thin composition: the transport engine (`engine.py`: retries, rate-limit gate, paging, the
command log), the read side (`reads.py`) and the write side (`writes/`: requests as values,
sent by `execute`). Building one from a profile is `stm_tui.connect`'s job, so this package
never reads configuration.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api import reads
from stm_tui.api.adapter import DEFAULT_DEADLINE, DEFAULT_MAX_BODY
from stm_tui.api.command_log import CommandLog
from stm_tui.api.engine import Engine, normalize_host
from stm_tui.api.errors import BadResponse
from stm_tui.api.reads import ChangeResult
from stm_tui.api.retry import RetryPolicy
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.execute import WriteOutcome, execute
from stm_tui.api.writes.signing import SignHash, sign_hash

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = ["ChangeResult", "STMClient", "WriteOutcome", "normalize_host"]


class STMClient:
    def __init__(
        self,
        host: str,
        api_key: SecretStr | None = None,
        *,
        account_id: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        client_cert: bool = False,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        concurrency: int = 8,
        read_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        command_log: CommandLog | None = None,
    ) -> None:
        self._engine = Engine(
            host,
            api_key,
            account_id=account_id,
            ssl_context=ssl_context,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            max_body_bytes=max_body_bytes,
            client_cert=client_cert,
            retry=retry,
            page_size=page_size,
            concurrency=concurrency,
            read_only=read_only,
            transport=transport,
            sleep=sleep,
            clock=clock,
            rng=rng,
            command_log=command_log,
        )
        # What the identity bar and messages name; a test may show another label.
        self.host = self._engine.host

    # ------------------------------------------------------------------ state

    @property
    def account_id(self) -> str | None:
        return self._engine.account_id

    @property
    def server_date(self) -> str | None:
        """The `Date` header of the last answer read (None before any)."""
        return self._engine.server_date

    @property
    def page_size(self) -> int:
        return self._engine.page_size

    @property
    def command_log(self) -> CommandLog:
        """Every call this client made (bounded): for the command-log view."""
        return self._engine.command_log

    @property
    def read_only(self) -> bool:
        return self._engine.http.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._engine.http.read_only = value

    @property
    def rate_limited_for(self) -> float:
        """Seconds until this host may be asked again (0 when not rate-limited)."""
        return self._engine.rate_limited_for

    async def aclose(self) -> None:
        await self._engine.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"STMClient(host={self.host!r}, read_only={self.read_only})"

    # ------------------------------------------------------------------ reads

    async def iter_pages(self, resource: str, **filters: Any) -> AsyncIterator[list[m.Resource]]:
        async for page in reads.iter_pages(self._engine, resource, filters):
            yield page

    async def list_all(self, resource: str, **filters: Any) -> list[m.Resource]:
        return await reads.list_all(self._engine, resource, filters)

    async def list_changed(
        self,
        resource: str,
        *,
        etag: str | None = None,
        since: datetime | None = None,
        **filters: Any,
    ) -> ChangeResult:
        return await reads.list_changed(self._engine, resource, filters, etag=etag, since=since)

    async def list_page(
        self, resource: str, *, offset: int, limit: int, **filters: Any
    ) -> tuple[int, list[m.Resource]]:
        return await reads.list_page(self._engine, resource, filters, offset=offset, limit=limit)

    async def count(self, resource: str, **filters: Any) -> int:
        return await reads.count(self._engine, resource, filters)

    async def get_item(self, resource: str, item_id: str) -> m.Resource:
        return await reads.get_item(self._engine, resource, item_id)

    async def me(self) -> m.User:
        return await reads.me(self._engine)

    async def download_certificate(self, certificate_id: str, fmt: str = "pem") -> bytes:
        return await reads.download_certificate(self._engine, certificate_id, fmt)

    async def export_audit_log(self, **filters: Any) -> bytes:
        return await reads.export_audit_log(self._engine, filters)

    # ------------------------------------------------------------------ writes

    async def execute(self, call: WriteCall) -> WriteOutcome:
        """Send a write built by one of `stm_tui.api.writes`' builders, exactly once."""
        return await execute(self._engine, call)

    async def sign(self, keypair_id: str, digest: bytes, sig_alg: str) -> m.SignResult:
        """Sign a pre-computed digest (raw bytes; sent base64) with a keypair, as jsign and
        smctl do."""
        call = sign_hash(keypair_id, keypair_id, SignHash(digest=digest, sig_alg=sig_alg))
        outcome = await self.execute(call)
        if not isinstance(outcome.resource, m.SignResult):
            raise BadResponse(
                outcome.problem or "the sign call answered without a signature",
                method=call.method,
                path=call.path,
            )
        return outcome.resource
