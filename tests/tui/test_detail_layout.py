"""How details and lists read: quota urgency, hanging indents, ids and fingerprints broken
only between groups, columns that stay put, revoked certificates and time zones."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console, Group
from rich.style import Style
from rich.text import Text

from stm_tui.api import models as m
from stm_tui.store.store import Store
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from stm_tui.tui.widgets.resource_table import ResourceTable
from stm_tui.views import details, triage
from stm_tui.views import format as f
from stm_tui.views.resources import VIEWS, view_of
from stm_tui.views.rows import Context
from stm_tui.views.rows.activity import signatures_used
from stm_tui.views.table_model import Column, Row, layout_columns
from tests.tui.conftest import FROZEN, loaded

NOW = FROZEN


def render(renderable: Any, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def ctx(store: Store | None = None) -> Context:
    return Context(store=store or Store(), now=NOW)


def list_row(resource: str, item: Any) -> Row:
    view = view_of(resource)
    assert view is not None and view.row is not None
    return view.row(item, ctx())


def release(used: int, limit: int | None, **kw: Any) -> m.ReleaseWindow:
    return m.ReleaseWindow.model_validate(
        {
            "id": f"r-{used}",
            "name": f"rel-{used}",
            "status": "OPEN",
            "signature_count": used,
            "max_signatures": limit,
            **kw,
        }
    )


@pytest.fixture
def utc_again() -> Iterator[None]:
    yield
    f.set_time_zone("utc")


# -- 21: a used-up quota looks urgent --------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "limit", "colour"),
    [(12, 40, None), (32, 40, "yellow"), (39, 40, "yellow"), (40, 40, "red"), (41, 40, "red")],
)
def test_signature_quota_is_amber_from_80_percent_and_red_when_used_up(
    used: int, limit: int, colour: str | None
) -> None:
    r = release(used, limit)
    cell = signatures_used(r)
    style = Style.parse(str(cell.style)) if cell.style else Style()
    assert (style.color.name if style.color else None) == colour
    # The list row and the detail carry the same styled cell.
    row = list_row("releases", r)
    list_cell = next(c for c in row.cells if isinstance(c, Text) and c.plain == f"{used}/{limit}")
    assert list_cell.style == cell.style
    detail = details.release_detail(r, ctx())
    assert f"{used}/{limit}" in "\n".join(render(detail, 80))
    if used >= limit:
        assert style.bold  # used up: the most urgent look there is


def test_the_overview_line_of_an_open_release_keeps_the_quota_colour() -> None:
    (line,) = triage.releases([release(40, 40, end_time="2026-11-28T12:00:00Z")], NOW)
    quota = [span for span in line.detail.spans
             if line.detail.plain[span.start : span.end] == "40/40"]
    assert quota and "red" in str(quota[0].style)


# -- 23: wrapping ------------------------------------------------------------------------------


def test_a_long_finding_description_wraps_under_itself() -> None:
    scan = m.Scan.model_validate(
        {
            "id": "s-1",
            "alias": "scan",
            "status": "FAIL",
            "findings": [
                {
                    "severity": "HIGH",
                    "title": "Hard-coded secret",
                    "category": "secrets",
                    "detail": "word " * 60,
                }
            ],
        }
    )
    lines = render(Group(*details.findings_by_severity(scan)), 50)
    body = [line for line in lines if "word" in line]
    assert len(body) > 3
    assert all(line.startswith("    word") for line in body)


def test_ids_and_fingerprints_break_only_between_groups() -> None:
    kp = m.Keypair.model_validate(
        {
            "id": "3f2a9c01-7b2e-4c1d-9e8f-0123456789ab",
            "alias": "kp",
            "public_key": base64.b64encode(b"\x01" * 64).decode(),
        }
    )
    fingerprint = kp.public_key_fingerprint
    assert fingerprint is not None
    groups = set(fingerprint.split(":"))
    for width in (40, 52, 70):
        lines = render(details.keypair_detail(kp, ctx()), width)
        text = "\n".join(lines)
        # Rebuild the fingerprint from the lines it spans: each piece ends on a separator.
        pieces = [ln.split()[-1] for ln in lines if re.search(r"[0-9A-F]{2}:[0-9A-F]{2}", ln)]
        assert "".join(pieces) == fingerprint, (width, text)
        assert all(p.endswith(":") for p in pieces[:-1])
        assert all(set(p.strip(":").split(":")) <= groups for p in pieces)
        id_lines = [ln for ln in lines if "3f2a9c01" in ln or "0123456789ab" in ln]
        assert "".join(ln.split()[-1] for ln in id_lines) == kp.id


def test_detail_columns_stay_put_when_rows_change() -> None:
    store = Store()
    r = release(2, 40, id="r-1")

    def sig(n: int, user: str) -> m.Signature:
        return m.Signature.model_validate(
            {
                "id": f"sig-{n}",
                "release": {"id": "r-1", "name": "rel"},
                "user": {"id": f"u-{n}", "name": user},
                "keypair": {"id": "k", "alias": "kp"},
                "status": "SUCCESS",
                "sig_alg": "SHA256withRSA",
                "created_on": (NOW - timedelta(minutes=n)).isoformat(),
            }
        )

    store.replace_all("signatures", [sig(1, "al")])
    before = render(details.release_detail(r, ctx(store)), 90)
    store.replace_all("signatures", [sig(1, "al"), sig(2, "a much longer user name here")])
    after = render(details.release_detail(r, ctx(store)), 90)

    def header(lines: list[str]) -> str:
        return next(line for line in lines if "Status" in line and "Algorithm" in line)

    assert header(before).index("Status") == header(after).index("Status")
    assert header(before).index("Algorithm") == header(after).index("Algorithm")


async def test_the_detail_pane_keeps_room_for_its_scrollbar(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("4", "enter")
        pane = app.screen.query_one(DetailPane)
        assert pane.styles.scrollbar_gutter == "stable"


# -- 26: revoked certificates and time zones ---------------------------------------------------


def revoked_cert() -> m.Certificate:
    return m.Certificate.model_validate(
        {
            "id": "c-1",
            "alias": "old-cert",
            "certificate_status": "REVOKED",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2027-01-01T00:00:00Z",
            "revoked_on": "2026-06-01T00:00:00Z",
        }
    )


def test_a_revoked_certificate_says_revoked_not_days_left() -> None:
    c = revoked_cert()
    row = list_row("certificates", c)
    left = row.cells[[col.key for col in VIEWS["certificates"].columns].index("days")]
    assert isinstance(left, Text) and left.plain == "revoked"
    text = "\n".join(render(details.certificate_detail(c, ctx()), 100))
    assert "revoked" in text and " d" not in text.split("days left", 1)[1].splitlines()[0]


def test_times_say_utc_and_follow_local_time_when_asked(
    monkeypatch: pytest.MonkeyPatch, utc_again: None
) -> None:
    moment = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert f.dt(moment, zone=True) == "2026-11-27 12:00 UTC"
    text = "\n".join(render(details.certificate_detail(revoked_cert(), ctx()), 100))
    assert "2027-01-01 00:00 UTC" in text
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        f.set_time_zone("local")
        assert f.dt(moment, zone=True) == "2026-11-27 17:30 IST"
        assert f.zone_label(moment) == "IST"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_list_headers_name_the_time_zone(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("4")
        await pilot.pause()
        header = app.screen.query_one(ResourceTable).render_line(0).text
        assert "Start UTC" in header or "End UTC" in header


# -- 22: names get the width ------------------------------------------------------------------


def test_a_column_with_one_value_on_every_row_gives_its_width_to_the_names() -> None:
    columns = [
        Column("name", "Name", min_width=10),
        Column("issuer", "Issuer", min_width=10),
        Column("status", "Status", width=8),
    ]
    contents = [30, 30, 8]
    plain = {p.index: p.width for p in layout_columns(columns, contents, 29)}
    shrunk = {
        p.index: p.width for p in layout_columns(columns, contents, 29, uniform=frozenset({1}))
    }
    assert 1 in plain and 2 not in plain  # without the hint the status would go
    assert 1 not in shrunk and 2 in shrunk  # the column that tells nothing goes instead
    assert shrunk[0] > plain[0]


def test_a_name_column_keeps_its_content_width_before_other_columns() -> None:
    columns = [
        Column("name", "Name", min_width=10, whole=True),
        Column("extra", "Extra", min_width=10, priority=1),
        Column("status", "Status", width=8),
    ]
    placed = {p.index: p.width for p in layout_columns(columns, [26, 30, 8], 40)}
    assert placed[0] >= 26 and 1 not in placed


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_certificate_names_are_shown_whole(
    app_factory: Callable[..., StmApp], size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListScreen)
        table = screen.table
        store = app.session.store.collection("certificates")
        shown = [table.render_line(y).text for y in range(1, table.size.height)]
        aliases = [store.items[k].alias for k in table.visible_keys()[: len(shown)]]
        for line, alias in zip(shown, aliases, strict=False):
            assert line.startswith(f" {alias} "), (line, alias)


async def test_statuses_are_coloured_in_lists_too(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("3", "j")  # the cursor off the first row, whose colours it owns
        await pilot.pause()
        table = app.screen.query_one(ResourceTable)
        first = table.render_line(1)  # the soonest expiry: an EXPIRED certificate
        colours = {
            seg.style.color.name
            for seg in first
            if seg.style is not None and seg.style.color is not None and "EXPIRED" in seg.text
        }
        assert "red" in colours
