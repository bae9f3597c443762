"""`stm-tui approvals [-o json] [--wait [--timeout S]]`: what waits on your approval.

Lists the pending requests you may decide (keypair deletion and export, certificate
revocation, requested offline release windows), oldest first, with their age. `--wait`
blocks until a request arrives that was not waiting when it started (for chat-ops and
scripts): it exits 0 printing the new ones, or 5 when `--timeout` passes first; what waited
already is what the command without `--wait` lists. Approving is `stm-tui release approve
NAME` for a window; the inbox in the dashboard (key 0) decides every kind.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click

from stm_tui.commands._common import EXIT_UNAVAILABLE, fail
from stm_tui.sanitize import clean_cell

POLL_EVERY = 2.0


@click.command("approvals", help=(
    "List what waits on your approval, oldest first. --wait blocks until a new request "
    "arrives (exit 0 with the new ones printed; exit 5 after --timeout)."
))
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--wait", is_flag=True, help="Block until a new request arrives.")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=None,
              help="Seconds --wait waits at most (default: no limit).")
@click.option("--every", type=click.FloatRange(1, 3600), default=POLL_EVERY, show_default=True,
              help="Seconds between checks while waiting.")
@click.option("--profile", default=None, help="Profile to use.")
@click.pass_context
def approvals(
    ctx: click.Context,
    output: str,
    wait: bool,
    timeout: float | None,
    every: float,
    profile: str | None,
) -> None:
    from stm_tui.api.errors import StmError
    from stm_tui.commands._read import read_client

    async def run() -> list[Any] | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        async with read_client(ctx, profile) as client:
            known: set[str] | None = None
            while True:
                items = [r for r in await client.list_all("approvals") if _mine(r)]
                if not wait:
                    return items
                if known is None:
                    known = {r.id for r in items}
                new = [r for r in items if r.id not in known]
                if new:
                    return new
                if deadline is not None and time.monotonic() + every > deadline:
                    return None
                await asyncio.sleep(every)

    try:
        found = asyncio.run(run())
    except StmError as err:
        fail(err)
    if found is None:
        click.echo(f"stm-tui: no new request for your approval within {timeout:g} s", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    found.sort(key=lambda r: (r.created_on or datetime.max.replace(tzinfo=UTC), r.id))
    if output == "json":
        from stm_tui.commands._output import dump, render_json

        sys.stdout.write(render_json([dump(r) for r in found]))
        return
    if not found:
        click.echo("nothing waits on your approval")
        return
    now = datetime.now(UTC)
    for line in lines(found, now):
        click.echo(line)


def _mine(r: Any) -> bool:
    return getattr(r, "status", None) in (None, "PENDING") and getattr(r, "can_decide", None) \
        is not False


def lines(found: list[Any], now: datetime) -> list[str]:
    from stm_tui.api.writes.approvals import requester, what
    from stm_tui.views import format as f

    out = []
    for r in found:
        age = f.ago(r.created_on, now) if r.created_on else "?"
        reason = f": {clean_cell(r.reason)}" if r.reason else ""
        out.append(
            f"{clean_cell(r.id)}  {clean_cell(what(r))}  asked by {clean_cell(requester(r))}"
            f" {age}{reason}"
        )
    return out
