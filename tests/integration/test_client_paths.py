"""The client never sends `//` (issue 10 item 1: production answers such paths with an HTML
page) and builds every path from the one route table: every request of a full refresh, a
sign and each write method is recorded at the transport and checked."""

from __future__ import annotations

import hashlib
import inspect
import re
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from stm_tui.api import errors
from stm_tui.api.client import STMClient
from stm_tui.api.resources import RESOURCES
from stm_tui.api.routes import ROUTES, path
from stm_tui.emulator.server import EmulatorServer
from tests.integration._emu import FAST, api_key


class Recording(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.raw_path.decode().split("?")[0]))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


ROUTE_PATTERNS = [
    re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(t)) + "$")
    for t in ROUTES.values()
]

WRITE_PREFIXES = (
    "create_", "update_", "delete_", "suspend_", "unsuspend_", "revoke_", "approve_",
    "close_", "set_", "generate_", "sign",
)  # "sign" also matches the `signatures` listing, which is a read


def write_methods() -> set[str]:
    return {
        name
        for name, fn in inspect.getmembers(STMClient, inspect.iscoroutinefunction)
        if name.startswith(WRITE_PREFIXES) and name != "signatures"
    }


async def attempt(call: Any) -> Any:
    """Run one call; the answer does not matter here, only what was sent."""
    try:
        return await call
    except errors.StmError:
        return None


async def test_no_request_path_contains_a_double_slash_and_all_come_from_the_routes(
    fresh_emulator: EmulatorServer,
) -> None:
    transport = Recording()
    client = STMClient(
        fresh_emulator.url + "/",  # a trailing slash on the host must not double up
        api_key(fresh_emulator),
        retry=FAST,
        transport=transport,
    )
    async with client:
        # A full refresh: every collection, then one item of each by id.
        for name, spec in RESOURCES.items():
            items = await client.list_all(name)
            if items and (spec.item_route or spec.single):
                await attempt(client.get_item(name, items[0].id))
        keypair = await client.create_keypair("it-paths", "ECDSA", curve="P256", key_type="TEST")
        profile = next(p for p in await client.certificate_profiles() if p.hierarchy == "PRIVATE")
        cert = await attempt(client.generate_certificate(keypair.id, "it-paths-cert", profile.id))
        release = await attempt(client.create_release("it-paths-release", keypair_ids=[keypair.id]))
        me = await client.me()
        called = {
            "create_keypair",
            "generate_certificate",
            "create_release",
        }
        calls: dict[str, Any] = {
            "sign": client.sign(keypair.id, hashlib.sha256(b"x").digest(), "SHA256withECDSA"),
            "update_keypair": client.update_keypair(keypair.id, alias="it-paths-2"),
            "suspend_keypair": client.suspend_keypair(keypair.id),
            "unsuspend_keypair": client.unsuspend_keypair(keypair.id),
            "create_keypair_profile": client.create_keypair_profile("it-paths-kpp", key_alg="RSA"),
            "create_certificate_profile": client.create_certificate_profile("it-paths-cpp"),
            "revoke_certificate": client.revoke_certificate(cert.id if cert else "x", "superseded"),
            "approve_release": client.approve_release(release.id if release else "x"),
            "close_release": client.close_release(release.id if release else "x"),
            "create_team": client.create_team("it-paths-team"),
            "update_team": client.update_team("x-team", name="renamed"),
            "create_user": client.create_user(user_type="service", friendly_name="it-paths"),
            "update_user": client.update_user(me.id, friendly_name="Lead"),
            "create_api_token": client.create_api_token("it paths"),
            "delete_api_token": client.delete_api_token("x-token"),
            "create_client_certificate": client.create_client_certificate(
                "it-paths", SecretStr("pw-0123456789")
            ),
            "update_account_settings": client.update_account_settings(),
            "set_certcentral": client.set_certcentral(SecretStr("cc-key-0123456789")),
            "delete_certcentral": client.delete_certcentral(),
            "delete_keypair": client.delete_keypair(keypair.id),
        }
        for call in calls.values():
            await attempt(call)
        called |= set(calls)

    assert called == write_methods(), "a write method is missing from this test"
    methods = {method for method, _ in transport.sent}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods
    assert len(transport.sent) > 40
    for method, sent in transport.sent:
        assert "//" not in sent, f"{method} {sent}"
        assert any(p.match(sent) for p in ROUTE_PATTERNS), f"{method} {sent} is not a route"


@pytest.mark.parametrize("bad", ["", "a/b", "../x", "x//y"])
def test_ids_cannot_change_the_shape_of_a_path(bad: str) -> None:
    if not bad:
        with pytest.raises(ValueError, match="empty"):
            path("keypair", id=bad)
        return
    built = path("keypair", id=bad)
    assert "//" not in built
    assert built.count("/") == ROUTES["keypair"].count("/")
