"""SecretInput never leaks: not in messages, reactives, the screen or the clipboard."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field, SecretStr
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen

from stm_tui.api.writes.validation import RequestModel
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.secret_input import BULLET, SecretInput, SecretRule
from stm_tui.tui.writes.spec import FieldSpec, FormSpec
from tests.tui._pilot import screen_text
from tests.tui.writes._host import SIZES, Host

CANARY = "canaryZQ7x4secret9911"  # 21 characters


class OneSecret(Screen[None]):
    def __init__(self, rule: SecretRule | None = None) -> None:
        super().__init__()
        self.rule = rule

    def compose(self) -> ComposeResult:
        yield SecretInput(placeholder="API key", rule=self.rule, id="secret")


def unique(messages: list[Message]) -> list[Message]:
    """Each message once (the hook sees a bubbling message at every node it visits)."""
    return list({id(m): m for m in messages}.values())


def leaks(messages: list[Message], secret: str) -> list[str]:
    """Messages (other than the key and paste events that carry input in) holding `secret`."""
    found = []
    for message in messages:
        if isinstance(message, events.Key | events.Paste):
            continue
        values = [repr(message)]
        values.extend(repr(v) for v in getattr(message, "__dict__", {}).values())
        if any(secret in value for value in values):
            found.append(type(message).__name__)
    return found


@pytest.mark.parametrize("size", SIZES)
async def test_typed_value_is_in_no_message_reactive_screen_or_clipboard(
    size: tuple[int, int],
) -> None:
    seen: list[Message] = []
    app = Host(OneSecret)
    async with app.run_test(size=size, message_hook=seen.append) as pilot:
        await pilot.pause()
        widget = app.screen.query_one(SecretInput)
        assert app.focused is widget
        await pilot.press(*CANARY)
        await pilot.pause()
        assert widget.length == len(CANARY)

        # Everything a user or a log could see.
        text = screen_text(app)
        assert BULLET * len(CANARY) in text
        assert CANARY not in text
        assert CANARY not in app.export_screenshot()
        for name in widget._reactives:
            assert CANARY not in repr(getattr(widget, name)), name
        assert CANARY not in repr(widget)

        # Copy, cut, select-all: none of them reaches the clipboard.
        await pilot.press("ctrl+c", "ctrl+x", "ctrl+shift+a", "ctrl+c", "ctrl+a", "ctrl+c")
        await pilot.pause()
        assert CANARY not in app.clipboard
        assert widget.length == len(CANARY)  # cut removed nothing either

        changes = [m for m in unique(seen) if isinstance(m, SecretInput.Changed)]
        assert [m.length for m in changes[-3:]] == [len(CANARY) - 2, len(CANARY) - 1, len(CANARY)]
        assert leaks(seen, CANARY) == []

        value = widget.take()
        assert isinstance(value, SecretStr) and value.get_secret_value() == CANARY
        assert widget.length == 0 and widget.peek().get_secret_value() == ""
        await pilot.pause()
        assert CANARY not in screen_text(app)
    assert leaks(seen, CANARY) == []


async def test_enter_posts_submitted_without_the_value() -> None:
    seen: list[Message] = []
    app = Host(OneSecret)
    async with app.run_test(message_hook=seen.append) as pilot:
        await pilot.press(*"abc", "enter")
        await pilot.pause()
    submitted = [m for m in unique(seen) if isinstance(m, SecretInput.Submitted)]
    assert len(submitted) == 1 and submitted[0].valid
    assert leaks(seen, "abc") == []


async def test_unmounting_clears_the_value() -> None:
    app = Host(OneSecret)
    async with app.run_test() as pilot:
        await pilot.press(*CANARY)
        await pilot.pause()
        widget = app.screen.query_one(SecretInput)
        assert widget.peek().get_secret_value() == CANARY
        await widget.remove()
        await pilot.pause()
        assert widget.length == 0
        assert widget.peek().get_secret_value() == ""


async def test_a_totp_rule_refuses_other_characters_and_extra_digits() -> None:
    app = Host(lambda: OneSecret(SecretRule.digits(6)))
    async with app.run_test() as pilot:
        widget = app.screen.query_one(SecretInput)
        await pilot.press(*"12a")
        await pilot.pause()
        assert widget.length == 2
        assert widget.problem == "only digits: nothing was added"
        await pilot.press("3")
        await pilot.pause()
        assert widget.problem == "6 digits needed (3 so far)"
        assert not widget.valid
        await pilot.press(*"4567")
        await pilot.pause()
        assert widget.length == 6 and widget.valid
        assert widget.problem == "at most 6 characters: nothing was added"
        await pilot.press("backspace")
        await pilot.pause()
        assert widget.length == 5 and widget.problem == "6 digits needed (5 so far)"


async def test_paste_takes_the_first_line_trimmed_and_refuses_bad_characters() -> None:
    app = Host(lambda: OneSecret(SecretRule.digits(6)))
    async with app.run_test() as pilot:
        widget = app.screen.query_one(SecretInput)
        widget.post_message(events.Paste("123 456"))
        await pilot.pause()
        assert widget.length == 0 and widget.problem == "only digits: nothing was added"
        widget.post_message(events.Paste("  654321\nsecond line\n"))
        await pilot.pause()
        assert widget.length == 6 and widget.valid
        assert widget.take().get_secret_value() == "654321"


class CertCentralSetup(RequestModel):
    region: Literal["GLOBAL", "EUROPE"] = "GLOBAL"
    api_key: Annotated[SecretStr, Field(min_length=20)]


def certcentral_form() -> RequestForm[CertCentralSetup]:
    return RequestForm(
        CertCentralSetup,
        FormSpec(
            title="Set up CertCentral",
            fields=[
                FieldSpec("region", "Region", "where your CertCentral account is"),
                FieldSpec(
                    "api_key",
                    "API key",
                    "shown once in CertCentral; never shown here",
                    secret_rule=SecretRule(min_length=20),
                ),
            ],
        ),
    )


@pytest.mark.parametrize("size", SIZES)
async def test_a_form_with_a_secret_field_validates_it_and_hands_it_over_once(
    size: tuple[int, int],
) -> None:
    seen: list[Message] = []
    app = Host(certcentral_form)
    async with app.run_test(size=size, message_hook=seen.append) as pilot:
        await pilot.press("tab")
        secret = app.screen.query_one(SecretInput)
        assert app.focused is secret
        await pilot.press(*CANARY[:12])
        await pilot.pause()
        line = app.screen.query_one("#msg-api_key")
        assert str(line.render()) == "✗ at least 20 characters (12 so far)"
        await pilot.press(*CANARY[12:])
        await pilot.pause()
        assert not line.display
        assert CANARY not in screen_text(app)
        await pilot.press("enter")  # the last field: submits a valid form
        await pilot.pause()
        assert secret.length == 0  # the form emptied it on the way out
    (result,) = app.results
    assert isinstance(result, CertCentralSetup)
    assert result.api_key.get_secret_value() == CANARY
    assert CANARY not in repr(result)
    assert leaks(seen, CANARY) == []
