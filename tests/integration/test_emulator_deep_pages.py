"""Deep pages (past DEEP_OFFSET) come from a cached row order: same items, same order,
and a write between pages is seen by the next page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stm_tui.emulator.context import DEEP_OFFSET
from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM, api_client, frozen_clock


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = EmulatorServer(
        data_dir=Path(tmp_path_factory.mktemp("scaled")),
        seed=f"scale:{DEEP_OFFSET + 500}",
        clock=frozen_clock,
    )
    with server:
        yield server


def _walk(server: EmulatorServer, step: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    with api_client(server) as http:
        offset = 0
        while True:
            body = http.get(f"{STM}/certificates", params={"limit": step, "offset": offset}).json()
            items.extend(body["items"])
            offset += step
            if offset >= body["total"]:
                return items


def test_every_certificate_once_in_created_order_across_shallow_and_deep_pages(
    scaled: EmulatorServer,
) -> None:
    items = _walk(scaled, 100)
    ids = [str(i["id"]) for i in items]
    assert len(ids) > DEEP_OFFSET
    assert len(set(ids)) == len(ids)
    keys = [(str(i["created_on"]), str(i["id"])) for i in items]
    assert keys == sorted(keys)
    # Pages of another size cut the same order at other places.
    assert [str(i["id"]) for i in _walk(scaled, 37)] == ids


def test_a_write_between_pages_shows_on_the_next_deep_page(scaled: EmulatorServer) -> None:
    with api_client(scaled) as http:
        page = http.get(f"{STM}/certificates", params={"limit": 5, "offset": DEEP_OFFSET}).json()
        target = page["items"][0]
        assert target["certificate_status"] != "REVOKED"
        revoked = http.post(
            f"{STM}/certificates/{target['id']}/revoke", json={"reason": "superseded"}
        )
        assert revoked.status_code == 200
        again = http.get(f"{STM}/certificates", params={"limit": 5, "offset": DEEP_OFFSET}).json()
    assert again["items"][0]["id"] == target["id"]
    assert again["items"][0]["certificate_status"] == "REVOKED"
