"""A hostile or broken server cannot crash, hang or exhaust the client (issue 8 items 7-9).

Each test runs a small stdlib HTTP server on loopback that answers the way an attacker (or a
broken proxy) would, and checks what a user would notice: a typed bad-response error and a
clear message, never a traceback, a hang past the deadline or hundreds of MB of memory.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.session import Session
from stm_tui.store.poller import FetchResult
from tests.integration._cli import run_cli
from tests.integration._emu import FAST
from tests.integration._hostile import Reply, Request, hostile

KEY = SecretStr("hostile-test-key-0123456789")
DEEP = b"[" * 200_000
ENVELOPE_KEYPAIR = {"total": 1, "offset": 0, "limit": 100, "items": [{"id": "kp-1", "alias": "a"}]}


def client(url: str, **kw: object) -> STMClient:
    kw.setdefault("retry", FAST)
    return STMClient(url, KEY, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        b'{"total": 1, "offset": 0, "limit": 100, "items": [' + DEEP + b"]}",
        b'{"total": 1, "offset": 0, "limit": 100, "items": [{"id": "x", "n": ' + DEEP + b"}]}",
        b"\xff\xfe\x00garbage",
        b'{"total": 1, "items": [{"id": "\xed\xa0\x80"}]}',
    ],
    ids=["bare", "in-items", "in-a-field", "not-utf8", "surrogate"],
)
async def test_every_undecodable_body_is_a_bad_response(body: bytes) -> None:
    with hostile(lambda _r: Reply(200, body)) as server:
        async with client(server.url) as c:
            calls: tuple[Callable[[], Awaitable[object]], ...] = (
                lambda: c.list_all("keypairs"),
                c.me,
                lambda: c.list_all("users"),
                lambda: c.count("keypairs"),
            )
            for call in calls:
                with pytest.raises(errors.BadResponse):
                    await call()


def test_get_on_deeply_nested_json_exits_with_the_bad_response_code_and_no_traceback(
    tmp_path: Path,
) -> None:
    with hostile(lambda _r: Reply(200, DEEP)) as server:
        result = run_cli(
            tmp_path, "get", "keypairs", SM_HOST=server.url, SM_API_KEY=KEY.get_secret_value()
        )
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert "RecursionError" not in result.stderr
    assert "not valid JSON" in result.stderr


def test_get_on_a_deeply_nested_error_body_exits_cleanly(tmp_path: Path) -> None:
    with hostile(lambda _r: Reply(500, DEEP)) as server:
        result = run_cli(
            tmp_path, "get", "keypairs", SM_HOST=server.url, SM_API_KEY=KEY.get_secret_value()
        )
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert "server error (500)" in result.stderr


async def test_an_implausible_total_is_refused_without_allocating_the_offsets() -> None:
    page = {"total": 50_000_000, "offset": 0, "limit": 1, "items": [{"id": "only"}]}
    with hostile(lambda _r: Reply.json(page)) as server:
        async with client(server.url) as c:
            tracemalloc.start()
            try:
                with pytest.raises(errors.BadResponse, match="implausible total"):
                    await c.list_all("keypairs")
                _current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    # 50,000,000 offsets as a list cost ~2 GB; the refusal costs next to nothing.
    assert peak < 20 * 1024 * 1024
    assert server.count("/signingmanager/api/v1/keypairs") == 1


async def test_a_gzip_bomb_is_refused_before_it_inflates() -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 300 * 1024  # about 200 KB on the wire

    def answer(_r: Request) -> Reply:
        return Reply(200, bomb, {"content-type": "application/json", "content-encoding": "gzip"})

    with hostile(answer) as server:
        async with client(server.url, max_body_bytes=8 * 1024 * 1024) as c:
            tracemalloc.start()
            try:
                with pytest.raises(errors.BadResponse, match="larger than the 8 MB limit"):
                    await c.list_all("keypairs")
                _current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # not 200 MB (nor the 490 MB the issue measured)


async def test_a_compressed_answer_within_the_limit_still_works() -> None:
    raw = gzip.compress(b'{"total": 1, "offset": 0, "limit": 100, "items": [{"id": "kp-1"}]}')

    def answer(_r: Request) -> Reply:
        return Reply(200, raw, {"content-type": "application/json", "content-encoding": "gzip"})

    with hostile(answer) as server:
        async with client(server.url, max_body_bytes=1024) as c:
            assert [k.id for k in await c.list_all("keypairs")] == ["kp-1"]


def _trickle(request: Request, stop: threading.Event) -> None:
    h = request.handler
    h.send_response(200)
    h.send_header("content-type", "application/json")
    h.send_header("content-length", "100000")
    h.end_headers()
    try:
        while not stop.wait(0.2):  # one byte every 0.2 s: never a read timeout
            h.wfile.write(b" ")
            h.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass


async def test_a_trickling_server_cannot_hold_a_request_past_its_deadline() -> None:
    stop = threading.Event()
    with hostile(lambda r: _trickle(r, stop)) as server:
        try:
            async with client(server.url, read_timeout=5.0, deadline=1.0) as c:
                with pytest.raises(errors.DeadlineExceeded) as info:
                    await c.list_all("keypairs")
        finally:
            stop.set()
    assert "1 s" in info.value.message and server.url in info.value.message
    assert info.value.kind == "transient"
    # A deadline is not a blip: asking again would only wait as long again.
    assert server.count("/signingmanager/api/v1/keypairs") == 1


def test_get_honours_the_deadline_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config" / "stm-tui"
    config.mkdir(parents=True, mode=0o700)
    (config / "config.toml").write_text("[profiles.default]\nrequest_deadline_s = 1\n")
    (config / "config.toml").chmod(0o600)
    stop = threading.Event()
    with hostile(lambda r: _trickle(r, stop)) as server:
        started = time.monotonic()
        try:
            result = run_cli(
                tmp_path, "get", "keypairs", SM_HOST=server.url, SM_API_KEY=KEY.get_secret_value()
            )
        finally:
            stop.set()
        elapsed = time.monotonic() - started
    assert result.returncode == 5, result.stderr
    assert "no complete answer within 1 s" in result.stderr
    assert elapsed < 30  # the 60 s default (or the trickle's 5.5 h) was not what ended it


# ---------------------------------------------------------------- the session keeps going


class Switchable:
    """Deeply nested JSON for everything until `healthy` is set."""

    def __init__(self) -> None:
        self.healthy = False

    def __call__(self, request: Request) -> Reply:
        if not self.healthy:
            return Reply(200, DEEP)
        if request.path.startswith("/account/api/v1/user/me"):
            return Reply.json({"id": "u-1", "email": "lead@example.test"})
        return Reply.json(ENVELOPE_KEYPAIR)


async def until(check: object, what: str, limit: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


async def test_the_session_survives_deep_nesting_and_recovers_when_the_server_does() -> None:
    behaviour = Switchable()
    with hostile(behaviour) as server:
        session = Session(client(server.url), resources=("keypairs",), intervals={"keypairs": 0.05})
        await session.start()  # must not raise
        try:
            keypairs = session.store.collection("keypairs")
            assert session.start_error is not None
            assert session.start_error.kind == "bad_response"
            await until(lambda: keypairs.status.error_kind == "bad_response", "an error status")
            asked = server.count("/signingmanager/api/v1/keypairs")
            await until(
                lambda: server.count("/signingmanager/api/v1/keypairs") > asked + 1,
                "the poller to keep asking",
            )
            behaviour.healthy = True
            await until(lambda: keypairs.get("kp-1") is not None, "recovery")
            assert keypairs.status.error_kind is None
        finally:
            await session.stop()


async def test_an_unexpected_exception_in_a_fetch_is_shown_and_polling_goes_on() -> None:
    behaviour = Switchable()
    behaviour.healthy = True
    with hostile(behaviour) as server:
        session = Session(client(server.url), resources=("keypairs",), intervals={"keypairs": 0.05})
        calls = {"n": 0}
        real = session.poller._loops["keypairs"].spec.fetch

        async def flaky() -> FetchResult | Sequence[m.Resource]:
            calls["n"] += 1
            if calls["n"] <= 2:
                raise RuntimeError("a bug in a fetcher")
            return await real()

        session.poller._loops["keypairs"].spec.fetch = flaky
        await session.start()
        try:
            keypairs = session.store.collection("keypairs")
            await until(lambda: keypairs.get("kp-1") is not None, "polling to go on")
            assert calls["n"] >= 3
        finally:
            await session.stop()


async def test_a_store_that_rejects_items_does_not_kill_the_poller() -> None:
    # Items without an id make the store raise while applying the result: outside the
    # fetch's own error handling, where a poll loop used to die silently.
    answers = iter([{"total": 1, "offset": 0, "limit": 100, "items": [{"id": ""}]}])

    def answer(request: Request) -> Reply:
        if request.path.startswith("/account/api/v1/user/me"):
            return Reply.json({"id": "u-1"})
        return Reply.json(next(answers, ENVELOPE_KEYPAIR))

    with hostile(answer) as server:
        session = Session(client(server.url), resources=("keypairs",), intervals={"keypairs": 0.05})
        await session.start()
        try:
            keypairs = session.store.collection("keypairs")
            await until(lambda: keypairs.get("kp-1") is not None, "the next poll")
        finally:
            await session.stop()
