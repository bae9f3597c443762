"""`Session.write` against the emulator: the audit file's intent and outcome, nothing sent when
the intent cannot be recorded, the answer in the store at once, and the touched collections
polled right after the write (not at their next cadence)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.api.writes.certificates import GenerateCertificate, generate_certificate
from stm_tui.api.writes.keypairs import delete_keypair
from stm_tui.audit_file import AuditFile, AuditUnavailable
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from tests.integration._emu import client_for, keypair_call, of, set_faults, stats

KEYPAIRS = "/signingmanager/api/v1/keypairs"
CREATE = f"POST {KEYPAIRS}"
SLOW = 3600.0  # no poll but the first one and those a write asks for


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10.0
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def session(fresh_emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[Session]:
    live = Session(
        client_for(fresh_emulator),
        read_only=False,
        resources=("keypairs", "certificates"),
        intervals={"keypairs": SLOW, "certificates": SLOW},
        audit_path=tmp_path / "data" / "audit.jsonl",
        local="tester@jump-host",
    )
    await live.start()
    await until(
        lambda: all(live.store.collection(n).loaded for n in ("keypairs", "certificates")),
        "the first listings",
    )
    yield live
    await live.stop()


def lines(session: Session) -> list[dict[str, object]]:
    return session.audit_file.read()


async def test_a_write_is_recorded_lands_in_the_store_and_refreshes_what_it_touches(
    session: Session, fresh_emulator: EmulatorServer
) -> None:
    created = await session.write(keypair_call("it-write-key"))
    kp = created.resource
    assert isinstance(kp, m.Keypair) and created.audited
    # In the store from the answer, before any poll could have brought it.
    assert session.store.collection("keypairs").get(kp.id) == kp

    intent, outcome = lines(session)
    assert intent["kind"] == "intent" and outcome["kind"] == "outcome"
    assert intent["id"] == outcome["id"]
    assert intent["local"] == "tester@jump-host" and intent["profile"] == "default"
    call = intent["call"]
    assert isinstance(call, dict) and call["action"] == "keypair.generate"
    assert outcome["result"] == "ok" and outcome["resource_id"] == kp.id
    assert oct(session.audit_path.stat().st_mode & 0o777) == "0o600"

    profiles = of(m.CertificateProfile, await session.client.list_all("certificate_profiles"))
    profile = next(p for p in profiles if p.hierarchy == "PRIVATE")
    before = stats(fresh_emulator).get(f"GET {KEYPAIRS}", 0)
    req = GenerateCertificate(alias="it-write-cert", certificate_profile_id=profile.id)
    made = await session.write(generate_certificate(kp.id, "it-write-key", req))
    cert = made.resource
    assert isinstance(cert, m.Certificate)
    assert session.store.collection("certificates").get(cert.id) is not None
    # `certificate.generate` touches keypairs: listed again now, not in an hour.
    await until(
        lambda: stats(fresh_emulator).get(f"GET {KEYPAIRS}", 0) > before,
        "the keypairs to be polled again",
    )
    keypairs = session.store.collection("keypairs")
    await until(
        lambda: any(c.id == cert.id for c in keypairs.items[kp.id].certificates),
        "the keypair to show its new certificate",
    )


async def test_a_delete_leaves_the_store_at_once(session: Session) -> None:
    held = session.store.collection("keypairs")
    victim = next(iter(held.items.values()))
    outcome = await session.write(delete_keypair(victim.id, victim.alias or victim.id))
    assert outcome.resource is None
    assert held.get(victim.id) is None
    assert [line["result"] for line in lines(session) if line["kind"] == "outcome"] == ["ok"]


async def test_a_refused_write_is_recorded_as_failed_with_the_servers_status(
    session: Session,
) -> None:
    await session.write(keypair_call("it-twice"))
    with pytest.raises(errors.RequestRejected):
        await session.write(keypair_call("it-twice"))
    last = lines(session)[-1]
    assert last["result"] == "failed" and last["status"] == 409
    assert "it-twice" in str(last["error"])


async def test_no_intent_on_disk_means_nothing_is_sent(
    session: Session, fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(AuditUnavailable):
        await session.write(keypair_call("it-unaudited"), audit=AuditFile(blocker / "a.jsonl"))
    assert stats(fresh_emulator).get(CREATE, 0) == 0


async def test_an_unknown_outcome_is_recorded_as_such(
    session: Session, fresh_emulator: EmulatorServer
) -> None:
    set_faults(fresh_emulator, drop_rate=1.0)
    try:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await session.write(keypair_call("it-dropped"))
    finally:
        set_faults(fresh_emulator)
    assert stats(fresh_emulator)[CREATE] == 1
    assert info.value.call.action == "keypair.generate"
    last = lines(session)[-1]
    assert last["result"] == "unknown"
    assert json.dumps(last).count("it-dropped") == 0  # the outcome line carries no body


async def test_load_item_reads_one_item_into_the_store_and_says_none_for_what_is_gone(
    session: Session, fresh_emulator: EmulatorServer
) -> None:
    """What a confirmation is about is read now when no poll has brought it (an inbox
    request for a window asked a second ago); an id the server does not know is None."""
    held = session.store.collection("keypairs")
    some = next(iter(held.items.values()))
    session.store.remove("keypairs", [some.id])
    assert held.get(some.id) is None
    loaded = await session.load_item("keypairs", some.id)
    assert isinstance(loaded, m.Keypair) and loaded.id == some.id
    assert held.get(some.id) == loaded
    assert await session.load_item("keypairs", "00000000-0000-0000-0000-000000000000") is None
    assert await session.load_item("nothing-like-this", some.id) is None
