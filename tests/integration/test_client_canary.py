"""Canary secrets through a 401, dropped connections and DEBUG logging, in-process: none may
appear in log records, exception text, repr or the formatted traceback."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from stm_tui import redact
from stm_tui.api import errors
from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer

from ._emu import FAST, clean_faults, keypair_call, private_emulator, set_faults

CANARY = "sk_CANARY_inproc_5a8c2e"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    yield from private_emulator(tmp_path_factory.mktemp("canary"))


async def test_canary_key_stays_out_of_logs_errors_and_reprs(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    redact.register_secret(CANARY)
    redact.install()
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with STMClient(server.url, SecretStr(CANARY), retry=FAST) as client:
        texts.append(repr(client))
        with pytest.raises(errors.AuthError) as auth:
            await client.me()
        with clean_faults(server):
            set_faults(server, drop_rate=1.0)
            with pytest.raises(errors.TransientError) as dropped:
                await client.list_all("keypairs")
            with pytest.raises(errors.OutcomeUnknown) as unknown:
                await client.execute(keypair_call("canary-key"))
        # Even a careless log line that includes the key is masked by the record factory.
        logging.getLogger("stm_tui.test").debug("careless: key=%s", CANARY)
    for exc in (auth.value, dropped.value, unknown.value):
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert any("careless: key=***" in t for t in texts)
    assert caplog.records, "DEBUG records were captured"
    for text in texts:
        assert CANARY not in text
