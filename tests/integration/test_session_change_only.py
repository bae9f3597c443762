"""Change-only refresh of the large inventories (certificates, keypairs) against the emulator.

After a first complete listing, polls ask only for items modified since the newest one held;
removals are noticed from the collection's size (a complete listing follows), and a server
that ignores `modified_since` still yields a correct store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.api.client import ChangeResult, STMClient
from stm_tui.api.writes.certificates import (
    GenerateCertificate,
    RevokeCertificate,
    generate_certificate,
    revoke_certificate,
)
from stm_tui.api.writes.keypairs import delete_keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from tests.integration._emu import api_key, client_for, create_keypair, of, one

FAST_POLL = 0.05


class RecordingClient(STMClient):
    """The real client, remembering how each list was asked for."""

    def __init__(self, *args: Any, ignore_since: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ignore_since = ignore_since
        self.calls: list[tuple[str, datetime | None]] = []

    async def list_changed(
        self,
        resource: str,
        *,
        etag: str | None = None,
        since: datetime | None = None,
        **filters: Any,
    ) -> ChangeResult:
        self.calls.append((resource, since))
        if self.ignore_since and since is not None:
            # What a server without `modified_since` does: every item, every time.
            result = await super().list_changed(resource, etag=etag, **filters)
            return ChangeResult(changed=True, items=result.items, full=False, etag=None)
        return await super().list_changed(resource, etag=etag, since=since, **filters)

    def change_only_polls(self, resource: str) -> int:
        return sum(1 for name, since in self.calls if name == resource and since is not None)


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10.0
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def session_for(client: STMClient) -> Session:
    return Session(
        client,
        resources=("keypairs", "certificates"),
        intervals={"keypairs": FAST_POLL, "certificates": FAST_POLL},
    )


@pytest.fixture
async def writer(fresh_emulator: EmulatorServer) -> AsyncIterator[STMClient]:
    client = client_for(fresh_emulator)
    yield client
    await client.aclose()


async def started(session: Session) -> Session:
    await session.start()
    await until(
        lambda: all(session.store.collection(n).loaded for n in ("keypairs", "certificates")),
        "the first complete listings",
    )
    return session


async def test_change_only_refresh_picks_up_a_revocation_and_a_new_certificate(
    fresh_emulator: EmulatorServer, writer: STMClient
) -> None:
    reader = RecordingClient(fresh_emulator.url, api_key(fresh_emulator))
    session = await started(session_for(reader))
    try:
        certs = session.store.collection("certificates")
        held = len(certs)
        active = next(c for c in certs.items.values() if c.certificate_status == "ACTIVE")
        # Writes land while polling is paused: a write between a poll's change listing and
        # its count request would (rightly) look like a removal and force a full listing.
        session.poller.pause()
        # A poll already in flight must finish first: under load it can take longer than
        # any fixed sleep, and a write landing between its change listing and its count
        # looks like a removal (a complete listing follows, failing the count below).
        await until(lambda: not session.poller.busy, "the polls in flight to finish")
        await writer.execute(
            revoke_certificate(active.id, "x", RevokeCertificate(reason="superseded"))
        )
        kp = await create_keypair(writer, "it-change-only")
        profiles = of(m.CertificateProfile, await writer.list_all("certificate_profiles"))
        profile = next(p for p in profiles if p.hierarchy == "PRIVATE")
        req = GenerateCertificate(
            alias="it-change-only-cert", certificate_profile_id=profile.id, set_as_default_cert=True
        )
        new = one(
            m.Certificate,
            (await writer.execute(generate_certificate(kp.id, "it-change-only", req))).resource,
        )
        session.poller.resume()

        await until(lambda: certs.get(new.id) is not None, "the new certificate")
        await until(
            lambda: certs.items[active.id].certificate_status == "REVOKED", "the revocation"
        )
        assert len(certs) == held + 1
        # The keypairs loop polls on its own: wait for it rather than assume it ran first.
        keypairs = session.store.collection("keypairs")
        await until(lambda: keypairs.get(kp.id) is not None, "the new keypair")
        assert reader.change_only_polls("certificates") >= 1
        # No complete listing was needed: one at start, the rest were change-only.
        assert sum(1 for n, s in reader.calls if n == "certificates" and s is None) == 1
    finally:
        await session.stop()


async def test_a_deleted_keypair_disappears_through_a_complete_listing(
    fresh_emulator: EmulatorServer, writer: STMClient
) -> None:
    reader = RecordingClient(fresh_emulator.url, api_key(fresh_emulator))
    session = await started(session_for(reader))
    try:
        keypairs = session.store.collection("keypairs")
        victim = next(iter(keypairs.items.values()))
        await writer.execute(delete_keypair(victim.id, victim.alias or ""))
        await until(lambda: keypairs.get(victim.id) is None, "the deleted keypair to go")
        complete = [s for n, s in reader.calls if n == "keypairs" and s is None]
        assert len(complete) >= 2  # the first listing, and the one the count triggered
    finally:
        await session.stop()


async def test_a_server_ignoring_modified_since_still_gives_a_correct_store(
    fresh_emulator: EmulatorServer, writer: STMClient
) -> None:
    reader = RecordingClient(fresh_emulator.url, api_key(fresh_emulator), ignore_since=True)
    session = await started(session_for(reader))
    try:
        keypairs = session.store.collection("keypairs")
        victim = next(iter(keypairs.items.values()))
        await writer.execute(delete_keypair(victim.id, victim.alias or ""))
        kp = await create_keypair(writer, "it-ignored-since")
        await until(lambda: keypairs.get(kp.id) is not None, "the new keypair")
        await until(lambda: keypairs.get(victim.id) is None, "the deleted keypair to go")
    finally:
        await session.stop()
