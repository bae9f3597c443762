"""The comparison of two scans as a Rich renderable (the dashboard's compare view)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from stm_tui.api.models import Finding
from stm_tui.sanitize import clean_cell
from stm_tui.views import format as f
from stm_tui.views.scan_diff import ScanDiff


def _findings(title: str, found: list[Finding], style: str) -> RenderableType:
    if not found:
        return Text(f"{title}: none", style="dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=True)
    table.add_column("Severity", width=9, no_wrap=True)
    table.add_column("Class", width=15, no_wrap=True)
    table.add_column("Finding", ratio=1)
    for item in found:
        label = clean_cell(item.title) + (f" {clean_cell(item.cve)}" if item.cve else "")
        table.add_row(f.severity(item.severity), Text(clean_cell(item.category)), Text(label))
    return Group(Text(f"{title} ({len(found)})", style=f"bold {style}"), table)


def compare_renderable(diff: ScanDiff) -> RenderableType:
    a, b = diff.before, diff.after
    head = Text()
    head.append(clean_cell(a.alias or a.id), style="bold")
    head.append(f" ({clean_cell(a.version)}, {clean_cell(a.status)})  →  ")
    head.append(clean_cell(b.alias or b.id), style="bold")
    head.append(f" ({clean_cell(b.version)}, {clean_cell(b.status)})")
    parts: list[RenderableType] = [
        head,
        Text(f"{len(diff.added)} added · {len(diff.removed)} removed · {diff.kept} unchanged"),
    ]
    if not diff.same_project:
        parts.append(Text("the two scans belong to different projects", style="yellow"))
    parts += [
        Text(""),
        _findings("Added in the second", diff.added, "red"),
        Text(""),
        _findings("Gone since the first", diff.removed, "green"),
    ]
    return Group(*parts)
