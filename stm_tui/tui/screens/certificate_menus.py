"""The certificate's local actions: "copy as" (a small menu) and download (a form, then the
path and content shown before anything is written; an existing file is replaced only after
an explicit "Overwrite"). Neither sends a request: the certificate comes from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import field_validator
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from stm_tui.api.models import Certificate
from stm_tui.api.writes.validation import RequestModel
from stm_tui.sanitize import clean_cell, is_clean
from stm_tui.tui import keys
from stm_tui.tui.writes.certificate_files import (
    CertificateUnusable,
    CopyChoice,
    Format,
    default_path,
    encode,
    with_suffix,
)
from stm_tui.tui.writes.spec import FieldSpec, FormSpec, Kind, Values


class CopyAsMenu(ModalScreen[CopyChoice | None]):
    """Pick what to copy; Enter copies it, Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("menu.close")

    def __init__(self, title: str, choices: list[CopyChoice]) -> None:
        super().__init__(id="copy-as", classes="write-modal")
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="write-box"):
            yield Static(Text(self.title_text), classes="write-title", markup=False)
            options = []
            for i, choice in enumerate(self.choices):
                line = Text(choice.label, style="bold")
                for part in choice.value.splitlines():  # the CI lines one per row
                    shown = clean_cell(part)
                    line.append("\n  " + (shown if len(shown) <= 90 else shown[:89] + "…"))
                options.append(Option(line, id=str(i)))
            yield OptionList(*options, id="copy-options")
            yield Static("Enter copies · Esc closes", classes="write-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)


class DownloadCertificate(RequestModel):
    """Where and how to save a certificate (a local action: nothing is sent)."""

    format: Literal["PEM", "DER"] = "PEM"
    chain: bool = False
    path: str

    @field_validator("path")
    @classmethod
    def _usable(cls, value: str) -> str:
        if not value:
            raise ValueError("required")
        if not is_clean(value):
            raise ValueError("must not contain control characters")
        return value


def download_form(cert: Certificate, folder: Path) -> FormSpec:
    def check(data: Values) -> dict[str, str]:
        raw = data.get("path")
        if not isinstance(raw, str) or not raw.strip():
            return {}
        path = Path(raw).expanduser()
        if path.is_dir():
            return {"path": "is a folder: name the file"}
        if not path.parent.is_dir():
            return {"path": f"no folder {path.parent}"}
        out: dict[str, str] = {}
        fmt: Format = "DER" if data.get("format") == "DER" else "PEM"
        try:
            encode(cert, fmt, bool(data.get("chain")))
        except CertificateUnusable as exc:
            out["chain" if data.get("chain") else "format"] = str(exc)
        return out

    def on_change(name: str, values: Values) -> dict[str, Any]:
        if name in ("format", "chain") and isinstance(values.get("path"), str):
            fmt: Format = "DER" if values.get("format") == "DER" else "PEM"
            return {"path": with_suffix(values["path"], fmt, bool(values.get("chain")))}
        return {}

    return FormSpec(
        title=f"Download certificate {clean_cell(cert.alias or cert.id)}",
        fields=[
            FieldSpec("format", "Format", "PEM text, or DER binary (.cer; with chain .p7b)",
                      kind=Kind.RADIO),
            FieldSpec("chain", "With chain", "add the intermediate and root after the leaf"),
            FieldSpec("path", "Save to", "the next step shows the path before writing"),
        ],
        submit_label="Preview",
        validator=check,
        on_change=on_change,
        initial={"path": str(default_path(cert, "PEM", False, folder))},
        intro="The certificate only: a private key never leaves STM.",
    )


class SaveFileScreen(ModalScreen[bool]):
    """What will be written where, before it is; an existing file needs "Overwrite"."""

    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("confirm.cancel", "confirm.yes")

    def __init__(self, path: Path, summary: list[str], *, exists: bool) -> None:
        super().__init__(id="save-file", classes="write-modal")
        self.path = path
        self.summary = summary
        self.exists = exists

    def compose(self) -> ComposeResult:
        box = Vertical(classes="write-box")
        box.set_class(self.exists, "-danger")
        with box:
            title = "Replace an existing file?" if self.exists else "Save the certificate"
            yield Static(Text(title), classes="write-title", markup=False)
            yield Static("File", classes="confirm-section", markup=False)
            yield Static(Text(clean_cell(str(self.path)), overflow="fold"), id="save-path",
                         markup=False)
            lines = list(self.summary)
            if self.exists:
                lines.append("a file is there already: Overwrite replaces it")
            yield Static(Text("\n".join("• " + clean_cell(line) for line in lines)),
                         id="save-summary", markup=False)
            with Horizontal(classes="write-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Overwrite" if self.exists else "Save", id="confirm",
                             variant="error" if self.exists else "primary", compact=True)
            key = "y overwrites" if self.exists else "y saves"
            yield Static(f"{key} · n or Esc cancels · Tab moves", classes="write-hint",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)


def content_summary(cert: Certificate, fmt: Format, chain: bool, size: int) -> list[str]:
    kind = {("PEM", False): "PEM, the certificate",
            ("PEM", True): "PEM, the certificate then its chain",
            ("DER", False): "DER, the certificate",
            ("DER", True): "DER PKCS#7 bundle, the certificate and its chain"}[(fmt, chain)]
    count = 1 + (len(cert.chain) if chain else 0)
    return [kind, f"{count} certificate{'s' if count > 1 else ''}, {size} bytes, mode 0644"]
