"""`stm-tui release ...`: release windows from the command line.

The group gathers sub-commands from their own files: create, approve, reject and close
(`release_windows`), report and budget (`release_report`).
"""

from __future__ import annotations

import click

from stm_tui.commands.release_report import budget, report
from stm_tui.commands.release_windows import COMMANDS


@click.group(
    "release",
    help="Release windows: create, approve, reject, close; what one signed; the budget.",
)
def release() -> None:
    pass


release.add_command(report)
release.add_command(budget)
for _command in COMMANDS:
    release.add_command(_command)
