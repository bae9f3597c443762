"""A hostile server cannot write escape sequences to the user's terminal.

The real `stm-tui` runs on a pty against a stdlib HTTP server that relays the emulator with
escape sequences added to the names, versions, aliases and findings it returns; the test
opens the lists and details that show them (identity bar, tables, detail panes, the command
palette) and asserts on the raw bytes the terminal received.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stm_tui.emulator.server import EmulatorServer
from tests.hostile import FORBIDDEN, HOSTILE, HostileProxy, items_of
from tests.pty import PtyRun, cli_env

# What the sanitiser shows instead of ESC ... BEL: visible, so the user sees what was tried.
SHOWN = "\u241b]0;PWNED-TITLE\u2407".encode()


def poison(path: str, data: Any) -> Any:
    if path.endswith("/user/me") and isinstance(data, dict):
        data["name"] = f"Lead {HOSTILE}"
    for item in items_of(data):
        if path.endswith("/release-windows"):
            item["version"] = f"4.2{HOSTILE}"
            item["notes"] = f"notes {HOSTILE}"
        elif path.endswith("/certificates") or path.endswith("/keypairs"):
            item["alias"] = f"{item.get('alias')} {HOSTILE}"
        elif path.endswith("/account") or path.endswith("/user"):
            item["name"] = f"{item.get('name')} {HOSTILE}"
        elif path.endswith("/teams"):
            item["description"] = f"team {HOSTILE}"
    if "/scans/" in path and isinstance(data, dict):
        for finding in data.get("findings") or []:
            finding["title"] = f"finding{HOSTILE}"
            finding["detail"] = f"detail {HOSTILE}"
    return data


def test_escape_sequences_from_the_server_never_reach_the_terminal(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    with HostileProxy(emulator, poison) as proxy:
        env = cli_env(tmp_path, SM_HOST=proxy.url, SM_API_KEY=key)
        with PtyRun([], env, size=(120, 40)) as run:
            # The identity bar shows the poisoned user name once `me` has loaded.
            run.wait_for(lambda out: b"PWNED-TITLE" in out)
            run.settle()
            # Each area's list, then the detail of its first row, beside the list.
            for area in (b"4", b"3", b"2", b"7", b"8", b"5", b"9"):
                run.send(area)
                run.settle()
                run.send(b"\r")
                run.settle()
            # The palette's jump-to-resource hits show aliases.
            run.send(b"\x10")  # ctrl+p
            run.settle()
            run.send(b"PWNED")
            run.settle()
            run.send(b"\x1b")
            run.settle()
            run.send(b"q")
            code = run.finish()
        output = bytes(run.output)
    assert code == 0
    assert any("/release-windows" in p for p in proxy.requests)
    assert any("/scans/" in p for p in proxy.requests)  # a threat report detail was fetched
    # None of what the server tried reached the terminal ...
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden
    # ... although the hostile text was on screen, made visible.
    assert SHOWN in output  # the identity bar
    assert "4.2\u241b]52;c;UFdORUQ=\u2407".encode() in output  # the release detail
    assert "finding\u241b]52;c;UFdORUQ=\u2407".encode() in output  # the threat report
