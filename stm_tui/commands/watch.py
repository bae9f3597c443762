"""`stm-tui watch`: the live release monitor, on a terminal or as JSON lines.

On a terminal (and without `-o jsonl`) it opens the monitor screen. Without one, or with
`-o jsonl`, it prints each new signature attempt and each alert as one JSON line, flushed,
for a log shipper or `tee` on a jump host, plus a `status` line when it starts watching and
when the connection drops or comes back.

Exit codes: 0 stopped (Ctrl-C, SIGTERM, or --duration reached), 2 usage, 3 credentials or
permissions refused, 4 no such release window, 5 the service stayed unreachable for longer
than --deadline.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from stm_tui.commands._common import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, setup_logging
from stm_tui.views.monitor.spark import GLYPH_SETS

RETRY_LOOKUP = 2.0  # seconds between tries to find the windows while unreachable


@click.command(
    "watch",
    help=(
        "Monitor release windows live: signatures, quota, rates, scans and alerts. "
        "On a terminal this opens the monitor; otherwise (or with -o jsonl) each new "
        "signature attempt and each alert is printed as a JSON line. "
        "Exit codes: 0 stopped, 2 usage, 3 refused, 4 no such release, "
        "5 unreachable for longer than --deadline."
    ),
)
@click.option("--release", "releases", multiple=True, metavar="NAME",
              help="Release window name or id; repeatable.")
@click.option("--all", "watch_all", is_flag=True, help="Watch every open release window.")
@click.option("-o", "--output", type=click.Choice(["jsonl"]), default=None,
              help="JSON lines on stdout even on a terminal.")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record what the monitor sees to FILE (JSON lines) for `stm-tui replay`.")
@click.option("--deadline", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds the service may stay unreachable before exiting 5 (headless).")
@click.option("--interval", type=click.FloatRange(0.1, 300), default=2.0, show_default=True,
              help="Seconds between polls of an open window.")
@click.option("--duration", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds (headless).")
@click.option("--history", is_flag=True,
              help="Also print the attempts made in the windows before the watch started.")
@click.option("--budget", "monthly", type=click.IntRange(min=1), default=None,
              help="Monthly signature budget for the budget view (default: the profile's "
                   "signature_budget).")
@click.option("--glyphs", type=click.Choice(GLYPH_SETS), default="blocks", show_default=True,
              help="Sparkline glyphs: blocks, braille, or ascii for plain fonts.")
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def watch(ctx: click.Context, releases: tuple[str, ...], watch_all: bool, output: str | None,
          record: Path | None, deadline: float, interval: float, duration: float | None,
          history: bool, monthly: int | None, glyphs: str, profile: str | None) -> None:
    if not releases and not watch_all:
        raise click.UsageError("give --release NAME (repeatable) or --all")
    headless = output == "jsonl" or not (sys.stdout.isatty() and sys.stdin.isatty())
    setup_logging()
    options = {
        "releases": releases, "watch_all": watch_all, "record": record,
        "deadline": deadline, "interval": interval, "duration": duration,
        "history": history, "monthly": monthly, "glyphs": glyphs, "profile": profile,
        "theme": (ctx.obj or {}).get("theme"),
        "local_time": (ctx.obj or {}).get("time_zone") == "local",
    }
    from stm_tui.api.errors import StmError
    from stm_tui.commands._common import fail

    try:
        code = asyncio.run(_run(ctx, headless, options))
    except StmError as err:
        fail(err)
    sys.exit(code)


async def _windows(source: Any, options: dict[str, Any], deadline: float) -> Any:
    """The windows to watch; retried while the service is unreachable, up to `deadline`."""
    from stm_tui.commands._monitor import source_failed
    from stm_tui.views.monitor.feed import SourceError

    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while True:
        try:
            found = [await source.find_release(name) for name in options["releases"]]
            if options["watch_all"]:
                known = {w.id for w in found}
                found += [w for w in await source.open_releases() if w.id not in known]
            return found
        except SourceError as err:
            if err.kind != "unreachable" or loop.time() >= give_up:
                return source_failed(err)
            await asyncio.sleep(RETRY_LOOKUP)


async def _run(ctx: click.Context, headless: bool, options: dict[str, Any]) -> int:
    from stm_tui.commands._monitor import profile_source, utc_now
    from stm_tui.views.monitor.feed import MonitorFeed
    from stm_tui.views.monitor.model import MonitorModel
    from stm_tui.views.monitor.recording import Recorder
    from stm_tui.views.monitor.settings import settings_for

    async with profile_source(ctx, options["profile"]) as (profile, source):
        windows = await _windows(source, options, options["deadline"])
        if isinstance(windows, int):
            return windows
        if not windows and not options["watch_all"]:
            click.echo("stm-tui: no release window to watch", err=True)
            return EXIT_USAGE
        settings = settings_for(profile, options["monthly"])
        options["budget_config"] = settings.budget
        config = settings.alerts
        recorder = None
        if options["record"] is not None:
            try:
                recorder = Recorder(options["record"], config=config, started=utc_now())
            except OSError as exc:
                click.echo(f"stm-tui: cannot record to {options['record']}: {exc.strerror}",
                           err=True)
                return EXIT_USAGE
        model = MonitorModel(windows, clock=utc_now, config=config, recorder=recorder,
                             interval=options["interval"])
        feed = MonitorFeed(source, model, interval=options["interval"],
                           watch_all=options["watch_all"])
        try:
            if headless:
                return await _headless(feed, options)
            return await _terminal(feed, source, options)
        finally:
            if recorder is not None:
                recorder.close()


async def _headless(feed: Any, options: dict[str, Any]) -> int:
    from stm_tui.commands._monitor import JsonLines
    from stm_tui.views.monitor.feed import deadline_passed

    model = feed.model
    lines = JsonLines(history=options["history"])

    def names() -> dict[str, str]:
        return {wid: wm.window.name for wid, wm in model.windows.items()}

    feed.on_attempts.append(lambda related: lines.attempts(related, model.clock(), names()))
    feed.on_poll.append(lambda result: lines.poll(result, model.clock(), names()))
    started = model.clock()
    limit = timedelta(seconds=options["deadline"])
    outcome = {"code": EXIT_OK}

    def check(result: Any) -> None:
        if result.ok:
            return
        if result.kind in ("refused", "not_found"):
            from stm_tui.commands._monitor import exit_for
            from stm_tui.views.monitor.feed import SourceError

            outcome["code"] = exit_for(SourceError(result.error or "", result.kind))
            feed.stop()
        elif deadline_passed(model, started, limit):
            outcome["code"] = EXIT_UNAVAILABLE
            feed.stop()

    feed.on_poll.append(check)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, feed.stop)
    if options["duration"]:
        loop.call_later(options["duration"], feed.stop)
    try:
        await feed.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if outcome["code"] == EXIT_UNAVAILABLE:
        click.echo(
            f"stm-tui: the service was unreachable for more than {options['deadline']:g} s: "
            f"{model.freshness.error}", err=True)
    elif outcome["code"] != EXIT_OK:
        click.echo(f"stm-tui: {model.freshness.error}", err=True)
    return int(outcome["code"])


async def _terminal(feed: Any, source: Any, options: dict[str, Any]) -> int:
    from datetime import datetime

    from stm_tui.commands._monitor import utc_now
    from stm_tui.config import app_paths
    from stm_tui.tui.monitor_app import MonitorApp
    from stm_tui.tui.screens.monitor import MonitorScreen
    from stm_tui.views.monitor.budget import load_budget

    budget = options["budget_config"]
    tz = datetime.now().astimezone().tzinfo if options["local_time"] else None

    async def load() -> Any:
        return await load_budget(source, utc_now(), budget)

    def make() -> MonitorScreen:
        kwargs: dict[str, Any] = {"tz": tz} if tz is not None else {}
        return MonitorScreen(feed=feed, budget=load, glyphs=options["glyphs"],
                             export_dir=app_paths().data_dir / "exports", **kwargs)

    from stm_tui.commands.dashboard import resolve_theme

    app = MonitorApp(make, theme=resolve_theme(options["theme"], "--theme"))
    await app.run_async()
    feed.stop()
    return EXIT_OK
