"""Helpers for the monitor's tests against the emulator: a clock the test moves (the
emulator's and the monitor's), signing through the API or (while faults are on) inside the
emulator, and the signature log read raw for the expected values."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import FROZEN_NOW
from tests.integration._emu import client_for

SIG_ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}
STM = "/signingmanager/api/v1"


class ManualClock:
    """The emulator's clock and the monitor's: both read what the test set."""

    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def ticking_emulator(tmp: Path, clock: ManualClock) -> Iterator[EmulatorServer]:
    # Started at FROZEN_NOW, so the seed is copied from the session's template (fast).
    server = EmulatorServer(data_dir=tmp, seed="demo", activity=False, clock=clock)
    with server:
        yield server


def raw(server: EmulatorServer, path: str, role: str = "lead", **params: Any) -> Any:
    key = server.credentials["users"][role]["api_key"]
    response = httpx.get(f"{server.url}{STM}{path}", params=params, headers={"x-api-key": key},
                         timeout=10)
    response.raise_for_status()
    return response.json()


def raw_all(server: EmulatorServer, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = raw(server, path, limit=100, offset=len(items), **params)
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def release_named(server: EmulatorServer, name: str) -> dict[str, Any]:
    return next(r for r in raw_all(server, "/release-windows") if r["name"] == name)


def keypair_named(server: EmulatorServer, alias: str) -> dict[str, Any]:
    found: dict[str, Any] = raw(server, "/keypairs", alias=alias)["items"][0]
    return found


class Signer:
    """Signs as one of the emulator's credential roles, through the API."""

    def __init__(self, server: EmulatorServer, role: str) -> None:
        self.server = server
        self.role = role
        self.client: STMClient = client_for(server, role)
        self._n = 0

    async def sign(self, keypair: dict[str, Any]) -> str | None:
        """The new signature's id, or None when the server refused (the attempt is still
        logged, as FAILED)."""
        from stm_tui.api.errors import StmError

        self._n += 1
        digest = hashlib.sha256(f"{self.role}-{self._n}".encode()).digest()
        try:
            result = await self.client.sign(keypair["id"], digest, SIG_ALGS[keypair["key_alg"]])
        except StmError:
            return None
        return result.id

    async def aclose(self) -> None:
        await self.client.aclose()


_KEYS: dict[tuple[int, str], Any] = {}


def sign_inside(server: EmulatorServer, role: str, keypair_id: str, n: int) -> str:
    """A signature made inside the emulator, bypassing HTTP (its faults hit every request),
    under the same rules and into the same log as the API."""
    from stm_tui.emulator import crypto
    from stm_tui.emulator.routes_signing import sign_and_record

    state = server.state
    assert state is not None
    user = state.db.get("users", server.credentials["users"][role]["id"])
    kp = state.db.get("keypairs", keypair_id)
    assert user is not None and kp is not None
    sig_alg = SIG_ALGS[kp["key_alg"]]
    digest = hashlib.sha256(f"inside-{n}".encode()).digest()
    # Loading an RSA key checks it (0.4 s): once per keypair and server.
    key = _KEYS.get((id(server), keypair_id))
    if key is None:
        key = _KEYS[(id(server), keypair_id)] = crypto.load_private(
            state.db.key_material(kp["key_ref"]))
    signature = crypto.sign_digest(key, kp["key_alg"], sig_alg, digest)
    return sign_and_record(state, user, kp, sig_alg, base64.b64encode(digest).decode(),
                           base64.b64encode(signature).decode(), "10.99.0.1")


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
