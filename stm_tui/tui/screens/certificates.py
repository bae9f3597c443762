"""The certificates list adds copying the selected certificate as PEM (leaf then chain),
"copy as" (alias, id, fingerprints, the CI environment lines) and download to a file."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from stm_tui.api.models import Certificate
from stm_tui.tui import keys
from stm_tui.tui.screens.certificate_menus import (
    CopyAsMenu,
    DownloadCertificate,
    SaveFileScreen,
    content_summary,
    download_form,
)
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.writes.certificate_files import (
    CertificateUnusable,
    CopyChoice,
    copy_choices,
    encode,
    save,
)
from stm_tui.tui.writes.form import RequestForm


def to_pem(cert: Certificate) -> str | None:
    blobs: list[bytes] = []
    for value in [cert.cert, *(entry.blob for entry in cert.chain)]:
        if not value:
            continue
        try:
            blobs.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return None
    if not blobs:
        return None
    out = []
    for der in blobs:
        body = base64.b64encode(der).decode("ascii")
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        out.append(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
    return "".join(out)


class CertificateListScreen(ListScreen):
    BINDINGS = keys.bindings("copy_pem", "cert.download", "cert.copy_as")
    # No hint line: its keys (Enter, v, Esc) are in the help's list, and with the list's own
    # keys and write actions the help fills an 80x24 screen to the border.
    HELP = ""

    # Where a download is offered by default (tests point it elsewhere).
    download_folder: Path | None = None

    def action_copy_pem(self) -> None:
        item = self.selected_item()
        if not isinstance(item, Certificate):
            return
        text = to_pem(item)
        if text is None:
            self.notify("this certificate has no decodable body", severity="warning")
            return
        self.host.copy_text(text, "certificate PEM")

    def action_copy_as(self) -> None:
        item = self.selected_item()
        if not isinstance(item, Certificate):
            return

        def picked(choice: CopyChoice | None) -> None:
            if choice is not None:
                self.host.copy_text(choice.value, choice.label)

        title = f"Copy certificate {item.alias or item.id} as"
        self.app.push_screen(CopyAsMenu(title, copy_choices(item)), picked)

    def action_download(self) -> None:
        item = self.selected_item()
        if not isinstance(item, Certificate):
            return
        folder = self.download_folder or Path.cwd()
        form = RequestForm(DownloadCertificate, download_form(item, folder), id="download-form")
        self.app.push_screen(form, lambda req: self._preview_file(item, req))

    def _preview_file(self, cert: Certificate, req: DownloadCertificate | None) -> None:
        if req is None:
            return
        path = Path(req.path).expanduser().absolute()
        try:
            data = encode(cert, req.format, req.chain)
        except CertificateUnusable as exc:
            self.notify(f"not saved: {exc}", severity="error", markup=False)
            return
        exists = path.exists()

        def answered(go: bool | None) -> None:
            if go:
                self._write_file(path, data, replace=exists)

        summary = content_summary(cert, req.format, req.chain, len(data))
        self.app.push_screen(SaveFileScreen(path, summary, exists=exists), answered)

    def _write_file(self, path: Path, data: bytes, *, replace: bool) -> None:
        try:
            save(path, data, replace=replace)
        except FileExistsError:
            self.notify(f"not saved: {path} appeared meanwhile; download again to replace it",
                        severity="warning", markup=False)
            return
        except OSError as exc:
            self.notify(f"not saved: {exc.strerror or exc}", severity="error", markup=False)
            return
        self.notify(f"saved {path}", title="Downloaded", markup=False)
