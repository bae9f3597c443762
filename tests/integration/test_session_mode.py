"""Read-only is enforced where requests are made, and always matches what the session shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.adapter import ReadOnlyError
from stm_tui.audit_file import AuditFile
from stm_tui.config import Profile
from stm_tui.connect import session_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import keypair_call, one, stats


def profile_for(server: EmulatorServer, *, read_only: bool = True) -> Profile:
    return Profile(name="it", host=server.url, read_only=read_only)


def credentials_for(server: EmulatorServer) -> ResolvedCredentials:
    key = SecretStr(server.credentials["users"]["lead"]["api_key"])
    return ResolvedCredentials(api_key=key, api_key_source="test")


CREATE = "POST /signingmanager/api/v1/keypairs"


@pytest.mark.parametrize("profile_read_only", [True, False])
async def test_write_flag_and_profile_decide_the_client_mode(
    fresh_emulator: EmulatorServer, profile_read_only: bool
) -> None:
    profile = profile_for(fresh_emulator, read_only=profile_read_only)
    creds = credentials_for(fresh_emulator)
    from_profile = session_for_profile(profile, creds)
    forced_write = session_for_profile(profile, creds, read_only=False)
    try:
        assert from_profile.read_only is profile_read_only
        assert from_profile.client.read_only is profile_read_only
        assert forced_write.client.read_only is False
    finally:
        await from_profile.client.aclose()
        await forced_write.client.aclose()


async def test_a_read_only_session_sends_no_write_until_write_mode_is_entered(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    session = session_for_profile(profile_for(fresh_emulator), credentials_for(fresh_emulator))
    audit = AuditFile(tmp_path / "audit.jsonl")
    call = keypair_call("it-read-only", key_alg="ECDSA", curve="P256")
    try:
        with pytest.raises(ReadOnlyError):
            await session.write(call, audit=audit)
        # The client refuses on its own too, under the session's check.
        with pytest.raises(ReadOnlyError):
            await session.client.execute(call)
        assert stats(fresh_emulator).get(CREATE, 0) == 0
        assert audit.read() == []  # nothing sent, nothing to record
        session.read_only = False
        created = await session.write(call, audit=audit)
        assert one(m.Keypair, created.resource).alias == "it-read-only"
        assert stats(fresh_emulator)[CREATE] == 1
    finally:
        await session.client.aclose()
