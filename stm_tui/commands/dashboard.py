"""`stm-tui` with no sub-command: open the dashboard for the active profile."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click
from pydantic import SecretStr

if TYPE_CHECKING:
    from stm_tui.config import Profile
    from stm_tui.credentials import ResolvedCredentials
    from stm_tui.session import Session
    from stm_tui.tui.screens.start_failure import StartProblem

EXIT_OK = 0
EXIT_CRASHED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3


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


def checked_keymap(profile: Any) -> dict[str, str]:
    """The profile's keymap, or ConfigError naming the file, the profile and what is wrong."""
    from stm_tui.api.errors import ConfigError
    from stm_tui.config import app_paths
    from stm_tui.tui.actions import KeymapError, check_keymap

    try:
        return check_keymap(profile.keymap)
    except KeymapError as exc:
        where = f"config file {app_paths().config_file}, profile {profile.name!r}"
        raise ConfigError(f"{where}: {exc}") from None


def checked_monitor(profile: Any) -> Any:
    """The profile's monitor settings (`[alerts]`, `signature_budget`), or ConfigError."""
    from stm_tui.api.errors import ConfigError
    from stm_tui.config import app_paths
    from stm_tui.views.monitor.settings import SettingsError, settings_for

    try:
        return settings_for(profile)
    except SettingsError as exc:
        raise ConfigError(f"config file {app_paths().config_file}, {exc}") from None


def run_dashboard(obj: dict[str, Any]) -> int:
    """Load the profile and credentials, then run the app. Returns the process exit code."""
    from stm_tui.api.errors import StmError
    from stm_tui.api.tls import build_ssl_context
    from stm_tui.commands._common import exit_code_for, tty_prompt
    from stm_tui.config import load_profile
    from stm_tui.connect import session_for_profile
    from stm_tui.credentials import resolve_credentials

    try:
        cli_theme = resolve_theme(obj.get("theme"), "--theme")
        profile = load_profile(obj.get("profile"))
        profile_theme = resolve_theme(profile.theme, config_theme_origin(profile))
        keymap = checked_keymap(profile)
        monitor = checked_monitor(profile)
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
        mode = profile.read_only if read_only is None else read_only

        # Open the p12 now: a wrong password fails here, before any screen opens. Built
        # once: each session (a retry makes a new one) shares it, and loading the system's
        # CA certificates took 70-140 ms a time.
        context = build_ssl_context(
            ca_file=profile.ca_file,
            client_cert_file=profile.client_cert_file,
            client_cert_password=credentials.client_cert_password,
        )

        def make_session(creds: ResolvedCredentials) -> Session:
            return session_for_profile(
                profile, creds, read_only=mode, cache=not obj.get("no_cache", False),
                ssl_context=context,
            )
    except StmError as exc:
        click.echo(f"stm-tui: {exc.message}", err=True)
        if "stm-tui demo" not in exc.message:
            click.echo("To look around first, run the built-in demo: stm-tui demo", err=True)
        return exit_code_for(exc)

    async def show_failure(problem: StartProblem) -> str:
        return await show_start_failure(problem, keymap)

    async def prepare() -> Session | int:
        return await connect_for_dashboard(
            profile, credentials, make_session, prompt=tty_prompt, show_failure=show_failure
        )

    options = {
        **obj, "theme": cli_theme, "time_zone": obj.get("time_zone") or profile.time_zone,
        "keymap": keymap, "monitor": monitor, "approval_bell": profile.approval_bell,
    }
    return run_prepared(prepare, options, theme_default=profile_theme)


# How often a key typed at the prompt may be refused before the start-failure screen.
MAX_PROMPTS = 3


async def show_start_failure(
    problem: StartProblem, keymap: dict[str, str] | None = None
) -> str:
    from stm_tui.tui.screens.start_failure import QUIT, StartFailureApp

    choice = await StartFailureApp(problem, keymap=keymap).run_async()
    return choice or QUIT


async def connect_for_dashboard(
    profile: Profile,
    credentials: ResolvedCredentials,
    make_session: Callable[[ResolvedCredentials], Session],
    *,
    prompt: Callable[[str], str | None] | None,
    show_failure: Callable[[StartProblem], Awaitable[str]],
) -> Session | int:
    """A session whose first request worked, or an exit code.

    A 401 for a key typed at the prompt asks again (up to `MAX_PROMPTS` keys in all); any
    other blocking failure (refused key from elsewhere, unreachable host, TLS) goes to the
    start-failure screen, which can retry, quit, or open the dashboard anyway."""
    from stm_tui.diagnose import diagnose
    from stm_tui.redact import register_secret
    from stm_tui.tui.screens.start_failure import (
        BLOCKING_KINDS,
        CONTINUE,
        RETRY,
        describe_start_failure,
    )

    typed = 1
    while True:
        session = make_session(credentials)
        error = await session.connect()
        if error is None or error.kind not in BLOCKING_KINDS:
            return session
        await session.client.aclose()
        refused = error.kind == "auth" and error.status == 401
        if refused and credentials.api_key_source == "prompt" and prompt and typed < MAX_PROMPTS:
            click.echo(
                f"stm-tui: {profile.host} refused that API key (401); try again "
                f"({typed + 1} of {MAX_PROMPTS})",
                err=True,
            )
            answer = await asyncio.to_thread(prompt, f"API key for {profile.host}")
            if not answer:
                return EXIT_AUTH
            register_secret(answer)
            credentials = replace(credentials, api_key=SecretStr(answer))
            typed += 1
            continue
        problem = describe_start_failure(
            error,
            host=session.client.host,
            credential_source=credentials.api_key_source,
            profile=profile.name,
            diagnose=functools.partial(diagnose, profile, credentials),
        )
        choice = await show_failure(problem)
        if choice == RETRY:
            continue
        if choice == CONTINUE and problem.can_continue:
            return make_session(credentials)
        return problem.exit_code


# Signals that end the dashboard cleanly (terminal restored, `finally` blocks run): a hang-up
# when the SSH connection drops or tmux kills the session, a plain `kill`, or Ctrl-C from
# outside the raw terminal.
EXIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


def run_app(
    session: Session,
    obj: dict[str, Any],
    *,
    theme_default: str | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> int:
    """Run the dashboard on a session. Non-zero when the app crashed, 128+N after signal N.

    `on_signal` runs first thing when one of `EXIT_SIGNALS` arrives (the demo deletes its
    private keys there, before anything else can go wrong on a terminal that is gone)."""

    async def ready() -> Session | int:
        return session

    return run_prepared(ready, obj, theme_default=theme_default, on_signal=on_signal)


def run_prepared(
    prepare: Callable[[], Awaitable[Session | int]],
    obj: dict[str, Any],
    *,
    theme_default: str | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> int:
    """`run_app` on what `prepare()` returns, in the same event loop (the session's HTTP
    connections belong to it); an int from `prepare` is the exit code."""
    from stm_tui.tui.app import StmApp

    # While the app owns the terminal, log records must not be written over the screen.
    logging.getLogger().addHandler(logging.NullHandler())
    mouse = not obj.get("no_mouse", False)
    received: list[int] = []
    apps: list[StmApp] = []

    def stop(signum: int) -> None:
        if not received and on_signal is not None:
            try:
                on_signal(signum)
            except Exception:
                logging.getLogger(__name__).exception("signal clean-up failed")
        received.append(signum)
        for app in apps:
            app.exit(return_code=128 + signum)

    async def main() -> int:
        ready = await prepare()
        if isinstance(ready, int):
            return ready
        # Who we are is known now: the inventory cache is read while the app starts.
        ready.start_cache()
        app = StmApp(
            ready,
            mouse=mouse,
            theme=obj.get("theme") or theme_default,
            time_zone=obj.get("time_zone"),
            keymap=obj.get("keymap"),
            monitor=obj.get("monitor"),
            approval_bell=obj.get("approval_bell", True),
        )
        apps.append(app)
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            loop.add_signal_handler(sig, stop, sig)
        try:
            await app.run_async(mouse=mouse)
        finally:
            for sig in EXIT_SIGNALS:
                loop.remove_signal_handler(sig)
        # Textual leaves the process exit code at 0 after a crash unless we pass it on.
        return EXIT_CRASHED if (app.return_code or 0) != 0 else EXIT_OK

    try:
        code = asyncio.run(main())
    except OSError:
        if not received:
            raise
        code = EXIT_OK  # after a hang-up the terminal is gone: restoring it fails, fine
    return 128 + received[0] if received else code
