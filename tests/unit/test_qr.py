"""The enrolment QR code: decodable geometry, dark on light, small enough for 80x24."""

from __future__ import annotations

import segno

from stm_tui.views.qr import qr_lines, qr_size

URI = (
    "otpauth://totp/DigiCert%20ONE:lena%40example.com?"
    "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=DigiCert%20ONE"
)


def _modules_from_lines(lines: list[str]) -> list[list[bool]]:
    top = {"█": True, "▀": True, "▄": False, " ": False}
    bottom = {"█": True, "▀": False, "▄": True, " ": False}
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([top[c] for c in line])
        rows.append([bottom[c] for c in line])
    return rows


def test_the_half_block_rendering_is_exactly_the_symbol() -> None:
    lines = qr_lines(URI, quiet_zone=0)
    expected = [[bool(m) for m in row] for row in segno.make(URI, error="l").matrix]
    drawn = _modules_from_lines([t.plain for t in lines])[: len(expected)]
    assert drawn == expected


def test_dark_on_light_whatever_the_theme() -> None:
    for line in qr_lines(URI):
        assert line.style is not None and str(line.style) == "black on white"


def test_an_otpauth_uri_fits_an_80x24_terminal_beside_nothing_else() -> None:
    columns, rows = qr_size(URI)
    assert columns <= 45
    assert rows <= 23
    assert len(qr_lines(URI)) == rows
