"""`stm-tui` with no sub-command: open the dashboard for the active profile."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from stm_tui.session import Session

EXIT_OK = 0
EXIT_CRASHED = 1
EXIT_USAGE = 2


def resolve_theme(name: str | None, origin: str) -> str | None:
    """The Textual theme for a name users type (`dark`, `light`, `ansi` or any built-in
    Textual theme); ConfigError naming `origin` (the flag, or file, profile and key)."""
    if name is None:
        return None
    from textual.theme import BUILTIN_THEMES

    from stm_tui.api.errors import ConfigError
    from stm_tui.config import suggest
    from stm_tui.tui.app import THEMES

    key = name.strip().lower()
    if key in THEMES:
        return THEMES[key]
    if key in BUILTIN_THEMES:
        return key
    short = ["dark", "light", "ansi"]
    others = sorted(set(BUILTIN_THEMES) - set(THEMES.values()))
    raise ConfigError(
        f"{origin}: unknown theme {name!r}{suggest(key, [*THEMES, *BUILTIN_THEMES])}; "
        f"choose one of: {', '.join(short)} (or a Textual theme: {', '.join(others)})"
    )


def config_theme_origin(profile: Any) -> str:
    from stm_tui.config import app_paths

    return f"config file {app_paths().config_file}, profile {profile.name!r}: theme"


def run_dashboard(obj: dict[str, Any]) -> int:
    """Load the profile and credentials, then run the app. Returns the process exit code."""
    from stm_tui.api.errors import StmError
    from stm_tui.commands._common import exit_code_for, tty_prompt
    from stm_tui.config import load_profile
    from stm_tui.credentials import resolve_credentials
    from stm_tui.session import Session

    try:
        cli_theme = resolve_theme(obj.get("theme"), "--theme")
        profile = load_profile(obj.get("profile"))
        profile_theme = resolve_theme(profile.theme, config_theme_origin(profile))
        credentials = resolve_credentials(profile, prompt=tty_prompt)
        if credentials.api_key is None:
            click.echo(
                f"stm-tui: no API key for {profile.host}.\n"
                "  - set SM_API_KEY (or SM_API_KEY_FILE), or\n"
                f"  - store one with: stm-tui login --profile {profile.name}\n"
                "  - or try the built-in emulator: stm-tui demo",
                err=True,
            )
            return EXIT_USAGE
        read_only = obj.get("read_only")
        session = Session.from_profile(
            profile, credentials, read_only=profile.read_only if read_only is None else read_only
        )
    except StmError as exc:
        click.echo(f"stm-tui: {exc.message}", err=True)
        if "stm-tui demo" not in exc.message:
            click.echo("To look around first, run the built-in demo: stm-tui demo", err=True)
        return exit_code_for(exc)
    return run_app(session, {**obj, "theme": cli_theme}, theme_default=profile_theme)


# Signals that end the dashboard cleanly (terminal restored, `finally` blocks run): a hang-up
# when the SSH connection drops or tmux kills the session, a plain `kill`, or Ctrl-C from
# outside the raw terminal.
EXIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


def run_app(
    session: Session,
    obj: dict[str, Any],
    *,
    theme_default: str | None = None,
    clock: Callable[[], datetime] | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> int:
    """Run the dashboard on a session; non-zero when the app crashed, 128+N after signal N.

    `on_signal` runs first thing when one of `EXIT_SIGNALS` arrives (the demo deletes its
    private keys there, before anything else can go wrong on a terminal that is gone)."""
    from stm_tui.tui.app import StmApp

    # While the app owns the terminal, log records must not be written over the screen.
    logging.getLogger().addHandler(logging.NullHandler())
    mouse = not obj.get("no_mouse", False)
    app = StmApp(session, mouse=mouse, theme=obj.get("theme") or theme_default, clock=clock)
    received: list[int] = []

    def stop(signum: int) -> None:
        if not received and on_signal is not None:
            try:
                on_signal(signum)
            except Exception:
                logging.getLogger(__name__).exception("signal clean-up failed")
        received.append(signum)
        app.exit(return_code=128 + signum)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            loop.add_signal_handler(sig, stop, sig)
        try:
            await app.run_async(mouse=mouse)
        finally:
            for sig in EXIT_SIGNALS:
                loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    except OSError:
        if not received:
            raise
        # After a hang-up the terminal is gone: restoring it fails, which is fine.
    if received:
        return 128 + received[0]
    # Textual leaves the process exit code at 0 after a crash unless we pass it on.
    return EXIT_CRASHED if (app.return_code or 0) != 0 else EXIT_OK
