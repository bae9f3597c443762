"""Read-only is enforced where requests are made, and always matches what the session shows."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from stm_tui.api.adapter import ReadOnlyError
from stm_tui.config import Profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from tests.integration._emu import stats


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
    from_profile = Session.from_profile(profile, creds)
    forced_write = Session.from_profile(profile, creds, read_only=False)
    try:
        assert from_profile.read_only is profile_read_only
        assert from_profile.client.read_only is profile_read_only  # type: ignore[attr-defined]
        assert forced_write.client.read_only is False  # type: ignore[attr-defined]
    finally:
        await from_profile.client.aclose()
        await forced_write.client.aclose()


async def test_a_read_only_session_sends_no_write_until_write_mode_is_entered(
    fresh_emulator: EmulatorServer,
) -> None:
    session = Session.from_profile(profile_for(fresh_emulator), credentials_for(fresh_emulator))
    client = session.client
    try:
        with pytest.raises(ReadOnlyError):
            await client.create_keypair("it-read-only", "ECDSA", curve="P256")  # type: ignore[attr-defined]
        assert stats(fresh_emulator).get(CREATE, 0) == 0
        session.read_only = False
        created = await client.create_keypair("it-read-only", "ECDSA", curve="P256")  # type: ignore[attr-defined]
        assert created.alias == "it-read-only"
        assert stats(fresh_emulator)[CREATE] == 1
    finally:
        await client.aclose()
