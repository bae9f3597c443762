"""Field validation at the API: every string field bounded, character rules where the
documentation gives one, and no control characters or bidirectional overrides in free
text, so nothing one user stores can break another user's screen (field-level 400s)."""

from __future__ import annotations

from typing import Any

import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client

EVIL = ["\x1b[2J", "bell\x07", "del\x7f", "c1\x9b", "rtl\u202eevil", "iso\u2066late", "tab\tbed"]


def error_of(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["message"] if "errors" in body else body["error"]["message"])


@pytest.mark.parametrize("evil", EVIL)
@pytest.mark.parametrize(
    ("role", "path", "body", "field"),
    [
        (
            "developer",
            "/release-windows",
            {"name": "r1", "keypair_ids": ["x"], "notes": "{}"},
            "notes",
        ),
        ("developer", "/release-windows", {"name": "r{}", "keypair_ids": ["x"]}, "name"),
        (
            "developer",
            "/release-windows",
            {"name": "r1", "keypair_ids": ["x"], "version": "{}"},
            "version",
        ),
        ("lead", "/teams", {"name": "team {}"}, "name"),
        ("lead", "/teams", {"name": "team", "description": "{}"}, "description"),
        ("lead", "/keypair-profiles", {"name": "p {}", "key_alg": "EDDSA"}, "name"),
        (
            "lead",
            "/certificate-profiles",
            {"name": "c", "subject_template": {"common_name": "{}"}},
            "subject_template.common_name",
        ),
        (
            "signer",
            "/keypairs/shared-docs-signing/sign",
            {"hash": "AAAA", "sig_alg": "{}"},
            "sig_alg",
        ),
        ("lead", f"{AM}/user", {"email": "a@b.cc", "name": "{}"}, "name"),
        ("signer", f"{AM}/api-token", {"name": "tok {}"}, "name"),
    ],
)
def test_control_characters_are_a_field_level_400(
    emulator: EmulatorServer, role: str, path: str, body: dict[str, Any], field: str, evil: str
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{}", evil)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    url = path if path.startswith(AM) else f"{STM}{path}"
    with api_client(emulator, role) as c:
        r = c.post(url, json=fill(body))
    assert r.status_code == 400, r.text
    assert error_of(r.json()).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/release-windows", {"name": "n" * 101, "keypair_ids": ["x"]}, "name"),
        ("/release-windows", {"name": "ok", "keypair_ids": ["x"], "notes": "n" * 4001}, "notes"),
        ("/release-windows", {"name": "with space", "keypair_ids": ["x"]}, "name"),
        ("/teams", {"name": "t" * 101}, "name"),
        ("/teams", {"name": " padded"}, "name"),
        ("/keypairs", {"alias": "k" * 65, "key_alg": "EDDSA"}, "alias"),
    ],
)
def test_lengths_and_character_rules(
    emulator: EmulatorServer, path: str, body: dict[str, Any], field: str
) -> None:
    with api_client(emulator) as c:
        r = c.post(f"{STM}{path}", json=body)
    assert r.status_code == 400, r.text
    assert error_of(r.json()).startswith(f"{field}:")


def test_multi_line_notes_keep_their_line_breaks(fresh_emulator: EmulatorServer) -> None:
    with api_client(fresh_emulator, "developer") as dev:
        key = dev.get(f"{STM}/keypairs", params={"alias": "shared-docs-signing"}).json()
        r = dev.post(
            f"{STM}/release-windows",
            json={
                "name": "docs-notes",
                "duration_minutes": 30,
                "keypair_ids": [key["items"][0]["id"]],
                "notes": "Line one\nLine two — ünïcode fine",
            },
        )
    assert r.status_code == 201 and r.json()["notes"] == "Line one\nLine two — ünïcode fine"
