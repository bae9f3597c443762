"""Emulator fixtures for the client tests, and helpers for its admin endpoints.

Read tests use the shared session `emulator` (tests/conftest.py); tests that change data use
`fresh_emulator`; fault tests use a private module emulator so faults never leak."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.client import STMClient
from stm_tui.api.retry import RetryPolicy
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import frozen_clock

R = TypeVar("R", bound=m.Resource)

# Fast retries: the behaviour (how many tries, what is raised) is what is tested, not waits.
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, max_inline_wait=0.05)


def private_emulator(tmp: Path) -> Iterator[EmulatorServer]:
    """A module's own emulator (for fault injection, which must not leak into the shared
    session emulator other tests read)."""
    server = EmulatorServer(data_dir=tmp, seed="demo", activity=False, clock=frozen_clock)
    with server:
        yield server


def api_key(server: EmulatorServer, role: str = "lead") -> SecretStr:
    return SecretStr(server.credentials["users"][role]["api_key"])


def client_for(server: EmulatorServer, role: str = "lead", **kw: Any) -> STMClient:
    kw.setdefault("retry", FAST)
    return STMClient(server.url, api_key(server, role), **kw)


def one(model: type[R], item: object) -> R:
    """`item`, checked to be a `model` (a listing is typed by its resource name only)."""
    assert isinstance(item, model), f"expected a {model.__name__}, got {type(item).__name__}"
    return item


def of(model: type[R], items: Iterable[object]) -> list[R]:
    return [one(model, item) for item in items]


def keypair_call(alias: str, **fields: object) -> WriteCall:
    """The call that generates a keypair (RSA 2048 unless `fields` say otherwise)."""
    spec: dict[str, object] = {"key_alg": "RSA", "key_size": 2048}
    if fields.get("key_alg", "RSA") != "RSA":
        spec.pop("key_size")
    return generate_keypair(GenerateKeypair.model_validate({"alias": alias, **spec, **fields}))


async def create_keypair(client: STMClient, alias: str, **fields: object) -> m.Keypair:
    outcome = await client.execute(keypair_call(alias, **fields))
    return one(m.Keypair, outcome.resource)


def set_faults(server: EmulatorServer, **spec: float) -> None:
    response = httpx.put(
        f"{server.url}/_emulator/faults",
        json=spec,
        headers={"x-emulator-admin-token": server.admin_token},
        verify=str(server.ca_file) if server.ca_file else True,
    )
    response.raise_for_status()


def stats(server: EmulatorServer) -> dict[str, int]:
    response = httpx.get(
        f"{server.url}/_emulator/stats", headers={"x-emulator-admin-token": server.admin_token}
    )
    response.raise_for_status()
    counts: dict[str, int] = response.json()["requests"]
    return counts


def writes_seen(server: EmulatorServer) -> dict[str, int]:
    """The requests the emulator has counted other than GET and HEAD."""
    return {k: v for k, v in stats(server).items() if not k.startswith(("GET ", "HEAD "))}


def reset_stats(server: EmulatorServer) -> None:
    httpx.delete(
        f"{server.url}/_emulator/stats", headers={"x-emulator-admin-token": server.admin_token}
    ).raise_for_status()


@contextmanager
def clean_faults(server: EmulatorServer) -> Iterator[EmulatorServer]:
    """Clean stats on entry; faults switched off again on exit, even if the test failed."""
    reset_stats(server)
    try:
        yield server
    finally:
        set_faults(server)
