"""The plumbing of a headless read that is not a listing (`certificate download`, `copy-as`):
a client that cannot write, and the exit codes of `get` (2 ambiguous name, 3 auth, 4 not
found, 5 unreachable or a bad answer)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from stm_tui.commands._common import (
    EXIT_AUTH,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    fail,
    profile_name,
    setup_logging,
    tty_prompt,
)
from stm_tui.commands._lookup import AmbiguousName, NoSuchName

if TYPE_CHECKING:
    from stm_tui.api.client import STMClient

T = TypeVar("T")


@asynccontextmanager
async def read_client(ctx: click.Context, profile: str | None) -> AsyncIterator[STMClient]:
    from stm_tui.config import load_profile
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import resolve_credentials_async

    prof = load_profile(profile_name(ctx, profile))
    creds = await resolve_credentials_async(prof, prompt=tty_prompt)
    if creds.api_key is None and prof.client_cert_file is None:
        click.echo(
            "stm-tui: no API key: set SM_API_KEY (or SM_API_KEY_FILE), or run `stm-tui login`",
            err=True,
        )
        sys.exit(EXIT_AUTH)
    # A read never writes, whatever the profile says: the adapter refuses non-GET requests.
    async with client_for_profile(prof, creds, read_only=True) as client:
        yield client


def run_read(work: Coroutine[Any, Any, T]) -> T:
    """Run `work`, turning the client's errors into their exit codes."""
    from stm_tui.api.errors import StmError

    setup_logging()
    try:
        return asyncio.run(work)
    except StmError as err:
        fail(err)
    except AmbiguousName as exc:
        click.echo("\n".join(exc.lines), err=True)
        sys.exit(EXIT_USAGE)
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
