"""Reading results back the way a user's other tools would: straight through the emulator's
API with httpx, not through the code under test."""

from __future__ import annotations

from typing import Any

import httpx

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import STM

from ._emu import stats


def env_of(server: EmulatorServer, role: str = "lead") -> dict[str, str]:
    """The environment `stm-tui` needs to talk to `server` as `role` (smctl's variables)."""
    return {"SM_HOST": server.url, "SM_API_KEY": server.credentials["users"][role]["api_key"]}


def writes_seen(server: EmulatorServer) -> dict[str, int]:
    """Every request the emulator counted that was not a GET."""
    return {k: v for k, v in stats(server).items() if not k.startswith("GET ")}


class Api:
    """The emulator's API as the Lead."""

    def __init__(self, server: EmulatorServer) -> None:
        key = server.credentials["users"]["lead"]["api_key"]
        self.http = httpx.Client(base_url=server.url, headers={"x-api-key": key}, timeout=30)

    def one(self, resource: str, **match: str) -> dict[str, Any] | None:
        found = self.http.get(f"{STM}/{resource}", params={**match, "limit": 100})
        found.raise_for_status()
        items: list[dict[str, Any]] = found.json()["items"]
        return items[0] if items else None

    def keypair(self, alias: str) -> dict[str, Any]:
        kp = self.one("keypairs", alias=alias)
        assert kp is not None, f"no keypair {alias}"
        return kp

    def certificate(self, alias: str) -> dict[str, Any]:
        cert = self.one("certificates", alias=alias)
        assert cert is not None, f"no certificate {alias}"
        return cert

    def certificates_of(self, keypair_id: str) -> dict[str, dict[str, Any]]:
        found = self.http.get(f"{STM}/certificates", params={"keypair_id": keypair_id})
        found.raise_for_status()
        return {c["alias"]: c for c in found.json()["items"]}

    def id_of(self, resource: str, field: str, value: str) -> str:
        """The id of the item whose `field` is `value` (users, teams, profiles)."""
        path = {"users": "/account/api/v1/user"}.get(resource, f"{STM}/{resource}")
        found = self.http.get(path)
        found.raise_for_status()
        body = found.json()
        items = body["items"] if isinstance(body, dict) else body
        return str(next(i["id"] for i in items if i.get(field) == value))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{STM}{path}", json=body)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result
