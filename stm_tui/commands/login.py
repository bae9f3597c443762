"""`stm-tui login`: store the API key (and the client-certificate password) for a profile.

Secrets are read from a masked prompt or stdin, never from the command line (argv is visible
in `ps` and shell history). The OS keyring is used unless `--store file` asks for the 0600
plain-text file store; with no usable keyring the command refuses rather than silently
falling back to plain text.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import click
from pydantic import SecretStr

from stm_tui.api.errors import ClientCertPasswordError, PermissionDenied, StmError
from stm_tui.commands._common import exit_code_for, fail, profile_name
from stm_tui.config import Profile
from stm_tui.sanitize import clean_cell


@click.command("login")
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.option(
    "--store",
    type=click.Choice(["keyring", "file"]),
    default="keyring",
    show_default=True,
    help="keyring: the OS credential store; file: a 0600 plain-text file under the config dir.",
)
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the API key from the first line of stdin (and the certificate password from "
    "the second, when the profile has a client certificate).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Store the key even when it cannot be checked against the host (offline, say).",
)
@click.pass_context
def login(
    ctx: click.Context, profile: str | None, store: str, from_stdin: bool, force: bool
) -> None:
    """Check an API key (and client-certificate password) against the profile's host, then
    store it in the OS keyring (or, with --store file, a 0600 plain-text file).

    The key is read from a masked prompt or from stdin, never from the command line. Before
    anything is stored, one read (who am I) is made with it: a key the host refuses is not
    stored; if the host cannot be reached, the key is stored only with --force.
    """
    from stm_tui.config import load_profile
    from stm_tui.credentials import store_secret

    try:
        prof = load_profile(profile_name(ctx, profile))
    except StmError as err:
        fail(err)
    lines = sys.stdin.read().splitlines() if from_stdin else []

    def ask(label: str, index: int) -> SecretStr | None:
        if from_stdin:
            value = lines[index].strip() if index < len(lines) else ""
        else:
            value = click.prompt(label, hide_input=True, default="", show_default=False, err=True)
        return SecretStr(value) if value else None

    api_key = ask(f"API key for {prof.host}", 0)
    password = ask("Client certificate password", 1) if prof.client_cert_file else None
    if api_key is None and password is None:
        raise click.UsageError("nothing to store: no API key given")
    verdict = asyncio.run(check_key(prof, api_key, password))
    if verdict.error is not None and (verdict.refused or not force):
        click.echo(f"stm-tui: {verdict.describe(prof.host)}", err=True)
        if not verdict.refused:
            click.echo("Nothing was stored; --force stores it unchecked.", err=True)
        else:
            click.echo("Nothing was stored.", err=True)
        sys.exit(exit_code_for(verdict.error))
    click.echo(verdict.describe(prof.host), err=True)
    try:
        if api_key is not None:
            where = store_secret(prof, "api_key", api_key, store=store)  # type: ignore[arg-type]
            click.echo(f"API key for profile {prof.name!r} stored in {where}", err=True)
        if password is not None:
            where = store_secret(prof, "client_cert_password", password, store=store)  # type: ignore[arg-type]
            click.echo(f"client certificate password stored in {where}", err=True)
    except StmError as err:
        fail(err)


@dataclass(frozen=True)
class Verdict:
    """What one read with the new credentials said."""

    error: StmError | None = None
    user: str | None = None

    @property
    def refused(self) -> bool:
        """The host answered and refused the credentials (not merely unreachable)."""
        return self.error is not None and (
            self.error.kind == "auth" or isinstance(self.error, ClientCertPasswordError)
        )

    def describe(self, host: str) -> str:
        if self.error is None:
            who = f" (user {self.user})" if self.user else ""
            return f"checked: {host} accepts the key{who}"
        if self.refused:
            return f"{host} refused the credentials: {self.error.message}"
        return f"the key could not be checked against {host}: {self.error.message}"


async def check_key(
    profile: Profile, api_key: SecretStr | None, password: SecretStr | None
) -> Verdict:
    """One read (the current user) with the given credentials, read-only, short deadline."""
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import ResolvedCredentials

    creds = ResolvedCredentials(
        api_key=api_key,
        api_key_source="login",
        client_cert_password=password,
        client_cert_password_source="login" if password is not None else "none",
    )
    try:
        async with client_for_profile(profile, creds, read_only=True, deadline=20.0) as c:
            me = await c.me()
    except PermissionDenied:
        return Verdict()  # authenticated; this role just may not read its own user
    except StmError as exc:
        return Verdict(error=exc)
    return Verdict(user=clean_cell(me.display_name))
