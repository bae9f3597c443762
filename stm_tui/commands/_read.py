"""A read-only client from the profile for commands that only read (`scan show`,
`approvals`), with the same messages and exit codes as `get`."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import click

from stm_tui.commands._common import EXIT_AUTH, profile_name, tty_prompt

if TYPE_CHECKING:
    from stm_tui.api.client import STMClient


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
    async with client_for_profile(prof, creds, read_only=True) as client:
        yield client
