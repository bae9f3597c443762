"""The screen shown instead of the dashboard when the first request fails for a reason the
dashboard cannot work around: a refused API key, an unreachable host, a TLS problem.

An empty dashboard over a wrong key looked like "nothing needs attention": this names the
host, the request tried, where the credential came from (never its value) and what to
check, and offers to retry, quit or (for an unreachable host) open the dashboard anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.api.errors import StmError
from stm_tui.diagnose.findings import Report
from stm_tui.sanitize import clean_message
from stm_tui.tui import actions, keys
from stm_tui.tui.widgets.key_footer import KeyFooter

# Kinds of first-request failure that stop the start; the rest (a 403 on reading oneself,
# a bad response) open the dashboard, which shows them per area.
BLOCKING_KINDS = frozenset({"auth", "offline", "transient", "config", "second_factor"})

RETRY, QUIT, CONTINUE = "retry", "quit", "continue"


@dataclass(frozen=True)
class StartProblem:
    title: str
    facts: list[tuple[str, str]]
    checks: list[str]
    can_continue: bool = False
    exit_code: int = 5
    kind: str = "offline"
    extra: list[str] = field(default_factory=list)
    # The checks of `stm-tui doctor`, run by the screen once it shows (they take a moment).
    diagnose: Callable[[], Awaitable[Report]] | None = field(
        default=None, compare=False, repr=False
    )


def describe_start_failure(
    error: StmError,
    *,
    host: str,
    credential_source: str,
    profile: str,
    diagnose: Callable[[], Awaitable[Report]] | None = None,
) -> StartProblem:
    """What went wrong at start, in words for the person at the terminal; `diagnose` runs
    the doctor's checks for the screen to show below."""
    problem = _describe(error, host=host, credential_source=credential_source, profile=profile)
    return replace(problem, diagnose=diagnose)


def _describe(
    error: StmError, *, host: str, credential_source: str, profile: str
) -> StartProblem:
    tried = f"{error.method or 'GET'} {host}{error.path or ''}"
    answer = clean_message(error.message, limit=600)
    facts = [("Host", host), ("Tried", tried), ("API key from", credential_source)]
    login = f"stm-tui login --profile {profile}"
    if error.kind == "auth":
        if error.status == 401:
            return StartProblem(
                title="The API key was refused",
                facts=[*facts, ("Answer", answer)],
                checks=[
                    "the key was issued for this host: credentials work only on the host "
                    "(region and environment, demo or production) that issued them",
                    "the key has not expired or been revoked (Account Manager > API tokens)",
                    f"where the key came from: {credential_source} (`stm-tui config show` "
                    "lists every source)",
                    f"store a new key with `{login}`",
                ],
                exit_code=3,
                kind="auth",
            )
        return StartProblem(
            title="The client certificate was not accepted",
            facts=[*facts, ("Answer", answer)],
            checks=[
                "SM_CLIENT_CERT_FILE (or client_cert_file) points at the .p12 issued with "
                "this API key, and it has not expired",
                "the host is the clientauth. host of your region",
            ],
            exit_code=3,
            kind="auth",
        )
    if error.kind == "second_factor":
        return StartProblem(
            title="The second factor is missing",
            facts=[*facts, ("Answer", answer)],
            checks=["set SM_CLIENT_CERT_FILE and its password to your client certificate"],
            exit_code=3,
            kind="second_factor",
        )
    if error.kind == "config":
        return StartProblem(
            title="The connection's TLS setup is wrong",
            facts=[*facts, ("Answer", answer)],
            checks=[
                "the scheme: https:// for a real STM, http:// only for the emulator on "
                "loopback",
                "SM_CA_FILE (or ca_file) when the host uses a private CA",
            ],
            exit_code=5,
            kind="config",
        )
    return StartProblem(
        title="The host cannot be reached",
        facts=[*facts, ("Answer", answer)],
        checks=[
            "the URL (SM_HOST or the profile's host): the region's host, with its port",
            "network, VPN or proxy between this machine and the host",
            "the service's status, if the host answers other clients",
        ],
        can_continue=True,
        exit_code=5,
        kind=error.kind,
    )


_MARKS = {"fail": ("✖ ", "bold red"), "warn": ("⚠ ", "bold yellow")}


def _diagnosis_rows(grid: Table, diagnosis: Report | str) -> None:
    """The doctor's findings that need attention (the passed ones only counted)."""
    grid.add_row("", "")
    if isinstance(diagnosis, str):
        grid.add_row("Diagnosis", Text(diagnosis, style="dim"))
        return
    label = "Diagnosis"
    shown = [f for f in diagnosis.findings if f.status in _MARKS]
    for finding in shown:
        mark, style = _MARKS[finding.status]
        line = Text(mark, style=style)
        line.append(f"{finding.title}: ", style="bold")
        line.append(clean_message(finding.summary, limit=600))
        grid.add_row(label, line)
        label = ""
        if finding.fix:
            grid.add_row("", Text("  → " + clean_message(finding.fix, limit=600), style="dim"))
    passed = diagnosis.counts()["ok"]
    grid.add_row(label, Text(f"{passed} checks passed · `stm-tui doctor` lists them all",
                             style="dim"))


def _first_default_key(action_id: str) -> str:
    return actions.default_keys(action_id).split(",")[0]


def render_problem(
    problem: StartProblem,
    diagnosis: Report | str | None = None,
    key: Callable[[str], str] = _first_default_key,
) -> Group:
    """The problem, what to check and the doctor's findings; `key` names the key of an action
    id (keymap applied)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in problem.facts:
        grid.add_row(label, Text(clean_message(value, limit=600)))
    grid.add_row("", "")
    grid.add_row("What to check", Text("• " + problem.checks[0]))
    for check in problem.checks[1:]:
        grid.add_row("", Text("• " + check))
    if diagnosis is not None:
        _diagnosis_rows(grid, diagnosis)
    hint = f"{key('start.retry')} retries · {key('start.quit')} quits"
    if problem.can_continue:
        hint += f" · {key('start.open_anyway')} opens the dashboard anyway (it keeps trying)"
    return Group(
        Text("✖ " + problem.title, style="bold red"),
        Text(""),
        grid,
        Text(""),
        Text(hint, style="dim"),
    )


class StartFailureScreen(Screen[str]):
    DEFAULT_CSS = """
    StartFailureScreen { align: center middle; }
    StartFailureScreen > VerticalScroll { width: 100%; height: 1fr; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "start.retry", "start.quit", "start.open_anyway"
    )

    def __init__(self, problem: StartProblem) -> None:
        super().__init__()
        self.problem = problem
        self.diagnosis: Report | str | None = (
            "running the checks of `stm-tui doctor`…" if problem.diagnose else None
        )

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._problem_view(), id="start-problem", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        if self.problem.diagnose is not None:
            self.run_worker(self._diagnose(self.problem.diagnose), exclusive=True)

    async def _diagnose(self, run: Callable[[], Awaitable[Report]]) -> None:
        try:
            self.diagnosis = await run()
        except Exception as exc:  # a diagnosis that breaks must not take the screen with it
            self.diagnosis = f"the diagnosis could not run ({type(exc).__name__})"
        self.query_one("#start-problem", Static).update(self._problem_view())

    def _problem_view(self) -> Group:
        keymap: Mapping[str, str] = getattr(self.app, "keymap", {})
        return render_problem(
            self.problem, self.diagnosis, lambda i: actions.key_for(self.app, keymap, i)
        )

    def action_choose(self, choice: str) -> None:
        if choice == CONTINUE and not self.problem.can_continue:
            return
        self.dismiss(choice)


class StartFailureApp(App[str]):
    """A one-screen app: shows the problem, returns `retry`, `quit` or `continue`."""

    TITLE = "stm-tui"

    def __init__(self, problem: StartProblem, *, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.problem = problem
        self.keymap = dict(keymap or {})  # checked already: the dashboard's own

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        self.push_screen(StartFailureScreen(self.problem), callback=self.exit)
