"""A hostile server cannot write to the terminal through the monitor: `stm-tui watch` on a
real pty, behind a proxy that puts escape sequences and Rich markup into the signature
log, the window and its scan. The stream, the alerts pane and the toasts show them as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stm_tui.emulator.server import EmulatorServer
from tests.hostile import FORBIDDEN, HOSTILE, HostileProxy, items_of
from tests.pty import PtyRun, cli_env

MARKUP = "[reverse]mallory[/reverse]"


def poison(path: str, data: Any) -> Any:
    for item in items_of(data):
        if path.endswith("/signatures"):
            item["user"]["name"] = f"{MARKUP}{HOSTILE}"
            item["client_ip"] = f"10.0.0.1{HOSTILE}"
        elif path.endswith("/scans"):
            item["alias"] = f"scan{HOSTILE}"
    if "/release-windows/" in path and isinstance(data, dict):
        for keypair in data.get("keypairs") or []:
            keypair["alias"] = f"kp{HOSTILE}"
    return data


def test_the_monitor_shows_hostile_text_as_text(emulator: EmulatorServer, tmp_path: Path) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    with HostileProxy(emulator, poison) as proxy:
        env = cli_env(tmp_path, SM_HOST=proxy.url, SM_API_KEY=key)
        with PtyRun(["watch", "--release", "desktop-4.3.0", "--interval", "0.5"], env,
                    size=(120, 40)) as run:
            # The failed scan's alert (toast and pane) names the poisoned scan.
            run.wait_for(lambda out: "scan\u241b]52;c;".encode() in out)
            # A signer's name, markup and all, as text (cut to its column).
            run.wait_for(lambda out: b"[reverse]m" in out)
            run.settle()
            run.send(b"q")
            code = run.finish()
        output = bytes(run.output)
    assert code == 0
    assert any("/signatures" in p for p in proxy.requests)
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden
    # ... although the hostile text was on screen, made visible, in the alerts pane.
    assert "scan\u241b]52;c;UFdORUQ=\u2407".encode() in output
