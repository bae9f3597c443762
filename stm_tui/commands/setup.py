"""`stm-tui setup --check [-o json]`: the Lead guide's checklist against the live account,
the same steps and reasons as the dashboard's checklist (`stm_tui.views.setup_checklist`).

Exit 0 when every required step is done; 1 when one is not done or could not be checked
(so a new account's readiness can gate a CI job); 2, 3, 5 as every command (usage,
authentication, unreachable)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from stm_tui.commands._common import EXIT_AUTH, fail, profile_name, setup_logging, tty_prompt
from stm_tui.sanitize import clean_cell, clean_message, escape_json

EXIT_NOT_READY = 1


@click.command(
    "setup",
    help="The setup checklist (the Lead guide's steps, judged on the live account). With "
    "--check: print it and exit 1 when a required step is not done.",
)
@click.option("--check", is_flag=True, help="Print the checklist and exit (the only mode).")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def setup(ctx: click.Context, check: bool, output: str, profile: str | None) -> None:
    if not check:
        raise click.UsageError(
            "give --check (the dashboard shows the checklist with key 0 or the palette)"
        )
    setup_logging()
    from stm_tui.api.errors import StmError
    from stm_tui.views import setup_checklist as sc

    try:
        results = asyncio.run(_results(ctx, profile))
    except StmError as err:
        fail(err)
    if output == "json":
        doc = {"ready": not sc.blocking(results), "steps": sc.as_json(results)}
        click.echo(escape_json(json.dumps(doc, indent=2, ensure_ascii=False)))
    else:
        click.echo(render_text(results))
    sys.exit(EXIT_NOT_READY if sc.blocking(results) else 0)


def render_text(results: list[Any]) -> str:
    from stm_tui.views import setup_checklist as sc

    width = max(len(r.step.title) for r in results)
    lines = []
    for number, r in enumerate(results, 1):
        lines.append(
            f"{sc.MARKS[r.state]} {number:>2}. {r.step.title:<{width}}  {r.state.value:<8}  "
            f"{clean_message(r.reason)}"
        )
    left = sc.blocking(results)
    if left:
        lines.append(f"not ready: {len(left)} required step{'s' if len(left) > 1 else ''} "
                     "not done: " + ", ".join(clean_cell(r.step.title) for r in left))
    else:
        lines.append("ready: every required step is done")
    return "\n".join(lines)


async def _results(ctx: click.Context, profile: str | None) -> list[Any]:
    from stm_tui.api.errors import NotFound, PermissionDenied
    from stm_tui.config import load_profile
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import resolve_credentials_async
    from stm_tui.views import setup_checklist as sc

    prof = load_profile(profile_name(ctx, profile))
    creds = await resolve_credentials_async(prof, prompt=tty_prompt)
    if creds.api_key is None and prof.client_cert_file is None:
        click.echo(
            "stm-tui: no API key: set SM_API_KEY (or SM_API_KEY_FILE), or run `stm-tui login`",
            err=True,
        )
        sys.exit(EXIT_AUTH)
    lists: dict[str, list[Any]] = {}
    unreadable: set[str] = set()
    async with client_for_profile(prof, creds, read_only=True) as client:
        me = await client.me()  # fails the command when the key itself is refused
        for name in sc.COLLECTIONS:
            try:
                lists[name] = list(await client.list_all(name))
            except (PermissionDenied, NotFound):
                unreadable.add(name)
    accounts = lists.get("accounts", [])
    account_id = me.primary_account_id if me is not None else None
    account = next((a for a in accounts if a.id == account_id), None)
    settings = lists.get("account_settings") or []
    inputs = sc.Inputs(
        account=account,
        settings=settings[0] if settings else None,
        users=lists.get("users", []),
        teams=lists.get("teams", []),
        keypair_profiles=lists.get("keypair_profiles", []),
        keypairs=lists.get("keypairs", []),
        certificate_profiles=lists.get("certificate_profiles", []),
        certificates=lists.get("certificates", []),
        releases=lists.get("releases", []),
        scans=lists.get("scans", []),
        unreadable=frozenset(unreadable),
    )
    return sc.evaluate(inputs)
