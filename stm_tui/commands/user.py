"""`stm-tui user create|create-service|roles|deactivate`: Account Manager users.

Roles are given by code or name, comma-separated (`--role Developer,SSM_SIGNER`); users are
named by id, e-mail or name. A service user's API token comes back once: it is printed to
stdout only (the warning goes to stderr), never to the audit file or the command log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, request, run_write, write_options
from stm_tui.sanitize import clean_message

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.session import Session

_ROLE_HELP = (
    "Roles, comma-separated, by code or name: Lead, Team Lead, Developer, Signer, Build "
    "Engineer; Account Administrator, Account Viewer."
)


def _roles(text: str) -> tuple[str, ...]:
    from stm_tui.views.access import parse_roles

    codes, unknown = parse_roles(text)
    if unknown:
        raise click.UsageError(
            "--role: not a role: " + ", ".join(clean_message(u) for u in unknown)
            + ". " + _ROLE_HELP
        )
    return codes


@click.group("user", help="Add users and service users, change roles, deactivate.")
def user() -> None:
    pass


@user.command("create", help="Add a standard user (a person who signs in).")
@write_options
@click.argument("email")
@click.option("--name", "name", default=None, help="Full name (default: from the e-mail).")
@click.option("--role", "role", default="", help=_ROLE_HELP)
@click.pass_context
def create(ctx: click.Context, email: str, name: str | None, role: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.users import CreateUser, create_user

    req = request(
        CreateUser,
        {"user_type": "standard", "email": email, "name": name, "roles": _roles(role)},
        {"email": "EMAIL", "roles": "--role"},
    )

    async def build(session: Session) -> WriteCall:
        return create_user(req)

    run_write(ctx, opts, build)


@user.command("create-service", help="Add a service user; its API token is printed once.")
@write_options
@click.argument("name")
@click.option("--role", "role", default="", help=_ROLE_HELP)
@click.option("--end-date", "end_date", default=None, metavar="YYYY-MM-DD",
              help="Last day it works (its token ends at 23:59:59 UTC that day).")
@click.option("--email", "email", default=None, help="Where alerts about it go.")
@click.option("--description", "description", default=None)
@click.pass_context
def create_service(
    ctx: click.Context,
    name: str,
    role: str,
    end_date: str | None,
    email: str | None,
    description: str | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.users import CreateUser, create_user
    from stm_tui.views.access import lead_warning

    roles = _roles(role)
    req = request(
        CreateUser,
        {
            "user_type": "service",
            "friendly_name": name,
            "email": email,
            "end_date": end_date,
            "description": description,
            "roles": roles,
        },
        {"friendly_name": "NAME", "roles": "--role"},
    )
    warning = lead_warning("service", roles)
    if warning:
        click.echo(f"stm-tui: warning: {warning}", err=True)

    async def build(session: Session) -> WriteCall:
        return create_user(req)

    async def after(outcome: WriteOutcome, session: Session) -> None:
        from stm_tui.commands._access import print_once

        if opts.output == "json":
            return  # the answer printed above holds it, once
        token = outcome.secret("api_token")
        if token is None:
            click.echo("stm-tui: the service did not return the service user's token", err=True)
            return
        print_once(token, "service user's API token")

    run_write(ctx, opts, build, after)


@user.command("roles", help="Replace a user's roles.")
@write_options
@click.argument("who")
@click.option("--role", "role", required=True, help=_ROLE_HELP)
@click.pass_context
def roles(ctx: click.Context, who: str, role: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.users import set_roles
    from stm_tui.commands._access import find_user
    from stm_tui.views.access import lead_warning

    codes = _roles(role)

    async def build(session: Session) -> WriteCall:
        item: Any = await find_user(session, who)
        warning = lead_warning(item.user_type, codes)
        if warning:
            click.echo(f"stm-tui: warning: {warning}", err=True)
        return set_roles(item.id, item.display_name, codes)

    run_write(ctx, opts, build)


@user.command("deactivate", help="Deactivate a user for good (irreversible: --confirm NAME).")
@write_options
@click.argument("who")
@click.pass_context
def deactivate(ctx: click.Context, who: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.users import deactivate_user
    from stm_tui.commands._access import find_user, with_step_up

    async def build(session: Session) -> WriteCall:
        item: Any = await find_user(session, who)
        return with_step_up(session, deactivate_user(item.id, item.display_name))

    run_write(ctx, opts, build)
