"""Plumbing the monitor's commands share: a read-only client for the profile, the source over
it, exit codes for the source's errors, and JSON lines on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import IO, Any

import click

from stm_tui.commands._common import (
    EXIT_AUTH,
    EXIT_NOT_FOUND,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    profile_name,
    tty_prompt,
)
from stm_tui.sanitize import clean_message, escape_json
from stm_tui.views.monitor.alerts import Alert
from stm_tui.views.monitor.feed import PollResult, SourceError
from stm_tui.views.monitor.model import Related
from stm_tui.views.monitor.records import iso

SOURCE_EXIT = {
    "refused": EXIT_AUTH,
    "not_found": EXIT_NOT_FOUND,
    "ambiguous": EXIT_USAGE,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def exit_for(err: SourceError) -> int:
    return SOURCE_EXIT.get(err.kind, EXIT_UNAVAILABLE)


def source_failed(err: SourceError) -> int:
    click.echo(f"stm-tui: {clean_message(err.message)}", err=True)
    return exit_for(err)


@asynccontextmanager
async def profile_source(ctx: click.Context, profile: str | None) -> AsyncIterator[Any]:
    """(the profile, a `ClientSource` over a read-only client for it); exits 3 without a
    key, 2 when the profile's monitor settings are wrong."""
    from stm_tui.config import load_profile
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import resolve_credentials_async
    from stm_tui.views.monitor.client_source import ClientSource
    from stm_tui.views.monitor.settings import SettingsError, settings_for

    prof = load_profile(profile_name(ctx, profile))
    try:
        settings_for(prof)
    except SettingsError as exc:
        click.echo(f"stm-tui: {clean_message(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    creds = await resolve_credentials_async(prof, prompt=tty_prompt)
    if creds.api_key is None and prof.client_cert_file is None:
        click.echo(
            "stm-tui: no API key: set SM_API_KEY (or SM_API_KEY_FILE), or run `stm-tui login`",
            err=True,
        )
        sys.exit(EXIT_AUTH)
    # Monitoring never writes: the adapter refuses anything but GET.
    async with client_for_profile(prof, creds, read_only=True) as client:
        yield prof, ClientSource(client)


@asynccontextmanager
async def client_source(ctx: click.Context, profile: str | None) -> AsyncIterator[Any]:
    """A `ClientSource` over a read-only client for the profile (see `profile_source`)."""
    async with profile_source(ctx, profile) as (_prof, source):
        yield source


class JsonLines:
    """Attempts, alerts and connection changes as one JSON object per line, flushed.

    Attempts seen by the first poll (the windows' history) are left out unless `history`;
    every line is written with the characters a terminal acts on escaped."""

    def __init__(self, out: IO[str] | None = None, *, history: bool = False) -> None:
        self.out = out or sys.stdout
        self.history = history
        self.started = False
        self.connected: bool | None = None
        self.lines = 0

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(escape_json(json.dumps(record, ensure_ascii=False)) + "\n")
        self.out.flush()
        self.lines += 1

    def attempts(self, related: list[Related], now: datetime, names: dict[str, str]) -> None:
        if not self.started and not self.history:
            return
        for item in related:
            self.write({
                "type": "attempt",
                "time": iso(now),
                "watched": {"id": item.window_id, "name": names.get(item.window_id, "")},
                "relation": item.relation,
                **item.attempt.as_dict(),
            })

    def alerts(self, alerts: list[Alert], now: datetime) -> None:
        for alert in alerts:
            self.write({"type": "alert", "time": iso(now), **alert.as_dict()})

    def poll(self, result: PollResult, now: datetime, names: dict[str, str]) -> None:
        if result.ok and not self.started:
            self.started = True
            self.write({"type": "status", "time": iso(now), "state": "watching",
                        "releases": [{"id": k, "name": v} for k, v in names.items()]})
        elif result.ok and self.connected is False:
            self.write({"type": "status", "time": iso(now), "state": "connected"})
        elif not result.ok and self.connected is not False:
            self.write({"type": "status", "time": iso(now), "state": "disconnected",
                        "kind": result.kind, "error": result.error})
        self.connected = result.ok
        self.alerts(result.alerts, now)
