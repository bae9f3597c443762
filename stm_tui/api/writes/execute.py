"""Sending a `WriteCall`: exactly once, and what came of it.

A write is never retried, whatever the failure: the client does not guess whether a create,
a sign or a revoke happened. When the request may have reached the server but no answer came
back (a timeout, a dropped connection), the outcome is unknown: the target is re-read (by id,
or for a creation by its `lookup` filter) and `OutcomeUnknown` carries what the re-read
showed, so the caller can say "re-read shows: keypair build-key exists" instead of guessing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from pydantic import SecretStr, ValidationError

from stm_tui.api import models as m
from stm_tui.api import reads
from stm_tui.api.adapter import was_maybe_sent
from stm_tui.api.engine import Engine
from stm_tui.api.errors import NotFound, OutcomeUnknown, StmError, TransientError
from stm_tui.api.paging import DECODE_FAILURES
from stm_tui.api.resources import RESOURCES
from stm_tui.api.writes.call import WriteCall

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """A write the server accepted (2xx).

    `resource`: the answer parsed as the call's model (None for an empty answer, such as a
    204 after a delete, or when the answer did not fit the model: `problem` says why; the
    write happened either way). `raw`: the body as received, for values shown once that the
    model does not know; never shown by repr. `audited`: set by `Session.write` when the
    local audit file holds both the intent and this outcome."""

    call: WriteCall
    status: int
    resource: m.Resource | None = None
    raw: bytes = field(default=b"", repr=False)
    problem: str | None = None
    audited: bool = False
    server_date: str | None = None  # the answer's `Date` header (clock skew for TOTP)

    def secret(self, name: str) -> SecretStr | None:
        """A top-level string of the answer (a password shown once), kept secret."""
        try:
            data = json.loads(self.raw) if self.raw else None
        except DECODE_FAILURES:
            return None
        value = data.get(name) if isinstance(data, dict) else None
        return SecretStr(value) if isinstance(value, str) and value else None


def answer_model(call: WriteCall) -> type[m.Resource] | None:
    if call.returns is not None:
        return call.returns
    if call.target is None:
        return None
    spec = RESOURCES.get(call.target.resource)
    return spec.model if spec is not None else None


async def execute(engine: Engine, call: WriteCall) -> WriteOutcome:
    """Send `call` once. Raises the client's errors for a refusal; `OutcomeUnknown` when it
    may have been sent and no answer came back."""
    try:
        response = await engine.send(
            call.method,
            call.path,
            call.wire_body(),
            params=call.query or None,
            headers=call.wire_headers(),
            content=call.content,
        )
    except TransientError as err:
        if not was_maybe_sent(err):
            raise
        current, checked = await reread(engine, call)
        raise OutcomeUnknown(
            f"{call.method} {call.path}: no answer from the service, so it is not known whether "
            "the change was made; re-checked",
            call=call,
            current=current,
            checked=checked,
            method=call.method,
            path=call.path,
        ) from None
    resource, problem = _parse(call, response.content)
    return WriteOutcome(
        call=call, status=response.status, resource=resource, raw=response.content,
        problem=problem, server_date=response.headers.get("date"),
    )


def _parse(call: WriteCall, content: bytes) -> tuple[m.Resource | None, str | None]:
    model = answer_model(call)
    if model is None or not content.strip():
        return None, None
    try:
        return model.model_validate_json(content), None
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
        problem = f"the answer is not a {model.__name__} ({loc}: {first.get('msg', 'invalid')})"
    except DECODE_FAILURES:
        problem = f"the answer is not a {model.__name__} (unreadable JSON)"
    log.info("%s: %s", call.action, problem)
    return None, problem


async def reread(engine: Engine, call: WriteCall) -> tuple[m.Resource | None, bool]:
    """(what the target looks like now, whether the re-read got an answer)."""
    target = call.target
    if target is None or target.resource not in RESOURCES:
        return None, False
    spec = RESOURCES[target.resource]
    try:
        if target.item_id is not None or spec.single:
            if spec.item_route is None and not spec.single:
                return None, False
            try:
                return await reads.get_item(engine, spec.name, target.item_id or ""), True
            except NotFound:
                return None, True
        if not target.lookup:
            return None, False
        found = await reads.list_all(engine, spec.name, target.lookup)
    except StmError as exc:
        log.info("re-read after an unknown outcome failed: %s", exc.kind)
        return None, False
    # A server may ignore the filter and send everything: match the fields ourselves.
    for item in found:
        if all(getattr(item, key, None) == value for key, value in target.lookup.items()):
            return item, True
    return None, True
