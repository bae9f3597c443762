"""`stm-tui keypair ...`: keypair changes from a runbook, with the guard rails of every write
(`--dry-run`, `--yes`, `--confirm`, `-o json`; see `stm_tui.commands._write`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from stm_tui.commands._write import WriteOptions, find, run_write, write_options

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


@click.group("keypair", help="Generate, change, suspend or delete keypairs (by alias or id).")
def keypair() -> None:
    pass


def _by_alias(builder_name: str) -> Callable[..., None]:
    """suspend / unsuspend / delete: one keypair named by alias or id, nothing else asked."""

    @write_options
    @click.argument("alias")
    @click.pass_context
    def command(ctx: click.Context, alias: str, opts: WriteOptions) -> None:
        from stm_tui.api.writes import keypairs

        async def build(session: Session) -> WriteCall:
            item = await find(session, "keypairs", alias)
            builder = getattr(keypairs, builder_name)
            call: WriteCall = builder(item.id, item.alias or item.id)
            return call

        run_write(ctx, opts, build)

    return command


_HELP = {
    "suspend": "Suspend a keypair: set it OFFLINE (it signs only in an approved offline window).",
    "unsuspend": "Unsuspend a keypair: set it ONLINE.",
    "delete": "Delete a keypair and revoke its certificates (irreversible: --confirm ALIAS).",
}
for _verb in ("suspend", "unsuspend", "delete"):
    keypair.command(_verb, help=_HELP[_verb])(_by_alias(f"{_verb}_keypair"))
