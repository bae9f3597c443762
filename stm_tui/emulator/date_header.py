"""The `Date` header from the emulator's own clock.

uvicorn would stamp every response with the machine's time; a real server stamps its own.
With the emulator's clock in the header, a client comparing clocks (`stm-tui doctor`) sees
the time the emulator lives in, and a test can give the emulator a skewed clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DateHeader:
    def __init__(self, app: ASGIApp, now: Callable[[], datetime]) -> None:
        self.app = app
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", format_datetime(self.now(), usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)
