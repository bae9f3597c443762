"""`stm-tui token create|revoke|list`: API tokens (yours, or with --user a standard user's
as an administrator). A new token's value is printed once, to stdout only."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, request, run_write, write_options
from stm_tui.sanitize import clean_cell, clean_message, escape_json

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.session import Session

_USER = click.option(
    "--user", "who", default=None, help="Another user's (id, e-mail or name; administrators)."
)


@click.group("token", help="API tokens: create (shown once), list with expiry, revoke.")
def token() -> None:
    pass


async def _user_id(session: Session, who: str | None) -> str | None:
    if who is None:
        return None
    from stm_tui.commands._access import find_user

    found: Any = await find_user(session, who)
    return str(found.id)


@token.command("create", help="Create an API token; its value is printed once.")
@write_options
@click.argument("name")
@click.option("--end-date", "end_date", default=None, metavar="YYYY-MM-DD",
              help="Last day it works (until 23:59:59 UTC).")
@_USER
@click.pass_context
def create(
    ctx: click.Context, name: str, end_date: str | None, who: str | None, opts: WriteOptions
) -> None:
    from stm_tui.api.writes.credentials import CreateApiToken, create_api_token

    request(CreateApiToken, {"name": name, "end_date": end_date}, {"name": "NAME"})

    async def build(session: Session) -> WriteCall:
        user_id = await _user_id(session, who)
        req = request(
            CreateApiToken,
            {"name": name, "end_date": end_date, "user_id": user_id},
            {"name": "NAME"},
        )
        return create_api_token(req)

    async def after(outcome: WriteOutcome, session: Session) -> None:
        from stm_tui.commands._access import print_once

        if opts.output == "json":
            return
        value = outcome.secret("token")
        if value is None:
            click.echo("stm-tui: the service did not return the token's value", err=True)
            return
        print_once(value, "API token")

    run_write(ctx, opts, build, after)


@token.command("revoke", help="Revoke an API token (irreversible: --confirm NAME).")
@write_options
@click.argument("name")
@_USER
@click.pass_context
def revoke(ctx: click.Context, name: str, who: str | None, opts: WriteOptions) -> None:
    from stm_tui.api.writes.credentials import delete_api_token
    from stm_tui.commands._access import find_token, with_step_up

    async def build(session: Session) -> WriteCall:
        found: Any = await find_token(session, name, await _user_id(session, who))
        return with_step_up(session, delete_api_token(found.id, found.name or found.id))

    run_write(ctx, opts, build)


@token.command("list", help="API tokens and client certificates with days to expiry.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--profile", default=None, help="Profile to use (default: the config's).")
@_USER
@click.pass_context
def list_(ctx: click.Context, output: str, profile: str | None, who: str | None) -> None:
    from stm_tui.api.errors import StmError
    from stm_tui.commands._common import EXIT_NOT_FOUND, exit_code_for, setup_logging
    from stm_tui.commands._lookup import NoSuchName
    from stm_tui.commands._write import write_session
    from stm_tui.views.access import days_to

    setup_logging()

    async def run() -> list[dict[str, Any]]:
        async with write_session(WriteOptions(dry_run=True, profile=profile), ctx) as session:
            user_id = await _user_id(session, who)
            filters = {"user_id": user_id} if user_id else {}
            now = session.now()
            client: Any = session.client
            rows = []
            for t in await client.list_all("api_tokens", **filters):
                rows.append({"kind": "token", "id": t.id, "name": t.name, "status": t.status,
                             "ends": t.end_date.isoformat() if t.end_date else None,
                             "days": days_to(t.end_date, now)})
            for c in await client.list_all("client_certificates", **filters):
                rows.append({"kind": "client-cert", "id": c.id, "name": c.name,
                             "status": c.status,
                             "ends": c.valid_to.isoformat() if c.valid_to else None,
                             "days": days_to(c.valid_to, now)})
            return rows

    try:
        rows = asyncio.run(run())
    except StmError as err:
        click.echo(f"stm-tui: {clean_message(err.message)}", err=True)
        sys.exit(exit_code_for(err))
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    if output == "json":
        click.echo(escape_json(json.dumps(rows, indent=2)))
        return
    colour = sys.stdout.isatty()
    click.echo(f"{'KIND':<12} {'NAME':<28} {'STATUS':<9} {'ENDS':<11} DAYS")
    for row in rows:
        days = row["days"]
        left = "never" if days is None else (f"{days}" if days >= 0 else f"{-days} ago")
        line = (
            f"{row['kind']:<12} {clean_cell(row['name'] or '')[:28]:<28} "
            f"{clean_cell(row['status'] or '')[:9]:<9} {(row['ends'] or '-')[:10]:<11} {left}"
        )
        fg = None if days is None or row["status"] != "ACTIVE" else (
            "red" if days <= 7 else "yellow" if days <= 30 else None
        )
        click.echo(click.style(line, fg=fg) if colour and fg else line)
