"""Names in options turned into the ids a request carries: users by email or name, teams and
profiles by name, and checks a person can act on before anything is sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._lookup import NoSuchName
from stm_tui.commands._write import find
from stm_tui.sanitize import clean_cell

if TYPE_CHECKING:
    from stm_tui.api.models import CertificateProfile
    from stm_tui.session import Session

# Where the config profile goes when --profile names a keypair or certificate profile.
CONFIG_PROFILE_HINT = (
    "(--profile here names a {kind}; the config profile goes before the command: "
    "stm-tui --profile NAME {command} ...)"
)


def split_names(values: Iterable[str]) -> list[str]:
    """`--users a,b --users c` -> [a, b, c]: repeated and comma-separated alike."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


async def ids_of(session: Session, resource: str, names: Iterable[str]) -> list[str]:
    """The ids of `names` (each an id or a natural name), in order, without repeats."""
    out: list[str] = []
    for name in names:
        item = await find(session, resource, name)
        if item.id not in out:
            out.append(item.id)
    return out


async def profile_named(session: Session, resource: str, wanted: str, command: str) -> Any:
    """A keypair or certificate profile by name or id; not found says where a config
    profile would have gone, the likeliest mix-up."""
    try:
        return await find(session, resource, wanted)
    except NoSuchName as exc:
        kind = "keypair profile" if resource == "keypair_profiles" else "certificate profile"
        hint = CONFIG_PROFILE_HINT.format(kind=kind, command=command)
        raise NoSuchName(f"{exc} {hint}") from None


def check_certificate_profile(profile: CertificateProfile, key_alg: str | None, flag: str) -> None:
    """A usage error (naming `flag`) for a profile that cannot issue for this key."""
    name = clean_cell(profile.name or profile.id)
    status = (profile.status or "ACTIVE").upper()
    if status not in ("ACTIVE", "ENABLED"):
        raise click.UsageError(f"{flag}: certificate profile {name} is {clean_cell(status)}")
    allowed = [a.upper() for a in profile.allowed_key_algs]
    if key_alg and allowed and key_alg.upper() not in allowed:
        raise click.UsageError(
            f"{flag}: certificate profile {name} does not allow {key_alg} keys "
            f"(it allows {clean_cell(', '.join(allowed))})"
        )
