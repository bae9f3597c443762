"""The freshness line says when polling stopped on a permission error, without a countdown
(issue 8 item 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stm_tui.store.store import Freshness, Status
from stm_tui.views.freshness import describe

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("permission", "scans: no permission · r retries"),
        ("auth", "scans: authentication failed · r retries"),
        ("second_factor", "scans: second factor missing · r retries"),
    ],
)
def test_a_stopped_resource_says_why_and_how_to_retry(kind: str, words: str) -> None:
    status = Status("scans", Freshness.ERROR, 15.0, error_kind=kind, error_message="x")
    text = describe([status], NOW).plain
    assert words in text
    assert "retry in" not in text


def test_a_transient_error_still_counts_down() -> None:
    status = Status(
        "releases",
        Freshness.ERROR,
        2.0,
        error_kind="bad_response",
        error_message="x",
        next_try=NOW + timedelta(seconds=2),
    )
    text = describe([status], NOW).plain
    assert "releases: bad response · retry in 2 s" in text


def test_data_from_the_local_cache_says_so_and_how_old_it_is() -> None:
    status = Status("certificates", Freshness.STALE, 30.0,
                    last_ok=NOW - timedelta(hours=3), cached=True)
    assert describe([status], NOW).plain == "◷ cached · from 3 h ago · refreshing…"
    refreshed = Status("certificates", Freshness.STALE, 30.0, last_ok=NOW - timedelta(hours=3))
    assert "cached" not in describe([refreshed], NOW).plain
