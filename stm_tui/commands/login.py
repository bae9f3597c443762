"""`stm-tui login`: store the API key (and the client-certificate password) for a profile.

Secrets are read from a masked prompt or stdin, never from the command line (argv is visible
in `ps` and shell history). The OS keyring is used unless `--store file` asks for the 0600
plain-text file store; with no usable keyring the command refuses rather than silently
falling back to plain text.
"""

from __future__ import annotations

import sys

import click
from pydantic import SecretStr

from stm_tui.commands._common import fail, profile_name


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
@click.pass_context
def login(ctx: click.Context, profile: str | None, store: str, from_stdin: bool) -> None:
    from stm_tui.api.errors import StmError
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
    try:
        if api_key is not None:
            where = store_secret(prof, "api_key", api_key, store=store)  # type: ignore[arg-type]
            click.echo(f"API key for profile {prof.name!r} stored in {where}", err=True)
        if password is not None:
            where = store_secret(prof, "client_cert_password", password, store=store)  # type: ignore[arg-type]
            click.echo(f"client certificate password stored in {where}", err=True)
    except StmError as err:
        fail(err)
