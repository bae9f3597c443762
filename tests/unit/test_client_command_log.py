"""The client records every call it makes in its command log, once per call with its retries,
by endpoint template, and never a query value, a header or a body."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.api.client import STMClient
from stm_tui.api.retry import RetryPolicy
from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair
from stm_tui.session import Session

KP = "/signingmanager/api/v1/keypairs"
KEY = "sk_canary_command_log_7"


async def no_sleep(_seconds: float) -> None:
    return None


def client_with(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> STMClient:
    return STMClient(
        "http://127.0.0.1:8443",
        SecretStr(KEY),
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
        retry=RetryPolicy(attempts=3),
        **kw,  # type: ignore[arg-type]
    )


def page(*ids: str) -> httpx.Response:
    items = [{"id": i, "alias": f"alias-{i}"} for i in ids]
    return httpx.Response(
        200,
        json={"total": len(items), "offset": 0, "limit": 100, "items": items},
        headers={"x-request-id": "req-1"},
    )


async def test_a_retried_listing_is_one_record_with_its_retries_and_no_query_values() -> None:
    answers = iter([httpx.Response(503), page("k1")])
    async with client_with(lambda _r: next(answers)) as client:
        await client.list_all("keypairs", alias="secret-filter-value")
        records = client.command_log.snapshot()
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status, record.retries) == ("GET", KP, 200, 1)
    assert set(record.query_keys) == {"alias", "limit", "offset"}
    assert record.request_id == "req-1"
    shown = json.dumps(record.as_dict()) + repr(record)
    assert "secret-filter-value" not in shown and KEY not in shown


async def test_item_paths_are_logged_by_their_template() -> None:
    async with client_with(lambda _r: httpx.Response(404, json={"error": "gone"})) as client:
        with pytest.raises(errors.NotFound):
            await client.get_item("keypairs", "k-secret-id-0042")
        (record,) = client.command_log.snapshot()
    assert record.path == f"{KP}/{{id}}" and record.status == 404 and not record.ok
    assert "k-secret-id-0042" not in record.path


async def test_a_write_without_an_answer_is_logged_by_error_kind_then_its_reread() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out", request=request)
        return page("k9")

    call = generate_keypair(GenerateKeypair(alias="new-key", key_alg="RSA", key_size=2048))
    async with client_with(handler) as client:
        with pytest.raises(errors.OutcomeUnknown):
            await client.execute(call)
        post, reread = client.command_log.snapshot()
    assert (post.method, post.path, post.status, post.error) == ("POST", KP, None, "transient")
    assert post.service_fault and reread.method == "GET" and reread.ok
    assert "new-key" not in json.dumps(post.as_dict())


async def test_a_write_refused_in_read_only_mode_was_no_call() -> None:
    call = generate_keypair(GenerateKeypair(alias="new-key", key_alg="RSA", key_size=2048))
    async with client_with(lambda _r: page(), read_only=True) as client:
        with pytest.raises(ReadOnlyError):
            await client.execute(call)
        assert len(client.command_log) == 0


async def test_the_session_shows_its_clients_command_log() -> None:
    client = client_with(lambda _r: page())
    session = Session(client, resources=("keypairs",))
    try:
        assert session.command_log is client.command_log
    finally:
        await client.aclose()
