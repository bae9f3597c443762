"""Step-up codes for the Account Manager operations that ask for one (`x-totp-code`).

`SM_TOTP_SECRET` (or `SM_TOTP_SECRET_FILE`, read with the same owner and mode checks as
every secret file) holds the base32 seed of the user's authenticator, for runbooks and CI
where nobody is at a phone. The code is made on the server's clock (its `Date` header): a
machine whose clock is off by a minute would otherwise send codes the server refuses.
Without a seed, the dashboard asks for a code and the CLI says which variable to set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from stm_tui.totp import TotpSigner, clock_skew

ENV = "SM_TOTP_SECRET"


class StepUpUnavailable(Exception):
    """A seed was configured but cannot be used (a file with a loose mode, say)."""


def secret_from_env(environ: Mapping[str, str] | None = None) -> SecretStr | None:
    env = os.environ if environ is None else environ
    value = env.get(ENV, "").strip()
    if value:
        return SecretStr(value.replace(" ", "").upper())
    path = env.get(f"{ENV}_FILE", "").strip()
    if not path:
        return None
    file = Path(path)
    try:
        info = file.stat()
    except OSError as exc:
        raise StepUpUnavailable(f"{ENV}_FILE: {exc.strerror or exc}") from None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise StepUpUnavailable(
            f"{ENV}_FILE {file} must be yours and readable by you only (chmod 600)"
        )
    text = file.read_text(encoding="ascii", errors="replace").strip()
    return SecretStr(text.replace(" ", "").upper()) if text else None


def server_clock(date_header: str | None, local: Callable[[], float] = time.time) -> Callable[
    [], float
]:
    """A clock on the server's time: the local clock plus the skew the `Date` header shows."""
    skew = clock_skew(date_header, datetime.fromtimestamp(local(), tz=UTC)) or 0.0
    return lambda: local() + skew


def signer_from_env(
    date_header: str | None, environ: Mapping[str, str] | None = None
) -> TotpSigner | None:
    secret = secret_from_env(environ)
    if secret is None:
        return None
    return TotpSigner(secret, clock=server_clock(date_header))


def seed_source(environ: Mapping[str, str] | None = None) -> str:
    """Where a step-up code would come from now, in words (never the seed): the variable,
    the file (and whether it can be used), or the prompt. Read when asked, as the write
    flow reads it when it sends."""
    env = os.environ if environ is None else environ
    if env.get(ENV, "").strip():
        return f"environment variable {ENV}"
    path = env.get(f"{ENV}_FILE", "").strip()
    if not path:
        return f"none ({ENV} unset): asked for when STM wants one"
    try:
        usable = secret_from_env(env) is not None
    except StepUpUnavailable as exc:
        return f"not usable: {exc}"
    if not usable:
        return f"none ({ENV}_FILE {path} is empty): asked for when STM wants one"
    return f"file {path} (named by {ENV}_FILE)"
