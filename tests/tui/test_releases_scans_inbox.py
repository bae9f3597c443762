"""The release window form, the release and inbox write actions, the threat-scan submit form
and compare view, and the approvals inbox's signals, walked with Pilot against the emulator;
results read back through the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from stm_tui.api.models import ApprovalRequest, ReleaseWindow, Scan
from stm_tui.api.writes import releases as releases_writes
from stm_tui.commands._write import request
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.scans import ScanCompareScreen
from stm_tui.tui.writes.confirm import ApprovalScreen, ConfirmScreen, IrreversibleScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.picker import Picker
from stm_tui.tui.writes.reason import ReasonApprovalScreen
from tests.conftest import STM
from tests.tui._people import type_text
from tests.tui._pilot import (
    audit_lines,
    detail_text,
    enter_write_mode,
    message,
    open_list_on,
    recording,
    retype,
    screen_text,
    selected,
    top,
    top_screen,
)
from tests.tui.conftest import loaded, make_app, wait_until

FREE_KEY = "shared-python-wheels"  # active certificate until 2027-11, in no window
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def api(server: EmulatorServer, path: str, role: str = "lead", **params: Any) -> Any:
    key = server.credentials["users"][role]["api_key"]
    r = httpx.get(f"{server.url}{STM}{path}", params=params, headers={"x-api-key": key})
    r.raise_for_status()
    return r.json()


def post(server: EmulatorServer, path: str, role: str = "lead", **kw: Any) -> httpx.Response:
    key = server.credentials["users"][role]["api_key"]
    return httpx.post(f"{server.url}{STM}{path}", headers={"x-api-key": key}, **kw)


def release_named(server: EmulatorServer, name: str) -> dict[str, Any] | None:
    items = api(server, "/release-windows", limit=100)["items"]
    return next((r for r in items if r["name"] == name), None)


def release_status(server: EmulatorServer, name: str) -> str | None:
    """The window's status as the API reads it (None: no such window)."""
    made = release_named(server, name)
    return None if made is None else str(made["status"])


def scans_finish_at_once(server: EmulatorServer) -> None:
    state = server.state
    assert state is not None, "the emulator is not running"
    state.scan_delay = 0


async def pick(pilot: Pilot[Any], name: str, label: str) -> None:
    """Filter a picker down to `label`, then pick the first match (Enter, space)."""
    picker = pilot.app.screen.query_one(f"#field-{name}", Picker)
    line = picker.query_one(".picker-filter", Input)
    line.focus()
    line.value = label
    await pilot.pause()
    line.focus()
    await pilot.press("enter", "space")
    await pilot.pause()


async def radio(pilot: Pilot[Any], name: str, index: int) -> None:
    radios = pilot.app.screen.query_one(f"#field-{name}", RadioSet)
    list(radios.query(RadioButton))[index].value = True
    await pilot.pause()


async def open_release_form(pilot: Pilot[Any]) -> RequestForm[Any]:
    await pilot.press("4", "n")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, RequestForm)
    return form


async def test_the_form_creates_an_online_window_that_the_api_then_lists(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_release_form(pilot)
        await radio(pilot, "release_type", 1)  # online
        await retype(pilot, "name", "wheels-2.0")
        await retype(pilot, "version", "2.0")
        await pick(pilot, "keypair_ids", FREE_KEY)
        await pick(pilot, "signer_ids", "Grace Chen")
        await retype(pilot, "max_signatures", "40")
        await retype(pilot, "start_time", "2026-11-28T09:00Z")
        help_line = str(app.screen.query_one("#help-start_time", Static).render())
        assert "2026-11-28 09:00 UTC" in help_line and "local" in help_line
        await retype(pilot, "duration_minutes", "180")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "POST /signingmanager/api/v1/release-windows" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: release_named(fresh_emulator, "wheels-2.0") is not None)
    made = release_named(fresh_emulator, "wheels-2.0")
    assert made is not None and made["status"] == "APPROVED"
    assert made["start_time"] == "2026-11-28T09:00:00Z"
    assert made["end_time"] == "2026-11-28T12:00:00Z"
    assert [k["alias"] for k in made["keypairs"]] == [FREE_KEY]
    assert [u["name"] for u in made["users"]] == ["Grace Chen"]
    assert made["max_signatures"] == 40 and made["version"] == "2.0"


async def test_each_field_says_what_is_wrong_before_anything_is_sent(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_release_form(pilot)
        await radio(pilot, "release_type", 1)
        await retype(pilot, "name", "has space")
        assert "no spaces" in (message(app, "name") or "")
        await retype(pilot, "name", "desktop-4.3.0")  # exists
        assert "exists already" in (message(app, "name") or "")
        await retype(pilot, "name", "fine-name")
        assert message(app, "name") is None
        assert "pick at least one" in (message(app, "keypair_ids") or "")
        await pick(pilot, "keypair_ids", "platform-container-sign")  # in platform-q4-hotfix
        await retype(pilot, "start_time", "2026-11-27T12:30Z")
        await retype(pilot, "duration_minutes", "60")
        assert "already in the open window platform-q4-hotfix" in (
            message(app, "keypair_ids") or ""
        )
        await pick(pilot, "keypair_ids", "platform-container-sign")  # unpick
        await pick(pilot, "keypair_ids", "mobile-wearables")
        assert "has no active certificate" in (message(app, "keypair_ids") or "")
        await pick(pilot, "keypair_ids", "mobile-wearables")
        await pick(pilot, "keypair_ids", "desktop-plugin-sdk")  # its certificate: 2026-12-03
        await retype(pilot, "duration_minutes", str(60 * 24 * 10))
        assert "expires 2026-12-03" in (message(app, "keypair_ids") or "")
        await retype(pilot, "duration_minutes", "60")
        assert message(app, "keypair_ids") is None
        await retype(pilot, "start_time", "2026-11-20T00:00Z")
        assert "starts in the past" in (message(app, "start_time") or "")
        await retype(pilot, "start_time", "2026-11-27T12:30")
        assert "add a time zone" in (message(app, "start_time") or "")
        await retype(pilot, "start_time", "")
        await retype(pilot, "max_signatures", "0")
        assert "a maximum of zero allows no signature" in (message(app, "max_signatures") or "")
        await retype(pilot, "max_signatures", "")
        await retype(pilot, "duration_minutes", "")
        assert "give an end time or a duration" in (message(app, "end_time") or "")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RequestForm)  # still open: nothing sent
    assert release_named(fresh_emulator, "fine-name") is None


async def test_when_the_service_still_refuses_its_message_is_shown(
    fresh_emulator: EmulatorServer,
) -> None:
    """The form checks what the store held when it opened; a window made meanwhile by
    someone else is caught by the service (422), whose message the outcome shows."""
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_release_form(pilot)
        await radio(pilot, "release_type", 1)
        await retype(pilot, "name", "late-one")
        await pick(pilot, "keypair_ids", FREE_KEY)
        await retype(pilot, "duration_minutes", "60")
        keypair = api(fresh_emulator, "/keypairs", alias=FREE_KEY)["items"][0]
        post(
            fresh_emulator, "/release-windows",
            json={"name": "first-one", "release_type": "ONLINE",
                  "keypair_ids": [keypair["id"]], "duration_minutes": 60},
        ).raise_for_status()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "request rejected (422" in screen_text(app))
        text = screen_text(app)
        assert "shared-python-wheels is already in the open" in text
        assert "release window first-one" in text
    assert release_named(fresh_emulator, "late-one") is None


async def test_a_signer_cannot_open_the_form_and_is_told_why(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator, role="signer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await enter_write_mode(pilot)
        await pilot.press("4", "n")
        await pilot.pause()
        assert not isinstance(app.screen, RequestForm)
        assert notes[-1] == "New window: needs the Request release permission (you are Signer)"


def pending(item: object) -> bool:
    return isinstance(item, ReleaseWindow) and item.status == "PENDING_APPROVAL"


def is_open(item: object) -> bool:
    return isinstance(item, ReleaseWindow) and item.name == "desktop-4.3.0"


async def test_approving_a_requested_window_shows_who_asked_and_what(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "4", pending)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        text = screen_text(app)
        assert "offline release desktop-4.4.0-rc1: keypairs desktop-mac-release" in text
        assert "asked by Marcus Oyelaran" in text
        assert "/release-windows/" in text and "/approve" in text
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: release_status(fresh_emulator, "desktop-4.4.0-rc1") == "APPROVED",
        )


REASON = "wrong keypair, use desktop-mac-2027"


async def test_a_reason_typed_in_the_rejection_is_sent_kept_and_shown_in_the_detail(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        screen = await open_list_on(pilot, "4", pending)
        window = selected(screen, ReleaseWindow)
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonApprovalScreen))
        assert "Reject release desktop-4.4.0-rc1" in screen_text(app)
        await type_text(pilot, REASON)  # the reason field has the focus
        preview = str(app.screen.query_one("#request", Static).render())
        assert f'"reason": "{REASON}"' in preview
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: release_status(fresh_emulator, "desktop-4.4.0-rc1") == "REJECTED"
        )
        releases = app.session.store.collection("releases")
        await wait_until(pilot, lambda: releases.items[window.id].status == "REJECTED")
        await wait_until(pilot, lambda: isinstance(app.screen, ListScreen))
        assert screen.focus_key(window.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        assert f"rejection reason {REASON}" in detail_text(app)
        intents = [line["call"] for line in audit_lines(app) if line["kind"] == "intent"]
    made = release_named(fresh_emulator, "desktop-4.4.0-rc1")
    assert made is not None and made["rejection_reason"] == REASON
    # The call the CLI's `release reject --reason` builds, to the letter.
    cli = releases_writes.reject_release(
        window.id, "desktop-4.4.0-rc1",
        request(releases_writes.RejectRelease, {"reason": REASON}),
    )
    assert intents == [cli.record()]


async def test_an_over_long_reason_is_refused_with_a_clear_message_and_nothing_typed_is_lost(
    emulator: EmulatorServer,
) -> None:
    app = make_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "4", pending)
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonApprovalScreen))
        modal = top(app, ReasonApprovalScreen)
        field = modal.query_one("#reason", Input)
        field.post_message(events.Paste("x" * 501))  # as a terminal pastes
        await wait_until(pilot, lambda: field.value == "x" * 501)
        state = str(modal.query_one("#reason-state", Static).render())
        assert "reason: at most 500 characters (501 typed)" in state
        assert modal.query_one("#confirm", Button).disabled
        await pilot.press("enter")  # refused: the modal stays, with the text
        assert top_screen(app) is modal and field.value == "x" * 501
        await pilot.press("backspace")
        assert not modal.query_one("#confirm", Button).disabled
        assert "500/500 characters" in str(modal.query_one("#reason-state", Static).render())
        assert f'"reason": "{"x" * 500}"' in str(modal.query_one("#request", Static).render())
        # Past all the field holds, a paste is refused out loud and what was there stays.
        notes = recording(app)
        field.post_message(events.Paste("y" * 2000))
        await wait_until(pilot, lambda: any("not taken" in n for n in notes))
        assert "at most 2000 characters" in notes[-1] and field.value == "x" * 500
        # A paste of several lines is one line of reason, not its first line only.
        field.value = ""
        field.post_message(events.Paste("scan missing\nask again"))
        await wait_until(pilot, lambda: field.value == "scan missing ask again")
        field.value = "late\u202e"  # a direction override, as the CLI refuses it too
        await pilot.pause()
        assert "must not contain control characters" in str(
            modal.query_one("#reason-state", Static).render()
        )
        assert modal.query_one("#confirm", Button).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ListScreen))
    assert release_status(emulator, "desktop-4.4.0-rc1") == "PENDING_APPROVAL"  # nothing sent


async def test_closing_early_needs_the_name_typed(fresh_emulator: EmulatorServer) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(pilot, "4", is_open)
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, IrreversibleScreen))
        assert "signatures used: 39/50" in screen_text(app)
        await pilot.press("enter")  # inert until the name is typed
        assert isinstance(app.screen, IrreversibleScreen)
        await pilot.press(*"desktop-4.3.0", "enter")
        await wait_until(
            pilot,
            lambda: release_status(fresh_emulator, "desktop-4.3.0") == "CLOSED",
        )


async def test_a_developers_request_reaches_the_leads_inbox_and_approving_it_opens_it(
    fresh_emulator: EmulatorServer,
) -> None:
    """Within one poll of the inbox: the count in the top bar, one bell, a toast; approving
    from the inbox removes it and the window is approved."""
    app = make_app(fresh_emulator)
    app.session.poller._loops["approvals"].spec.interval = 1.0  # one short poll interval
    rang: list[int] = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        assert "4 to approve (0)" in screen_text(app)
        assert rang == []  # what waited already does not ring
        keypair = api(fresh_emulator, "/keypairs", alias="platform-helm-charts")["items"][0]
        created = post(
            fresh_emulator, "/release-windows", "developer",
            json={"name": "helm-3.1", "release_type": "OFFLINE", "keypair_ids": [keypair["id"]],
                  "duration_minutes": 120},
        )
        assert created.status_code == 201, created.text
        await wait_until(pilot, lambda: "5 to approve (0)" in screen_text(app))
        assert rang == [1]
        assert any("offline release window helm-3.1 (asked by Priya Raman)" in n
                   for n in notes), notes
        await enter_write_mode(pilot)
        screen = await open_list_on(
            pilot, "0",
            lambda r: isinstance(r, ApprovalRequest) and r.resource is not None
            and r.resource.name == "helm-3.1",
        )
        assert isinstance(screen, ListScreen)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        # What is approved, which keys, what limit, when, and who asked: the same facts the
        # Releases list's approve shows, read from the window the request names (loaded
        # first when no poll of the releases has brought it yet).
        def modal_text() -> str:  # unwrapped: a long line may wrap anywhere on the screen
            parts = [w.content for w in app.screen.query(Static)]
            return " ".join(" ".join(str(p).split()) for p in parts)

        await wait_until(pilot, lambda: "what: offline release helm-3.1" in modal_text())
        text = modal_text()
        assert "keypairs platform-helm-charts" in text
        assert "no signature limit" in text
        assert "(2 h)" in text  # the window's length as asked
        assert "asked by Priya Raman" in text  # the demo's Developer
        request_id = created.json()["id"]
        assert f"POST /signingmanager/api/v1/approval-requests/{request_id}/approve" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: "4 to approve (0)" in screen_text(app))
        assert created.json()["id"] not in app.session.store.collection("approvals").items
        assert rang == [1]  # a removal rings nothing
    # It starts now: approved, the window is open.
    assert release_status(fresh_emulator, "helm-3.1") == "OPEN"


async def test_the_bell_stays_silent_when_the_profile_says_so(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator, approval_bell=False)
    app.session.poller._loops["approvals"].spec.interval = 1.0
    rang: list[int] = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        keypair = api(fresh_emulator, "/keypairs", alias="platform-helm-charts")["items"][0]
        post(
            fresh_emulator, "/release-windows", "developer",
            json={"name": "helm-quiet", "keypair_ids": [keypair["id"]], "duration_minutes": 60},
        ).raise_for_status()
        await wait_until(pilot, lambda: any("helm-quiet" in n for n in notes))
        assert rang == []


async def test_rejecting_from_the_inbox_asks_a_reason_the_service_keeps_with_the_decision(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await open_list_on(
            pilot, "0", lambda r: isinstance(r, ApprovalRequest) and r.kind == "KEYPAIR_DELETE"
        )
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonApprovalScreen))
        text = screen_text(app)
        assert "deletion of keypair desktop-legacy-signer" in text and "Reject" in text
        await type_text(pilot, "still signs old drivers")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: len(app.session.store.collection("approvals").items) == 3
        )
    decided = {i["kind"]: i for i in api(fresh_emulator, "/approval-requests")["items"]}
    assert decided["KEYPAIR_DELETE"]["status"] == "REJECTED"
    assert decided["KEYPAIR_DELETE"]["decision_reason"] == "still signs old drivers"
    assert api(fresh_emulator, "/keypairs", alias="desktop-legacy-signer")["items"]  # kept


async def test_a_request_the_user_may_not_decide_is_refused_with_the_reason(
    fresh_emulator: EmulatorServer,
) -> None:
    app = make_app(fresh_emulator, role="signer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "to approve" not in screen_text(app)
        await pilot.press("0")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListScreen) and screen.table.row_count == 0


async def test_scan_a_file_from_the_form_and_follow_it_to_its_report(
    fresh_emulator: EmulatorServer, tmp_path: Path
) -> None:
    scans_finish_at_once(fresh_emulator)
    dirty = tmp_path / "setup-1.2.exe"
    dirty.write_bytes(b"MZ" + EICAR)
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await enter_write_mode(pilot)
        await pilot.press("5", "n")
        await pilot.pause()
        assert isinstance(app.screen, RequestForm)
        await retype(pilot, "path", str(tmp_path / "nope.exe"))
        assert message(app, "path") == "✗ no such file"
        await retype(pilot, "path", str(dirty))
        assert message(app, "path") is None
        await retype(pilot, "project", "bad project")
        assert "no spaces" in (message(app, "project") or "")
        await retype(pilot, "project", "setup-app")
        await retype(pilot, "alias", "setup-1.2-scan")
        await retype(pilot, "version", "1.2")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "bytes, sha256" in screen_text(app)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: any(
                isinstance(s, Scan) and s.alias == "setup-1.2-scan" and s.status == "FAIL"
                for s in app.session.store.collection("scans").items.values()
            ),
        )
        await wait_until(pilot, lambda: "EICAR" in screen_text(app))  # the report opened
    scans = api(fresh_emulator, "/scans", project="setup-app")["items"]
    assert [(s["alias"], s["status"], s["file_name"]) for s in scans] == [
        ("setup-1.2-scan", "FAIL", "setup-1.2.exe")
    ]


async def test_compare_two_scans_shows_findings_added_and_removed(
    fresh_emulator: EmulatorServer,
) -> None:
    scans_finish_at_once(fresh_emulator)
    for alias, version, body in (("cmp-1", "1", EICAR + b" lodash-4.17.15"),
                                 ("cmp-2", "2", b"lodash-4.17.15 log4j-core-2.14.1")):
        post(
            fresh_emulator, "/scans", content=body,
            params={"project": "cmp-app", "alias": alias, "version": version},
        ).raise_for_status()
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)

        def alias_is(name: str) -> Callable[[object], bool]:
            return lambda s: isinstance(s, Scan) and s.alias == name

        await open_list_on(pilot, "5", alias_is("cmp-1"))
        await pilot.press("d")
        await open_list_on(pilot, "5", alias_is("cmp-2"))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ScanCompareScreen))
        await wait_until(pilot, lambda: "1 added · 1 removed · 1 unchanged" in screen_text(app))
        text = screen_text(app)
        assert "CVE-2021-44228" in text and "EICAR" in text
