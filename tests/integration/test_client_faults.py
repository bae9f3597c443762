"""The error taxonomy and the retry rules, driven by the emulator's fault injection.

The emulator's request counter proves what was sent: GETs are retried a bounded number of
times, writes exactly once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stm_tui.api import errors
from stm_tui.api.retry import RetryPolicy
from stm_tui.emulator.server import EmulatorServer

from ._emu import clean_faults, client_for, keypair_call, private_emulator, set_faults, stats


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(tmp_path_factory.mktemp("faulty"))


@pytest.fixture
def faults(faulty: EmulatorServer) -> Iterator[EmulatorServer]:
    with clean_faults(faulty) as server:
        yield server


KEYPAIRS = "GET /signingmanager/api/v1/keypairs"
CREATE = "POST /signingmanager/api/v1/keypairs"


async def test_a_503_storm_is_tried_at_most_four_times(faults: EmulatorServer) -> None:
    # error_rate answers 503 (retryable) or a plain-string 500 (not retried); either way a
    # GET is never tried more than 1 + 3 times and ends as a server error.
    set_faults(faults, error_rate=1.0, retry_after=0)
    async with client_for(faults) as client:
        for _ in range(3):
            with pytest.raises(errors.ServerError) as info:
                await client.list_all("keypairs")
            assert info.value.status in (500, 503)
    counts = stats(faults)[KEYPAIRS]
    assert 3 <= counts <= 12


async def test_plain_string_500_bodies_are_parsed(faults: EmulatorServer) -> None:
    set_faults(faults, error_rate=1.0, retry_after=0)
    seen = set()
    async with client_for(faults, retry=RetryPolicy(attempts=1)) as client:
        for _ in range(12):
            with pytest.raises(errors.ServerError) as info:
                await client.me()
            seen.add((info.value.status, info.value.message.split(": ", 1)[-1]))
    assert (500, "Internal Server Error") in seen


async def test_rate_limiting_reports_the_wait_and_pauses_the_host(faults: EmulatorServer) -> None:
    set_faults(faults, rate_limit_rate=1.0, retry_after=7)
    async with client_for(faults) as client:  # inline waits up to 0.05 s only
        with pytest.raises(errors.RateLimited) as info:
            await client.list_all("keypairs")
        assert info.value.retry_after == pytest.approx(7, abs=1)
        assert client.rate_limited_for > 5
        # Other resources on the same host wait too: no request goes out.
        with pytest.raises(errors.RateLimited):
            await client.list_all("certificates")
    assert stats(faults).get("GET /signingmanager/api/v1/certificates", 0) == 0


async def test_dropped_connections_are_transient_for_reads(faults: EmulatorServer) -> None:
    set_faults(faults, drop_rate=1.0)
    async with client_for(faults) as client:
        with pytest.raises(errors.TransientError):
            await client.list_all("keypairs")
    assert stats(faults)[KEYPAIRS] == 4


async def test_a_create_is_sent_once_and_a_dropped_one_is_outcome_unknown(
    faults: EmulatorServer,
) -> None:
    set_faults(faults, drop_rate=1.0)
    async with client_for(faults, read_only=False) as client:
        call = keypair_call("dropped-key")
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.execute(call)
    assert stats(faults)[CREATE] == 1
    # The re-read (by the new alias) was dropped too: nothing is claimed either way.
    assert info.value.call is call
    assert info.value.current is None and not info.value.checked


async def test_a_create_during_a_503_storm_is_sent_once(faults: EmulatorServer) -> None:
    set_faults(faults, error_rate=1.0, retry_after=0)
    async with client_for(faults, read_only=False) as client:
        with pytest.raises(errors.ServerError):
            await client.execute(keypair_call("storm-key"))
    assert stats(faults)[CREATE] == 1


async def test_malformed_and_truncated_bodies(faults: EmulatorServer) -> None:
    set_faults(faults, malformed_rate=1.0)
    kinds = set()
    async with client_for(faults, retry=RetryPolicy(attempts=1)) as client:
        for _ in range(10):
            with pytest.raises(errors.StmError) as info:
                await client.list_all("keypairs")
            kinds.add(info.value.kind)
    # Unparseable JSON is a bad response; a body cut short mid-transfer is a network blip.
    assert "bad_response" in kinds
    assert kinds <= {"bad_response", "transient"}


async def test_an_unreachable_host_is_offline() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from stm_tui.api.client import STMClient

    async with STMClient(f"http://127.0.0.1:{port}", retry=RetryPolicy(base_delay=0.001)) as c:
        with pytest.raises(errors.OfflineError):
            await c.me()
