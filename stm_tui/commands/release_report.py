"""`stm-tui release report NAME` and `stm-tui release budget`.

`report` prints what a release window signed (per keypair and signer, failed attempts,
first and last signature, the threat scan) and fails the exit code when expectations are not
met, so a pipeline cannot ship unsigned artifacts because a signing tool exited 0:

    0   every expectation holds
    8+  expectations not met: 8 plus 1 (fewer successful signatures than --expect),
        2 (a failed attempt, unless --allow-failed), 4 (the latest threat scan failed or
        could not run); e.g. 9 too few, 10 failed attempts, 12 failed scan, 15 all three
    2 usage, 3 credentials or permissions refused, 4 no such release, 5 unreachable

`budget` prints this month's successful signatures per keypair, signer and release, the
burn rate, and when a monthly budget (--budget) runs out; -o csv for a spreadsheet.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from typing import Any

import click

from stm_tui.commands._common import EXIT_OK, fail, setup_logging
from stm_tui.sanitize import escape_json


def _json(data: Any) -> str:
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def _run(coro: Any) -> Any:
    from stm_tui.api.errors import StmError
    from stm_tui.commands._monitor import source_failed
    from stm_tui.views.monitor.feed import SourceError

    try:
        return asyncio.run(coro)
    except SourceError as err:
        sys.exit(source_failed(err))
    except StmError as err:
        fail(err)


@click.command(
    "report",
    help=(
        "What release window NAME (or id) signed, per keypair and signer, with failed "
        "attempts, first and last signature and the threat scan. Exit code 0 when every "
        "expectation holds; otherwise 8 plus 1 (fewer successful signatures than --expect), "
        "2 (any failed attempt, unless --allow-failed) and 4 (the scan failed): 9, 10, 12 ... "
        "15. Also 2 usage, 3 refused, 4 no such release, 5 unreachable."
    ),
)
@click.argument("name")
@click.option("--expect", type=click.IntRange(min=0), default=None,
              help="Fail unless at least N signatures succeeded.")
@click.option("--allow-failed", is_flag=True, help="Failed attempts do not fail the report.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def report(ctx: click.Context, name: str, expect: int | None, allow_failed: bool, output: str,
           profile: str | None) -> None:
    from stm_tui.views.monitor.report import Expectations

    setup_logging()
    result = _run(_report(ctx, name, Expectations(expect, allow_failed), profile))
    if output == "json":
        sys.stdout.write(_json(result.as_dict()))
    else:
        from stm_tui.views.monitor.report import report_text

        sys.stdout.write(report_text(result))
    sys.exit(result.exit_code)


async def _report(ctx: click.Context, name: str, expectations: Any, profile: str | None) -> Any:
    from stm_tui.commands._monitor import client_source, utc_now
    from stm_tui.views.monitor.report import build_report, window_attempts

    async with client_source(ctx, profile) as source:
        window = await source.find_release(name)
        window = await source.release(window.id)
        scans = await source.scans(window.id)
        attempts = [a async for a in window_attempts(source, window, utc_now())]
    return build_report(window, attempts, scans, expectations)


@click.command(
    "budget",
    help=(
        "This month's successful signatures per keypair, signer and release, the burn rate "
        "per day, and when a monthly --budget runs out at that rate."
    ),
)
@click.option("--budget", "monthly", type=click.IntRange(min=1), default=None,
              help="Signatures a month the account budgets for (default: the profile's "
                   "signature_budget).")
@click.option("-o", "--output", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True)
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def budget(ctx: click.Context, monthly: int | None, output: str, profile: str | None) -> None:
    from stm_tui.views.monitor.budget import csv_rows

    setup_logging()
    result = _run(_budget(ctx, monthly, profile))
    if output == "json":
        sys.stdout.write(_json(result.as_dict()))
    elif output == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(csv_rows(result))
        sys.stdout.write(buffer.getvalue())
    else:
        from stm_tui.views.monitor.budget import budget_lines

        sys.stdout.write("\n".join(budget_lines(result, rows=1000)) + "\n")
    sys.exit(EXIT_OK)


async def _budget(ctx: click.Context, monthly: int | None, profile: str | None) -> Any:
    from stm_tui.commands._monitor import profile_source, utc_now
    from stm_tui.views.monitor.budget import load_budget
    from stm_tui.views.monitor.settings import settings_for

    async with profile_source(ctx, profile) as (prof, source):
        return await load_budget(source, utc_now(), settings_for(prof, monthly).budget)
