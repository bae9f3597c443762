"""Keys first (stm_tui/priority.py): after a key, background work steps aside a little per
item, never for longer, and only off the event loop's thread."""

from __future__ import annotations

import json
import threading

import pytest

from stm_tui import priority
from stm_tui.api import item_pages
from stm_tui.api import models as m


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("stm_tui.priority.time.sleep", slept.append)
    monkeypatch.setattr(priority, "_busy_until", 0.0)
    return slept


def test_nothing_waits_without_a_key(sleeps: list[float]) -> None:
    assert not priority.input_recent()
    priority.step_aside()
    assert sleeps == []


def test_after_a_key_each_step_is_one_short_pause_not_a_wait(sleeps: list[float]) -> None:
    priority.note_input()
    assert priority.input_recent()
    for _ in range(3):
        priority.step_aside()
    assert sleeps == [priority.PAUSE] * 3


def _page(n: int) -> bytes:
    items = [{"id": f"c-{i}", "alias": f"a{i}"} for i in range(n)]
    return json.dumps({"total": n, "offset": 0, "limit": 100, "items": items}).encode()


def test_a_page_parsed_on_a_worker_steps_aside_per_item_and_on_the_loop_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps: list[str] = []
    monkeypatch.setattr(priority, "step_aside", lambda: steps.append("step"))
    content = _page(20)
    on_loop = item_pages.parse_page_split(m.Certificate, content, item_pages.Interner())
    assert on_loop is not None and steps == []

    def parse() -> None:
        item_pages.parse_page_split(m.Certificate, content, item_pages.Interner())

    worker = threading.Thread(target=parse)
    worker.start()
    worker.join()
    assert steps == ["step"] * 20
