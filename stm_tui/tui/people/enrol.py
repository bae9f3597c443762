"""Enrolling an authenticator app, on its own full screen.

The provisioning QR code is drawn dark on light whatever the theme (`views.qr`), beside the
base32 secret in groups of four for typing by hand. When the terminal is too small for the
code (fewer than 24 rows, or narrower than the code), the screen says so and shows the
secret only. A code typed in is checked here first (one step either side, a time step never
accepted twice, full-width digits folded to the same code), then sent to the service.

The secret lives in this screen only, as a `SecretStr` attribute (never a reactive, never a
message): it is not in the command log (bodies are not logged), the audit file (the start
call has no body; the verify body's code is redacted) or the store. When the screen closes,
enrolled or not, the widgets showing it are emptied and the reference dropped.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from stm_tui.api.writes.access import verify_authenticator
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.sanitize import clean_cell
from stm_tui.totp import SKEW_WARNING, TotpVerifier, clock_skew, grouped
from stm_tui.tui import keys
from stm_tui.tui.people.code_prompt import CODE_RULE, folded
from stm_tui.tui.people.flow import flow_of
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.tui.writes.secret_input import SecretInput
from stm_tui.views.qr import qr_lines, qr_size

MIN_ROWS = 24
# Lines around the code: title, steps, secret, code input, state, footer.
_CHROME_ROWS = 4
_SIDE_COLUMNS = 36


def skew_warning(seconds: float | None) -> str | None:
    if seconds is None or abs(seconds) <= SKEW_WARNING:
        return None
    direction = "ahead of" if seconds > 0 else "behind"
    return (
        f"the service's clock is {abs(seconds):.0f} s {direction} this machine's: codes "
        "are checked on the service's time, so set this machine's clock (NTP) if codes fail"
    )


class EnrolScreen(Screen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("modal.cancel")

    def __init__(
        self,
        secret: SecretStr,
        uri: SecretStr | None,
        *,
        account: str = "",
        server_date: str | None = None,
    ) -> None:
        super().__init__(id="enrol")
        self._secret: SecretStr | None = secret
        self._uri: SecretStr | None = uri
        self.account = account
        self.server_date = server_date
        self.skew: float | None = None
        self.verifier = TotpVerifier(secret)
        self.enrolled = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Enrol an authenticator app", style="bold"), id="enrol-title",
                     markup=False)
        with Horizontal(id="enrol-body"):
            yield Static(id="enrol-qr", markup=False)
            with Vertical(id="enrol-side"):
                yield Static(id="enrol-steps", markup=False)
                yield Static(id="enrol-secret", markup=False)
                yield SecretInput(placeholder="6-digit code", rule=CODE_RULE, id="enrol-code")
                yield Static(id="enrol-state", markup=False)
                yield Static(id="enrol-skew", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        # Against the session's clock, the one codes are made and checked on.
        self.skew = clock_skew(self.server_date, flow_of(self.app).session.now())
        self._layout()
        self.query_one("#enrol-code", SecretInput).focus()
        warning = skew_warning(self.skew)
        self.query_one("#enrol-skew", Static).update(
            Text(warning, style="bold yellow") if warning else Text("")
        )

    def on_resize(self) -> None:
        self._layout()

    def qr_fits(self) -> bool:
        if self._uri is None:
            return False
        cols, rows = qr_size(self._uri.get_secret_value())
        height, width = self.size.height, self.size.width
        return height >= MIN_ROWS and rows + _CHROME_ROWS <= height and cols <= width

    def _layout(self) -> None:
        if self._secret is None:
            return
        qr = self.query_one("#enrol-qr", Static)
        steps = self.query_one("#enrol-steps", Static)
        body = self.query_one("#enrol-body", Horizontal)
        who = f" for {clean_cell(self.account)}" if self.account else ""
        if self.qr_fits() and self._uri is not None:
            cols, _ = qr_size(self._uri.get_secret_value())
            qr.display = True
            qr.styles.width = cols
            qr.update(Text("\n").join(qr_lines(self._uri.get_secret_value())))
            body.styles.layout = "horizontal" if self.size.width >= cols + _SIDE_COLUMNS else (
                "vertical"
            )
            intro = (
                f"1. Scan the code with your authenticator app{who},\n"
                "   or type the secret below by hand.\n"
                "2. Type the 6-digit code the app shows, then Enter."
            )
        else:
            qr.display = False
            qr.update("")
            needs = qr_size(self._uri.get_secret_value())[1] + _CHROME_ROWS if self._uri else 0
            intro = (
                f"The terminal is too small for the QR code (it needs {max(needs, MIN_ROWS)} "
                "rows): add a new account in your authenticator app by hand with the secret "
                f"below{who} (time-based, 6 digits, 30 s), then type the code it shows and "
                "Enter."
            )
        steps.update(Text(intro))
        secret = Text("Secret: ", style="bold")
        secret.append(grouped(self._secret), style="bold")
        self.query_one("#enrol-secret", Static).update(secret)

    def _state(self, text: str, style: str = "") -> None:
        self.query_one("#enrol-state", Static).update(Text(text, style=style))

    @on(SecretInput.Submitted, "#enrol-code")
    def _submitted(self) -> None:
        field = self.query_one("#enrol-code", SecretInput)
        if not field.valid:
            self._state(field.problem or "6 digits", "red")
            return
        code = folded(field.take())
        if code is None:
            self._state("6 digits", "red")
            return
        now = flow_of(self.app).session.now().timestamp() + (self.skew or 0.0)
        if not self.verifier.verify(code.get_secret_value(), now):
            self._state(
                "not accepted: the code does not match, or its time step was already used "
                "(wait for the next code)",
                "red",
            )
            return
        self._state("checking with the service…")
        flow_of(self.app).perform(verify_authenticator(code), then=self._done)

    def _done(self, outcome: WriteOutcome) -> None:
        self.enrolled = True
        self.app.notify("authenticator enrolled: sign-ins will ask for its codes", timeout=5)
        self._close()

    def action_cancel(self) -> None:
        if not self.enrolled:
            self.app.notify(
                "enrolment not finished: start again from the Users list (T)", timeout=5
            )
        self._close()

    def _close(self) -> None:
        self._drop()
        if self.is_current:
            self.dismiss(self.enrolled)

    def _drop(self) -> None:
        self._secret = None
        self._uri = None
        self.verifier.secret = SecretStr("")
        for widget_id in ("#enrol-qr", "#enrol-secret"):
            for shown in self.query(widget_id).results(Static):
                shown.update("")
        for field in self.query(SecretInput):
            field.clear()

    def on_unmount(self) -> None:
        self._drop()
