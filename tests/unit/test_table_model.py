"""TableModel: the filter grammar, filter and sort results at 100,000 rows, keyed diffs."""

from __future__ import annotations

import random

import pytest
from rich.text import Text

from stm_tui.views.table_model import (
    Column,
    Row,
    TableModel,
    Term,
    layout_columns,
)

COLUMNS = [
    Column("alias", "Alias"),
    Column("status", "Status", width=8),
    Column("subject", "Subject", priority=2),
    Column("days", "Days left", width=5, align="right", priority=1),
]
STATUSES = ("active", "revoked", "expired", "pending")


def cert_row(i: int, status: str | None = None, days: int | None = None) -> Row:
    day_count = (i * 7919) % 1000 - 300 if days is None else days
    return Row(
        key=f"id-{i}",
        cells=(
            f"cert-{i:06d}",
            status or STATUSES[i % 4],
            f"CN=host{i % 977}.example.com [unit {i % 13}]",
            str(day_count),
        ),
        sort_keys=(f"cert-{i:06d}", status or STATUSES[i % 4], f"host{i % 977}", day_count),
    )


@pytest.fixture(scope="module")
def big_rows() -> list[Row]:
    return [cert_row(i) for i in range(100_000)]


def model_with(rows: list[Row]) -> TableModel:
    model = TableModel(COLUMNS)
    model.set_rows(rows)
    return model


# -- the grammar -----------------------------------------------------------------------------


def test_bare_terms_are_lowercased_substrings_over_any_column() -> None:
    parsed = TableModel(COLUMNS).parse_query("  Web   PROD ")
    assert parsed.terms == (Term("web"), Term("prod"))
    assert parsed.error is None


def test_field_value_matches_column_key_or_title_case_insensitively() -> None:
    model = TableModel(COLUMNS)
    assert model.parse_query("STATUS:Active").terms == (Term("active", column=1),)
    assert model.parse_query('"days left":3').terms == (Term("3", column=3),)


def test_bang_inverts_a_term() -> None:
    model = TableModel(COLUMNS)
    assert model.parse_query("!revoked !status:active").terms == (
        Term("revoked", negate=True),
        Term("active", column=1, negate=True),
    )


def test_quotes_group_words_and_make_colons_literal() -> None:
    model = TableModel(COLUMNS)
    assert model.parse_query('"unit 3]" subject:"host1.example"').terms == (
        Term("unit 3]"),
        Term("host1.example", column=2),
    )
    assert model.parse_query('"a:b"').terms == (Term("a:b"),)


def test_unknown_field_is_an_error_and_matches_nothing() -> None:
    model = model_with([cert_row(i) for i in range(10)])
    parsed = model.parse_query("colour:red")
    assert parsed.error is not None and "colour" in parsed.error
    model.set_filter("colour:red")
    assert model.view == []
    assert model.query_error == parsed.error


def test_terms_still_being_typed_are_ignored() -> None:
    model = TableModel(COLUMNS)
    assert model.parse_query('! status: "').terms == ()
    assert model.parse_query('! status: "').error is None


# -- filter and sort at scale ----------------------------------------------------------------


def test_filter_on_100k_rows_matches_a_plain_scan(big_rows: list[Row]) -> None:
    model = model_with(big_rows)
    model.set_filter("status:revoked unit !host1")
    expected = [
        r.key
        for r in big_rows
        if "revoked" in r.cells[1]
        and any("unit" in str(c).lower() for c in r.cells)
        and not any("host1" in str(c).lower() for c in r.cells)
    ]
    assert model.view == expected
    assert 0 < model.row_count < model.total_count == 100_000


def test_typing_narrows_and_deleting_widens_again(big_rows: list[Row]) -> None:
    model = model_with(big_rows)
    model.sort_by("days", reverse=True)
    for query in ("r", "re", "rev", "revo", "rev", ""):
        model.set_filter(query)
        fresh = model_with(big_rows)
        fresh.sort_by("days", reverse=True)
        fresh.set_filter(query)
        assert model.view == fresh.view, query
    assert model.row_count == 100_000


def test_sort_on_100k_rows_uses_sort_keys_both_directions(big_rows: list[Row]) -> None:
    model = model_with(big_rows)
    model.sort_by("days")
    days = [model.row(k).sort_keys[3] for k in model.view]  # type: ignore[index]
    assert days == sorted(days)
    model.sort_by("days", reverse=True)
    assert [model.row(k).sort_keys[3] for k in model.view] == sorted(days, reverse=True)  # type: ignore[index]
    assert model.sort_column == "days" and model.sort_reverse


def test_default_sort_key_is_the_cells_plain_text_ignoring_case() -> None:
    rows = [
        Row("a", (Text("beta", style="bold"), "x", "y", "1")),
        Row("b", ("Alpha", "x", "y", "2")),
        Row("c", ("gamma", "x", "y", "3")),
    ]
    model = model_with(rows)
    model.sort_by("alias")
    assert model.view == ["b", "a", "c"]
    model.sort_by(None)
    assert model.view == ["a", "b", "c"]


def test_sort_survives_keys_of_mixed_types() -> None:
    rows = [
        Row(str(i), ("x", "y", "z", "w"), sort_keys=(None, None, None, v))
        for i, v in enumerate([3, None, 1, "n/a", 2])
    ]
    model = model_with(rows)
    model.sort_by("days")
    assert model.view == ["2", "4", "0", "3", "1"]  # numbers, then text, then None


def test_equal_sort_values_are_ordered_by_key() -> None:
    rows = [Row(k, ("same", "x", "y", "1")) for k in ("b", "c", "a")]
    model = model_with(rows)
    model.sort_by("alias")
    assert model.view == ["a", "b", "c"]


# -- keyed diffs -----------------------------------------------------------------------------


def test_identical_diff_changes_nothing() -> None:
    model = model_with([cert_row(i) for i in range(100)])
    result = model.apply_diff([cert_row(i) for i in range(50)], ["no-such-key"])
    assert not result.changed and not result.view_changed


def test_diff_reports_changed_keys_and_keeps_view_in_sort_order() -> None:
    model = model_with([cert_row(i) for i in range(100)])
    model.sort_by("days")
    result = model.apply_diff([cert_row(5, days=-999), cert_row(1000, days=5000)], ["id-7"])
    assert result.changed == {"id-5", "id-1000", "id-7"}
    assert result.view_changed
    assert model.view[0] == "id-5" and model.view[-1] == "id-1000"
    assert "id-7" not in model.view


def _random_diffs_match_a_fresh_model(
    sort: tuple[str, bool] | None,
    query: str,
    *,
    seed: int,
    start: int,
    ids: int,
    rounds: int,
    upserts_per_diff: tuple[int, int],
    removals_per_diff: tuple[int, int],
) -> None:
    """Apply random diffs; after each, the view is exactly a fresh model's of the same rows."""
    rng = random.Random(seed)
    # Unique days per row so the expected order has no ties to disagree on.
    days = rng.sample(range(100_000), start + rounds * upserts_per_diff[1])
    rows = {i: cert_row(i, days=days[i]) for i in range(start)}
    model = model_with(list(rows.values()))
    model.set_filter(query)
    if sort:
        model.sort_by(*sort)
    next_day = start
    for _ in range(rounds):
        upserts, removed = [], []
        for _ in range(rng.randint(*upserts_per_diff)):
            i = rng.randrange(ids)
            rows[i] = cert_row(i, status=rng.choice(STATUSES), days=days[next_day])
            next_day += 1
            upserts.append(rows[i])
        for _ in range(rng.randint(*removals_per_diff)):
            i = rng.randrange(ids)
            if i in rows and rows[i] not in upserts:
                del rows[i]
                removed.append(f"id-{i}")
        model.apply_diff(upserts, removed)
        fresh = model_with(list(model.rows()))
        fresh.set_filter(query)
        if sort:
            fresh.sort_by(*sort)
        assert model.view == fresh.view
        assert set(model.rows()) == set(rows.values())


@pytest.mark.parametrize("sort", [None, ("days", False), ("status", True)])
@pytest.mark.parametrize("query", ["", "status:active", "!revoked 1"])
def test_random_diffs_give_the_same_view_as_a_fresh_model(
    sort: tuple[str, bool] | None, query: str
) -> None:
    _random_diffs_match_a_fresh_model(
        sort, query, seed=7, start=300, ids=400, rounds=40,
        upserts_per_diff=(0, 6), removals_per_diff=(0, 3),
    )


@pytest.mark.parametrize("sort", [None, ("days", False), ("status", True)])
@pytest.mark.parametrize("query", ["", "status:active"])
def test_large_batches_are_merged_into_the_view_exactly_where_a_full_sort_puts_them(
    sort: tuple[str, bool] | None, query: str
) -> None:
    # Batches as a large list arrives: hundreds of new rows, some changed, a few gone.
    _random_diffs_match_a_fresh_model(
        sort, query, seed=11, start=500, ids=4000, rounds=12,
        upserts_per_diff=(100, 800), removals_per_diff=(0, 40),
    )


def test_wrong_cell_count_is_refused() -> None:
    with pytest.raises(ValueError, match="cells"):
        model_with([Row("x", ("only one",))])


# -- column layout ---------------------------------------------------------------------------


def test_layout_drops_highest_priority_numbers_first() -> None:
    contents = [10, 8, 60, 9]
    wide = layout_columns(COLUMNS, contents, 120)
    assert [p.index for p in wide] == [0, 1, 2, 3]
    assert sum(p.width for p in wide) + 3 == 120  # spare width goes to width=0 columns
    narrow = layout_columns(COLUMNS, contents, 20)
    assert [p.index for p in narrow] == [0, 1, 3]  # subject (priority 2) went first
    tiny = layout_columns(COLUMNS, contents, 13)
    assert [p.index for p in tiny] == [0, 1]
    assert [p.index for p in layout_columns(COLUMNS, contents, 12)] == [0]


@pytest.mark.parametrize("prepared", [False, True])
def test_search_text_built_late_still_sees_every_diff(prepared: bool) -> None:
    # The search text is built after the first frame (or on the first filter): diffs that
    # arrive before or after that must all be searchable.
    model = TableModel(COLUMNS)
    model.set_rows([cert_row(i, status="active") for i in range(50)])
    if prepared:
        model.prepare_search()
    model.apply_diff([cert_row(7, status="revoked"), cert_row(99, status="revoked")], ["id-3"])
    model.set_filter("revoked")
    assert sorted(model.view) == ["id-7", "id-99"]
    model.set_filter("cert-00000")  # cert-000000 .. cert-000009, less the removed one
    assert sorted(model.view) == sorted(f"id-{i}" for i in range(10) if i != 3)
