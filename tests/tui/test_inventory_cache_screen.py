"""On screen: the dashboard opens on the cached inventory, says it is cached and how old it
is, and the change-only refresh that follows shows one changed, one deleted and one added
item correctly (issue 15)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from stm_tui.api import models as m
from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
from stm_tui.api.writes.keypairs import delete_keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.views.table_model import plain
from tests.integration._emu import api_key, client_for, create_keypair
from tests.integration.test_inventory_cache import GatedClient, until
from tests.tui._pilot import top
from tests.tui.conftest import LOCAL, SHOWN_HOST, frozen, wait_until


def session_on(client: GatedClient | None, server: EmulatorServer, cache_dir: Path) -> Session:
    real = client if client is not None else client_for(server)
    real.host = SHOWN_HOST  # the label the cache is keyed on, as in every TUI test
    return Session(real, profile_name="demo", clock=frozen, local=LOCAL, cache_dir=cache_dir)


def row_text(app: StmApp, key: str) -> str:
    return " ".join(plain(cell) for cell in top(app, ListScreen).table.get_row(key).cells)


def freshness(app: StmApp) -> str:
    return str(app.screen.query_one("#freshness", Static).render())


async def test_the_dashboard_opens_on_the_cache_then_shows_the_changes(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    first = session_on(None, fresh_emulator, tmp_path)
    await first.start()
    await until(lambda: all(first.store.collection(n).loaded
                            for n in ("certificates", "keypairs")), "the first load")
    await first.stop()

    writer = client_for(fresh_emulator)
    try:
        certs = [c for c in await writer.list_all("certificates") if isinstance(c, m.Certificate)]
        changed = next(c for c in certs if c.certificate_status == "ACTIVE")
        kps = [k for k in await writer.list_all("keypairs") if isinstance(k, m.Keypair)]
        deleted = next(k for k in kps if not k.certificates)
        revoke = RevokeCertificate(reason="superseded")
        await writer.execute(revoke_certificate(changed.id, "x", revoke))
        await writer.execute(delete_keypair(deleted.id, deleted.alias or ""))
        added = await create_keypair(writer, "it-cache-on-screen")
    finally:
        await writer.aclose()

    client = GatedClient(fresh_emulator.url, api_key(fresh_emulator))
    app = StmApp(session_on(client, fresh_emulator, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")  # keypairs
        await wait_until(pilot, lambda: deleted.id in top(app, ListScreen).table.visible_keys())
        assert added.id not in top(app, ListScreen).table.visible_keys()
        await wait_until(pilot, lambda: "cached · from" in freshness(app))

        client.open()
        await wait_until(pilot, lambda: added.id in top(app, ListScreen).table.visible_keys())
        await wait_until(pilot, lambda: deleted.id not in top(app, ListScreen).table.visible_keys())
        assert "it-cache-on-screen" in row_text(app, added.id)
        await wait_until(pilot, lambda: "cached" not in freshness(app))

        await pilot.press("3")  # certificates
        await wait_until(pilot, lambda: "revoked" in row_text(app, changed.id).lower())
