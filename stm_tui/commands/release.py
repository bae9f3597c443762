"""`stm-tui release ...`: release windows from the command line.

A group of its own so that more sub-commands (request, approve, reject, close) can join it
from their own files: `release.add_command(...)`.
"""

from __future__ import annotations

import click

from stm_tui.commands.release_report import budget, report


@click.group("release", help="Release windows: what a release signed, the signature budget.")
def release() -> None:
    pass


release.add_command(report)
release.add_command(budget)
