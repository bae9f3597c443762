"""`stm-tui account mfa show|require|relax`: the account's two-factor requirement.

`show` prints whether 2FA is required and, per user, whether they are ready for it (an
enrolled authenticator, or a client certificate that is not about to end). `require` lists
who a requirement would stop before it asks; `relax` is a step-up operation (an
authenticator code from `SM_TOTP_SECRET` when the service asks for one).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, run_write, write_options
from stm_tui.sanitize import clean_cell, clean_message, escape_json

if TYPE_CHECKING:
    from stm_tui.api.models import Account, User
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


@click.group("account", help="The account's settings in Account Manager.")
def account() -> None:
    pass


@account.group("mfa", help="Two-factor authentication for the account's users.")
def mfa() -> None:
    pass


async def _account_and_users(session: Session) -> tuple[Account, list[User]]:
    from stm_tui.api import models as m

    me = session.me
    account_id = me.primary_account_id if me is not None else None
    accounts = [a for a in await session.client.list_all("accounts") if isinstance(a, m.Account)]
    chosen = next((a for a in accounts if a.id == account_id), accounts[0] if accounts else None)
    if chosen is None:
        from stm_tui.commands._lookup import NoSuchName

        raise NoSuchName("no account is visible to this API key")
    users = [u for u in await session.client.list_all("users") if isinstance(u, m.User)]
    return chosen, users


@mfa.command("show", help="Whether 2FA is required, and who is ready for it.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--profile", default=None, help="Profile to use (default: the config's).")
@click.pass_context
def show(ctx: click.Context, output: str, profile: str | None) -> None:
    from stm_tui.api.errors import StmError
    from stm_tui.commands._common import EXIT_NOT_FOUND, exit_code_for, setup_logging
    from stm_tui.commands._lookup import NoSuchName
    from stm_tui.commands._write import write_session
    from stm_tui.views.access import readiness

    setup_logging()

    async def run() -> dict[str, Any]:
        opts = WriteOptions(dry_run=True, profile=profile)
        async with write_session(opts, ctx) as session:
            acc, users = await _account_and_users(session)
            now = session.now()
            rows = []
            for u in sorted(users, key=lambda u: u.display_name.lower()):
                ready, why = readiness(u, now)
                rows.append(
                    {
                        "id": u.id,
                        "name": u.display_name,
                        "user_type": u.user_type,
                        "status": u.status,
                        "ready": ready,
                        "why": why,
                    }
                )
            return {"account": {"id": acc.id, "name": acc.name}, "required": acc.mfa_required,
                    "users": rows}

    try:
        data = asyncio.run(run())
    except StmError as err:
        click.echo(f"stm-tui: {clean_message(err.message)}", err=True)
        sys.exit(exit_code_for(err))
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    if output == "json":
        click.echo(escape_json(json.dumps(data, indent=2)))
        return
    required = data["required"]
    state = "unknown" if required is None else ("required" if required else "not required")
    click.echo(f"account {clean_cell(data['account']['name'] or '')}: two-factor {state}")
    for row in data["users"]:
        mark = "ready    " if row["ready"] else "NOT READY"
        status = "" if row["status"] in (None, "ACTIVE") else f" [{clean_cell(row['status'])}]"
        click.echo(f"  {mark}  {clean_cell(row['name'])}{status}: {clean_message(row['why'])}")


def _set(required: bool) -> Any:
    @write_options
    @click.pass_context
    def command(ctx: click.Context, opts: WriteOptions) -> None:
        from stm_tui.api.writes.access import set_account_mfa
        from stm_tui.commands._access import with_step_up
        from stm_tui.views.access import affected_by_requirement

        async def build(session: Session) -> WriteCall:
            acc, users = await _account_and_users(session)
            if required:
                stopped = affected_by_requirement(users, session.now())
                if stopped and not opts.dry_run:
                    click.echo(
                        f"stm-tui: {len(stopped)} user(s) are not ready and will be stopped "
                        "at sign-in until they enrol an authenticator or get a client "
                        "certificate:",
                        err=True,
                    )
                    for line in stopped:
                        click.echo(f"  {clean_message(line)}", err=True)
            call = set_account_mfa(acc.id, acc.name or acc.id, required=required)
            return with_step_up(session, call)

        run_write(ctx, opts, build)

    return command


mfa.command("require", help="Require 2FA for every user (lists who is not ready first).")(
    _set(True)
)
mfa.command("relax", help="Stop requiring 2FA (asks for an authenticator code: SM_TOTP_SECRET).")(
    _set(False)
)
