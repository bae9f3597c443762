"""Forms built from request models: field messages as you type, dependent fields, locks, keys.

The showcase is the real keypair generate form (`GenerateKeypair`); a small release-like model
covers the number, date-time and free-text kinds. Run at 80x24 and 120x40.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pytest
from pydantic import Field
from textual.widgets import Input, Select, Static

from stm_tui.api.models import CertificateProfile, KeypairProfile, Team, User
from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair
from stm_tui.api.writes.validation import FreeText, ReleaseName, RequestModel
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.keypair_form import generate_keypair_form
from stm_tui.tui.writes.spec import FieldSpec, FormSpec
from tests.conftest import AM, STM, api_client
from tests.tui._pilot import choose, message, retype, submit_disabled
from tests.tui.writes._host import SIZES, Host, fully_visible

PROFILES = [
    KeypairProfile(
        id="kp-fixed",
        name="RSA-3072 production (HSM)",
        profile_type="FIXED",
        key_status="ONLINE",
        key_alg="RSA",
        key_size=3072,
        key_type="PRODUCTION",
    ),
    KeypairProfile(
        id="kp-custom",
        name="ECDSA P-256 test",
        profile_type="CUSTOMIZABLE",
        key_status="ONLINE",
        key_alg="ECDSA",
        curve="P256",
        key_type="TEST",
    ),
]
CERT_PROFILES = [
    CertificateProfile(
        id="cp-any",
        name="Private code signing (1 year)",
        status="ACTIVE",
        allowed_key_algs=["RSA", "ECDSA", "EDDSA"],
    ),
    CertificateProfile(
        id="cp-rsa", name="Public EV (RSA only)", status="ACTIVE", allowed_key_algs=["RSA"]
    ),
    CertificateProfile(
        id="cp-off", name="Retired profile", status="DISABLED", allowed_key_algs=["RSA"]
    ),
]
USERS = [
    User(id=f"u{i}", name=n, email=f"{n.lower()}@example.com")
    for i, n in enumerate(["Alice", "Bob", "Carol"])
]
TEAMS = [Team(id="t1", name="Desktop"), Team(id="t2", name="Platform Services")]


def keypair_form(**kw: Any) -> RequestForm[GenerateKeypair]:
    spec = generate_keypair_form(
        profiles=PROFILES,
        certificate_profiles=CERT_PROFILES,
        users=USERS,
        teams=TEAMS,
        keypair_aliases={"build-key": "build-key (RSA 3072, ONLINE)"},
        certificate_aliases={"build-cert"},
        **kw,
    )
    return RequestForm(GenerateKeypair, spec)


def text_of(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def shown(app: Any, name: str) -> bool:
    return bool(app.screen.query_one(f"#row-{name}").display)


@pytest.mark.parametrize("size", SIZES)
async def test_typing_invalid_values_shows_each_fields_message_and_keeps_submit_disabled(
    size: tuple[int, int],
) -> None:
    app = Host(keypair_form)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert message(app, "alias") == "✗ required"
        assert submit_disabled(app)
        assert fully_visible(app, "#submit") and fully_visible(app, "#cancel")

        await pilot.press(*"ab")
        await pilot.pause()
        assert message(app, "alias") == (
            "✗ must be 3-64 characters of letters, digits, '.', '_' or '-'"
        )
        assert submit_disabled(app)
        await retype(pilot, "alias", "deadbeef")
        assert message(app, "alias") == (
            "✗ must contain a letter other than a-f (it would read as an id)"
        )
        await retype(pilot, "alias", "build-key")
        assert message(app, "alias") == "✗ already used by keypair build-key (RSA 3072, ONLINE)"
        assert "1 field to fix: Alias" in text_of(app, "#form-status")
        assert submit_disabled(app)

        await retype(pilot, "alias", "new-key")
        assert message(app, "alias") is None
        assert not submit_disabled(app)

        # A certificate in the same step needs its alias and profile.
        assert not shown(app, "cert_alias")
        app.screen.query_one("#field-generate_cert").focus()
        await pilot.press("space")
        await pilot.pause()
        assert shown(app, "cert_alias") and shown(app, "cert_profile_id")
        assert message(app, "cert_alias") == "✗ required to generate a certificate"
        assert message(app, "cert_profile_id") == "✗ required to generate a certificate"
        assert submit_disabled(app)
        await retype(pilot, "cert_alias", "b c")
        assert message(app, "cert_alias") == (
            "✗ must be 3-64 characters of letters, digits, '.', '_' or '-'"
        )
        await retype(pilot, "cert_alias", "build-cert")
        assert message(app, "cert_alias") == "✗ already used by certificate build-cert"
        await retype(pilot, "cert_alias", "new-cert")
        await choose(pilot, "cert_profile_id", "Private code signing (1 year)")
        assert message(app, "cert_alias") is None and message(app, "cert_profile_id") is None
        assert not submit_disabled(app)
        assert app.results == []  # nothing was submitted on the way


async def test_a_fresh_form_shows_what_it_needs_dimmed_until_touched() -> None:
    app = Host(keypair_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.screen.query_one("#msg-alias", Static)
        assert not line.has_class("-touched")
        await pilot.press("x")
        await pilot.pause()
        assert line.has_class("-touched")


@pytest.mark.parametrize("size", SIZES)
async def test_the_algorithm_decides_size_or_curve_and_the_allowed_values(
    size: tuple[int, int],
) -> None:
    app = Host(keypair_form)
    async with app.run_test(size=size) as pilot:
        await retype(pilot, "alias", "edge-key")
        assert shown(app, "key_size") and not shown(app, "curve")

        await choose(pilot, "key_alg", "ECDSA")
        assert not shown(app, "key_size") and shown(app, "curve")
        curve = app.screen.query_one("#field-curve", Select)
        assert curve.value == "P256"  # the algorithm's usual curve is picked
        assert [str(p) for p, _ in curve._options if _ != Select.NULL] == [
            "P-256",
            "P-384",
            "P-521",
        ]

        await choose(pilot, "key_alg", "EdDSA")
        assert [v for _, v in curve._options if v != Select.NULL] == ["Ed25519"]
        assert curve.value == "Ed25519"

        # Certificate profiles follow the algorithm too (and disabled ones never show).
        app.screen.query_one("#field-generate_cert").focus()
        await pilot.press("space")
        await pilot.pause()
        profiles = app.screen.query_one("#field-cert_profile_id", Select)
        assert [str(p) for p, v in profiles._options if v != Select.NULL] == [
            "Private code signing (1 year)"
        ]
        app.screen.query_one("#field-generate_cert").focus()
        await pilot.press("space", "ctrl+s")
        await pilot.pause()
    (result,) = app.results
    assert isinstance(result, GenerateKeypair)
    assert (result.key_alg, result.curve, result.key_size) == ("EDDSA", "Ed25519", None)
    assert result.generate_cert is False


@pytest.mark.parametrize("size", SIZES)
async def test_a_fixed_profile_locks_its_values_and_says_why(size: tuple[int, int]) -> None:
    app = Host(keypair_form)
    async with app.run_test(size=size) as pilot:
        await retype(pilot, "alias", "prod-key")
        await choose(pilot, "key_alg", "ECDSA")
        await choose(
            pilot,
            "keypair_profile_id",
            "RSA-3072 production (HSM) (Fixed: RSA 3072 ONLINE PRODUCTION)",
        )
        screen = app.screen
        for name in ("key_alg", "key_size", "key_status", "key_type"):
            assert screen.query_one(f"#field-{name}").disabled, name
            assert text_of(app, f"#help-{name}") == (
                "locked: set by the Fixed profile RSA-3072 production (HSM)"
            )
        assert screen.query_one("#field-key_alg", Select).value == "RSA"
        assert shown(app, "key_size") and not shown(app, "curve")
        assert not screen.query_one("#field-key_storage").disabled  # not the profile's to fix

        # A Customizable profile fills in its values but leaves them editable.
        await choose(
            pilot, "keypair_profile_id", "ECDSA P-256 test (Customizable: ECDSA P256 ONLINE TEST)"
        )
        assert not screen.query_one("#field-key_alg").disabled
        assert screen.query_one("#field-key_alg", Select).value == "ECDSA"
        assert screen.query_one("#field-curve", Select).value == "P256"
        await pilot.press("ctrl+s")
        await pilot.pause()
    (result,) = app.results
    assert result.keypair_profile_id == "kp-custom"
    assert (result.key_alg, result.curve, result.key_type) == ("ECDSA", "P256", "TEST")


async def test_an_account_that_requires_a_profile_refuses_the_custom_choice() -> None:
    app = Host(lambda: keypair_form(require_profile=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await retype(pilot, "alias", "prof-key")
        assert message(app, "keypair_profile_id") == (
            "✗ required: the account requires a keypair profile"
        )
        assert submit_disabled(app)
        await choose(
            pilot,
            "keypair_profile_id",
            "RSA-3072 production (HSM) (Fixed: RSA 3072 ONLINE PRODUCTION)",
        )
        assert message(app, "keypair_profile_id") is None
        assert not submit_disabled(app)


@pytest.mark.parametrize("size", SIZES)
async def test_tab_order_follows_the_visible_fields(size: tuple[int, int]) -> None:
    app = Host(keypair_form)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        order = []
        for step in range(9):
            if step:
                await pilot.press("tab")
            focused = app.focused
            order.append(focused.id if focused is not None else None)
        assert order == [
            "field-alias",
            "field-keypair_profile_id",
            "field-key_alg",
            "field-key_size",
            "field-key_storage",
            "field-key_status",
            "field-key_type",
            "field-limit_by_users",
            None,  # the users picker's filter line (an unnamed Input inside the picker)
        ]
        await pilot.press("shift+tab")
        assert app.focused is not None and app.focused.id == "field-limit_by_users"


@pytest.mark.parametrize("size", SIZES)
async def test_esc_cancels_with_nothing(size: tuple[int, int]) -> None:
    app = Host(keypair_form)
    async with app.run_test(size=size) as pilot:
        await pilot.press("n", "escape")
        await pilot.pause()
        assert app.results == [None]
        assert not isinstance(app.screen, RequestForm)


async def test_submit_while_invalid_shows_every_message_and_stays_open() -> None:
    app = Host(keypair_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RequestForm) and app.results == []
        assert app.screen.query_one("#msg-alias").has_class("-touched")
        assert app.focused is not None and app.focused.id == "field-alias"


class ReleaseDraft(RequestModel):
    """A release-window-like request: name, a number, a date-time, optional notes."""

    name: ReleaseName
    max_signatures: Annotated[int, Field(ge=1)]
    start: datetime
    notes: FreeText | None = None


def release_form() -> RequestForm[ReleaseDraft]:
    return RequestForm(
        ReleaseDraft,
        FormSpec(
            title="Release window",
            fields=[
                FieldSpec("name", "Name", "no spaces"),
                FieldSpec("max_signatures", "Maximum signatures"),
                FieldSpec("start", "Start"),
                FieldSpec("notes", "Notes"),
            ],
        ),
    )


async def test_enter_moves_on_and_submits_from_the_last_field_only_when_valid() -> None:
    app = Host(release_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"a b", "enter")
        await pilot.pause()
        assert message(app, "name") == (
            "✗ must be 1-64 characters of letters, digits, '.', '_' or '-' (no spaces)"
        )
        assert app.focused is not None and app.focused.id == "field-max_signatures"
        await pilot.press(*"x0", "enter")  # letters are refused as they are typed
        await pilot.pause()
        assert app.screen.query_one("#field-max_signatures", Input).value == "0"
        assert message(app, "max_signatures") == "✗ must be at least 1"
        await pilot.press(*"soon", "enter")
        await pilot.pause()
        assert message(app, "start") == "✗ must be a date and time such as 2026-12-01T14:00Z"
        await pilot.press(*"\x1b[31m", "enter")  # free text: a control character is refused
        await pilot.pause()
        assert app.results == []  # Enter on the last field of an invalid form does nothing
        assert isinstance(app.screen, RequestForm)

        await retype(pilot, "name", "desktop-4.3")
        await retype(pilot, "max_signatures", "500")
        await retype(pilot, "start", "2026-12-01T14:00Z")
        assert text_of(app, "#help-start").startswith("2026-12-01 14:00 UTC · ")
        await retype(pilot, "notes", "first release")
        await pilot.press("enter")
        await pilot.pause()
    (result,) = app.results
    assert result == ReleaseDraft.model_validate(
        {
            "name": "desktop-4.3",
            "max_signatures": 500,
            "start": "2026-12-01T14:00Z",
            "notes": "first release",
        }
    )


async def test_the_form_result_is_accepted_by_the_emulator(
    fresh_emulator: EmulatorServer,
) -> None:
    """End to end: store-like data from the emulator, the form, the builder, the real API."""
    with api_client(fresh_emulator) as client:
        profiles = [
            KeypairProfile.model_validate(p)
            for p in client.get(f"{STM}/keypair-profiles", params={"limit": 100}).json()["items"]
        ]
        cert_profiles = [
            CertificateProfile.model_validate(p)
            for p in client.get(f"{STM}/certificate-profiles", params={"limit": 100}).json()[
                "items"
            ]
        ]
        users = [User.model_validate(u) for u in client.get(f"{AM}/user").json()]
    spec = generate_keypair_form(profiles=profiles, certificate_profiles=cert_profiles, users=users)
    app = Host(lambda: RequestForm(GenerateKeypair, spec))
    async with app.run_test(size=(80, 24)) as pilot:
        await retype(pilot, "alias", "form-made-key")
        await choose(pilot, "key_alg", "ECDSA")
        await choose(pilot, "curve", "P-384")
        app.screen.query_one("#field-generate_cert").focus()
        await pilot.press("space")
        await retype(pilot, "cert_alias", "form-made-cert")
        first_profile = next(p for p in cert_profiles if "ECDSA" in p.allowed_key_algs)
        await choose(pilot, "cert_profile_id", str(first_profile.name))
        await pilot.press("ctrl+s")
        await pilot.pause()
    (model,) = app.results
    call = generate_keypair(model)
    with api_client(fresh_emulator) as client:
        response = client.request(call.method, call.path, json=call.wire_body())
        assert response.status_code == 201, response.text
        found = client.get(f"{STM}/keypairs", params={"alias": "form-made-key"}).json()["items"]
    (keypair,) = found
    assert (keypair["key_alg"], keypair["curve"]) == ("ECDSA", "P384")
    assert [c["alias"] for c in keypair["certificates"]] == ["form-made-cert"]


async def test_picks_in_a_filtered_list_survive_the_filter() -> None:
    app = Host(keypair_form)
    async with app.run_test(size=(80, 24)) as pilot:
        await retype(pilot, "alias", "team-key")
        picker = app.screen.query_one("#field-users")
        filter_line = picker.query_one(".picker-filter", Input)
        filter_line.focus()
        await pilot.press(*"bo", "enter", "space")  # Enter moves to the list, space picks
        await pilot.pause()
        filter_line.value = "car"
        await pilot.pause()
        filter_line.focus()
        await pilot.press("enter", "space")
        await pilot.pause()
        count = str(picker.query_one(".picker-count", Static).render())
        assert count == "2 picked · 1 of 3 shown"
        await pilot.press("ctrl+s")
        await pilot.pause()
    (result,) = app.results
    assert result.users == ("u1", "u2")  # Bob and Carol, in the list's order
