"""A hostile STM on loopback: a stdlib `http.server` in front of the emulator that rewrites
the JSON it relays, so server text carries terminal escape sequences (or anything else a test
wants) while every shape stays the emulator's.

    with HostileProxy(emulator, rewrite) as proxy:
        ... SM_HOST=proxy.url ...

`rewrite(path, data)` gets the decoded JSON of each upstream response and returns what the
client receives (it may mutate `data` in place and return it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

from stm_tui.emulator.server import EmulatorServer

Rewrite = Callable[[str, Any], Any]

# What a Developer could type into a release version: write the clipboard (OSC 52), retitle
# the terminal (OSC 0), wipe the screen (CSI 2J), an 8-bit CSI (U+009B) and a bell.
INJECTED = "\x1b]52;c;UFdORUQ=\x07\x1b]0;PWNED-TITLE\x07\x1b[2J\x9b31mRED"
BELL_MARKER = "BELL\x07INSIDE"
HOSTILE = f"{INJECTED}{BELL_MARKER}"
# Byte strings none of which may reach the terminal once HOSTILE has been shown.
FORBIDDEN: tuple[bytes, ...] = (
    b"\x1b]52;",
    b"\x1b]0;",
    b"\x1b[2J",
    "\x9b".encode(),
    b"\x9b31m",
    BELL_MARKER.encode(),
)


class HostileProxy:
    def __init__(self, upstream: EmulatorServer, rewrite: Rewrite) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() == "x-api-key"}
                upstream = httpx.get(proxy.upstream.url + self.path, headers=headers, timeout=30)
                body = upstream.content
                if upstream.headers.get("content-type", "").startswith("application/json"):
                    data = proxy.rewrite(self.path.split("?", 1)[0], upstream.json())
                    # ensure_ascii=False: the control characters travel as JSON escapes
                    # (`\u001b`) and the C1 ones raw, as a careless server would send them.
                    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(upstream.status_code)
                    self.send_header(
                        "content-type", upstream.headers.get("content-type", "text/plain")
                    )
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the dashboard quit while a poll was in flight

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def items_of(data: Any) -> list[dict[str, Any]]:
    """The items of a list response: an STM envelope or an Account Manager bare array."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return [i for i in data["items"] if isinstance(i, dict)]
    if isinstance(data, list):
        return [i for i in data if isinstance(i, dict)]
    return []


class CannedServer:
    """A loopback server answering every GET with one status and JSON body (an error page
    a hostile or broken STM could send)."""

    def __init__(self, status: int, body: Any) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> CannedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
