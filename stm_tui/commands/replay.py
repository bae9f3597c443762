"""`stm-tui replay FILE`: play a `watch --record` file back in the monitor, for post-mortems.

On a terminal: the monitor screen over the recording (space pauses, f/s change the speed,
←/→ seek 30 s, home/end jump). Without one, or with `-o jsonl`: the recording's attempts,
alerts and connection changes as the JSON lines `watch -o jsonl` printed while recording.

Exit codes: 0 played, 2 usage or an unreadable recording.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stm_tui.commands._common import EXIT_OK, EXIT_USAGE
from stm_tui.views.monitor.spark import GLYPH_SETS

if TYPE_CHECKING:
    from stm_tui.views.monitor.recording import Recording


@click.command("replay", help=__doc__.split("\n\n")[1] if __doc__ else None)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Choice(["jsonl"]), default=None,
              help="JSON lines on stdout even on a terminal.")
@click.option("--history", is_flag=True,
              help="Also print the attempts made before the recorded watch started.")
@click.option("--speed", type=click.FloatRange(0.5, 128), default=1.0, show_default=True,
              help="Playback speed on the terminal.")
@click.option("--glyphs", type=click.Choice(GLYPH_SETS), default="blocks", show_default=True)
@click.pass_context
def replay(ctx: click.Context, file: Path, output: str | None, history: bool, speed: float,
           glyphs: str) -> None:
    from stm_tui.views.monitor.recording import Recording, RecordingError

    try:
        recording = Recording(file)
    except RecordingError as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    headless = output == "jsonl" or not (sys.stdout.isatty() and sys.stdin.isatty())
    try:
        if headless:
            _print(recording, history)
        else:
            _show(ctx, recording, speed, glyphs)
    except RecordingError as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK)


def _print(recording: Recording, history: bool) -> None:
    """The recording as `watch -o jsonl` printed it: the same model fed the same events."""
    from stm_tui.commands._monitor import JsonLines
    from stm_tui.views.monitor.feed import PollResult
    from stm_tui.views.monitor.model import MonitorModel
    from stm_tui.views.monitor.recording import apply_event
    from stm_tui.views.monitor.records import attempts_from, timestamp

    now = [recording.start]
    model = MonitorModel(clock=lambda: now[0], config=recording.config,
                         stream_limit=recording.stream_limit)
    lines = JsonLines(history=history)
    polled: PollResult | None = None
    for _index, event in recording.events():
        now[0] = timestamp(event.get("t")) or now[0]
        names = {wid: wm.window.name for wid, wm in model.windows.items()}
        kind = event.get("type")
        if kind == "attempts":
            lines.attempts(model.ingest(attempts_from(event.get("items") or [])), now[0], names)
        elif kind == "evaluate":
            alerts = model.evaluate()
            if polled is None:
                lines.alerts(alerts, now[0])
            else:
                polled.alerts = alerts
                lines.poll(polled, now[0], names)
                polled = None
        else:
            apply_event(model, event)
            if kind == "poll":
                error = event.get("error")
                polled = PollResult(bool(event.get("ok")),
                                    error=error if isinstance(error, str) else None,
                                    kind=None if event.get("ok") else str(event.get("kind")))


def _show(ctx: click.Context, recording: Recording, speed: float, glyphs: str) -> None:
    from stm_tui.commands.dashboard import resolve_theme
    from stm_tui.tui.monitor_app import MonitorApp
    from stm_tui.tui.screens.monitor import MonitorScreen
    from stm_tui.views.monitor.recording import Replay

    player = Replay(recording)
    player.speed = speed
    theme = resolve_theme((ctx.obj or {}).get("theme"), "--theme")
    MonitorApp(lambda: MonitorScreen(replay=player, glyphs=glyphs), theme=theme).run()
