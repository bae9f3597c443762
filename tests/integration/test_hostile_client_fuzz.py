"""Hypothesis-generated hostile answers, served by a loopback stdlib server to the real
client, for every resource it lists (reliability checklist 12, issue 16 item 7).

Bodies: envelopes whose items carry each model's own field names with values of the wrong
type, missing, nested, huge, full of control, C1 and bidi characters, lone surrogates;
bodies that are not JSON or not UTF-8; a 5 MB body; gzip that inflates far past the limit;
a body trickled byte by byte. The client must either give typed models or raise one of its
own errors (`StmError`), nothing else, and whatever it gives must come out of the
dashboard's row and detail functions printable: no escape, control or bidi character left.
The fixed cases of each kind are in test_hostile_responses.py; this looks for the ones
nobody thought of. A longer search: `STM_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest
--timeout 0 tests/integration/test_hostile_client_fuzz.py`.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from rich.console import Console
from rich.text import Text

from stm_tui.api import errors
from stm_tui.api.client import STMClient
from stm_tui.api.resources import RESOURCES
from stm_tui.store.store import Store
from stm_tui.views.resources import VIEWS
from stm_tui.views.rows.base import Context
from tests.integration._emu import FAST
from tests.integration._hostile import HostileServer, Reply, Request

EXAMPLES = int(os.environ.get("STM_FUZZ_EXAMPLES", "60"))
KEY = SecretStr("fuzz-test-key-0123456789abcdef")
LISTED = sorted(name for name in RESOURCES if name in VIEWS)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# What must never reach a terminal: C0 controls but newline, DEL, C1, bidi controls.
FORBIDDEN = {chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n"} | {
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F]
}

HOSTILE_CHARS = st.sampled_from(
    ["\x1b", "\x1b]52;c;SGVsbG8=\x07", "\x07", "\x9b", "\x1b[2J", "\u202e", "\u2066", "\x00",
     "\ud800", "\r", "\t", "\u200f", "\x7f", "é", "漢", "🔑", "[bold]", "a"]
)
hostile_text = st.one_of(
    st.lists(HOSTILE_CHARS, max_size=12).map("".join),
    st.text(max_size=40),
    st.just("A" * 300_000),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False), hostile_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def item_of(resource: str) -> st.SearchStrategy[dict[str, Any]]:
    """Items with the model's own field names (so validation gets far), hostile values."""
    fields = sorted(RESOURCES[resource].model.model_fields)  # type: ignore[index]
    return st.fixed_dictionaries(
        {"id": st.one_of(hostile_text, st.text(min_size=1, max_size=8), st.text(min_size=1),
                         json_values)},
        # Mostly text (what a hostile name or version is), sometimes any JSON at all.
        optional={name: st.one_of(hostile_text, hostile_text, hostile_text, json_values)
                  for name in fields if name != "id"},
    )


def envelope(resource: str) -> st.SearchStrategy[bytes]:
    items = st.lists(item_of(resource), max_size=4)
    paged = RESOURCES[resource].paged  # type: ignore[index]
    single = RESOURCES[resource].single  # type: ignore[index]

    def wrap(values: list[dict[str, Any]], total: Any) -> bytes:
        if single:
            data: Any = values[0] if values else {}
        elif paged:
            data = {"total": total, "offset": 0, "limit": 100, "items": values}
        else:
            data = values
        return json.dumps(data, ensure_ascii=True).encode()

    totals = st.one_of(st.integers(min_value=0, max_value=4), json_values)
    return st.builds(wrap, items, totals)


BIG = json.dumps({"total": 1, "offset": 0, "limit": 100,
                  "items": [{"id": "big", "alias": "x" * (5 << 20)}]}).encode()
BOMB = gzip.compress(b"0" * (40 << 20), compresslevel=9)
SPECIAL = st.sampled_from(["5 MB body", "gzip bomb", "trickle", "truncated", "not utf-8"])


class Served:
    """What the loopback server answers, set per example."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.special: str | None = None

    def handle(self, request: Request) -> Reply | None:
        special = self.special
        if special == "gzip bomb":
            return Reply(200, BOMB, {"content-type": "application/json",
                                     "content-encoding": "gzip"})
        if special == "5 MB body":
            return Reply(200, BIG)
        if special == "not utf-8":
            return Reply(200, b'{"total": 1, "items": [{"id": "\xff\xfe"}]}')
        if special in ("trickle", "truncated"):
            out = request.handler
            body = self.body
            out.send_response(200)
            out.send_header("content-type", "application/json")
            out.send_header("content-length", str(len(body) + (50 if special == "truncated"
                                                                 else 0)))
            out.end_headers()
            try:
                if special == "truncated":
                    out.wfile.write(body)
                else:
                    for byte in body[:40]:
                        out.wfile.write(bytes([byte]))
                        out.wfile.flush()
                        time.sleep(0.05)
            except OSError:
                pass
            return None
        return Reply(200, self.body)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[HostileServer, Served]]:
    answers = Served()
    server = HostileServer(answers.handle).start()
    try:
        yield server, answers
    finally:
        server.stop()


def shown(renderable: Any) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def cell_text(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


async def fetch(url: str, resource: str) -> list[Any]:
    # A short deadline so a trickle ends in the test's time; 8 MB so 5 MB is parsed.
    async with STMClient(url, KEY, retry=FAST, deadline=1.0, max_body_bytes=8 << 20) as c:
        return await c.list_all(resource)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_answers_give_models_or_typed_errors_and_print_clean(
    served: tuple[HostileServer, Served], data: st.DataObject
) -> None:
    server, answers = served
    resource = data.draw(st.sampled_from(LISTED), label="resource")
    plain = st.none()
    answers.special = data.draw(st.one_of(plain, plain, plain, plain, SPECIAL), label="special")
    answers.body = data.draw(
        st.one_of(envelope(resource), envelope(resource), envelope(resource),
                  st.binary(max_size=64), json_values.map(lambda v: json.dumps(v).encode())),
        label="body",
    )
    try:
        items = asyncio.run(fetch(server.url, resource))
    except errors.StmError as exc:
        event(f"refused: {exc.kind}")
        return  # typed: the dashboard shows it as the area's error and keeps its data
    event("parsed" if items else "parsed, empty")
    view = VIEWS[resource]
    ctx = Context(store=Store(), now=NOW)
    for item in items:
        if view.row is not None:
            for cell in view.row(item, ctx).cells:
                text = cell_text(cell)
                assert not FORBIDDEN & set(text), (resource, text[:200])
        if view.detail is not None:
            out = shown(view.detail(item, ctx))
            assert not FORBIDDEN & set(out.replace("\n", "")), (resource, out[:400])
