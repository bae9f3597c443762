"""Shared plumbing for the headless commands: profile + credentials, exit codes, logging."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

import click

from stm_tui.api.errors import NOT_TRANSIENT, ClientCertPasswordError, StmError
from stm_tui.sanitize import clean_message

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_UNAVAILABLE = 5


def exit_code_for(err: StmError) -> int:
    if isinstance(err, ClientCertPasswordError) or err.kind in NOT_TRANSIENT:
        return EXIT_AUTH
    if err.kind == "not_found":
        return EXIT_NOT_FOUND
    if err.kind == "config" and err.status is None and err.method is None:
        return EXIT_USAGE  # a local configuration problem, found before any request
    return EXIT_UNAVAILABLE


def fail(err: StmError) -> NoReturn:
    # The message may quote a server's error body: never raw on the user's terminal.
    click.echo(f"stm-tui: {clean_message(err.message)}", err=True)
    sys.exit(exit_code_for(err))


def setup_logging() -> None:
    """stderr logging at SM_LOG_LEVEL (smctl's variable; default WARNING), secrets masked."""
    from stm_tui import redact

    level_name = os.environ.get("SM_LOG_LEVEL", "WARNING").strip().upper()
    level_name = {"WARN": "WARNING", "TRACE": "DEBUG", "FATAL": "CRITICAL"}.get(
        level_name, level_name
    )
    level = logging.getLevelName(level_name)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    redact.install(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else logging.WARNING)


def profile_name(ctx: click.Context, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    obj: dict[str, Any] = ctx.obj or {}
    value = obj.get("profile")
    return value if isinstance(value, str) else None


def tty_prompt(label: str) -> str | None:
    """Ask on the terminal (masked) only when there is one; scripts never block."""
    if not sys.stdin.isatty():
        return None
    answer = click.prompt(label, hide_input=True, default="", show_default=False, err=True)
    return str(answer) or None
