"""A write as a value: what will be sent, built before anything is sent.

The same `WriteCall` is what the confirmation previews, what the local audit file records,
what `--dry-run` prints, what a test asserts and what `STMClient.execute` sends. Builders
(sibling modules) make one from a validated request model; nothing else builds paths or bodies
for writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

from stm_tui.api.models import Resource
from stm_tui.api.resources import ResourceName
from stm_tui.api.routes import path as route_path

Method = Literal["POST", "PUT", "PATCH", "DELETE"]

REDACTED = "***"


class Tier(StrEnum):
    """How a write is confirmed, in the dashboard and the CLI alike."""

    # y/N with the focus on Cancel: creations, updates and what can be undone (suspend,
    # enable/disable, set default).
    CONFIRM = "confirm"
    # A modal that says what is approved, who asked and the exact call.
    APPROVAL = "approval"
    # The resource's name must be typed, after an impact list: delete, revoke, close early,
    # deactivate, revoke a token.
    IRREVERSIBLE = "irreversible"


@dataclass(frozen=True, slots=True)
class Target:
    """The resource a write acts on: re-read after an uncertain outcome, named in previews.

    `item_id` is known for updates; a creation names the collection and how to find the new
    item (`lookup`, a list filter such as `{"alias": "build-key"}`).
    """

    resource: ResourceName
    label: str
    item_id: str | None = None
    lookup: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WriteCall:
    action: str  # stable id: "keypair.generate"; the CLI, keymap and audit file use it
    summary: str  # one line a person reads: "Suspend keypair build-key (set OFFLINE)"
    method: Method
    path: str
    body: Mapping[str, Any] | None = None  # JSON-ready; secrets as SecretStr
    query: Mapping[str, str] = field(default_factory=dict)
    target: Target | None = None
    touches: tuple[ResourceName, ...] = ()  # store collections refreshed after the call
    tier: Tier = Tier.CONFIRM
    confirm_text: str | None = None  # what must be typed when the tier is IRREVERSIBLE
    idempotent: bool = False  # informational: writes are never retried either way
    returns_secret: bool = False  # the answer holds a value shown once (token, password)
    # The model of the answer; None: the target collection's model (no body: nothing parsed).
    returns: type[Resource] | None = None
    # Sensitive Account Manager operations ask for an authenticator code (`x-totp-code`) when
    # the account requires 2FA: the UI or the CLI adds it with `with_code` just before sending.
    step_up: bool = False
    headers: Mapping[str, SecretStr] = field(default_factory=dict)
    # A raw body instead of JSON (a file sent for a threat scan): previews and the audit file
    # show its size and SHA-256, never its bytes.
    content: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if "//" in self.path or not self.path.startswith("/"):
            raise ValueError(f"bad write path {self.path!r}")
        if self.tier is Tier.IRREVERSIBLE and not self.confirm_text:
            raise ValueError(f"{self.action}: an irreversible write needs a confirm_text")
        if self.content is not None and self.body is not None:
            raise ValueError(f"{self.action}: a write sends a JSON body or raw content, not both")

    # what is sent ------------------------------------------------------------------------

    def wire_body(self) -> dict[str, Any] | None:
        """The body as sent: secrets revealed. Only the client calls this."""
        return None if self.body is None else _reveal(self.body)

    def wire_headers(self) -> dict[str, str] | None:
        """Extra request headers as sent (a step-up code). Only the client calls this."""
        if not self.headers:
            return None
        return {k: v.get_secret_value() for k, v in self.headers.items()}

    def with_code(self, code: SecretStr) -> WriteCall:
        """The same call carrying a step-up code; the code is never previewed or recorded."""
        return replace(self, headers={**self.headers, "x-totp-code": code})

    # what is shown and recorded ------------------------------------------------------------

    def redacted_body(self) -> dict[str, Any] | None:
        return None if self.body is None else _redact(self.body)

    @property
    def request_line(self) -> str:
        if not self.query:
            return f"{self.method} {self.path}"
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}?{query}"

    def content_summary(self) -> dict[str, Any] | None:
        if self.content is None:
            return None
        return {"bytes": len(self.content), "sha256": hashlib.sha256(self.content).hexdigest()}

    def preview(self) -> str:
        """The exact request, secrets redacted: the text of every confirmation and dry run."""
        body = self.redacted_body()
        raw = self.content_summary()
        if raw is not None:
            return f"{self.request_line}\n<{raw['bytes']} bytes, sha256 {raw['sha256']}>"
        if body is None:
            return self.request_line
        return self.request_line + "\n" + json.dumps(body, indent=2, ensure_ascii=False)

    def record(self) -> dict[str, Any]:
        """The call as the local audit file and `-o json` dry runs hold it (no secrets)."""
        out: dict[str, Any] = {
            "action": self.action,
            "summary": self.summary,
            "method": self.method,
            "path": self.path,
        }
        if self.query:
            out["query"] = dict(self.query)
        if self.body is not None:
            out["body"] = self.redacted_body()
        if self.content is not None:
            out["content"] = self.content_summary()
        if self.target is not None:
            out["target"] = {
                "resource": self.target.resource,
                "label": self.target.label,
                **({"id": self.target.item_id} if self.target.item_id else {}),
            }
        out["tier"] = self.tier.value
        return out


def endpoint(route: str, **ids: str) -> str:
    """A write path from the route table (ids percent-encoded there)."""
    return route_path(route, **ids)


def body_of(req: BaseModel, *, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The JSON body for a request model: fields left at None are not sent, dates and times
    in the API's form, secrets kept as `SecretStr` (only `wire_body` reveals them). `only`
    limits the body to those fields (an update sends what was changed)."""
    include = set(only) if only is not None else None
    data = req.model_dump(mode="json", exclude_none=True, include=include)
    for name in data:
        value = getattr(req, name)
        if isinstance(value, SecretStr):
            data[name] = value
    return data


def _redact(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_redact(v) for v in value]
    return value


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Mapping):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_reveal(v) for v in value]
    return value
