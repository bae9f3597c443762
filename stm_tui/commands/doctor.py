"""`stm-tui doctor`: check the connection to STM one factor at a time and name what is wrong.

The checks themselves live in `stm_tui.diagnose` (Textual-free; the dashboard's start-failure
screen shows the same diagnosis). This module reads the profile and the credentials, runs
them, prints a checklist (or `-o json`) and exits with the code of the first failed line.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import textwrap
from typing import Any

import click

from stm_tui.commands._common import fail as fail_with
from stm_tui.commands._common import profile_name, setup_logging
from stm_tui.diagnose.findings import EXIT_CODES, EXIT_CONFIG, Finding, Report, fail
from stm_tui.sanitize import clean_message

_EXIT_HELP = "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())

HELP = f"""Check the connection to STM step by step and name what is wrong.

Host: DNS, TCP, the TLS handshake, the certificate chain (against SM_CA_FILE or the system
trust store), the server's clock against this machine's, and which DigiCert ONE region the
host is. Credentials: the API key alone (one read, no client certificate), the client
certificate alone (the .p12 and its password, then the server's answer to it without the
key), both together (a call that needs the second factor, made with an empty body so it
changes nothing), who the key is (accounts, roles, what they allow), when the API token, the
client certificate and, for a Lead or user administrator, every service user end. Where each
credential came from is shown, never its value. Nothing is stored, nothing is prompted for.

\b
Exit codes (the first failed line decides; warnings only with --strict):
{_EXIT_HELP}
"""

_LABELS = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}
_STYLES: dict[str, dict[str, Any]] = {
    "ok": {"fg": "green"},
    "warn": {"fg": "yellow", "bold": True},
    "fail": {"fg": "red", "bold": True},
    "skip": {"dim": True},
}


@click.command("doctor", help=HELP)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: a checklist for people; json: the same findings for scripts (stable fields).",
)
@click.option(
    "--within", "within_days", type=click.IntRange(1, 3650), default=30, show_default=True,
    metavar="DAYS", help="Warn about credentials that end within this many days.",
)
@click.option(
    "--strict", is_flag=True,
    help="Warnings fail too (a credential ending soon exits 8, a small clock skew 7, ...).",
)
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def doctor(
    ctx: click.Context, output: str, within_days: int, strict: bool, profile: str | None
) -> None:
    setup_logging()
    from stm_tui.api.errors import StmError
    from stm_tui.config import load_profile
    from stm_tui.credentials import resolve_credentials
    from stm_tui.diagnose import diagnose

    try:
        prof = load_profile(profile_name(ctx, profile))
    except StmError as err:
        if output != "json":
            fail_with(err)  # the configuration message is written for people as it is
        report = Report(profile or "", "")
        report.add(fail("profile", "profile", clean_message(err.message),
                        "see docs/configuration.md", EXIT_CONFIG))
        emit(report, output, strict)
        sys.exit(EXIT_CONFIG)
    credentials_error = None
    try:
        creds = resolve_credentials(prof)
    except StmError as err:
        creds, credentials_error = None, clean_message(err.message)
    report = asyncio.run(
        diagnose(prof, creds, credentials_error=credentials_error, within_days=within_days)
    )
    emit(report, output, strict)
    sys.exit(report.exit_code(strict=strict))


def emit(report: Report, output: str, strict: bool) -> None:
    if output == "json":
        from stm_tui.commands._output import render_json

        sys.stdout.write(render_json(report.as_json(strict=strict)))
        return
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))
    click.echo(render_text(report, width=width, strict=strict))


def _wrap(text: str, width: int, indent: int) -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent="", subsequent_indent=" " * indent,
        break_on_hyphens=False, break_long_words=False,
    ) or [""]


def render_line(finding: Finding, width: int, title_width: int) -> list[str]:
    label = _LABELS[finding.status]
    indent = 6 + title_width
    head = f"{label:<6}{finding.title:<{title_width}}"
    body = _wrap(head + clean_message(finding.summary), width, indent)
    body[0] = click.style(f"{label:<6}", **_STYLES[finding.status]) + body[0][6:]
    lines = body
    if finding.fix and finding.status in ("warn", "fail"):
        fix = _wrap(" " * indent + "→ " + clean_message(finding.fix), width, indent + 2)
        lines += fix
    return lines


def render_text(report: Report, *, width: int = 100, strict: bool = False) -> str:
    lines = [f"stm-tui doctor · profile {report.profile!r} · {report.host}", ""]
    title_width = max((len(f.title) for f in report.findings), default=10) + 2
    for finding in report.findings:
        lines += render_line(finding, width, title_width)
    counts = report.counts()
    tally = ", ".join(f"{counts[s]} {s}" for s in ("ok", "warn", "fail", "skip") if counts[s])
    problem = report.first_problem(strict=strict)
    lines.append("")
    if problem is None:
        verdict = click.style("ok", **_STYLES["ok"])
        lines.append(f"{verdict}: everything signing needs works ({tally}); exit 0")
    else:
        verdict = click.style(_LABELS[problem.status], **_STYLES[problem.status])
        lines.append(f"{verdict}: {problem.title} ({tally}); exit {problem.code}")
    return "\n".join(lines)
