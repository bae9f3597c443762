"""`stm-tui client-cert create TOKEN --out FILE`: a client authentication certificate for an
API token. The service generates the PKCS#12 and its password; the file is written 0600 to
the path named before anything is sent (an existing file is never overwritten) and the
password printed once, to stdout only."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, refuse, request, run_write, write_options

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.session import Session


@click.group("client-cert", help="Client authentication certificates (the second factor).")
def client_cert() -> None:
    pass


def write_p12(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 (never following a link, never replacing a file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


@client_cert.command("create", help="Create a client certificate for an API token.")
@write_options
@click.argument("token")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the .p12 (must not exist yet).")
@click.option("--name", "name", default=None, help="Nickname (default: TOKEN-cert).")
@click.option("--end-date", "end_date", default=None, metavar="YYYY-MM-DD",
              help="No later than the token's end date.")
@click.pass_context
def create(
    ctx: click.Context,
    token: str,
    out: Path,
    name: str | None,
    end_date: str | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.credentials import CreateClientCertificate, create_client_certificate

    nickname = name or f"{token[:59]}-cert"
    request(CreateClientCertificate, {"name": nickname, "end_date": end_date}, {"name": "--name"})
    target = out.expanduser()

    async def build(session: Session) -> WriteCall:
        from stm_tui.commands._access import find_token

        if target.exists() or target.is_symlink():
            refuse(f"{target} exists: choose a new path (nothing was sent)")
        if not target.parent.is_dir():
            refuse(f"{target.parent} is not a directory (nothing was sent)")
        found: Any = await find_token(session, token)
        req = request(
            CreateClientCertificate,
            {"name": nickname, "end_date": end_date, "token_id": found.id},
            {"name": "--name"},
        )
        if not opts.dry_run:
            click.echo(f"stm-tui: the .p12 will be saved to {target} (mode 0600)", err=True)
        return create_client_certificate(req)

    async def after(outcome: WriteOutcome, session: Session) -> None:
        from stm_tui.commands._access import print_once

        p12 = outcome.secret("p12")
        password = outcome.secret("password")
        if p12 is None or password is None:
            click.echo("stm-tui: the service did not return the .p12 and its password", err=True)
            return
        try:
            data = base64.b64decode(p12.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            click.echo("stm-tui: the .p12 in the answer is not valid base64", err=True)
            return
        try:
            write_p12(target, data)
        except OSError as exc:
            click.echo(f"stm-tui: {target} not written: {exc.strerror or exc}", err=True)
        else:
            click.echo(f"stm-tui: saved {target} (mode 0600)", err=True)
        if opts.output != "json":
            print_once(password, "password of the .p12")

    run_write(ctx, opts, build, after)
