"""What the people-and-access commands share: step-up codes, users and tokens by name, a
value printed once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from pydantic import SecretStr

from stm_tui.sanitize import clean_cell

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


def with_step_up(session: Session, call: WriteCall) -> WriteCall:
    """The call with an authenticator code when it is a step-up operation and
    `SM_TOTP_SECRET` is set; the service ignores a code it does not need."""
    from stm_tui.commands._write import refuse
    from stm_tui.step_up import StepUpUnavailable, signer_from_env

    if not call.step_up:
        return call
    try:
        signer = signer_from_env(session.client.server_date)  # type: ignore[attr-defined]
    except StepUpUnavailable as exc:
        refuse(str(exc))
    if signer is None:
        return call
    return call.with_code(SecretStr(signer.next_code()))


async def find_user(session: Session, wanted: str) -> Any:
    """A user by id, e-mail, name or friendly name."""
    from stm_tui.commands._write import find

    return await find(session, "users", wanted)


async def find_token(session: Session, wanted: str, user_id: str | None = None) -> Any:
    """One API token (yours, or `user_id`'s) by id or name."""
    from stm_tui.commands._lookup import NoSuchName

    filters = {"user_id": user_id} if user_id else {}
    client: Any = session.client
    tokens: list[Any] = await client.list_all("api_tokens", **filters)
    exact = [t for t in tokens if wanted in (t.id, getattr(t, "name", None))]
    if not exact:
        exact = [t for t in tokens if (getattr(t, "name", "") or "").lower() == wanted.lower()]
    if len(exact) == 1:
        return exact[0]
    if exact:
        from stm_tui.commands._lookup import AmbiguousName

        lines = [f"stm-tui: {len(exact)} API tokens match {clean_cell(wanted)!r}; give an id:"]
        lines += [f"  {clean_cell(t.id)}  {clean_cell(t.name or '')}" for t in exact]
        raise AmbiguousName(lines)
    raise NoSuchName(f"no API token with the id or name {clean_cell(wanted)!r}")


def print_once(value: SecretStr, what: str) -> None:
    """The value on stdout (for a pipe or a secret store), the warning on stderr."""
    click.echo(value.get_secret_value())
    click.echo(
        f"stm-tui: that was the {what}: it is shown this once and cannot be shown again",
        err=True,
    )
