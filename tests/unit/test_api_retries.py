"""Retry and error-mapping behaviour that a real server cannot easily be made to produce.

Uses httpx.MockTransport; waits go through an injected sleep that records them instead of
sleeping, so nothing here takes wall-clock time."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.client import STMClient
from stm_tui.api.retry import RetryPolicy, parse_retry_after
from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
from stm_tui.api.writes.keypairs import GenerateKeypair, delete_keypair, generate_keypair
from stm_tui.api.writes.releases import approve_release
from stm_tui.api.writes.settings import UpdateAccountSettings, update_account_settings
from stm_tui.api.writes.teams import CreateTeam, create_team

KP = "/signingmanager/api/v1/keypairs"
CERTS = "/signingmanager/api/v1/certificates"


class Recorder:
    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.now = 1000.0  # a fake monotonic clock that only sleeping advances

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def client(self, host: str = "https://stm.test", **kw: object) -> STMClient:
        return STMClient(
            host,
            transport=httpx.MockTransport(self),
            sleep=self.sleep,
            clock=lambda: self.now,
            **kw,  # type: ignore[arg-type]
        )


def envelope(items: list[dict[str, object]], total: int | None = None) -> dict[str, object]:
    return {
        "total": len(items) if total is None else total,
        "offset": 0,
        "limit": 100,
        "items": items,
    }


async def test_get_retries_503_four_times_then_reports_a_server_error() -> None:
    rec = Recorder(
        lambda r: httpx.Response(
            503, json={"error": {"status": "service_unavailable", "message": "down"}}
        )
    )
    async with rec.client() as client:
        with pytest.raises(errors.ServerError) as info:
            await client.list_all("keypairs")
    assert len(rec.requests) == 4
    assert info.value.kind == "server_error" and info.value.status == 503
    assert len(rec.sleeps) == 3 and all(s > 0 for s in rec.sleeps)


async def test_retry_after_is_honoured_in_seconds_and_http_date() -> None:
    replies = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(
                503,
                headers={
                    "Retry-After": format_datetime(
                        datetime.now(UTC) + timedelta(seconds=5), usegmt=True
                    )
                },
            ),
            httpx.Response(200, json=envelope([{"id": "k1"}])),
        ]
    )
    rec = Recorder(lambda r: next(replies))
    async with rec.client() as client:
        items = await client.list_all("keypairs")
    assert [i.id for i in items] == ["k1"]
    assert rec.sleeps[0] == pytest.approx(7, abs=0.5)
    assert rec.sleeps[1] == pytest.approx(5, abs=1.5)


async def test_a_long_retry_after_is_capped_and_pauses_the_whole_host() -> None:
    rec = Recorder(
        lambda r: httpx.Response(
            429,
            headers={"Retry-After": "3600"},
            json={"error": {"status": "rate_limited", "message": "slow down"}},
        )
    )
    policy = RetryPolicy(retry_after_cap=120, max_inline_wait=10)
    async with rec.client(retry=policy) as client:
        with pytest.raises(errors.RateLimited) as info:
            await client.list_all("keypairs")
        assert info.value.retry_after == pytest.approx(120, abs=1)
        assert len(rec.requests) == 1  # not slept through inline
        # Another resource on the same host is not even asked while the pause lasts.
        with pytest.raises(errors.RateLimited):
            await client.list_all("certificates")
        assert len(rec.requests) == 1
        assert client.rate_limited_for > 100


@pytest.mark.parametrize(
    "status,kind", [(401, "auth"), (403, "permission"), (404, "not_found"), (400, "server_error")]
)
async def test_client_errors_are_never_retried(status: int, kind: str) -> None:
    rec = Recorder(
        lambda r: httpx.Response(status, json={"error": {"status": "x", "message": "nope"}})
    )
    async with rec.client() as client:
        with pytest.raises(errors.StmError) as info:
            await client.get_item("keypairs", "k1")
    assert info.value.kind == kind
    assert len(rec.requests) == 1


async def test_writes_are_sent_once_even_on_503() -> None:
    rec = Recorder(lambda r: httpx.Response(503, headers={"Retry-After": "1"}))
    async with rec.client() as client:
        with pytest.raises(errors.ServerError):
            await client.execute(
                generate_keypair(GenerateKeypair(alias="new-key", key_alg="RSA", key_size=3072))
            )
    assert [r.method for r in rec.requests] == ["POST"]


async def test_a_write_that_times_out_is_outcome_unknown_and_the_resource_is_reread() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"id": "c1", "certificate_status": "REVOKED"})

    rec = Recorder(handler)
    call = revoke_certificate("c1", "build-cert", RevokeCertificate(reason="superseded"))
    async with rec.client() as client:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.execute(call)
    assert [r.method for r in rec.requests] == ["POST", "GET"]
    assert rec.requests[1].url.path == f"{CERTS}/c1"
    assert info.value.call is call and info.value.checked
    current = info.value.current
    assert isinstance(current, m.Certificate) and current.certificate_status == "REVOKED"


async def test_an_unknown_creation_is_looked_up_by_its_name_after_the_drop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        # A server that ignores the alias filter: the client matches the alias itself.
        return httpx.Response(
            200,
            json=envelope([{"id": "k0", "alias": "other-key"}, {"id": "k9", "alias": "new-key"}]),
        )

    rec = Recorder(handler)
    call = generate_keypair(GenerateKeypair(alias="new-key", key_alg="RSA", key_size=2048))
    async with rec.client("http://127.0.0.1:8443") as client:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.execute(call)
    assert [r.method for r in rec.requests] == ["POST", "GET"]
    assert rec.requests[1].url.params["alias"] == "new-key"
    assert info.value.current is not None and info.value.current.id == "k9"


async def test_an_unknown_outcome_whose_reread_fails_says_it_was_not_checked() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    rec = Recorder(handler)
    async with rec.client(retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.execute(delete_keypair("k1", "old-key"))
    assert info.value.current is None and not info.value.checked


async def test_a_write_refused_before_connecting_is_offline_not_unknown() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    rec = Recorder(handler)
    async with rec.client() as client:
        with pytest.raises(errors.OfflineError):
            await client.execute(approve_release("r1", "desktop-4.3.0"))
    assert len(rec.requests) == 1


async def test_read_only_mode_sends_no_write_at_all() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={}))
    async with rec.client(read_only=True) as client:
        for call in (
            generate_keypair(GenerateKeypair(alias="k-new", key_alg="RSA", key_size=2048)),
            delete_keypair("k1", "old-key"),
            update_account_settings("Acme", UpdateAccountSettings(require_keypair_profile=True)),
        ):
            with pytest.raises(ReadOnlyError):
                await client.execute(call)
        with pytest.raises(ReadOnlyError):
            await client.sign("k1", b"\0" * 32, "SHA256withRSA")
    assert rec.requests == []


async def test_network_blips_on_get_are_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] < 3:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return httpx.Response(200, json={"id": "me", "name": "Lead"})

    rec = Recorder(handler)
    # Plain HTTP (loopback): over TLS, a server that never answered and drops the connection
    # is refusing the client certificate, which is not retried (see test_client_mtls).
    async with rec.client("http://127.0.0.1:8443") as client:
        me = await client.me()
    assert me.name == "Lead" and calls["n"] == 3


@pytest.mark.parametrize(
    "body,kind,message",
    [
        (
            b'{"error": {"status": "invalid_input_field", "message": "key_size: must be 2048"}}',
            "server_error",
            "key_size",
        ),
        (b'{"error": "plain string from production"}', "server_error", "plain string"),
        (
            b'{"errors": [{"code": "duplicate_error", "message": "name taken"}]}',
            "server_error",
            "name taken",
        ),
        (b"<html>bad gateway</html>", "server_error", "an HTML page (status 500)"),
    ],
)
async def test_all_three_error_shapes_are_parsed(body: bytes, kind: str, message: str) -> None:
    rec = Recorder(lambda r: httpx.Response(409 if b"duplicate" in body else 500, content=body))
    async with rec.client(retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(errors.StmError) as info:
            await client.execute(create_team(CreateTeam(name="Team A")))
    assert info.value.kind == kind
    assert message in info.value.message


async def test_malformed_and_wrongly_shaped_bodies_are_bad_responses() -> None:
    bodies = iter(
        [b'{"total": 1, "items": [{"id": 1', b"[1, 2, 3]", b'{"items": [{"no_id": true}]}']
    )
    rec = Recorder(lambda r: httpx.Response(200, content=next(bodies)))
    async with rec.client() as client:
        for _ in range(3):
            with pytest.raises(errors.BadResponse):
                await client.list_all("keypairs")


async def test_api_key_header_is_sent_and_never_in_repr() -> None:
    from pydantic import SecretStr

    rec = Recorder(lambda r: httpx.Response(200, json={"id": "me"}))
    client = STMClient(
        "https://stm.test",
        SecretStr("sk_canary_header_99"),
        transport=httpx.MockTransport(rec),
        sleep=rec.sleep,
    )
    async with client:
        await client.me()
        assert "sk_canary_header_99" not in repr(client)
        assert "sk_canary_header_99" not in repr(client._engine)
        assert "sk_canary_header_99" not in repr(client._engine.http)
    assert rec.requests[0].headers["x-api-key"] == "sk_canary_header_99"


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("12") == 12
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    assert parse_retry_after(past) == 0


async def test_account_scope_is_sent_on_stm_calls_only() -> None:
    rec = Recorder(
        lambda r: httpx.Response(200, json=envelope([]) if "signingmanager" in r.url.path else [])
    )
    async with rec.client(account_id="acc-2") as client:
        await client.list_all("keypairs")
        await client.list_all("users")
    assert rec.requests[0].url.params["account_id"] == "acc-2"
    assert "account_id" not in rec.requests[1].url.params


def test_error_body_parsing_clips_huge_messages() -> None:
    code, msg = errors.parse_error_body(json.dumps({"error": "x" * 10_000}).encode())
    assert code is None and msg is not None and len(msg) <= 340 and msg.startswith("x" * 300)
