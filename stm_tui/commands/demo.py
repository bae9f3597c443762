"""`stm-tui demo`: the built-in STM emulator in-process, and the dashboard on it as the Lead.

Without `--data` the demo's state (a SQLite file with real private keys, the demo CA) lives
in a fresh private temp directory that must not outlive the demo: it is removed on `q`, on
SIGHUP (an SSH drop, `tmux kill-session`), SIGTERM and SIGINT, and a `demo.pid` file in it
lets the next `stm-tui demo` remove directories whose process died without cleaning up
(SIGKILL, a power cut). A directory whose process is alive is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

DEMO_PREFIX = "stm-tui-demo-"
PID_FILE = "demo.pid"
ENV_FILE = "demo.env"
KEY_FILE = "demo-api-key"


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
@click.option(
    "--print-env",
    is_flag=True,
    help="Write the demo's SM_HOST and a Lead API key to a 0600 env file in the demo's "
    "directory and print how to use it, so `stm-tui get` works against the running demo.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    data_dir: Path | None,
    profile: str | None,
    read_only: bool | None,
    no_mouse: bool | None,
    theme: str | None,
    print_env: bool,
) -> None:
    """Open the dashboard on the built-in STM emulator (demo organisation, live activity)."""
    obj: dict[str, Any] = dict(ctx.obj or {})
    # Options given after `demo` win over the same options given before it.
    for key, value in (("read_only", read_only), ("no_mouse", no_mouse), ("theme", theme)):
        if value is not None:
            obj[key] = value
    obj["print_env"] = print_env
    ctx.exit(run_demo(obj, data_dir))


# ------------------------------------------------------------------ demo directories


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a live demo
    from an unrelated process that got the same pid later."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def write_pid_file(folder: Path) -> None:
    pid = os.getpid()
    fd = os.open(folder / PID_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{pid} {_start_time(pid) or '-'}\n")


def demo_alive(folder: Path) -> bool | None:
    """Whether the demo owning `folder` still runs; None when that cannot be told (no or
    unreadable pid file: a demo starting right now, or one from an older version)."""
    try:
        pid_text, _, started = (folder / PID_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process has that pid: alive, and not ours to judge
    now_started = _start_time(pid)
    # A different start time means the pid was reused by a later process.
    return started in ("", "-") or now_started is None or now_started == started


def remove_stale_demos(root: Path) -> list[Path]:
    """Remove this user's demo directories under `root` whose demo process is gone."""
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    for folder in sorted(root.glob(DEMO_PREFIX + "*")):
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not folder.is_dir() or folder.is_symlink():
            continue
        if uid is not None and info.st_uid != uid:
            continue
        if demo_alive(folder) is False:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def demo_directory() -> Iterator[Path]:
    """A fresh private directory for one demo, with its pid file; removed on the way out."""
    folder = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))  # 0700
    try:
        write_pid_file(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_env_file(folder: Path, url: str, api_key: str) -> Path:
    """`demo.env` (0600): SM_HOST and SM_API_KEY_FILE pointing at a 0600 key file, so the
    key never sits on a command line or in the screen's scrollback."""
    key_file = folder / KEY_FILE
    env_file = folder / ENV_FILE
    for path, text in (
        (key_file, api_key + "\n"),
        (env_file, f"export SM_HOST={url}\nexport SM_API_KEY_FILE={key_file}\n"),
    ):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    return env_file


# ------------------------------------------------------------------ running


def run_demo(obj: dict[str, Any], data_dir: Path | None) -> int:
    from stm_tui.api.errors import StmError
    from stm_tui.commands.dashboard import resolve_theme

    try:
        obj = {**obj, "theme": resolve_theme(obj.get("theme"), "--theme")}
    except StmError as exc:
        click.echo(f"stm-tui: {exc.message}", err=True)
        return 2
    if data_dir is not None:
        from stm_tui.config import ensure_private_dir

        ensure_private_dir(data_dir)
        return _run(obj, data_dir, temporary=False)
    stale = remove_stale_demos(Path(tempfile.gettempdir()))
    if stale:
        click.echo(
            f"Removed {len(stale)} demo director{'y' if len(stale) == 1 else 'ies'} left "
            "behind by demos that did not exit cleanly.",
            err=True,
        )
    with demo_directory() as folder:
        return _run(obj, folder, temporary=True)


def _run(obj: dict[str, Any], data_dir: Path, *, temporary: bool) -> int:
    from pydantic import SecretStr

    from stm_tui.api.client import STMClient
    from stm_tui.commands.dashboard import run_app
    from stm_tui.emulator.server import EmulatorServer
    from stm_tui.provenance import for_demo
    from stm_tui.session import Session

    click.echo(f"Starting the STM emulator (demo data in {data_dir})…", err=True)
    server = EmulatorServer(data_dir=data_dir, seed="demo", port=0, activity=True)

    def on_signal(_signum: int) -> None:
        # The private keys go first: after a hang-up, anything later may fail.
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)

    server.start()
    try:
        lead = server.credentials["users"]["lead"]
        key_file = None
        if obj.get("print_env"):
            env_file = write_env_file(data_dir, server.url, lead["api_key"])
            key_file = data_dir / KEY_FILE
            click.echo(
                f"To use `stm-tui get` against this demo from another shell:\n"
                f"  . {env_file}\n"
                f"(SM_HOST={server.url}; the Lead's API key is in {data_dir / KEY_FILE}, "
                "0600; both go away with the demo)",
                err=True,
            )
            if sys.stdin.isatty():
                # The dashboard takes over the screen: let the user copy the line first.
                click.prompt(
                    "Press Enter to open the dashboard",
                    default="",
                    show_default=False,
                    err=True,
                )
        read_only = obj.get("read_only")
        client = STMClient(
            server.url, SecretStr(lead["api_key"]), read_only=read_only is not False
        )
        session = Session(
            client, profile_name="demo", read_only=read_only is not False,
            provenance=for_demo(key_file, temporary=temporary),
        )
        return run_app(session, obj, on_signal=on_signal)
    finally:
        server.stop()
