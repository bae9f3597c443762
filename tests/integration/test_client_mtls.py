"""mTLS against the emulator's TLS listener with its PKCS#12 client certs. The listener asks
for a certificate without requiring one: reads work with the API key alone, signing does not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.config import Profile
from stm_tui.connect import client_for_profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import frozen_clock

from ._emu import FAST, api_key, of


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = EmulatorServer(
        data_dir=tmp_path_factory.mktemp("tls"), seed="demo", tls=True, clock=frozen_clock
    )
    with server:
        yield server


def setup(
    server: EmulatorServer, *, password: str | None, cert: bool = True, ca: bool = True
) -> tuple[Profile, ResolvedCredentials]:
    p12, real_password = server.client_p12("lead")
    os.chmod(p12, 0o600)
    profile = Profile(
        host=server.url,
        client_cert_file=p12 if cert else None,
        ca_file=server.ca_file if ca else None,
    )
    creds = ResolvedCredentials(
        api_key=api_key(server),
        api_key_source="test",
        client_cert_password=SecretStr(real_password if password is None else password),
        client_cert_password_source="test",
    )
    return profile, creds


async def test_right_certificate_and_password_work(tls_emulator: EmulatorServer) -> None:
    profile, creds = setup(tls_emulator, password=None)
    async with client_for_profile(profile, creds, retry=FAST) as client:
        me = await client.me()
        assert "SSM_LEAD" in me.role_codes
        assert of(m.Keypair, await client.list_all("keypairs"))


async def test_wrong_password_fails_before_any_request(tls_emulator: EmulatorServer) -> None:
    profile, creds = setup(tls_emulator, password="not-the-password")
    with pytest.raises(errors.ClientCertPasswordError) as info:
        client_for_profile(profile, creds)
    assert info.value.kind == "config"
    assert "not-the-password" not in str(info.value) and "not-the-password" not in repr(info.value)


async def test_without_a_client_certificate_reads_work_and_signing_is_refused(
    tls_emulator: EmulatorServer,
) -> None:
    profile, creds = setup(tls_emulator, password=None, cert=False)
    async with client_for_profile(profile, creds, retry=FAST, read_only=False) as client:
        assert "SSM_LEAD" in (await client.me()).role_codes
        listed = of(m.Keypair, await client.list_all("keypairs"))
        kp = next(k for k in listed if k.alias == "shared-java-jars")
        with pytest.raises(errors.PermissionDenied) as info:
            await client.sign(kp.id, bytes(32), "SHA256withRSA")
    assert "Missing Client Authentication Certificate" in info.value.message


async def test_an_untrusted_server_certificate_is_refused(tls_emulator: EmulatorServer) -> None:
    profile, creds = setup(tls_emulator, password=None, ca=False)
    async with client_for_profile(profile, creds, retry=FAST) as client:
        with pytest.raises(errors.ConfigError) as info:
            await client.me()
    assert "certificate verify failed" in info.value.message


def test_a_group_readable_p12_is_refused(tls_emulator: EmulatorServer, tmp_path: Path) -> None:
    p12, _pw = tls_emulator.client_p12("lead")
    loose = tmp_path / "loose.p12"
    loose.write_bytes(p12.read_bytes())
    loose.chmod(0o640)
    profile = Profile(host=tls_emulator.url, client_cert_file=loose, ca_file=tls_emulator.ca_file)
    creds = ResolvedCredentials(api_key=None, api_key_source="none")
    with pytest.raises(errors.ConfigError, match="readable by other users"):
        client_for_profile(profile, creds)


def test_the_private_key_never_reaches_a_file(
    tls_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[bytes] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        written.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    opened: list[str] = []
    real_open = os.open

    def open_spy(path: str, *args: object, **kw: object) -> int:
        opened.append(str(path))
        return real_open(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_spy)
    profile, creds = setup(tls_emulator, password=None)
    client_for_profile(profile, creds)
    # The PEM key went only into the anonymous memfd (os.write); nothing was opened for
    # writing on a filesystem.
    assert any(b"PRIVATE KEY" in chunk for chunk in written)
    assert not any(p.endswith(".pem") for p in opened)


async def test_a_session_given_the_profiles_tls_context_uses_it_and_builds_none(
    tls_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dashboard builds the context once, up front (a wrong p12 password fails before
    # any screen), and every session it makes shares it: loading the CA certificates again
    # for each one cost 70-140 ms of the start.
    import stm_tui.connect as connect
    from stm_tui.api.tls import build_ssl_context

    profile, creds = setup(tls_emulator, password=None)
    context = build_ssl_context(
        ca_file=profile.ca_file,
        client_cert_file=profile.client_cert_file,
        client_cert_password=creds.client_cert_password,
    )

    def no_second_context(**_kw: object) -> None:
        raise AssertionError("a second TLS context was built")

    monkeypatch.setattr(connect, "build_ssl_context", no_second_context)
    session = connect.session_for_profile(profile, creds, ssl_context=context)
    try:
        assert await session.connect() is None
        assert session.me is not None and "SSM_LEAD" in session.me.role_codes
    finally:
        await session.client.aclose()
    with pytest.raises(AssertionError, match="second TLS context"):
        connect.session_for_profile(profile, creds)
