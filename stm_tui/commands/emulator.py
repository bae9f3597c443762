"""`stm-tui emulator`: run the STM emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click


def _cannot_listen(host: str, port: int, exc: OSError) -> int:
    """Say why the listener could not be opened; the exit code (2: a usage problem)."""
    import errno

    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        why = f"port {port} is already in use on {host} (another emulator?)"
    elif exc.errno == errno.EACCES:
        why = f"not allowed to listen on {where} (ports below 1024 need privileges)"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{host} is not an address of this machine"
    else:
        why = f"cannot listen on {where}: {exc.strerror or exc}"
    click.echo(
        f"stm-tui: {why} ({where}); choose another with --port N, or --port 0 for a free one",
        err=True,
    )
    return 2


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stm-tui")) / "emulator"


@click.command("emulator")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (loopback unless you mean otherwise).",
)
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port; 0 picks a free one.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: the user data dir).",
)
@click.option(
    "--seed",
    default="demo",
    show_default=True,
    help="Seed for a new data dir: demo, empty or scale:N.",
)
@click.option(
    "--credentials-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the URL, the admin token and each role's API key (with --tls also its .p12 "
    "and password) here, mode 0600, once ready.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS and ask for client certificates, the second factor that signing and "
    "key and certificate generation need (reads work with the API key alone).",
)
@click.option(
    "--faults",
    default=None,
    help="e.g. latency_ms=200,error_rate=0.3,rate_limit_rate=0.1,drop_rate=0.05",
)
@click.option(
    "--activity/--no-activity",
    default=True,
    show_default=True,
    help="Sign inside open release windows (see --activity-rate).",
)
@click.option(
    "--activity-rate",
    default=15.0,
    show_default=True,
    type=click.FloatRange(0, 6000),
    help="Signature attempts per minute of the activity simulator (0 pauses it).",
)
@click.option(
    "--rng-seed", default=1, show_default=True, type=int, help="Seed of the demo data generator."
)
def emulator(
    host: str,
    port: int,
    data_dir: Path | None,
    seed: str,
    credentials_file: Path | None,
    tls: bool,
    faults: str | None,
    activity: bool,
    activity_rate: float,
    rng_seed: int,
) -> None:
    """Run the STM emulator in the foreground; Ctrl-C stops it."""
    from stm_tui.emulator.server import EmulatorServer

    try:
        server = EmulatorServer(
            data_dir=data_dir or default_data_dir(),
            seed=seed,
            host=host,
            port=port,
            tls=tls,
            faults=faults,
            activity=activity,
            activity_rate=activity_rate,
            rng_seed=rng_seed,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server.start()
        except OSError as exc:
            raise click.exceptions.Exit(_cannot_listen(host, port, exc)) from None
        if credentials_file is not None:
            server.write_credentials(credentials_file)
        click.echo(f"STM emulator listening on {server.url}")
        click.echo(f"data: {server.data_dir}")
        if credentials_file is not None:
            click.echo(f"credentials: {credentials_file}")
        if server.ca_file is not None:
            click.echo(f"CA certificate: {server.ca_file}")
            click.echo(f"client certificates: {server.ca_file.parent / 'clients'}")
        click.echo("Press Ctrl-C to stop.")
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("stopped")
