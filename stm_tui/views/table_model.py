"""The data side of `ResourceTable`: rows by key, the filter grammar, sort and the view index.

Pure Python (no Textual import) so it can be tested and benchmarked on its own. Everything that
costs per row is computed once, when a row is set: the lowercased search text at `set_rows` /
`apply_diff` time, sort keys and per-column text lazily on the first sort or `field:` filter
that needs them, then kept up to date by key. A filter keystroke or a sort is then one scan or
one `list.sort` over precomputed values.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, Literal, NamedTuple

from rich.text import Text

from stm_tui.memory import gc_paused as gc_paused  # the one GC policy; row_cache uses it too

Cell = str | Text
"""A table cell. A `str` is ALWAYS plain text (server data), never parsed as Rich markup."""

# Above this many rows entering the view at once, they are merged in one sort (`_merge`).
_INSERT_ONE_BY_ONE = 32
_SEPARATOR = "\n"  # between columns in the search text; a term can never contain it
_RECORD = "\x00"  # between rows while lowercasing them all at once


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int = 0
    """Preferred width in cells; 0 = size to content (sampled) and take the spare width."""
    min_width: int = 4
    align: Literal["left", "right"] = "left"
    priority: int = 0
    """When the terminal is narrow, higher priority numbers are dropped first."""
    zone: bool = False
    """A column of times: its header names the time zone they are shown in (`Start UTC`)."""
    whole: bool = False
    """A name: it needs its content's width (up to `WHOLE_CAP`), so a narrow terminal drops
    lower-priority columns before it cuts names into look-alikes (`mobile-andro…`)."""
    cli: str = ""
    """The heading `stm-tui get -o table` prints for it; default: the title in capitals."""

    @property
    def heading(self) -> str:
        return self.cli or self.title.upper()


class Row(NamedTuple):
    """One table row. A NamedTuple: 100,000 of them are built per full load, and a tuple is
    cheaper to create than a frozen dataclass (README, Performance notes)."""

    key: str
    cells: tuple[Cell, ...]
    # Per column; default: the lowercased plain text of the cell.
    sort_keys: tuple[Any, ...] | None = None
    # Optional Rich style for the whole row (e.g. "red" for expired).
    style: str | None = None


_CELLS = attrgetter("cells")
_SORT_KEYS = attrgetter("sort_keys")


def plain(cell: Cell) -> str:
    """The plain text of a cell."""
    return cell if isinstance(cell, str) else cell.plain


@dataclass(frozen=True, slots=True)
class Term:
    """One filter term: `needle` (lowercased) must (or, negated, must not) occur."""

    needle: str
    column: int | None = None
    """Column index for `field:value` terms; None = any column."""
    negate: bool = False
    matches_nothing: bool = False
    """Set for a term naming an unknown field."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...] = ()
    error: str | None = None
    """A message for the UI (e.g. "unknown field 'foo'"); the query still applies."""


@dataclass(frozen=True, slots=True)
class DiffResult:
    """What an `apply_diff` actually changed."""

    changed: frozenset[str] = field(default_factory=frozenset)
    """Keys whose row was added, replaced by a different row, or removed."""
    view_changed: bool = False
    """The visible view (membership or order) changed."""


def _tokenize(query: str) -> list[tuple[bool, str | None, str]]:
    """Split a query into (negate, field, value) tokens; double quotes group words.

    An unterminated quote runs to the end (the user is still typing). A `:` or `!` inside
    quotes is literal, so `"a:b"` is a plain substring.
    """
    tokens: list[tuple[bool, str | None, str]] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        negate = query[i] == "!"
        if negate:
            i += 1
        name: str | None = None
        buf: list[str] = []
        quoted = False
        while i < n:
            char = query[i]
            if char == '"':
                quoted = not quoted
            elif not quoted and char.isspace():
                break
            elif not quoted and char == ":" and name is None and buf:
                name = "".join(buf)
                buf = []
            else:
                buf.append(char)
            i += 1
        tokens.append((negate, name, "".join(buf)))
    return tokens


class TableModel:
    """Rows by key, the filter query, sort column/direction and the visible view (keys)."""

    def __init__(self, columns: Sequence[Column]) -> None:
        if not columns:
            raise ValueError("a table needs at least one column")
        self.columns: tuple[Column, ...] = tuple(columns)
        self._field_index: dict[str, int] = {}
        for index, column in enumerate(self.columns):
            self._field_index.setdefault(column.key.lower(), index)
            self._field_index.setdefault(column.title.lower(), index)
        self._rows: dict[str, Row] = {}
        # Built on first need (a filter) or by `prepare_search` once the first frame is out.
        self._search: dict[str, str] | None = {}
        # Lazily built per column, then maintained by key: lowercased text / sort keys.
        self._column_text: dict[int, dict[str, str]] = {}
        self._sort_keys: dict[int, dict[str, tuple[Any, str]]] = {}
        self._mixed_sort: set[int] = set()  # columns whose keys needed type-ranking to compare
        self._query = ""
        self._parsed = ParsedQuery()
        self._sort_column: int | None = None
        self._sort_reverse = False
        self._view: list[str] = []

    # -- reading ---------------------------------------------------------------------------

    @property
    def view(self) -> list[str]:
        """The filtered and sorted keys. Do not mutate it."""
        return self._view

    @property
    def total_count(self) -> int:
        return len(self._rows)

    @property
    def row_count(self) -> int:
        return len(self._view)

    @property
    def query(self) -> str:
        return self._query

    @property
    def query_error(self) -> str | None:
        return self._parsed.error

    @property
    def sort_column(self) -> str | None:
        return None if self._sort_column is None else self.columns[self._sort_column].key

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, key: str) -> Row:
        return self._rows[key]

    def rows(self) -> Iterable[Row]:
        return self._rows.values()

    def index_of(self, key: str, hint: int | None = None) -> int | None:
        """Position of `key` in the view; `hint` (a likely index) makes the common case O(1)."""
        view = self._view
        if hint is not None and 0 <= hint < len(view) and view[hint] == key:
            return hint
        if key not in self._rows:
            return None
        try:
            return view.index(key)
        except ValueError:
            return None

    def column_index(self, column_key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == column_key:
                return index
        raise KeyError(column_key)

    # -- the filter grammar ----------------------------------------------------------------

    def parse_query(self, query: str) -> ParsedQuery:
        """Parse a `/` filter: AND of terms; `field:value`; `!` inverts; quotes group.

        Terms still being typed (`!`, `status:`) are ignored rather than reported.
        """
        terms: list[Term] = []
        errors: list[str] = []
        for negate, name, value in _tokenize(query):
            if name is None:
                if value:
                    terms.append(Term(value.lower(), None, negate))
                continue
            column = self._field_index.get(name.lower())
            if column is None:
                errors.append(f"unknown field '{name}'")
                terms.append(Term(value.lower(), None, negate, matches_nothing=True))
            elif value:
                terms.append(Term(value.lower(), column, negate))
        error = None
        if errors:
            known = ", ".join(column.key for column in self.columns)
            error = "; ".join(errors) + f" (fields: {known})"
        return ParsedQuery(tuple(terms), error)

    def _all_text(self) -> dict[str, str]:
        if self._search is None:
            with gc_paused():
                self._search = _search_texts(self._rows)
        return self._search

    def prepare_search(self) -> None:
        """Build the search text now (the widget calls this right after the first frame, so
        that the first keystroke of a filter does not pay for 100,000 rows)."""
        self._all_text()

    def _term_filter(self, term: Term) -> Callable[[str], bool]:
        """A predicate over row keys for one term."""
        if term.matches_nothing:
            return lambda _key: False
        texts = self._all_text() if term.column is None else self._texts_of(term.column)
        needle, lookup = term.needle, texts.__getitem__
        if term.negate:
            return lambda key: needle not in lookup(key)
        return lambda key: needle in lookup(key)

    def _matches(self, key: str) -> bool:
        return all(self._term_filter(term)(key) for term in self._parsed.terms)

    def _filtered(self, candidates: Iterable[str], terms: Iterable[Term]) -> list[str]:
        terms = list(terms)
        if candidates is self._rows and terms and not terms[0].matches_nothing:
            # First term over every row: walk (key, text) pairs, no dict lookup per row.
            first, terms = terms[0], terms[1:]
            texts = self._all_text() if first.column is None else self._texts_of(first.column)
            needle = first.needle
            if first.negate:
                keys = [k for k, text in texts.items() if needle not in text]
            else:
                keys = [k for k, text in texts.items() if needle in text]
        else:
            keys = list(candidates)
        for term in terms:
            if term.matches_nothing:
                return []
            texts = self._all_text() if term.column is None else self._texts_of(term.column)
            needle = term.needle
            # Comprehensions over the precomputed strings: the hot loop of every keystroke.
            if term.negate:
                keys = [k for k in keys if needle not in texts[k]]
            else:
                keys = [k for k in keys if needle in texts[k]]
        return keys

    @staticmethod
    def _refines(old: ParsedQuery, new: ParsedQuery) -> bool:
        """True when every row matching `new` also matches `old` (typing narrows the view)."""
        if old.error or new.error or len(new.terms) < len(old.terms):
            return False
        for index, (before, after) in enumerate(zip(old.terms, new.terms, strict=False)):
            if before == after:
                continue
            last = index == len(old.terms) - 1
            narrower = (
                last
                and not before.negate
                and not after.negate
                and before.column == after.column
                and before.needle in after.needle
            )
            if not narrower:
                return False
        return True

    def set_filter(self, query: str) -> None:
        parsed = self.parse_query(query)
        refines = self._refines(self._parsed, parsed)
        self._query, self._parsed = query, parsed
        whole = self._sort_column is None and len(self._view) == len(self._rows)
        if refines and not whole:
            # Filtering the current (already sorted) view keeps its order: no re-sort.
            self._view = self._filtered(self._view, parsed.terms)
        else:
            self._rebuild_view()

    # -- sort ------------------------------------------------------------------------------

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort the view by a column (None: insertion order); ties are ordered by row key."""
        self._sort_column = None if column_key is None else self.column_index(column_key)
        self._sort_reverse = reverse
        self._rebuild_view()

    def _sort_value(self, index: int, row: Row) -> tuple[Any, str]:
        """The sort key of a row for a column, tie-broken by row key.

        The tie-break makes the order total, so a row patched in by a diff lands exactly where
        a full sort would put it, and rows with equal values do not swap places on refresh.
        """
        if row.sort_keys is not None:
            value = row.sort_keys[index]
        else:
            value = plain(row.cells[index]).lower()
        if index in self._mixed_sort:
            return (_ranked(value), row.key)
        return (value, row.key)

    def _keys_of(self, index: int) -> dict[str, tuple[Any, str]]:
        keys = self._sort_keys.get(index)
        if keys is None:
            if index in self._mixed_sort:
                keys = {key: self._sort_value(index, row) for key, row in self._rows.items()}
            else:
                keys = _bulk_sort_keys(self._rows, index)
            self._sort_keys[index] = keys
        return keys

    def _texts_of(self, index: int) -> dict[str, str]:
        texts = self._column_text.get(index)
        if texts is None:
            texts = {key: plain(row.cells[index]).lower() for key, row in self._rows.items()}
            self._column_text[index] = texts
        return texts

    def _sort_view(self) -> None:
        index = self._sort_column
        if index is None:
            return
        try:
            self._view.sort(key=self._keys_of(index).__getitem__, reverse=self._sort_reverse)
        except TypeError:
            # Caller-supplied keys of mixed types (None next to dates, say): rank by type.
            self._mixed_sort.add(index)
            self._sort_keys.pop(index, None)
            self._view.sort(key=self._keys_of(index).__getitem__, reverse=self._sort_reverse)

    def _rebuild_view(self) -> None:
        self._view = self._filtered(self._rows, self._parsed.terms)
        self._sort_view()

    # -- rows ------------------------------------------------------------------------------

    def _index_row(self, row: Row) -> None:
        key = row.key
        self._rows[key] = row
        if self._search is not None:
            self._search[key] = _SEPARATOR.join([plain(cell) for cell in row.cells]).lower()
        for index, texts in self._column_text.items():
            texts[key] = plain(row.cells[index]).lower()
        for index, keys in self._sort_keys.items():
            keys[key] = self._sort_value(index, row)

    def _forget_row(self, key: str) -> None:
        del self._rows[key]
        if self._search is not None:
            del self._search[key]
        for texts in self._column_text.values():
            texts.pop(key, None)
        for keys in self._sort_keys.values():
            keys.pop(key, None)

    def _check(self, row: Row) -> None:
        if len(row.cells) != len(self.columns):
            raise ValueError(
                f"row {row.key!r} has {len(row.cells)} cells for {len(self.columns)} columns"
            )

    def set_rows(self, rows: Iterable[Row] | Mapping[str, Row]) -> None:
        """Replace every row (or rows by key); the view is rebuilt with the current filter and
        sort."""
        with gc_paused():
            self._set_rows(rows)

    def _set_rows(self, rows: Iterable[Row] | Mapping[str, Row]) -> None:
        # Rows by key (the row cache's own dict) are taken as they are: copied, not rebuilt.
        by_key = dict(rows) if isinstance(rows, Mapping) else {row.key: row for row in rows}
        width = len(self.columns)
        if set(map(len, map(_CELLS, by_key.values()))) - {width}:
            for row in by_key.values():
                self._check(row)
        self._rows = by_key
        self._column_text = {}
        self._sort_keys = {}
        self._mixed_sort = set()
        self._search = None  # the first frame does not need it; see prepare_search
        self._rebuild_view()

    def apply_diff(self, upserts: Iterable[Row], removed: Iterable[str]) -> DiffResult:
        """Keyed update. Rows equal to the stored ones are no change at all."""
        replaced: list[tuple[str, bool]] = []  # (key, was in the view) for changed rows
        added: list[str] = []
        gone: list[tuple[str, bool]] = []
        for key in removed:
            if key in self._rows:
                gone.append((key, self._matches(key)))
                self._forget_row(key)
        latest = {row.key: row for row in upserts}  # the last upsert of a key wins
        for row in latest.values():
            self._check(row)
            old = self._rows.get(row.key)
            if old is not None and old == row:
                continue
            if old is None:
                added.append(row.key)
            else:
                replaced.append((row.key, self._matches(row.key)))
            self._index_row(row)
        changed = frozenset([k for k, _ in gone] + added + [k for k, _ in replaced])
        if not changed:
            return DiffResult()
        before = len(self._view)
        view_changed = self._patch_view(gone, added, replaced)
        return DiffResult(changed, view_changed or len(self._view) != before)

    def _patch_view(
        self,
        gone: list[tuple[str, bool]],
        added: list[str],
        replaced: list[tuple[str, bool]],
    ) -> bool:
        """Patch the view for a small diff; returns whether it changed."""
        now = [(key, was_in, self._matches(key)) for key, was_in in replaced]
        if self._sort_column is None and any(not was and is_in for _, was, is_in in now):
            # An old row newly matching: its insertion-order position is not known cheaply.
            self._view = self._filtered(self._rows, self._parsed.terms)
            return True
        # Take out every row that left or may move first: the sort keys already hold the new
        # values, so binary search is only valid on a view without the changed rows.
        leaving = {key for key, was_in in gone if was_in}
        if self._sort_column is None:
            leaving.update(key for key, was_in, now_in in now if was_in and not now_in)
            entering = [key for key in added if self._matches(key)]
        else:
            leaving.update(key for key, was_in, _ in now if was_in)
            entering = [key for key in added if self._matches(key)]
            entering += [key for key, _, now_in in now if now_in]
        if leaving:
            if len(leaving) == 1:
                self._view.remove(next(iter(leaving)))
            else:
                self._view = [key for key in self._view if key not in leaving]
        if len(entering) > _INSERT_ONE_BY_ONE:
            self._merge(entering)
        else:
            for key in entering:
                self._insert(key)
        return bool(leaving or entering)

    def _merge(self, entering: list[str]) -> None:
        """Put many keys in at once: sorted among themselves, then merged into the view (the
        order is total, so the result is exactly a full sort's). While 100,000 rows arrive
        in batches, a full filter and sort per batch held the UI for 100-300 ms each, and
        inserting each key (a list insert moves the rest) costs as much."""
        index = self._sort_column
        if index is None:
            self._view.extend(entering)
            return
        keys = self._keys_of(index).__getitem__
        try:
            entering.sort(key=keys, reverse=self._sort_reverse)
            self._view.extend(entering)
            # Two sorted runs: the sort only merges them.
            self._view.sort(key=keys, reverse=self._sort_reverse)
        except TypeError:
            self._sort_view()  # mixed types: `_sort_view` ranks them by type

    def _insert(self, key: str) -> None:
        """Insert a matching key where the current sort puts it (the end when unsorted)."""
        index = self._sort_column
        if index is None:
            self._view.append(key)
            return
        keys = self._keys_of(index)
        value = keys[key]
        try:
            if self._sort_reverse:
                # bisect only knows ascending order: search the negated comparison by hand.
                lo, hi = 0, len(self._view)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if keys[self._view[mid]] < value:
                        hi = mid
                    else:
                        lo = mid + 1
                self._view.insert(lo, key)
            else:
                position = bisect.bisect_right(self._view, value, key=keys.__getitem__)
                self._view.insert(position, key)
        except TypeError:
            self._view.append(key)
            self._sort_view()


def _bulk_sort_keys(rows: dict[str, Row], index: int) -> dict[str, tuple[Any, str]]:
    """`_sort_value` for every row at once (the same keys), inlined: a first sort of 100,000
    rows otherwise spends half its time in per-row method calls."""
    keys = list(rows)
    try:
        # Every row with its own sort keys (the views' rows): zipped in C (~10 ms, not ~40).
        values = list(map(itemgetter(index), map(_SORT_KEYS, rows.values())))
        return dict(zip(keys, zip(values, keys, strict=True), strict=True))
    except TypeError:
        pass  # a row without sort keys (None is not subscriptable)
    out: dict[str, tuple[Any, str]] = {}
    for key, row in rows.items():
        if row.sort_keys is not None:
            out[key] = (row.sort_keys[index], key)
        else:
            cell = row.cells[index]
            out[key] = ((cell if cell.__class__ is str else plain(cell)).lower(), key)
    return out


def _search_texts(rows: dict[str, Row]) -> dict[str, str]:
    """Lowercased search text of every row, with as few Python-level steps per row as can be.

    The common case (all cells `str`) joins the cell tuple directly and lowercases one big
    string instead of 100,000 small ones; anything unusual falls back to row by row.
    """
    join = _SEPARATOR.join
    try:
        joined = [join(row.cells) for row in rows.values()]  # type: ignore[arg-type]
    except TypeError:  # Text cells
        joined = [join([plain(c) for c in row.cells]) for row in rows.values()]
    lowered = _RECORD.join(joined).lower().split(_RECORD)
    if len(lowered) != len(rows):  # a cell held the record separator
        lowered = [text.lower() for text in joined]
    return dict(zip(rows, lowered, strict=True))


def _ranked(value: Any) -> tuple[int, Any]:
    """A total order over mixed key types: numbers, then text, then others, then None."""
    if value is None:
        return (3, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, str(value))


WHOLE_CAP = 40


@dataclass(frozen=True, slots=True)
class Placed:
    """A column given a place on screen by `layout_columns`."""

    index: int
    width: int


def layout_columns(
    columns: Sequence[Column],
    content_widths: Sequence[int],
    width: int,
    gap: int = 1,
    uniform: frozenset[int] = frozenset(),
) -> list[Placed]:
    """Choose the columns that fit in `width` cells and their widths.

    Fixed columns (`width > 0`) take their width, `width=0` columns need `min_width`; while
    that does not fit, a `uniform` column (the same value on every row: it tells nothing
    about any of them) is dropped first, then the column with the highest priority number
    (rightmost on a tie). Spare width then goes to the `width=0` columns that are not
    uniform, first up to their sampled content width, then to the last of them.
    """
    kept = list(range(len(columns)))

    def base(index: int) -> int:
        column = columns[index]
        if column.width > 0:
            return column.width
        if column.whole:
            return max(column.min_width, min(content_widths[index], WHOLE_CAP))
        return column.min_width

    def needed(indices: list[int]) -> int:
        return sum(base(i) for i in indices) + gap * (len(indices) - 1)

    while len(kept) > 1 and needed(kept) > width:
        drop = max(kept, key=lambda i: (i in uniform, columns[i].priority, i))
        kept.remove(drop)
    widths = {i: base(i) for i in kept}
    spare = width - needed(kept)
    auto = [i for i in kept if columns[i].width <= 0]
    growing = [i for i in auto if i not in uniform] or auto
    for i in growing:
        if spare <= 0:
            break
        grow = min(spare, max(0, content_widths[i] - widths[i]))
        widths[i] += grow
        spare -= grow
    if spare > 0 and growing:
        widths[growing[-1]] += spare
    if len(kept) == 1 and widths[kept[0]] > width:
        widths[kept[0]] = max(1, width)
    return [Placed(i, widths[i]) for i in kept]
