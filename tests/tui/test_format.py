"""The formatting helpers, table by table: what a user reads in every list and detail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from stm_tui.views import format as f
from stm_tui.views.severity import SEVERITIES

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0, "0 s"), (45, "45 s"), (59, "59 s"), (60, "1 m"), (3599, "59 m"), (3600, "1 h"),
        (47 * 3600, "47 h"), (48 * 3600, "2 d"), (10 * 86400 + 5, "10 d"), (-90, "1 m"),
    ],
)
def test_short_span_uses_the_largest_sensible_unit(seconds: int, shown: str) -> None:
    assert f.short_span(timedelta(seconds=seconds)) == shown


@pytest.mark.parametrize(
    "moment, relative, ago",
    [
        (None, "-", "never"),
        (NOW + timedelta(days=3), "in 3 d", "just now"),
        (NOW - timedelta(hours=2), "2 h ago", "2 h ago"),
        (NOW, "in 0 s", "0 s ago"),
    ],
)
def test_relative_and_ago(moment: datetime | None, relative: str, ago: str) -> None:
    assert f.relative(moment, NOW) == relative
    assert f.ago(moment, NOW) == ago


@pytest.mark.parametrize(
    "days, label, style",
    [
        (None, "-", ""), (-3, "3 d ago", "bold red"), (0, "0 d", "red"), (7, "7 d", "red"),
        (8, "8 d", "yellow"), (30, "30 d", "yellow"), (31, "31 d", ""),
    ],
)
def test_days_left_turns_red_in_the_last_week(days: int | None, label: str, style: str) -> None:
    cell = f.days_left(days)
    assert (cell.plain, str(cell.style)) == (label, style)


@pytest.mark.parametrize(
    "dn, common_name",
    [
        ("CN=Build Signer, O=Acme", "Build Signer"),
        ("O=Acme, cn=lower case", "lower case"),
        ("O=Acme, C=GB", "O=Acme, C=GB"),  # no CN: the whole name
        ("CN=", "CN="),
        (None, "-"),
        ("", "-"),
    ],
)
def test_cn_picks_the_common_name(dn: str | None, common_name: str) -> None:
    assert f.cn(dn) == common_name


def ref(**fields: str | None) -> SimpleNamespace:
    return SimpleNamespace(**{"name": None, "alias": None, "id": None, **fields})


@pytest.mark.parametrize(
    "refs, attr, limit, shown",
    [
        ([], "name", 3, "-"),
        ([ref(name="Desktop"), ref(name="Mobile")], "name", 3, "Desktop, Mobile"),
        ([ref(alias="build-key")], "alias", 3, "build-key"),
        ([ref(id="t-1")], "name", 3, "t-1"),  # no name: the id
        ([ref(name=n) for n in "abcde"], "name", 3, "a, b, c +2"),
        ([ref(name="x\x1b]52;c;"), ref(name=None)], "name", 3, "x\u241b]52;c;"),
    ],
)
def test_names_lists_references_cleaned_and_bounded(
    refs: list[SimpleNamespace], attr: str, limit: int, shown: str
) -> None:
    assert f.names(refs, attr, limit=limit) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        (None, "-"),
        ("", "-"),
        ("[bold]not markup[/]", "[bold]not markup[/]"),
        ("two\nlines", "two lines"),
        ("bell\x07", "bell\u2407"),
        (42, "42"),
    ],
)
def test_text_shows_server_text_literally_on_one_line(value: object, shown: str) -> None:
    cell = f.text(value)
    assert cell.plain == shown and not cell.spans


def test_text_and_block_are_bounded_and_say_how_much_is_cut() -> None:
    cut = f.text("x" * 10_000, limit=50).plain
    assert cut == "x" * 50 + "… (9,950 more characters)"
    block = f.block("line\n" * 5000).plain
    assert block.startswith("line\nline\n") and block.endswith("(22,952 more characters)")
    assert len(block) < f.DETAIL_LIMIT + 40


@pytest.mark.parametrize(
    "value, status_style, severity_style",
    [
        ("ACTIVE", "green", ""),
        ("revoked", "red", ""),
        ("CRITICAL", "", "bold red"),
        ("low", "", "cyan"),
        ("SOMETHING NEW", "", ""),
        (None, "", ""),
    ],
)
def test_status_and_severity_styles_ignore_case_and_unknown_values(
    value: str | None, status_style: str, severity_style: str
) -> None:
    assert str(f.status(value).style) == status_style
    assert str(f.severity(value).style) == severity_style
    assert f.status(value).plain == (value or "-")


def test_every_severity_has_a_style() -> None:
    assert list(f.SEVERITY_STYLE) == list(SEVERITIES)


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    f.set_time_zone(None)
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("kolkata")
@pytest.mark.parametrize(
    "zone, shown, label",
    [
        (None, "2026-11-27 12:00", "UTC"),
        ("utc", "2026-11-27 12:00", "UTC"),
        (" Local ", "2026-11-27 17:30", "IST"),
    ],
)
def test_times_are_utc_unless_local_time_was_asked_for(
    zone: str | None, shown: str, label: str
) -> None:
    f.set_time_zone(zone)
    assert f.dt(NOW) == shown
    assert f.dt(NOW, zone=True) == f"{shown} {label}"
    assert f.zone_label() == label
    assert f.time_zone() == ("local" if label != "UTC" else "utc")
    assert f.dt(None) == "-"


@pytest.mark.parametrize("zone", ["utc", "local"])
@pytest.mark.parametrize("moment", [
    datetime(2026, 11, 27, 12, 5, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-11))),
    datetime(999, 1, 1, 0, 0, tzinfo=UTC),  # a short year: the platform's own way
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
])
def test_a_time_shows_as_strftime_shows_it(zone: str, moment: datetime) -> None:
    f.set_time_zone(zone)
    try:
        shown = moment.astimezone() if zone == "local" else moment.astimezone(UTC)
        assert f.dt(moment) == shown.strftime("%Y-%m-%d %H:%M")
    finally:
        f.set_time_zone("utc")
