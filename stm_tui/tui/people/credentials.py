"""Your API tokens and client authentication certificates, with days to expiry coloured as
they near (yellow within 30 days, red within 7, bold red once past).

n creates a token (its value shown once), c a client certificate for the token under the
cursor (the service generates the .p12 and its password: the password is shown once, the
file saved 0600 to the path the form showed before anything was sent), R revokes what is
under the cursor (irreversible: the name typed).
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import platformdirs
from pydantic import Field, field_validator
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from stm_tui.api.models import ApiToken, ClientCertificate
from stm_tui.api.writes.credentials import (
    CreateApiToken,
    CreateClientCertificate,
    create_api_token,
    create_client_certificate,
    delete_api_token,
    revoke_client_certificate,
)
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.permissions import availability
from stm_tui.api.writes.validation import CredentialName, RequestModel
from stm_tui.sanitize import clean_cell
from stm_tui.tui import keys
from stm_tui.tui.people.flow import flow_of, send
from stm_tui.tui.widgets.key_footer import KeyFooter
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from stm_tui.tui.writes.spec import FieldSpec, FormSpec
from stm_tui.views import format as f
from stm_tui.views.access import days_to


class ClientCertForm(RequestModel):
    """A client certificate's nickname, end date and where its .p12 goes."""

    name: CredentialName
    end_date: date | None = None
    path: str = Field(min_length=1, max_length=4096)

    @field_validator("path")
    @classmethod
    def _new_file(cls, value: str) -> str:
        target = Path(value).expanduser()
        if target.exists() or target.is_symlink():
            raise ValueError("a file is there already: choose a new path (never overwritten)")
        if not target.parent.is_dir():
            raise ValueError(f"{target.parent} is not a directory")
        return str(target)


def default_p12_path(name: str) -> str:
    folder = Path(platformdirs.user_data_dir("stm-tui")) / "client-certificates"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name) or "client"
    return str(folder / f"{safe}.p12")


def save_p12(path: str, data: bytes) -> None:
    """Create the file 0600, never following a link and never replacing a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class CredentialsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings(
        "creds.new_token", "creds.client_cert", "creds.revoke", "creds.close"
    )

    def compose(self) -> ComposeResult:
        yield Static(Text("Your API tokens and client certificates", style="bold"),
                     markup=False)
        table: DataTable[Any] = DataTable(id="creds", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static(id="creds-state", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#creds", DataTable)
        table.add_columns("Kind", "Name", "Status", "Ends", "Days")
        store = flow_of(self.app).session.store
        self._unsubscribe = store.subscribe(
            lambda _diff: self._fill(), ("api_tokens", "client_certificates")
        )
        self._fill()
        table.focus()

    def on_unmount(self) -> None:
        self._unsubscribe()

    def _items(self) -> list[Any]:
        store = flow_of(self.app).session.store
        tokens = [t for t in store.collection("api_tokens").items.values()
                  if isinstance(t, ApiToken)]
        certs = [c for c in store.collection("client_certificates").items.values()
                 if isinstance(c, ClientCertificate)]
        return sorted(tokens, key=lambda t: (t.name or "").lower()) + sorted(
            certs, key=lambda c: (c.name or "").lower()
        )

    def _fill(self) -> None:
        table = self.query_one("#creds", DataTable)
        now = flow_of(self.app).session.now()
        keep = table.cursor_row
        table.clear()
        for item in self._items():
            is_token = isinstance(item, ApiToken)
            end = item.end_date if isinstance(item, ApiToken) else item.valid_to
            days = days_to(end, now)
            left = Text("never") if days is None else f.days_left(days)
            if item.status != "ACTIVE":
                left = Text(left.plain, style="dim")
            table.add_row(
                "API token" if is_token else "client cert",
                Text(clean_cell(item.name or item.id)),
                Text(clean_cell(item.status or "?")),
                f.dt(end) if end else "-",
                left,
                key=item.id,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.query_one("#creds-state", Static).update(
            Text("n new token · c client certificate for the token · R revoke · Esc back")
        )

    def selected(self) -> Any | None:
        table = self.query_one("#creds", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((i for i in self._items() if i.id == key), None)

    def _may_write(self, what: str) -> bool:
        session = flow_of(self.app).session
        me = session.me
        if me is not None and me.user_type == "service":
            self.notify(f"{what}: a service user is its token; it has no others",
                        severity="warning")
            return False
        state = availability(None, permissions=(), read_only=session.read_only)
        if not state:
            self.notify(f"{what}: {state.reason}", severity="warning", markup=False)
        return bool(state)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_new_token(self) -> None:
        if not self._may_write("New token"):
            return
        spec = FormSpec(
            title="New API token (its value is shown once)",
            fields=[
                FieldSpec("name", "Name", "letters, digits, spaces, '-' and '_'; unique",
                          max_length=64),
                FieldSpec("end_date", "End date", "optional, YYYY-MM-DD (until 23:59:59 UTC)"),
            ],
            submit_label="Preview",
        )

        def made(model: CreateApiToken | None) -> None:
            if model is not None:
                send(self.app, create_api_token(model), then=self._show_token)

        self.app.push_screen(RequestForm(CreateApiToken, spec), made)

    def _show_token(self, outcome: WriteOutcome) -> None:
        value = outcome.secret("token")
        if value is None:
            self.app.notify("the service did not return the token", severity="error")
            return
        self.app.push_screen(ShownOnceScreen(
            value, title="Your new API token",
            what="Use it as SM_API_KEY (or SM_API_KEY_FILE) wherever it is needed.",
        ))

    def action_client_cert(self) -> None:
        token = self.selected()
        if not isinstance(token, ApiToken):
            self.notify("Client certificate: put the cursor on an API token", severity="warning")
            return
        if token.status != "ACTIVE":
            self.notify(f"Client certificate: the token is {token.status}", severity="warning",
                        markup=False)
            return
        if not self._may_write("Client certificate"):
            return
        name = f"{(token.name or 'token')[:59]}-cert"
        spec = FormSpec(
            title=f"Client certificate for token {token.name}",
            fields=[
                FieldSpec("name", "Nickname", max_length=64),
                FieldSpec("end_date", "End date",
                          "optional, no later than the token's end date"),
                FieldSpec("path", "Save .p12 to", "written 0600; an existing file is refused"),
            ],
            submit_label="Preview",
            initial={"name": name, "path": default_p12_path(name)},
            intro="The service generates the .p12 and its password: the password is shown once.",
        )

        def made(model: ClientCertForm | None) -> None:
            if model is None:
                return
            req = CreateClientCertificate(name=model.name, end_date=model.end_date,
                                          token_id=token.id)
            send(self.app, create_client_certificate(req),
                 affects=[f"the .p12 is saved to {model.path} (mode 0600)"],
                 then=lambda outcome: self._saved(outcome, model.path))

        self.app.push_screen(RequestForm(ClientCertForm, spec), made)

    def _saved(self, outcome: WriteOutcome, path: str) -> None:
        p12, password = outcome.secret("p12"), outcome.secret("password")
        if p12 is None or password is None:
            self.app.notify("the service did not return the .p12 and its password",
                            severity="error")
            return
        try:
            save_p12(path, base64.b64decode(p12.get_secret_value(), validate=True))
        except (binascii.Error, ValueError):
            self.app.notify("the .p12 in the answer is not valid base64", severity="error")
            return
        except OSError as exc:
            self.app.notify(f"{path} not written: {exc.strerror or exc}", severity="error",
                            markup=False)
            return
        self.app.push_screen(ShownOnceScreen(
            password, title="The password of the .p12",
            what=f"Saved {path} (mode 0600). Use the password as SM_CLIENT_CERT_PASSWORD.",
        ))

    def action_revoke(self) -> None:
        item = self.selected()
        if item is None or not self._may_write("Revoke"):
            return
        if item.status != "ACTIVE":
            self.notify(f"Revoke: already {item.status}", severity="warning", markup=False)
            return
        label = item.name or item.id
        if isinstance(item, ApiToken):
            call = delete_api_token(item.id, label)
            impact = ["everything using this token stops working",
                      "its client certificates are revoked with it"]
        else:
            call = revoke_client_certificate(item.id, label)
            impact = ["tools using this certificate fail their second factor"]
        send(self.app, call, impact=impact)

