"""The layers hold: no import cycle anywhere in `stm_tui`, and the UI reads only the store.

The import graph is grimp's (import-linter's engine) over every import statement, including
imports inside functions and under `TYPE_CHECKING`: a cycle hidden in a function is still a
cycle to untangle. Cycles are reported per package so one package's debt does not hide
another's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2] / "stm_tui"

PACKAGES = ("api", "store", "emulator", "tui", "views", "commands", "(top level)")


def find_cycles(edges: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """Every strongly connected set of two or more modules (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def enter(node: str) -> tuple[str, Iterator[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(edges.get(node, ()))

    for start in sorted(edges):
        if start in index:
            continue
        work = [enter(start)]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    work.append(enter(child))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while not component or component[-1] != node:
                    component.append(stack.pop())
                    on_stack.discard(component[-1])
                if len(component) > 1:
                    found.append(tuple(sorted(component)))
    return found


@cache
def stm_tui_cycles() -> tuple[tuple[str, ...], ...]:
    graph = grimp.build_graph("stm_tui", cache_dir=None)
    modules = set(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    return tuple(find_cycles(edges))


def package_of(module: str) -> str:
    """`api` for `stm_tui.api.client`, `(top level)` for `stm_tui.session`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "(top level)"


def test_the_cycle_finder_finds_cycles_and_only_cycles() -> None:
    edges = {
        "a": ["b"],
        "b": ["c"],
        "c": ["a"],  # a loop of three
        "d": ["a", "e"],
        "e": ["d"],  # a loop of two that leads into the first
        "f": ["a"],
        "g": [],  # no loops
    }
    assert sorted(find_cycles(edges)) == [("a", "b", "c"), ("d", "e")]
    assert find_cycles({"a": ["b"], "b": []}) == []


def test_function_level_and_type_checking_imports_are_in_the_graph() -> None:
    graph = grimp.build_graph("stm_tui", cache_dir=None)
    # `commands/dashboard.py` imports the app inside a function only; `api/errors.py` names
    # `WriteCall` only under TYPE_CHECKING.
    assert graph.direct_import_exists(
        importer="stm_tui.commands.dashboard", imported="stm_tui.tui.app"
    )
    assert graph.direct_import_exists(
        importer="stm_tui.api.errors", imported="stm_tui.api.writes.call"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package: str) -> None:
    touching = [c for c in stm_tui_cycles() if any(package_of(m) == package for m in c)]
    assert touching == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in touching)


def _attributes(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node.lineno, node.attr


def test_the_ui_never_touches_the_api_client() -> None:
    """Reads arrive through the store, writes go through `Session.write`: no screen or widget
    reaches for `session.client` (or any `.client`)."""
    files = sorted((ROOT / "tui").rglob("*.py"))
    assert files
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line}"
        for path in files
        for line, attr in _attributes(path)
        if attr in ("client", "_client")
    ]
    assert offenders == []
