"""`stm-tui scan submit|show|diff`: threat detection from a pipeline.

`submit` sends the file's bytes (a write: `--dry-run`, `--yes`, the audit file); `--wait`
follows the scan until it is done and prints its verdict; `--fail-on SEVERITY` exits 1 when
it found anything at that severity or worse (a gate for CI, unlike smctl's signing that once
printed FAILED and exited 0). `show` prints one scan with its findings; `diff A B` the
findings B has that A has not (added) and the reverse (removed).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._common import EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_USAGE, fail
from stm_tui.commands._write import WriteOptions, request, run_write, write_options
from stm_tui.sanitize import clean_cell, clean_message

if TYPE_CHECKING:
    from stm_tui.api import models as m
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.session import Session
    from stm_tui.views.scan_diff import ScanDiff

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
# Exit code of a scan that found something at or above --fail-on.
EXIT_FINDINGS = 1
WAIT_STEP = 1.0


@click.group("scan", help="Submit a file for threat detection, show a scan, compare two.")
def scan() -> None:
    pass


def at_or_above(found: m.Scan, bar: str) -> list[m.Finding]:
    floor = SEVERITIES.index(bar)
    return [
        f for f in found.findings or []
        if (f.severity or "").upper() in SEVERITIES
        and SEVERITIES.index((f.severity or "").upper()) >= floor
    ]


def describe(found: m.Scan) -> list[str]:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(found.finding_counts.items()) if v)
    project = found.project.alias if found.project else None
    lines = [
        f"scan {clean_cell(found.alias)} ({clean_cell(found.id)}): {clean_cell(found.status)}"
        f", risk {clean_cell(found.risk_level)}",
        f"  project {clean_cell(project)} version {clean_cell(found.version)}"
        f" file {clean_cell(found.file_name)}",
        f"  findings: {counts or 'none'}",
    ]
    for f in found.findings or []:
        where = f" ({clean_cell(f.path)})" if f.path else ""
        cve = f" {clean_cell(f.cve)}" if f.cve else ""
        lines.append(
            f"  - {clean_cell(f.severity)} {clean_cell(f.category)}: {clean_cell(f.title)}"
            f"{cve}{where}"
        )
    return lines


@scan.command("submit", help=(
    "Submit FILE for a threat scan. --wait follows it to its verdict; --fail-on SEVERITY "
    "(LOW, MEDIUM, HIGH, CRITICAL) exits 1 when it found anything that bad or worse."
))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", required=True, help="Project alias.")
@click.option("--alias", required=True, help="The scan's alias.")
@click.option("--version", "version", required=True, help="Version of what is scanned.")
@click.option("--release", "release", default=None, help="Release window (name or id).")
@click.option("--wait", is_flag=True, help="Wait for the verdict (implied by --fail-on).")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=300.0, show_default=True,
              help="Seconds --wait waits at most.")
@click.option("--fail-on", "fail_on", type=click.Choice(SEVERITIES, case_sensitive=False),
              default=None)
@write_options
@click.pass_context
def submit(
    ctx: click.Context,
    file: Path,
    project: str,
    alias: str,
    version: str,
    release: str | None,
    wait: bool,
    timeout: float,
    fail_on: str | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.scans import MAX_SCAN_BYTES, SubmitScan, submit_scan

    try:
        size = file.stat().st_size
        if size > MAX_SCAN_BYTES:
            raise click.BadParameter(
                f"{size:,} bytes; at most {MAX_SCAN_BYTES // (1024 * 1024)} MB are scanned",
                param_hint="FILE",
            )
        content = file.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"{file}: {exc.strerror or exc}", param_hint="FILE") from None
    if not content:
        raise click.BadParameter(f"{file} is empty: there is nothing to scan", param_hint="FILE")
    data: dict[str, Any] = {"project": project, "alias": alias, "version": version}
    if _safe_name(file.name):
        data["file_name"] = file.name
    req = request(SubmitScan, data, {"project": "--project", "alias": "--alias",
                                     "version": "--version"})
    bar = fail_on.upper() if fail_on else None

    async def build(session: Session) -> WriteCall:
        from stm_tui.commands._write import find

        chosen = req
        if release is not None:
            window = await find(session, "releases", release)
            chosen = req.model_copy(update={"release_id": window.id})
        return submit_scan(chosen, content)

    async def after(outcome: WriteOutcome, session: Session) -> None:
        from stm_tui.api import models as m

        made = outcome.resource
        if not isinstance(made, m.Scan):
            click.echo("stm-tui: the service did not answer with a scan", err=True)
            sys.exit(EXIT_UNAVAILABLE)
        if not (wait or bar):
            click.echo(f"scan id: {clean_cell(made.id)} (stm-tui scan show {clean_cell(made.id)})")
            return
        found = await _follow(session, made.id, timeout)
        if opts.output != "json":
            click.echo("\n".join(describe(found)))
        if found.status == "ERROR":
            click.echo("stm-tui: the scan could not be completed (ERROR)", err=True)
            sys.exit(EXIT_UNAVAILABLE)
        if bar is not None:
            bad = at_or_above(found, bar)
            if bad:
                click.echo(
                    f"stm-tui: {len(bad)} finding(s) at {bar} or worse: failing", err=True
                )
                sys.exit(EXIT_FINDINGS)

    run_write(ctx, opts, build, after)


def _safe_name(name: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9._ +()-]{1,200}", name))


async def _follow(session: Session, scan_id: str, limit: float) -> m.Scan:
    """The scan once it is no longer IN_PROGRESS, asked every second up to `limit` s."""
    from stm_tui.api import models as m

    deadline = time.monotonic() + limit
    while True:
        found = await session.client.get_item("scans", scan_id)
        if isinstance(found, m.Scan) and found.status != "IN_PROGRESS":
            return found
        if time.monotonic() >= deadline:
            click.echo(
                f"stm-tui: scan {clean_cell(scan_id)} still in progress after {limit:g} s",
                err=True,
            )
            sys.exit(EXIT_UNAVAILABLE)
        await asyncio.sleep(WAIT_STEP)


def _read(ctx: click.Context, profile: str | None, names: tuple[str, ...]) -> list[m.Scan]:
    from stm_tui.api.errors import StmError
    from stm_tui.api.resources import spec_for
    from stm_tui.commands._lookup import AmbiguousName, NoSuchName, find_item
    from stm_tui.commands._read import read_client

    async def run() -> list[Any]:
        async with read_client(ctx, profile) as client:
            return [await find_item(client, spec_for("scans"), n) for n in names]

    try:
        return asyncio.run(run())
    except StmError as err:
        fail(err)
    except AmbiguousName as exc:
        click.echo("\n".join(exc.lines), err=True)
        sys.exit(EXIT_USAGE)
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)


_output_option = click.option("-o", "--output", type=click.Choice(["text", "json"]),
                              default="text")
_profile_option = click.option("--profile", default=None, help="Profile to use.")


@scan.command("show", help="One scan (id or alias) with its findings.")
@click.argument("scan_ref", metavar="SCAN")
@_output_option
@_profile_option
@click.pass_context
def show(ctx: click.Context, scan_ref: str, output: str, profile: str | None) -> None:
    from stm_tui.commands._output import dump, render_json

    (found,) = _read(ctx, profile, (scan_ref,))
    if output == "json":
        sys.stdout.write(render_json(dump(found)))
    else:
        click.echo("\n".join(describe(found)))


@scan.command("diff", help="Findings scan B has that scan A has not (added), and removed.")
@click.argument("before", metavar="A")
@click.argument("after", metavar="B")
@_output_option
@_profile_option
@click.pass_context
def diff(ctx: click.Context, before: str, after: str, output: str, profile: str | None) -> None:
    from stm_tui.commands._output import render_json
    from stm_tui.views.scan_diff import diff_scans

    a, b = _read(ctx, profile, (before, after))
    result = diff_scans(a, b)
    if output == "json":
        sys.stdout.write(render_json({
            "before": a.id, "after": b.id, "same_project": result.same_project,
            "added": [f.model_dump(mode="json", exclude_unset=True) for f in result.added],
            "removed": [f.model_dump(mode="json", exclude_unset=True) for f in result.removed],
            "unchanged": result.kept,
        }))
        return
    click.echo("\n".join(diff_lines(result)))


def diff_lines(result: ScanDiff) -> list[str]:
    a, b = result.before, result.after
    lines = [f"{clean_cell(a.alias)} -> {clean_cell(b.alias)}: {len(result.added)} added, "
             f"{len(result.removed)} removed, {result.kept} unchanged"]
    if not result.same_project:
        lines.append("note: the two scans belong to different projects")
    for sign, found in (("+", result.added), ("-", result.removed)):
        for f in found:
            lines.append(
                f"{sign} {clean_cell(f.severity)} {clean_cell(f.category)}: "
                f"{clean_message(f.title)}" + (f" {clean_cell(f.cve)}" if f.cve else "")
            )
    return lines
