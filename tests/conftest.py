"""Shared fixtures: the STM emulator on a loopback port.

`emulator` is one read-mostly server for the whole session (demo seed, activity off, clock
frozen at 2026-11-27T12:00:00Z so data and derived statuses are deterministic). Tests that
change data use `fresh_emulator` (a new data dir per test; cheap after the first, because
the seed is copied from an in-process template).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer

FROZEN_NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FROZEN_NOW


class MovableClock:
    """A frozen clock a test can move forward (assign `now`)."""

    def __init__(self) -> None:
        self.now = FROZEN_NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test's config, data (the audit file), cache and state under its own temporary
    directory: a test never writes to, or reads from, the real user's."""
    base = tmp_path_factory.mktemp("user-dirs")
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(base / name.lower()))


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = EmulatorServer(
        data_dir=tmp_path_factory.mktemp("emulator"),
        seed="demo",
        activity=False,
        clock=frozen_clock,
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """The emulator on TLS with per-role PKCS#12 client certificates (`client_p12(role)`),
    shared like `emulator`: tests may add to it, never rely on it staying as seeded."""
    server = EmulatorServer(
        data_dir=tmp_path_factory.mktemp("emulator-tls"),
        seed="demo",
        tls=True,
        activity=False,
        clock=frozen_clock,
    )
    with server:
        yield server


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    server = EmulatorServer(
        data_dir=tmp_path / "emulator", seed="demo", activity=False, clock=frozen_clock
    )
    with server:
        yield server


STM = "/signingmanager/api/v1"
AM = "/account/api/v1"


def api_client(server: EmulatorServer, role: str = "lead") -> httpx.Client:
    """An httpx client authenticated as one of the five credential roles."""
    key = server.credentials["users"][role]["api_key"]
    return httpx.Client(base_url=server.url, headers={"x-api-key": key}, timeout=10)
