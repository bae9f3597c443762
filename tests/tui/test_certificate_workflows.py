"""The certificate workflows in the dashboard: generate for the selected keypair, set as the
keypair's default (both read back through the API), download to a file (path shown first,
no silent overwrite, mode 0644, PEM/DER, leaf/chain), "copy as" and the command log."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeGuard

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, OptionList, Static

from stm_tui.api.models import Certificate, Keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.certificate_menus import CopyAsMenu, SaveFileScreen
from stm_tui.tui.screens.certificates import CertificateListScreen
from stm_tui.tui.writes.command_log_screen import CommandLogScreen
from stm_tui.tui.writes.confirm import ConfirmScreen
from stm_tui.tui.writes.form import RequestForm
from tests.conftest import STM, api_client
from tests.integration._emu import reset_stats, writes_seen
from tests.tui._pilot import (
    app_of,
    enter_write_mode,
    message,
    open_list_on,
    put,
    recording,
    screen_text,
    selected,
    top,
    type_into,
)
from tests.tui.conftest import loaded, make_app, wait_until


def active(item: object) -> TypeGuard[Certificate]:
    return isinstance(item, Certificate) and item.certificate_status == "ACTIVE"


async def test_generate_a_certificate_for_the_selected_keypair(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(
            pilot, "2", lambda k: isinstance(k, Keypair) and k.key_alg == "RSA"
        )
        kp = screen.selected_item()
        assert isinstance(kp, Keypair)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
        form = app.screen
        assert isinstance(form, RequestForm) and form.id == "certificate-generate"
        choices = form.state.evaluate(form._raw()).choices["certificate_profile_id"]
        assert choices  # active profiles that allow RSA
        await type_into(pilot, form, "alias", kp.certificates[0].alias or "x")
        assert "already used by certificate" in (message(app, "alias") or "")
        await type_into(pilot, form, "alias", "ui-cert-2027")
        private = next(c.value for c in choices if c.label.startswith("Private"))
        await put(pilot, form, certificate_profile_id=private, set_as_default_cert=True)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.call.request_line == f"POST {STM}/keypairs/{kp.id}/certificates"
        assert dict(modal.call.body or {})["set_as_default_cert"] is True
        await pilot.press("y")
        certs = app.session.store.collection("certificates")
        await wait_until(
            pilot, lambda: any(c.alias == "ui-cert-2027" for c in certs.items.values()),
            limit=30,
        )
    with api_client(fresh_emulator) as http:
        made = http.get(f"{STM}/certificates", params={"alias": "ui-cert-2027"}).json()["items"]
    assert made[0]["keypair"]["id"] == kp.id and made[0]["default_cert"] is True


async def test_make_default_confirms_then_the_keypair_signs_with_it(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as http:
        kp = next(k for k in http.get(f"{STM}/keypairs").json()["items"]
                  if k["key_alg"] == "RSA" and k["certificates"])
        profile = next(p for p in http.get(f"{STM}/certificate-profiles").json()["items"]
                       if p["name"].startswith("Private"))
        http.post(f"{STM}/keypairs/{kp['id']}/certificates",
                  json={"alias": "second-cert", "certificate_profile_id": profile["id"],
                        "set_as_default_cert": False}).raise_for_status()
    reset_stats(fresh_emulator)
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "3", lambda c: active(c) and c.default_cert is True)
        await pilot.press("F")
        assert notes[-1] == "Make default: already the keypair's default"
        screen = await open_list_on(pilot, "3", lambda c: active(c) and c.alias == "second-cert")
        cert = screen.selected_item()
        assert isinstance(cert, Certificate) and cert.keypair is not None
        await pilot.press("F")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.call.request_line == f"PUT {STM}/keypairs/{cert.keypair.id}"
        assert dict(modal.call.body or {}) == {"default_certificate_id": cert.id}
        assert modal.query_one("#cancel", Button).has_focus  # y/N, Cancel first
        await pilot.press("y")
        certs = app.session.store.collection("certificates")
        await wait_until(pilot, lambda: bool(certs.items[cert.id].default_cert), limit=30)
    with api_client(fresh_emulator) as http:
        siblings = http.get(f"{STM}/certificates",
                            params={"keypair_id": cert.keypair.id}).json()["items"]
        mine = http.get(f"{STM}/certificates/{cert.id}").json()
    assert mine["default_cert"] is True
    others = [c for c in siblings if c["id"] != cert.id and c["keypair"]["id"] == cert.keypair.id]
    assert all(c["default_cert"] is False for c in others)
    assert writes_seen(fresh_emulator) == {f"PUT {STM}/keypairs/{{keypair_id}}": 1}


async def _download_form(
    pilot: Pilot[Any], folder: Path
) -> tuple[RequestForm[Any], Certificate]:
    app = app_of(pilot)
    listing = await open_list_on(pilot, "3", lambda c: active(c) and bool(c.chain))
    assert isinstance(listing, CertificateListScreen)
    listing.download_folder = folder
    cert = selected(listing, Certificate)
    await pilot.press("d")
    await wait_until(pilot, lambda: isinstance(app.screen, RequestForm))
    form = top(app, RequestForm)
    assert form.id == "download-form"
    return form, cert


async def test_download_shows_the_path_first_writes_0644_and_never_overwrites_silently(
    app_factory: Callable[..., StmApp], tmp_path: Path,
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)  # read-only mode: a download sends nothing
        form, cert = await _download_form(pilot, tmp_path)
        target = tmp_path / f"{cert.alias}.pem"
        assert form._raw()["path"] == str(target)
        await put(pilot, form, chain=True)
        assert form._raw()["path"] == str(tmp_path / f"{cert.alias}-chain.pem")
        await put(pilot, form, chain=False)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen))
        shown = app.screen.query_one("#save-path", Static).content
        assert isinstance(shown, Text) and shown.plain == str(target)
        assert not target.exists()  # shown, not written
        await pilot.press("y")
        await wait_until(pilot, target.exists)
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        written = x509.load_pem_x509_certificate(target.read_bytes())
        assert written.public_bytes(Encoding.DER) == cert.der
        target.write_text("keep me")
        form, _ = await _download_form(pilot, tmp_path)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen))
        modal = app.screen
        assert isinstance(modal, SaveFileScreen) and modal.exists
        assert "Replace an existing file?" in screen_text(app)
        assert str(modal.query_one("#confirm", Button).label) == "Overwrite"
        await pilot.press("escape")
        await pilot.pause()
        assert target.read_text() == "keep me"


async def test_download_der_with_its_chain_is_a_pkcs7_bundle(
    app_factory: Callable[..., StmApp], tmp_path: Path,
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        form, cert = await _download_form(pilot, tmp_path)
        await put(pilot, form, format="DER", chain=True)
        target = tmp_path / f"{cert.alias}.p7b"
        assert form._raw()["path"] == str(target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen))
        await pilot.press("y")
        await wait_until(pilot, target.exists)
    bundle = pkcs7.load_der_pkcs7_certificates(target.read_bytes())
    assert len(bundle) == 1 + len(cert.chain)
    assert bundle[0].public_bytes(Encoding.DER) == cert.der


async def test_download_refuses_a_folder_that_does_not_exist(
    app_factory: Callable[..., StmApp], tmp_path: Path,
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        form, _ = await _download_form(pilot, tmp_path)
        await type_into(pilot, form, "path", str(tmp_path / "nowhere" / "x.pem"))
        assert message(app, "path") == f"✗ no folder {tmp_path / 'nowhere'}"
        assert form.query_one("#submit", Button).disabled


async def test_copy_as_offers_ids_fingerprints_and_the_ci_lines(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = await open_list_on(pilot, "3", lambda c: active(c) and c.keypair is not None)
        cert = screen.selected_item()
        assert isinstance(cert, Certificate) and cert.der is not None and cert.keypair
        sha1 = hashlib.sha1(cert.der).hexdigest()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyAsMenu))
        menu = app.screen
        assert isinstance(menu, CopyAsMenu)
        assert [c.label for c in menu.choices] == [
            "alias", "id", "SHA-1 fingerprint (hex)", "SHA-256 fingerprint (hex)",
            "environment lines for CI",
        ]
        assert menu.choices[3].value == hashlib.sha256(cert.der).hexdigest()
        await pilot.press("end", "enter")
        await pilot.pause()
        assert app.clipboard == (
            f"SM_KEYPAIR_ALIAS={cert.keypair.alias}\nSM_CODE_SIGNING_CERT_SHA1_HASH={sha1}"
        )
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyAsMenu))
        app.screen.query_one(OptionList).highlighted = 2
        await pilot.press("enter")
        await pilot.pause()
        assert app.clipboard == sha1


async def test_the_command_log_opens_with_its_key_and_from_the_palette(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        assert isinstance(app.screen, CommandLogScreen)
        await wait_until(pilot, lambda: "GET" in screen_text(app))
        assert "no bodies, no secrets" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CommandLogScreen)
        await pilot.press("ctrl+p", *"Command log")
        await wait_until(pilot, lambda: "Command log" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandLogScreen))

