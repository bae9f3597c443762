"""`stm-tui demo`: the built-in STM emulator in-process, and the dashboard on it as the Lead."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click


@click.command("demo")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's state in DIR between runs (default: a fresh temporary directory).",
)
@click.option("--profile", "profile", default=None, hidden=True)
@click.option("--read-only/--write", "read_only", default=None, help="Read-only is the default.")
@click.option("--no-mouse", is_flag=True, default=None, help="Do not capture the mouse.")
@click.option("--theme", default=None, help="Colour theme: dark, light or ansi.")
@click.pass_context
def demo(
    ctx: click.Context,
    data_dir: Path | None,
    profile: str | None,
    read_only: bool | None,
    no_mouse: bool | None,
    theme: str | None,
) -> None:
    """Open the dashboard on the built-in STM emulator (demo organisation, live activity)."""
    obj: dict[str, Any] = dict(ctx.obj or {})
    # Options given after `demo` win over the same options given before it.
    for key, value in (("read_only", read_only), ("no_mouse", no_mouse), ("theme", theme)):
        if value is not None:
            obj[key] = value
    ctx.exit(run_demo(obj, data_dir))


def run_demo(obj: dict[str, Any], data_dir: Path | None) -> int:
    from stm_tui.api.errors import StmError
    from stm_tui.commands.dashboard import resolve_theme

    try:
        obj = {**obj, "theme": resolve_theme(obj.get("theme"), "--theme")}
    except StmError as exc:
        click.echo(f"stm-tui: {exc.message}", err=True)
        return 2
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return _run(obj, data_dir)
    with tempfile.TemporaryDirectory(prefix="stm-tui-demo-") as tmp:
        return _run(obj, Path(tmp))


def _run(obj: dict[str, Any], data_dir: Path) -> int:
    from pydantic import SecretStr

    from stm_tui.api.client import STMClient
    from stm_tui.commands.dashboard import run_app
    from stm_tui.emulator.server import EmulatorServer
    from stm_tui.session import Session

    click.echo(f"Starting the STM emulator (demo data in {data_dir})…", err=True)
    server = EmulatorServer(data_dir=data_dir, seed="demo", port=0, activity=True)
    server.start()
    try:
        lead = server.credentials["users"]["lead"]
        read_only = obj.get("read_only")
        client = STMClient(
            server.url, SecretStr(lead["api_key"]), read_only=read_only is not False
        )
        session = Session(client, profile_name="demo", read_only=read_only is not False)
        return run_app(session, obj)
    finally:
        server.stop()
