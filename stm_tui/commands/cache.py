"""`stm-tui cache clear`: remove the local inventory cache (all of it, or one profile's)."""

from __future__ import annotations

import click


@click.group("cache")
def cache() -> None:
    """The local inventory cache (certificates and keypairs kept between runs)."""


@cache.command("clear")
@click.option(
    "--profile", "profile", default=None,
    help="Only this profile's caches (every host and user it was used with).",
)
def clear(profile: str | None) -> None:
    """Delete the cached inventories; the next start loads everything from the host."""
    from stm_tui.cache.file import cache_files, owner_of
    from stm_tui.cache.paths import inventory_dir

    directory = inventory_dir()
    removed = 0
    size = 0
    for path in cache_files(directory):
        if profile is not None:
            # Companion files (-wal, -shm) go with their database; quarantined files have no
            # readable owner and are cleared only without --profile.
            main = path.with_name(path.name.removesuffix("-wal").removesuffix("-shm")
                                  .removesuffix("-journal"))
            owner = owner_of(main) if main.suffix == ".sqlite3" and main.exists() else None
            if owner is None or owner.profile != profile:
                continue
        try:
            size += path.stat().st_size
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise click.ClickException(f"could not remove {path}: {exc.strerror}") from None
    what = f"profile {profile!r}" if profile is not None else "all profiles"
    click.echo(f"removed {removed} file(s), {size / 1e6:.1f} MB, from {directory} ({what})")
