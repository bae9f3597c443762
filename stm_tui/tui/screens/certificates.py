"""The certificates list adds copying the selected certificate as PEM (leaf then chain)."""

from __future__ import annotations

import base64
import binascii

from stm_tui.api.models import Certificate
from stm_tui.tui import keys
from stm_tui.tui.screens.list_screen import ListScreen


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
    BINDINGS = keys.bindings("copy_pem")

    def action_copy_pem(self) -> None:
        item = self.selected_item()
        if not isinstance(item, Certificate):
            return
        text = to_pem(item)
        if text is None:
            self.notify("this certificate has no decodable body", severity="warning")
            return
        self.host.copy_text(text, "certificate PEM")
