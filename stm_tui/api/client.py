"""STMClient: typed access to every STM and Account Manager endpoint in the contract.

- GETs retry on 429/502/503/504 and network blips with jittered backoff, honouring
  `Retry-After` through a per-host gate; everything else is sent exactly once.
- A write that times out or loses its connection raises `OutcomeUnknown`; for writes aimed at
  one resource the client re-reads it and attaches the result as `.current`.
- Lists page with a bounded number of requests in flight.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.adapter import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    HttpAdapter,
    RawResponse,
    was_maybe_sent,
)
from stm_tui.api.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    DeadlineExceeded,
    OfflineError,
    OutcomeUnknown,
    RateLimited,
    StmError,
    TransientError,
    error_for_status,
)
from stm_tui.api.hosts import validate_host
from stm_tui.api.paging import (
    gc_paused,
    parse_array,
    parse_envelope,
    parse_page_fast,
    validate_items,
    validate_one,
)
from stm_tui.api.resources import ResourceSpec, spec_for
from stm_tui.api.retry import RETRY_STATUSES, HostGate, RetryPolicy, parse_retry_after
from stm_tui.api.routes import STM, path

if TYPE_CHECKING:
    import ssl

    import httpx

    from stm_tui.config import Profile
    from stm_tui.credentials import ResolvedCredentials

R = TypeVar("R", bound=m.Resource)

# A page count beyond this means a broken `total`, not a real inventory.
_MAX_PAGES = 5000


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """Outcome of `list_changed`.

    changed=False: the server answered 304 (nothing to do). Otherwise `items` holds either the
    whole collection (`full=True`: ids missing from it were removed) or only items modified
    since the given time (`full=False`: merge them; removals are not visible this way).
    """

    changed: bool
    items: list[m.Resource] = field(default_factory=list)
    full: bool = True
    etag: str | None = None


def normalize_host(host: str) -> str:
    """The base URL (`https://` assumed); ConfigError for a malformed host or for plain
    HTTP to anything but loopback (the API key would travel in clear)."""
    try:
        return validate_host(host)
    except ValueError as exc:
        raise ConfigError(f"host: {exc}") from None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body from keyword arguments, leaving out the ones not given (None)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, datetime):
            value = _query_value(value)
        out[key] = value
    return out


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
    ) -> None:
        self.host = normalize_host(host)
        self.account_id = account_id
        self.page_size = page_size
        self.concurrency = max(1, concurrency)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._gate = HostGate(clock)
        self._http = HttpAdapter(
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

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def from_profile(
        cls, profile: Profile, credentials: ResolvedCredentials, **kwargs: Any
    ) -> STMClient:
        """A client for a profile. Builds the TLS context (and opens the client certificate)
        here, so a wrong p12 password fails before any request is made."""
        from stm_tui.api.tls import build_ssl_context

        host = normalize_host(profile.host)
        if profile.client_cert_file is not None and not host.startswith("https://"):
            raise ConfigError("a client certificate needs an https:// host")
        ctx = build_ssl_context(
            ca_file=profile.ca_file,
            client_cert_file=profile.client_cert_file,
            client_cert_password=credentials.client_cert_password,
        )
        kwargs.setdefault("read_only", profile.read_only)
        kwargs.setdefault("connect_timeout", profile.conn_timeout_ms / 1000)
        kwargs.setdefault("read_timeout", profile.read_timeout_s)
        kwargs.setdefault("deadline", profile.request_deadline_s)
        kwargs.setdefault("max_body_bytes", profile.max_response_mb * 1024 * 1024)
        kwargs.setdefault("page_size", profile.page_size)
        kwargs.setdefault("client_cert", profile.client_cert_file is not None)
        return cls(
            host,
            credentials.api_key,
            account_id=profile.account_id,
            ssl_context=ctx,
            **kwargs,
        )

    @property
    def read_only(self) -> bool:
        return self._http.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._http.read_only = value

    @property
    def rate_limited_for(self) -> float:
        """Seconds until this host may be asked again (0 when not rate-limited)."""
        return self._gate.remaining()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"STMClient(host={self.host!r}, read_only={self.read_only})"

    # ------------------------------------------------------------------ transport core

    def _params(self, route_path: str, given: Mapping[str, Any] | None) -> dict[str, str]:
        params = {k: _query_value(v) for k, v in (given or {}).items() if v is not None}
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
            and not self._http.ever_answered
            and getattr(err, "closed_without_answer", False)
        ):
            if self._http.client_cert:
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

    async def _get(
        self,
        route_path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """GET with safe retries. Returns 2xx and 304 responses; raises for the rest."""
        query = self._params(route_path, params)
        attempts = max(1, self._retry.attempts)
        for attempt in range(1, attempts + 1):
            await self._wait_for_gate("GET", route_path)
            try:
                response = await self._http.send("GET", route_path, params=query, headers=headers)
            except DeadlineExceeded:
                raise
            except (OfflineError, TransientError) as err:
                explained = self._explain_tls_rejection(err)
                if attempt == attempts or explained is not err:
                    raise explained from None
                await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            if 200 <= response.status < 300 or response.status == 304:
                return response
            retry_after = self._retry_after(response)
            if response.status in RETRY_STATUSES and attempt < attempts:
                if retry_after is not None:
                    self._gate.pause_for(retry_after)  # the next loop waits at the gate
                else:
                    await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            if response.status == 429 and retry_after is not None:
                self._gate.pause_for(retry_after)
            raise error_for_status(
                response.status,
                response.content,
                method="GET",
                path=route_path,
                retry_after=retry_after,
                content_type=response.headers.get("content-type"),
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _write(
        self,
        method: str,
        route_path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        reread: Callable[[], Awaitable[m.Resource]] | None = None,
    ) -> RawResponse:
        """Send a non-GET exactly once."""
        query = self._params(route_path, params)
        await self._wait_for_gate(method, route_path)
        try:
            response = await self._http.send(method, route_path, params=query, json=body)
        except TransientError as err:
            if not was_maybe_sent(err):
                raise
            unknown = OutcomeUnknown(
                f"{method} {route_path}: no answer from the service, so it is not known whether "
                "the change was made; re-checking",
                method=method,
                path=route_path,
            )
            unknown.current = await self._reread(reread)  # type: ignore[attr-defined]
            raise unknown from None
        if 200 <= response.status < 300:
            return response
        retry_after = self._retry_after(response)
        if response.status == 429 and retry_after is not None:
            self._gate.pause_for(retry_after)
        raise error_for_status(
            response.status,
            response.content,
            method=method,
            path=route_path,
            retry_after=retry_after,
            content_type=response.headers.get("content-type"),
        )

    @staticmethod
    async def _reread(
        reread: Callable[[], Awaitable[m.Resource]] | None,
    ) -> m.Resource | None:
        if reread is None:
            return None
        try:
            return await reread()
        except StmError:
            return None

    async def _get_one(self, model: type[R], route_path: str, **params: Any) -> R:
        response = await self._get(route_path, params)
        return validate_one(model, response.content, f"GET {route_path}")

    async def _write_one(
        self,
        model: type[R],
        method: str,
        route_path: str,
        body: Any = None,
        *,
        reread: Callable[[], Awaitable[m.Resource]] | None = None,
    ) -> R:
        response = await self._write(method, route_path, body, reread=reread)
        return validate_one(model, response.content, f"{method} {route_path}")

    # ------------------------------------------------------------------ lists

    async def iter_pages(self, resource: str, **filters: Any) -> AsyncIterator[list[m.Resource]]:
        """Every page of a collection, in order; up to `concurrency` page requests in flight."""
        async for _response, page, _step in self._pages(spec_for(resource), filters):
            yield page

    async def _pages(
        self, spec: ResourceSpec, filters: Mapping[str, Any]
    ) -> AsyncIterator[tuple[RawResponse, list[m.Resource], int]]:
        """(response, validated items, page step) for every page."""
        where = f"GET {spec.path}"
        if not spec.paged:
            first = await self._get(spec.path, filters)
            if spec.single:
                yield first, [validate_one(spec.model, first.content, where)], 0
            else:
                raw = parse_array(first.content, where)
                yield first, list(validate_items(spec.model, raw, where)), 0
            return

        first = await self._get(spec.path, {**filters, "limit": self.page_size, "offset": 0})
        fast = parse_page_fast(spec.model, first.content)
        page = fast[0] if fast is not None else parse_envelope(first.content, where)
        step = page.limit if page.limit > 0 else max(1, len(page.items))
        # The server controls `total`: judge it by arithmetic before building anything from
        # it (50,000,000 offsets as a list cost 2 GB).
        if page.total < 0 or -(-page.total // step) - 1 > _MAX_PAGES:
            raise BadResponse(f"implausible total {page.total} ({where})")
        offsets = range(step, page.total, step)
        if fast is not None:
            yield first, fast[1], step
        else:
            yield first, list(validate_items(spec.model, page.items, where)), step

        semaphore = asyncio.Semaphore(self.concurrency)

        async def fetch(offset: int) -> tuple[RawResponse, list[m.Resource], int]:
            async with semaphore:
                resp = await self._get(spec.path, {**filters, "limit": step, "offset": offset})
            fast = parse_page_fast(spec.model, resp.content)
            if fast is not None:
                return resp, fast[1], step
            rest = parse_envelope(resp.content, where)
            return resp, list(validate_items(spec.model, rest.items, where)), step

        tasks: list[asyncio.Future[tuple[RawResponse, list[m.Resource], int]]] = [
            asyncio.create_task(fetch(offset)) for offset in offsets
        ]
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
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

    async def list_all(self, resource: str, **filters: Any) -> list[m.Resource]:
        """Every item of a collection (all pages), de-duplicated by id, in server order."""
        items, _tags, _step = await self._collect(spec_for(resource), filters)
        return items

    async def list_changed(
        self,
        resource: str,
        *,
        etag: str | None = None,
        since: datetime | None = None,
        **filters: Any,
    ) -> ChangeResult:
        """Cheap refresh for pollers.

        `etag` is the opaque value from the previous result: every page is asked again with
        `If-None-Match`, and if all answer 304 nothing changed (one request for a small
        collection, no bodies at all). This is correct whether the server's ETag covers a
        page or the whole collection. `since` adds `modified_since`, so only changed items
        come back (`full=False`: merge them; removals are not visible that way). Servers
        without ETags or `modified_since` just return full lists, still a correct answer.
        """
        spec = spec_for(resource)
        query = dict(filters)
        if since is not None and spec.paged:
            query["modified_since"] = since
        if etag and await self._unchanged(spec, query, etag):
            return ChangeResult(changed=False, items=[], full=False, etag=etag)
        items, tags, step = await self._collect(spec, query)
        composite = json.dumps([step, tags]) if tags and all(tags) else None
        full = since is None or not spec.paged
        return ChangeResult(changed=True, items=items, full=full, etag=composite)

    async def list_page(
        self, resource: str, *, offset: int, limit: int, **filters: Any
    ) -> tuple[int, list[m.Resource]]:
        """One page of a paged collection, in the server's order: (total, items)."""
        spec = spec_for(resource)
        if not spec.paged:
            raise KeyError(f"{spec.name} is not paged")
        where = f"GET {spec.path}"
        response = await self._get(spec.path, {**filters, "limit": limit, "offset": offset})
        fast = parse_page_fast(spec.model, response.content)
        if fast is not None:
            return fast[0].total, list(fast[1])
        page = parse_envelope(response.content, where)
        return page.total, list(validate_items(spec.model, page.items, where))

    async def count(self, resource: str, **filters: Any) -> int:
        """How many items a paged collection holds (one request for a one-item page)."""
        spec = spec_for(resource)
        if not spec.paged:
            return len(await self.list_all(resource, **filters))
        response = await self._get(spec.path, {**filters, "limit": 1, "offset": 0})
        return parse_envelope(response.content, f"GET {spec.path}").total

    async def _unchanged(self, spec: ResourceSpec, filters: Mapping[str, Any], etag: str) -> bool:
        try:
            step, tags = json.loads(etag)
            step = int(step)
            if not tags or not all(isinstance(t, str) for t in tags):
                return False
        except (ValueError, TypeError):
            return False
        semaphore = asyncio.Semaphore(self.concurrency)

        async def not_modified(index: int, tag: str) -> bool:
            params = dict(filters)
            if spec.paged:
                params.update(limit=step, offset=index * step)
            async with semaphore:
                resp = await self._get(spec.path, params, {"if-none-match": tag})
            return resp.status == 304

        # The first page carries the total, so a changed count shows there: ask it alone
        # first and only then the rest, all at once.
        if not await not_modified(0, tags[0]):
            return False
        rest = await asyncio.gather(*(not_modified(i, t) for i, t in enumerate(tags) if i))
        return all(rest)

    async def _collect(
        self, spec: ResourceSpec, filters: Mapping[str, Any]
    ) -> tuple[list[m.Resource], list[str | None], int]:
        seen: set[str] = set()
        items: list[m.Resource] = []
        tags: list[str | None] = []
        step = 0
        with gc_paused():
            async for response, page, page_step in self._pages(spec, filters):
                tags.append(response.headers.get("etag"))
                step = page_step
                for item in page:
                    # Items can shift between pages while paging; keep the first copy.
                    if item.id not in seen:
                        seen.add(item.id)
                        items.append(item)
                # Each httpx response is a reference cycle holding its body: with the full
                # collector paused they piled up (~0.9 GB for 100,000 certificates and their
                # keypairs). A young-generation pass frees them and scans each object once.
                del response, page
                gc.collect(0)
        return items, tags, step

    async def get_item(self, resource: str, item_id: str) -> m.Resource:
        """One item of a collection by id (for collections that have an item route)."""
        spec = spec_for(resource)
        if spec.single:
            return await self._get_one(spec.model, spec.path)
        if spec.item_route is None:
            raise KeyError(f"{spec.name} cannot be read by id")
        return await self._get_one(spec.model, path(spec.item_route, id=item_id))

    async def _typed_list(self, model: type[R], resource: str, **filters: Any) -> list[R]:
        items = await self.list_all(resource, **filters)
        return [item for item in items if isinstance(item, model)]

    # ------------------------------------------------------------------ Account Manager

    async def me(self) -> m.User:
        return await self._get_one(m.User, path("me"))

    async def users(self, **filters: Any) -> list[m.User]:
        return await self._typed_list(m.User, "users", **filters)

    async def get_user(self, user_id: str) -> m.User:
        return await self._get_one(m.User, path("user", id=user_id))

    async def create_user(self, **fields: Any) -> m.User:
        """`user_type`, `email` or `friendly_name`, `roles`, `account_ids`, ... (a service
        user's first API token comes back once, as the SecretStr `api_token`)."""
        return await self._write_one(m.User, "POST", path("users"), _body(fields))

    async def update_user(self, user_id: str, **fields: Any) -> m.User:
        return await self._write_one(
            m.User,
            "PUT",
            path("user", id=user_id),
            _body(fields),
            reread=lambda: self.get_user(user_id),
        )

    async def roles(self, **filters: Any) -> list[m.Role]:
        return await self._typed_list(m.Role, "roles", **filters)

    async def accounts(self) -> list[m.Account]:
        return await self._typed_list(m.Account, "accounts")

    async def get_account(self, account_id: str) -> m.Account:
        return await self._get_one(m.Account, path("account", id=account_id))

    async def api_tokens(self, user_id: str | None = None) -> list[m.ApiToken]:
        return await self._typed_list(m.ApiToken, "api_tokens", user_id=user_id)

    async def create_api_token(
        self, name: str, *, user_id: str | None = None, end_date: datetime | str | None = None
    ) -> m.ApiToken:
        """The token value comes back once, as the SecretStr `token`."""
        body = _body({"name": name, "user_id": user_id, "end_date": end_date})
        return await self._write_one(m.ApiToken, "POST", path("api_tokens"), body)

    async def delete_api_token(self, token_id: str) -> None:
        await self._write("DELETE", path("api_token", id=token_id))

    async def client_certificates(self, user_id: str | None = None) -> list[m.ClientCertificate]:
        return await self._typed_list(m.ClientCertificate, "client_certificates", user_id=user_id)

    async def create_client_certificate(
        self,
        name: str,
        password: SecretStr,
        *,
        user_id: str | None = None,
        end_date: datetime | str | None = None,
    ) -> m.ClientCertificate:
        """The PKCS#12 (base64) comes back once, as the SecretStr `p12`."""
        body = _body({"name": name, "password": password, "user_id": user_id, "end_date": end_date})
        return await self._write_one(m.ClientCertificate, "POST", path("client_certificates"), body)

    async def account_manager_audit_log(self, **filters: Any) -> list[m.AuditEvent]:
        response = await self._get(path("am_audit"), filters)
        where = f"GET {path('am_audit')}"
        return validate_items(m.AuditEvent, parse_array(response.content, where), where)

    # ------------------------------------------------------------------ keypairs

    async def keypairs(self, **filters: Any) -> list[m.Keypair]:
        return await self._typed_list(m.Keypair, "keypairs", **filters)

    async def get_keypair(self, keypair_id: str) -> m.Keypair:
        return await self._get_one(m.Keypair, path("keypair", id=keypair_id))

    async def create_keypair(self, alias: str, key_alg: str, **fields: Any) -> m.Keypair:
        """Fields as in the contract: key_size, curve, key_type, key_status, key_storage,
        limit_by_users, users, groups, keypair_profile_id, generate_cert, cert_alias, ..."""
        body = _body({"alias": alias, "key_alg": key_alg, **fields})
        return await self._write_one(m.Keypair, "POST", path("keypairs"), body)

    async def update_keypair(self, keypair_id: str, **fields: Any) -> m.Keypair:
        return await self._write_one(
            m.Keypair,
            "PUT",
            path("keypair", id=keypair_id),
            _body(fields),
            reread=lambda: self.get_keypair(keypair_id),
        )

    async def suspend_keypair(self, keypair_id: str) -> m.Keypair:
        return await self._write_one(
            m.Keypair,
            "POST",
            path("keypair_suspend", id=keypair_id),
            reread=lambda: self.get_keypair(keypair_id),
        )

    async def unsuspend_keypair(self, keypair_id: str) -> m.Keypair:
        return await self._write_one(
            m.Keypair,
            "POST",
            path("keypair_unsuspend", id=keypair_id),
            reread=lambda: self.get_keypair(keypair_id),
        )

    async def delete_keypair(self, keypair_id: str) -> None:
        await self._write(
            "DELETE", path("keypair", id=keypair_id), reread=lambda: self.get_keypair(keypair_id)
        )

    async def sign(
        self, keypair_id: str, digest: bytes, sig_alg: str, **extra: Any
    ) -> m.SignResult:
        """Sign a pre-computed digest (raw bytes; sent base64) with a keypair."""
        body = _body(
            {"hash": base64.b64encode(digest).decode("ascii"), "sig_alg": sig_alg, **extra}
        )
        return await self._write_one(
            m.SignResult, "POST", path("keypair_sign", id=keypair_id), body
        )

    async def generate_certificate(
        self,
        keypair_id: str,
        alias: str,
        certificate_profile_id: str,
        *,
        set_as_default_cert: bool = True,
        custom_fields: list[Any] | None = None,
    ) -> m.Certificate:
        body = _body(
            {
                "alias": alias,
                "certificate_profile_id": certificate_profile_id,
                "set_as_default_cert": set_as_default_cert,
                "custom_fields": custom_fields or [],
            }
        )
        return await self._write_one(
            m.Certificate, "POST", path("keypair_certificates", id=keypair_id), body
        )

    async def keypair_profiles(self, **filters: Any) -> list[m.KeypairProfile]:
        return await self._typed_list(m.KeypairProfile, "keypair_profiles", **filters)

    async def get_keypair_profile(self, profile_id: str) -> m.KeypairProfile:
        return await self._get_one(m.KeypairProfile, path("keypair_profile", id=profile_id))

    async def create_keypair_profile(self, name: str, **fields: Any) -> m.KeypairProfile:
        body = _body({"name": name, **fields})
        return await self._write_one(m.KeypairProfile, "POST", path("keypair_profiles"), body)

    # ------------------------------------------------------------------ certificates

    async def certificates(self, **filters: Any) -> list[m.Certificate]:
        return await self._typed_list(m.Certificate, "certificates", **filters)

    async def get_certificate(self, certificate_id: str) -> m.Certificate:
        return await self._get_one(m.Certificate, path("certificate", id=certificate_id))

    async def revoke_certificate(
        self, certificate_id: str, reason: str = "unspecified"
    ) -> m.Certificate:
        return await self._write_one(
            m.Certificate,
            "POST",
            path("certificate_revoke", id=certificate_id),
            {"reason": reason},
            reread=lambda: self.get_certificate(certificate_id),
        )

    async def download_certificate(self, certificate_id: str, fmt: str = "pem") -> bytes:
        response = await self._get(path("certificate_download", id=certificate_id), {"format": fmt})
        return response.content

    async def certificate_profiles(self, **filters: Any) -> list[m.CertificateProfile]:
        return await self._typed_list(m.CertificateProfile, "certificate_profiles", **filters)

    async def get_certificate_profile(self, profile_id: str) -> m.CertificateProfile:
        return await self._get_one(m.CertificateProfile, path("certificate_profile", id=profile_id))

    async def create_certificate_profile(self, name: str, **fields: Any) -> m.CertificateProfile:
        body = _body({"name": name, **fields})
        return await self._write_one(
            m.CertificateProfile, "POST", path("certificate_profiles"), body
        )

    # ------------------------------------------------------------------ releases

    async def releases(self, **filters: Any) -> list[m.ReleaseWindow]:
        return await self._typed_list(m.ReleaseWindow, "releases", **filters)

    async def get_release(self, release_id: str) -> m.ReleaseWindow:
        return await self._get_one(m.ReleaseWindow, path("release", id=release_id))

    async def create_release(self, name: str, **fields: Any) -> m.ReleaseWindow:
        """Fields: version, team_id, release_type, purpose, start_time, end_time or
        duration_minutes, keypair_ids, signer_ids, max_signatures, ..."""
        body = _body({"name": name, **fields})
        return await self._write_one(m.ReleaseWindow, "POST", path("releases"), body)

    async def approve_release(self, release_id: str) -> m.ReleaseWindow:
        return await self._write_one(
            m.ReleaseWindow,
            "POST",
            path("release_approve", id=release_id),
            reread=lambda: self.get_release(release_id),
        )

    async def close_release(self, release_id: str) -> m.ReleaseWindow:
        return await self._write_one(
            m.ReleaseWindow,
            "POST",
            path("release_close", id=release_id),
            reread=lambda: self.get_release(release_id),
        )

    # ------------------------------------------------------------------ signatures, scans, audit

    async def signatures(self, **filters: Any) -> list[m.Signature]:
        return await self._typed_list(m.Signature, "signatures", **filters)

    async def get_signature(self, signature_id: str) -> m.Signature:
        return await self._get_one(m.Signature, path("signature", id=signature_id))

    async def scans(self, **filters: Any) -> list[m.Scan]:
        return await self._typed_list(m.Scan, "scans", **filters)

    async def get_scan(self, scan_id: str) -> m.Scan:
        return await self._get_one(m.Scan, path("scan", id=scan_id))

    async def audit_log(self, **filters: Any) -> list[m.AuditEvent]:
        return await self._typed_list(m.AuditEvent, "audit", **filters)

    async def export_audit_log(self, **filters: Any) -> bytes:
        """The audit log as CSV bytes (needs EXPORT_SM_AUDIT_LOG)."""
        response = await self._get(path("audit_export"), filters)
        return response.content

    # ------------------------------------------------------------------ teams

    async def teams(self, **filters: Any) -> list[m.Team]:
        return await self._typed_list(m.Team, "teams", **filters)

    async def get_team(self, team_id: str) -> m.Team:
        return await self._get_one(m.Team, path("team", id=team_id))

    async def create_team(self, name: str, **fields: Any) -> m.Team:
        return await self._write_one(m.Team, "POST", path("teams"), _body({"name": name, **fields}))

    async def update_team(self, team_id: str, **fields: Any) -> m.Team:
        return await self._write_one(
            m.Team,
            "PUT",
            path("team", id=team_id),
            _body(fields),
            reread=lambda: self.get_team(team_id),
        )

    # ------------------------------------------------------------------ account settings

    async def account_settings(self) -> m.AccountSettings:
        return await self._get_one(m.AccountSettings, path("account_settings"))

    async def update_account_settings(self, **fields: Any) -> m.AccountSettings:
        return await self._write_one(
            m.AccountSettings,
            "PUT",
            path("account_settings"),
            _body(fields),
            reread=self.account_settings,
        )

    async def set_certcentral(
        self, api_key: SecretStr, region: str = "GLOBAL"
    ) -> m.AccountSettings:
        body = _body({"api_key": api_key, "region": region})
        return await self._write_one(
            m.AccountSettings,
            "PUT",
            path("account_settings_certcentral"),
            body,
            reread=self.account_settings,
        )

    async def delete_certcentral(self) -> None:
        await self._write(
            "DELETE", path("account_settings_certcentral"), reread=self.account_settings
        )
