"""What else an irreversible change touches, read from the service before it is confirmed:
the lines a headless delete or revoke prints on stderr (the dashboard lists the same things
from its store). A read that fails makes a line saying so: the impact is shown as unknown,
never as "nothing"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stm_tui.sanitize import clean_cell

# Release windows that can still sign: requested, approved, or open now.
LIVE_RELEASES = frozenset({"PENDING", "PENDING_APPROVAL", "APPROVED", "OPEN"})


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "?"


async def _releases_listing(client: Any, keypair_id: str) -> list[str]:
    found = await client.list_all("releases", keypair_id=keypair_id)
    lines = []
    for release in found:
        status = (getattr(release, "status", None) or "").upper()
        listed = {ref.id for ref in getattr(release, "keypairs", [])}
        if status in LIVE_RELEASES and keypair_id in listed:
            name = clean_cell(getattr(release, "name", None) or release.id)
            until = _when(getattr(release, "end_time", None))
            lines.append(f"release {name} ({clean_cell(status)}, until {until}) lists it")
    return lines


async def _guarded(lines: list[str], what: str, read: Any) -> None:
    from stm_tui.api.errors import StmError

    try:
        lines.extend(await read)
    except StmError as err:
        lines.append(f"{what}: could not be read ({clean_cell(err.kind)})")


async def revocation_impact(client: Any, cert: Any) -> list[str]:
    """For a certificate: what its keypair keeps, the live releases that list the keypair.
    (`client`: an `STMClient`; the session's protocol does not spell out list filters.)"""
    ref = cert.keypair
    if ref is None or not ref.id:
        return []
    kp_name = clean_cell(ref.alias or ref.id)

    async def certificates() -> list[str]:
        others = [
            c
            for c in await client.list_all("certificates", keypair_id=ref.id)
            if c.id != cert.id and (getattr(c, "certificate_status", "") or "") == "ACTIVE"
        ]
        if not others:
            return [f"keypair {kp_name} is left without an ACTIVE certificate: it cannot sign"]
        line = f"keypair {kp_name} keeps {len(others)} other ACTIVE certificate(s)"
        if cert.default_cert:
            line += "; this is its default: make another the default (certificate set-default)"
        return [line]

    async def releases() -> list[str]:
        return [f"keypair {kp_name}: {line}" for line in await _releases_listing(client, ref.id)]

    lines: list[str] = []
    await _guarded(lines, "its keypair's certificates", certificates())
    await _guarded(lines, "releases", releases())
    return lines


async def deletion_impact(client: Any, keypair: Any) -> list[str]:
    """For a keypair: its certificates (revoked with it), the live releases that list it, its
    last signature and how many it made this month (UTC)."""

    async def certificates() -> list[str]:
        certs = await client.list_all("certificates", keypair_id=keypair.id)
        active = [c for c in certs if (getattr(c, "certificate_status", "") or "") == "ACTIVE"]
        if not active:
            return [f"none of its {len(certs)} certificate(s) is ACTIVE"]
        names = ", ".join(clean_cell(getattr(c, "alias", None) or c.id) for c in active[:5])
        more = f" and {len(active) - 5} more" if len(active) > 5 else ""
        return [f"its {len(active)} ACTIVE certificate(s) are revoked with it: {names}{more}"]

    async def signatures() -> list[str]:
        total = await client.count("signatures", keypair_id=keypair.id)
        if total == 0:
            return ["it has never signed"]
        # The log is in time order, oldest first: the last one is at the end.
        _, last = await client.list_page("signatures", offset=total - 1, limit=1,
                                         keypair_id=keypair.id)
        month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        recent = await client.count(
            "signatures", keypair_id=keypair.id, **{"from": month.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )
        when = _when(getattr(last[0], "created_on", None)) if last else "?"
        return [f"last signature {when}; {recent} this month, {total} in all"]

    lines: list[str] = []
    await _guarded(lines, "its certificates", certificates())
    await _guarded(lines, "releases", _releases_listing(client, keypair.id))
    await _guarded(lines, "its signatures", signatures())
    return lines
