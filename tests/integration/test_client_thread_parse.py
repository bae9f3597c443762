"""Large pages parse on a worker thread (`engine.THREAD_PARSE_BYTES`): the listing is the
same, item for item, as when every page parses on the event loop."""

from __future__ import annotations

import pytest

from stm_tui.api import engine
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import client_for


async def test_pages_parsed_on_a_thread_give_the_same_listing(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(emulator, page_size=3)
    try:
        inline = await client.list_all("certificates")
        monkeypatch.setattr(engine, "THREAD_PARSE_BYTES", 0)
        threaded = await client.list_all("certificates")
    finally:
        await client.aclose()
    assert len(inline) > 6  # several pages after the first, which is where threads are used
    assert threaded == inline
