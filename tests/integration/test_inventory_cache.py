"""The local inventory cache against the emulator: a second start shows what the first one
saved at once, marked as cached with its age, and a change-only refresh brings it up to date;
a file that is corrupt, from another schema, or someone else's is never shown."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import stat
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.api.client import ChangeResult, STMClient
from stm_tui.api.engine import normalize_host
from stm_tui.api.resources import ResourceName
from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
from stm_tui.api.writes.keypairs import delete_keypair
from stm_tui.cache.file import QUARANTINE, SCHEMA_VERSION, CacheFile, Owner
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.store import store as store_module
from stm_tui.store.store import Freshness
from tests.integration._emu import FAST, api_key, client_for, create_keypair

INVENTORY: tuple[ResourceName, ...] = ("keypairs", "certificates")
FAST_POLL = 0.05


class GatedClient(STMClient):
    """The real client; listings of the inventory wait until `open()`, so a test can look
    at what the store holds before the first refresh. Remembers how each list was asked."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("retry", FAST)
        super().__init__(*args, **kw)
        self.gate = asyncio.Event()
        self.calls: list[tuple[str, datetime | None]] = []

    def open(self) -> None:
        self.gate.set()

    async def list_changed(
        self, resource: str, *, etag: str | None = None, since: datetime | None = None,
        **filters: Any,
    ) -> ChangeResult:
        await self.gate.wait()
        self.calls.append((resource, since))
        return await super().list_changed(resource, etag=etag, since=since, **filters)


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 15.0
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def session_for(client: STMClient, cache_dir: Path) -> Session:
    return Session(
        client,
        resources=INVENTORY,
        intervals=dict.fromkeys(INVENTORY, FAST_POLL),
        cache_dir=cache_dir,
    )


async def fill_cache(server: EmulatorServer, cache_dir: Path, role: str = "lead") -> Path:
    """One session that loads the inventory and saves it on the way out; the file's path."""
    session = session_for(client_for(server, role), cache_dir)
    await session.start()
    await until(lambda: all(session.store.collection(n).loaded for n in INVENTORY), "a load")
    assert session.cache is not None
    path = session.cache.file.path
    await session.stop()
    return path


async def start_gated(server: EmulatorServer, cache_dir: Path, role: str = "lead",
                      url: str | None = None) -> tuple[Session, GatedClient]:
    client = GatedClient(url or server.url, api_key(server, role))
    session = session_for(client, cache_dir)
    await session.start()
    assert session._cache_loading is not None
    await session._cache_loading
    return session, client


@pytest.fixture
async def writer(fresh_emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    client = client_for(fresh_emulator)
    yield client
    await client.aclose()


async def test_a_second_start_shows_the_cache_then_refreshes_one_changed_deleted_and_added(
    fresh_emulator: EmulatorServer, writer: STMClient, tmp_path: Path
) -> None:
    await fill_cache(fresh_emulator, tmp_path)
    certs_before = {c.id: c for c in await writer.list_all("certificates")}
    keypairs_before = {k.id: k for k in await writer.list_all("keypairs")}
    changed = next(c for c in certs_before.values()
                   if isinstance(c, m.Certificate) and c.certificate_status == "ACTIVE")
    deleted = next(k for k in keypairs_before.values()
                   if isinstance(k, m.Keypair) and not k.certificates)
    revoke = RevokeCertificate(reason="superseded")
    await writer.execute(revoke_certificate(changed.id, "x", revoke))
    await writer.execute(delete_keypair(deleted.id, deleted.alias or ""))
    added = await create_keypair(writer, "it-cache-added")

    session, client = await start_gated(fresh_emulator, tmp_path)
    try:
        certs = session.store.collection("certificates")
        keypairs = session.store.collection("keypairs")
        # Before any request: exactly what the first run saved, marked as cached data.
        assert dict(certs.items) == certs_before
        assert dict(keypairs.items) == keypairs_before
        for name in INVENTORY:
            status = session.store.collection(name).status
            assert status.cached and status.state is Freshness.STALE
            assert status.last_ok is not None
        assert client.calls == []

        client.open()
        await until(lambda: certs.items[changed.id].certificate_status == "REVOKED",
                    "the revocation")
        await until(lambda: keypairs.get(deleted.id) is None, "the deleted keypair to go")
        await until(lambda: keypairs.get(added.id) is not None, "the added keypair")
        await until(lambda: not any(session.store.collection(n).status.cached
                                    for n in INVENTORY), "both refreshed")
        assert keypairs.items[added.id].alias == "it-cache-added"
        # The certificates were brought up to date by change, not listed again.
        first_certs = next(since for name, since in client.calls if name == "certificates")
        assert first_certs is not None
    finally:
        await session.stop()

    # What the second run learnt is saved too: a third start begins from it.
    third, _client = await start_gated(fresh_emulator, tmp_path)
    try:
        kps = third.store.collection("keypairs")
        assert kps.get(deleted.id) is None and kps.get(added.id) is not None
        revoked = third.store.collection("certificates").items[changed.id]
        assert isinstance(revoked, m.Certificate) and revoked.certificate_status == "REVOKED"
    finally:
        await third.stop()


async def test_a_listing_that_lands_while_the_cache_is_read_in_wins(
    fresh_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill_cache(fresh_emulator, tmp_path)
    entered, release = threading.Event(), threading.Event()
    compute = store_module.Replacement.compute

    def held(self: store_module.Replacement) -> None:
        # The cache's certificates are diffed on a thread: hold that one there.
        if threading.current_thread() is not threading.main_thread() and not release.is_set():
            entered.set()
            release.wait(10)
        compute(self)

    monkeypatch.setattr(store_module.Replacement, "compute", held)
    session = session_for(GatedClient(fresh_emulator.url, api_key(fresh_emulator)), tmp_path)
    await session.start()
    try:
        assert await asyncio.to_thread(entered.wait, 10), "the cache was not diffed on a thread"
        # The server's listing lands first.
        from_server = m.Certificate(id="from-the-server", alias="listed")
        session.store.replace_all("certificates", [from_server])
        session.store.mark_ok("certificates", datetime.now(UTC))
        release.set()
        assert session._cache_loading is not None
        await session._cache_loading
        certs = session.store.collection("certificates")
        assert dict(certs.items) == {"from-the-server": from_server}
        assert not certs.status.cached
        # The keypairs the server has not listed yet come from the cache.
        assert session.store.collection("keypairs").status.cached
    finally:
        release.set()
        await session.stop()


def break_a_row(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE certs SET body = CAST('{\"id\": 17, \"broken' AS BLOB) WHERE rowid = "
                   "(SELECT min(rowid) FROM certs)")
    db.close()


def overwrite_with_garbage(path: Path) -> None:
    path.write_bytes(b"not a database at all, " * 1000)
    for companion in ("-wal", "-shm"):
        Path(f"{path}{companion}").unlink(missing_ok=True)


@pytest.mark.parametrize("damage", [overwrite_with_garbage, break_a_row],
                         ids=["garbage-file", "row-that-does-not-parse"])
async def test_a_corrupt_cache_is_quarantined_and_rebuilt_never_shown(
    emulator: EmulatorServer, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    path = await fill_cache(emulator, tmp_path)
    damage(path)

    session, client = await start_gated(emulator, tmp_path)
    try:
        for name in INVENTORY:
            assert len(session.store.collection(name)) == 0
            assert session.store.collection(name).status.state is Freshness.LOADING
        assert path.with_suffix(QUARANTINE).exists()
        client.open()
        await until(lambda: all(session.store.collection(n).loaded for n in INVENTORY),
                    "a load from the server")
        assert len(session.store.collection("certificates")) > 0
    finally:
        await session.stop()
    # The new file holds the inventory again and opens cleanly.
    again, _client = await start_gated(emulator, tmp_path)
    try:
        assert again.store.collection("certificates").status.cached
        assert len(again.store.collection("certificates")) > 0
    finally:
        await again.stop()


async def test_a_cache_from_an_older_schema_is_started_again_not_shown(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    path = await fill_cache(emulator, tmp_path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION - 1}")
    db.close()

    session, client = await start_gated(emulator, tmp_path)
    try:
        assert len(session.store.collection("certificates")) == 0
        assert not path.with_suffix(QUARANTINE).exists()  # not damaged, just old
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        check.close()
    finally:
        client.open()
        await session.stop()


async def test_the_cache_is_read_as_soon_as_the_user_is_known_and_shown_only_once_started(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    await fill_cache(emulator, tmp_path)
    client = GatedClient(emulator.url, api_key(emulator, "lead"))
    session = session_for(client, tmp_path)
    try:
        session.start_cache()
        assert session.cache is None  # who we are is not known yet: no file is chosen
        assert await session.connect() is None
        session.start_cache()
        assert session.cache is not None
        # The read runs on its thread while the app would be starting...
        await until(lambda: session.cache is not None and session.cache.file.usable,
                    "the file opened")
        await asyncio.sleep(0.3)
        # ...but nothing reaches the store (whose listeners are the app's widgets) yet.
        for name in INVENTORY:
            assert len(session.store.collection(name)) == 0
        await session.start()
        assert session._cache_loading is not None
        await session._cache_loading
        for name in INVENTORY:
            coll = session.store.collection(name)
            assert len(coll) > 0 and coll.status.cached
    finally:
        client.open()
        await session.stop()


async def test_another_users_cache_is_never_shown(emulator: EmulatorServer, tmp_path: Path) -> None:
    lead_file = await fill_cache(emulator, tmp_path, role="lead")
    session, client = await start_gated(emulator, tmp_path, role="team_lead")
    try:
        assert session.cache is not None
        assert session.cache.file.path != lead_file
        for name in INVENTORY:
            assert len(session.store.collection(name)) == 0
    finally:
        client.open()
        await session.stop()


@pytest.mark.parametrize("other", ["user", "host"])
async def test_a_cache_file_of_another_user_or_host_under_our_name_is_not_read(
    emulator: EmulatorServer, tmp_path: Path, other: str
) -> None:
    lead_file = await fill_cache(emulator, tmp_path, role="lead")
    role = "team_lead" if other == "user" else "lead"
    # The same emulator under another host name: a different host to the client.
    url = emulator.url if other == "user" else emulator.url.replace("127.0.0.1", "localhost")
    probe = Session(client_for(emulator, role), resources=INVENTORY)
    await probe.connect()
    assert probe.me is not None
    await probe.client.aclose()
    host = normalize_host(url)  # what the client calls its host
    ours = CacheFile(tmp_path, Owner("default", host, probe.me.id)).path
    assert ours != lead_file
    shutil.copyfile(lead_file, ours)  # e.g. a home directory restored from elsewhere

    session, client = await start_gated(emulator, tmp_path, role=role, url=url)
    try:
        for name in INVENTORY:
            assert len(session.store.collection(name)) == 0
        assert ours.with_suffix(QUARANTINE).exists()
    finally:
        client.open()
        await session.stop()


async def test_the_cache_file_is_private_and_holds_no_api_key(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "fresh" / "inventory"
    path = await fill_cache(emulator, cache_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_dir.parent.stat().st_mode) == 0o700
    key = api_key(emulator).get_secret_value().encode()
    for file in cache_dir.iterdir():
        assert key not in file.read_bytes()


async def test_without_a_cache_dir_nothing_is_written(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    session = Session(client_for(emulator), resources=INVENTORY, cache_dir=None)
    await session.start()
    try:
        await until(lambda: all(session.store.collection(n).loaded for n in INVENTORY), "load")
        assert session.cache is None
    finally:
        await session.stop()


def _dashboard(tmp_path: Path, server: EmulatorServer, *args: str) -> int:
    from tests.pty import PtyRun

    run = PtyRun.stm_tui(
        tmp_path, *args, SM_HOST=server.url, SM_API_KEY=api_key(server).get_secret_value()
    )
    try:
        run.wait_for(b"Overview")
        run.pump(2.0)  # the inventory loads behind the first frame
        run.send(b"q")
        return run.finish()
    finally:
        run.kill()


def _saved_collections(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {name for (name,) in db.execute("SELECT resource FROM collections")}
    finally:
        db.close()


def test_the_dashboard_caches_its_inventory_no_cache_leaves_it_alone_and_clear_removes_it(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    from tests.integration._cli import run_cli

    inventory = tmp_path / "cache" / "stm-tui" / "inventory"  # XDG_CACHE_HOME of the run
    assert _dashboard(tmp_path, emulator) == 0
    files = sorted(inventory.glob("*.sqlite3"))
    assert len(files) == 1
    assert _saved_collections(files[0]) == set(INVENTORY)
    before = files[0].read_bytes()

    assert _dashboard(tmp_path, emulator, "--no-cache") == 0
    assert sorted(inventory.glob("*.sqlite3")) == files
    assert files[0].read_bytes() == before

    shown = run_cli(tmp_path, "config", "path")
    assert f"inventory:    {inventory}" in shown.stdout
    other = run_cli(tmp_path, "cache", "clear", "--profile", "not-this-one")
    assert other.returncode == 0 and sorted(inventory.glob("*.sqlite3")) == files
    done = run_cli(tmp_path, "cache", "clear")
    assert done.returncode == 0, done.stderr
    assert "removed" in done.stdout
    assert not list(inventory.iterdir())
