"""`stm-tui emulator`: run the STM emulator in the foreground."""

from __future__ import annotations

import click


@click.command("emulator")
def emulator() -> None:
    """Run the STM emulator in the foreground (placeholder, full options follow)."""
    raise click.ClickException("not implemented yet")
