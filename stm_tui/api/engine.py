"""The transport engine under `STMClient`: safe retries, the rate-limit gate, paging, and the
command log.

- A GET retries on 429/502/503/504 and network blips with jittered backoff, honouring
  `Retry-After` through a per-host gate; anything else (`send`) goes out exactly once.
- A listing pages with a bounded number of requests in flight, holding the cyclic collector
  off while it parses (`stm_tui.memory`).
- Every call that reaches the network is recorded in the `CommandLog` once, with its retries:
  when, method, path template, status or error kind, latency. Never a body, a header or a
  query value.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from stm_tui import memory
from stm_tui.api import models as m
from stm_tui.api.adapter import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    HttpAdapter,
    RawResponse,
    ReadOnlyError,
)
from stm_tui.api.command_log import CommandLog, endpoint_path
from stm_tui.api.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    DeadlineExceeded,
    OfflineError,
    RateLimited,
    StmError,
    TransientError,
    error_for_status,
)
from stm_tui.api.hosts import validate_host
from stm_tui.api.item_pages import parse_page
from stm_tui.api.paging import parse_array, parse_envelope, validate_items, validate_one
from stm_tui.api.resources import ResourceSpec
from stm_tui.api.retry import RETRY_STATUSES, HostGate, RetryPolicy, parse_retry_after
from stm_tui.api.routes import STM, template_of
from stm_tui.sanitize import clean

if TYPE_CHECKING:
    import ssl

    import httpx

# A page count beyond this means a broken `total`, not a real inventory.
MAX_PAGES = 5000
# Page bodies from this size parse off the event loop (100 certificates are ~190 kB and take
# 5-100 ms to validate, time the UI waited for; the demo's small pages stay inline, where a
# thread hop would cost more than it saves).
THREAD_PARSE_BYTES = 128 * 1024
# One thread parses for every engine: with one per page in flight (asyncio's default pool),
# six threads took turns on the interpreter with the UI, which got a seventh of it.
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stm-parse")

Page = tuple[RawResponse, list[m.Resource], int]  # response, validated items, page step


def normalize_host(host: str) -> str:
    """The base URL (`https://` assumed); ConfigError for a malformed host or for plain
    HTTP to anything but loopback (the API key would travel in clear)."""
    try:
        return validate_host(host)
    except ValueError as exc:
        raise ConfigError(f"host: {exc}") from None


def query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


class Engine:
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
        self.host = normalize_host(host)
        self.account_id = account_id
        self.page_size = page_size
        self.concurrency = max(1, concurrency)
        self.command_log = command_log if command_log is not None else CommandLog()
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._gate = HostGate(clock)
        # The `Date` of the last answer: TOTP step-up codes are made on the server's clock.
        self.server_date: str | None = None
        self.http = HttpAdapter(
            self.host,
            api_key,
            ssl_context=ssl_context,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            max_body_bytes=max_body_bytes,
            client_cert=client_cert,
            max_connections=max(16, self.concurrency * 2),
            transport=transport,
            read_only=read_only,
        )

    def __repr__(self) -> str:
        return f"Engine(host={self.host!r}, read_only={self.http.read_only})"

    @property
    def rate_limited_for(self) -> float:
        return self._gate.remaining()

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ one request

    def _params(self, route_path: str, given: Mapping[str, object] | None) -> dict[str, str]:
        params = {k: query_value(v) for k, v in (given or {}).items() if v is not None}
        if self.account_id and route_path.startswith(STM) and "account_id" not in params:
            params["account_id"] = self.account_id
        return params

    async def _wait_for_gate(self, method: str, route_path: str) -> None:
        remaining = self._gate.remaining()
        if remaining <= 0:
            return
        if remaining > self._retry.max_inline_wait:
            raise RateLimited(
                f"rate limited; next request allowed in {remaining:.0f} s",
                retry_after=remaining,
                method=method,
                path=route_path,
            )
        await self._sleep(remaining)

    def _explain_tls_rejection(self, err: StmError) -> StmError:
        """A TLS server that has never answered and closes the connection unanswered right
        after the handshake is refusing the client certificate (or its absence): asyncio
        servers drop the connection without the TLS alert. Report that as an auth problem,
        which is not retried, rather than as a network blip that is asked again 1+3 times."""
        if (
            self.host.startswith("https://")
            and not self.http.ever_answered
            and isinstance(err, TransientError)
            and err.closed_without_answer
        ):
            if self.http.client_cert:
                why = (
                    "it most likely rejected the client certificate (wrong, expired or not "
                    "issued for this host): check SM_CLIENT_CERT_FILE"
                )
            else:
                why = (
                    "it most likely requires a client certificate, and none is configured: "
                    "set SM_CLIENT_CERT_FILE (or client_cert_file in the profile)"
                )
            return AuthError(
                f"TLS: {self.host} closed the connection without answering; {why}",
                method=err.method,
                path=err.path,
            )
        return err

    def _retry_after(self, response: RawResponse) -> float | None:
        value = parse_retry_after(response.headers.get("retry-after"))
        return None if value is None else self._retry.cap(value)

    def _error(self, method: str, route_path: str, response: RawResponse) -> StmError:
        retry_after = self._retry_after(response)
        if response.status == 429 and retry_after is not None:
            self._gate.pause_for(retry_after)
        return error_for_status(
            response.status,
            response.content,
            method=method,
            path=route_path,
            retry_after=retry_after,
            content_type=response.headers.get("content-type"),
        )

    def _record(
        self,
        method: str,
        route_path: str,
        query: Mapping[str, str],
        started: float,
        retries: int,
        *,
        response: RawResponse | None = None,
        error: StmError | None = None,
    ) -> None:
        if response is not None:
            status, kind = response.status, None
            request_id = response.headers.get("x-request-id")
        else:
            status, kind, request_id = None, error.kind if error else None, None
        self.command_log.record(
            method,
            endpoint_path(template_of(route_path)),
            status=status,
            error=kind,
            latency_ms=(time.perf_counter() - started) * 1000,
            retries=retries,
            query=query,
            request_id=clean(request_id, limit=64) if request_id else None,
        )

    async def get(
        self,
        route_path: str,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """GET with safe retries. Returns 2xx and 304 responses; raises for the rest."""
        query = self._params(route_path, params)
        attempts = max(1, self._retry.attempts)
        started = time.perf_counter()
        sent = 0
        for attempt in range(1, attempts + 1):
            await self._wait_for_gate("GET", route_path)
            sent += 1
            try:
                response = await self.http.send("GET", route_path, params=query, headers=headers)
            except DeadlineExceeded as err:
                self._record("GET", route_path, query, started, sent - 1, error=err)
                raise
            except (OfflineError, TransientError) as err:
                explained = self._explain_tls_rejection(err)
                if attempt == attempts or explained is not err:
                    self._record("GET", route_path, query, started, sent - 1, error=explained)
                    raise explained from None
                await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            if 200 <= response.status < 300 or response.status == 304:
                self._record("GET", route_path, query, started, sent - 1, response=response)
                self.server_date = response.headers.get("date") or self.server_date
                return response
            if response.status in RETRY_STATUSES and attempt < attempts:
                retry_after = self._retry_after(response)
                if retry_after is not None:
                    self._gate.pause_for(retry_after)  # the next loop waits at the gate
                else:
                    await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            self._record("GET", route_path, query, started, sent - 1, response=response)
            raise self._error("GET", route_path, response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self,
        method: str,
        route_path: str,
        body: object = None,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> RawResponse:
        """A non-GET, sent exactly once (`content`: a raw body instead of JSON). Returns a
        2xx response; raises for anything else, transport failures as they are (the caller
        decides what "maybe sent" means)."""
        query = self._params(route_path, params)
        await self._wait_for_gate(method, route_path)
        started = time.perf_counter()
        try:
            if content is not None:
                response = await self.http.send(
                    method,
                    route_path,
                    params=query,
                    content=content,
                    headers={**(headers or {}), "content-type": "application/octet-stream"},
                )
            else:
                response = await self.http.send(
                    method, route_path, params=query, json=body, headers=headers
                )
        except ReadOnlyError:
            raise  # refused here, nothing went out: not a call
        except StmError as err:
            self._record(method, route_path, query, started, 0, error=err)
            raise
        self._record(method, route_path, query, started, 0, response=response)
        if 200 <= response.status < 300:
            return response
        raise self._error(method, route_path, response)

    # ------------------------------------------------------------------ paging

    async def pages(self, spec: ResourceSpec, filters: Mapping[str, object]) -> AsyncIterator[Page]:
        """Every page of a collection, in order; up to `concurrency` page requests in flight."""
        where = f"GET {spec.path}"
        if not spec.paged:
            first = await self.get(spec.path, filters)
            if spec.single:
                yield first, [validate_one(spec.model, first.content, where)], 0
            else:
                raw = parse_array(first.content, where)
                yield first, list(validate_items(spec.model, raw, where)), 0
            return

        first = await self.get(spec.path, {**filters, "limit": self.page_size, "offset": 0})
        fast = parse_page(spec.model, first.content)
        page = fast[0] if fast is not None else parse_envelope(first.content, where)
        step = page.limit if page.limit > 0 else max(1, len(page.items))
        # The server controls `total`: judge it by arithmetic before building anything from
        # it (50,000,000 offsets as a list cost 2 GB).
        if page.total < 0 or -(-page.total // step) - 1 > MAX_PAGES:
            raise BadResponse(f"implausible total {page.total} ({where})")
        offsets = range(step, page.total, step)
        if fast is not None:
            yield first, fast[1], step
        else:
            yield first, list(validate_items(spec.model, page.items, where)), step

        semaphore = asyncio.Semaphore(self.concurrency)

        async def fetch(offset: int) -> Page:
            async with semaphore:
                resp = await self.get(spec.path, {**filters, "limit": step, "offset": offset})
            if len(resp.content) >= THREAD_PARSE_BYTES:
                # A large page parses on a worker thread: the same CPU, but the event loop
                # (the UI) gets the interpreter in between, so keys are answered during a
                # 100,000-item sync instead of after each page.
                fast = await asyncio.get_running_loop().run_in_executor(
                    _PARSER, parse_page, spec.model, resp.content
                )
            else:
                fast = parse_page(spec.model, resp.content)
            if fast is not None:
                return resp, fast[1], step
            rest = parse_envelope(resp.content, where)
            return resp, list(validate_items(spec.model, rest.items, where)), step

        tasks: list[asyncio.Future[Page]] = [
            asyncio.create_task(fetch(offset)) for offset in offsets
        ]
        done: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        done.cancel()
        try:
            for index in range(len(tasks)):
                result = await tasks[index]
                # A finished task holds its page (the body and its models) for as long as it
                # is referenced: let it go, or a 100,000-item listing keeps every body (~0.8 GB).
                tasks[index] = done
                yield result
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def collect(
        self, spec: ResourceSpec, filters: Mapping[str, object]
    ) -> tuple[list[m.Resource], list[str | None], int]:
        """Every item (de-duplicated by id, server order), each page's ETag, the page step."""
        seen: set[str] = set()
        items: list[m.Resource] = []
        tags: list[str | None] = []
        step = 0
        with memory.gc_paused():
            async for response, page, page_step in self.pages(spec, filters):
                tags.append(response.headers.get("etag"))
                step = page_step
                for item in page:
                    # Items can shift between pages while paging; keep the first copy.
                    if item.id not in seen:
                        seen.add(item.id)
                        items.append(item)
                del response, page
                memory.collect_young()
        return items, tags, step

    async def unchanged(
        self, spec: ResourceSpec, filters: Mapping[str, object], step: int, tags: list[str]
    ) -> bool:
        """Whether every page still has the ETag it had (all answer 304)."""
        semaphore = asyncio.Semaphore(self.concurrency)

        async def not_modified(index: int, tag: str) -> bool:
            params = dict(filters)
            if spec.paged:
                params.update(limit=step, offset=index * step)
            async with semaphore:
                resp = await self.get(spec.path, params, {"if-none-match": tag})
            return resp.status == 304

        # The first page carries the total, so a changed count shows there: ask it alone
        # first and only then the rest, all at once.
        if not await not_modified(0, tags[0]):
            return False
        rest = await asyncio.gather(*(not_modified(i, t) for i, t in enumerate(tags) if i))
        return all(rest)
