"""`stm-tui certificate ...`: certificates from a runbook.

generate, set-default and revoke are writes, with the guard rails of every write
(`stm_tui.commands._write`; revoke is irreversible: --confirm ALIAS without a terminal).
download and copy-as are reads: no --yes; download never overwrites a file unless told to.
Certificates are named by alias or id everywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._common import EXIT_UNAVAILABLE, EXIT_USAGE
from stm_tui.commands._impact import revocation_impact
from stm_tui.commands._read import read_client, run_read
from stm_tui.commands._resolve import check_certificate_profile, profile_named
from stm_tui.commands._write import (
    EXIT_REFUSED,
    WriteOptions,
    find,
    request,
    run_write,
    show_impact,
    write_options,
)
from stm_tui.sanitize import clean_cell, escape_json

if TYPE_CHECKING:
    from cryptography import x509

    from stm_tui.api.models import Certificate
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


@click.group(
    "certificate",
    help="Generate, set as default, revoke, download or copy certificates (by alias or id).",
)
def certificate() -> None:
    pass


# writes --------------------------------------------------------------------------------------


@certificate.command(
    "generate",
    help=(
        "Generate a certificate for KEYPAIR (alias or id) from a certificate profile (name or "
        "id); --default makes it the keypair's default.\n\n"
        "--profile here is the certificate profile; the config profile goes before the "
        "command: stm-tui --profile NAME certificate generate ..."
    ),
)
@write_options(config_profile=False)
@click.argument("keypair_name", metavar="KEYPAIR")
@click.option("--profile", "cert_profile", required=True, metavar="PROFILE",
              help="Certificate profile.")
@click.option("--alias", "alias", required=True, help="Alias of the new certificate.")
@click.option("--default", "default", is_flag=True, help="Make it the keypair's default.")
@click.pass_context
def generate(
    ctx: click.Context,
    keypair_name: str,
    cert_profile: str,
    alias: str,
    default: bool,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.certificates import GenerateCertificate, generate_certificate

    flags = {
        "alias": "--alias",
        "certificate_profile_id": "--profile",
        "set_as_default_cert": "--default",
    }
    data: dict[str, object] = {
        "alias": alias,
        "certificate_profile_id": cert_profile,
        "set_as_default_cert": default,
    }
    request(GenerateCertificate, data, flags)  # before connecting

    async def build(session: Session) -> WriteCall:
        kp = await find(session, "keypairs", keypair_name)
        profile = await profile_named(
            session, "certificate_profiles", cert_profile, "certificate generate"
        )
        check_certificate_profile(profile, kp.key_alg, "--profile")
        data["certificate_profile_id"] = profile.id
        req = request(GenerateCertificate, data, flags)
        return generate_certificate(kp.id, kp.alias or kp.id, req)

    run_write(ctx, opts, build)


def _keypair_of(cert: Certificate) -> tuple[str, str]:
    """(id, alias) of the certificate's keypair; a certificate without one is a bad answer."""
    from stm_tui.api.errors import BadResponse

    ref = cert.keypair
    if ref is None or not ref.id:
        raise BadResponse(f"certificate {cert.alias or cert.id} names no keypair")
    return ref.id, ref.alias or ref.id


@certificate.command(
    "set-default",
    help="Make a certificate (alias or id) the default of its keypair.",
)
@write_options
@click.argument("alias")
@click.pass_context
def set_default(ctx: click.Context, alias: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.certificates import set_default_certificate

    async def build(session: Session) -> WriteCall:
        cert = await find(session, "certificates", alias)
        kp_id, kp_alias = _keypair_of(cert)
        return set_default_certificate(kp_id, kp_alias, cert.id, cert.alias or cert.id)

    run_write(ctx, opts, build)


def _reason(value: str) -> str:
    # key-compromise is how people type STM's key_compromise.
    return value.strip().lower().replace("-", "_")


@certificate.command(
    "revoke",
    help=(
        "Revoke a certificate (alias or id). Cannot be undone: without a terminal give --yes "
        "and --confirm ALIAS. --reason: unspecified (default), key_compromise, superseded or "
        "cessation_of_operation."
    ),
)
@write_options
@click.argument("alias")
@click.option("--reason", default="unspecified", show_default=True, metavar="REASON",
              help="Why, as STM names it.")
@click.pass_context
def revoke(ctx: click.Context, alias: str, reason: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate

    req = request(RevokeCertificate, {"reason": _reason(reason)}, {"reason": "--reason"})

    async def build(session: Session) -> WriteCall:
        cert = await find(session, "certificates", alias)
        show_impact(await revocation_impact(session.client, cert))
        return revoke_certificate(cert.id, cert.alias or cert.id, req)

    run_write(ctx, opts, build)


# reads ---------------------------------------------------------------------------------------


def _load(der: bytes | None, what: str) -> x509.Certificate:
    """A certificate the service sent, parsed: nothing undecodable reaches a file."""
    from cryptography import x509

    from stm_tui.api.errors import BadResponse

    if der is None:
        raise BadResponse(f"{what}: the service sent no certificate data (or not base64)")
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise BadResponse(f"{what}: the service sent data that is not a certificate") from None


def _b64(text: str | None) -> bytes | None:
    try:
        return base64.b64decode(text or "", validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _chain(cert: Certificate) -> list[x509.Certificate]:
    name = clean_cell(cert.alias or cert.id)
    return [
        _load(_b64(entry.blob), f"certificate {name}, chain entry {n}")
        for n, entry in enumerate(cert.chain, start=1)
    ]


def _encode(cert: Certificate, fmt: str, with_chain: bool) -> tuple[bytes, int]:
    """The file's bytes and how many chain certificates they hold: PEM leaf first then the
    chain in the service's order (intermediate, root: as jsign builds it), or DER leaf."""
    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = _load(cert.der, f"certificate {clean_cell(cert.alias or cert.id)}")
    if fmt == "der":
        return leaf.public_bytes(Encoding.DER), 0
    chain = _chain(cert) if with_chain else []
    return b"".join(c.public_bytes(Encoding.PEM) for c in [leaf, *chain]), len(chain)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _save(path: Path, data: bytes, force: bool) -> None:
    """Write `data` to `path`, mode 0644 whatever the umask (a certificate is public).

    A new file is created exclusively, so an existing one (a symlink too) is never written
    through; replacing one (--force, or yes at the prompt) writes a sibling and renames it
    over, so the old file is whole until the new one is."""
    if not force:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            shown = clean_cell(str(path))
            if not _interactive():
                click.echo(
                    f"stm-tui: {shown} exists: not overwritten (give --force to replace it)",
                    err=True,
                )
                sys.exit(EXIT_REFUSED)
            if not click.confirm(f"{shown} exists. Replace it?", default=False, err=True):
                click.echo("stm-tui: cancelled: nothing written", err=True)
                sys.exit(EXIT_REFUSED)
            _save(path, data, force=True)
            return
        try:
            os.fchmod(fd, 0o644)
            os.write(fd, data)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
        return
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        os.write(fd, data)
        os.close(fd)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@certificate.command(
    "download",
    help=(
        "Download a certificate (alias or id): PEM (default) or DER, the leaf alone or with "
        "its chain (--chain, PEM only). PEM goes to stdout unless --out FILE; DER needs "
        "--out (--out - for stdout). An existing file is never replaced without --force (on a "
        "terminal you are asked). Files are mode 0644: a certificate is public."
    ),
)
@click.argument("alias")
@click.option("--format", "fmt", type=click.Choice(["pem", "der"], case_sensitive=False),
              default="pem", show_default=True)
@click.option("--chain", is_flag=True, help="PEM: the leaf, then its chain.")
@click.option("--out", "out", metavar="FILE", help="Where to write it (- for stdout).")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.option("--profile", default=None, help="Profile to use (default: the config's).")
@click.pass_context
def download(
    ctx: click.Context,
    alias: str,
    fmt: str,
    chain: bool,
    out: str | None,
    force: bool,
    profile: str | None,
) -> None:
    fmt = fmt.lower()
    if fmt == "der" and chain:
        raise click.UsageError("--chain: DER holds one certificate: use --format pem for the chain")
    if fmt == "der" and out is None:
        raise click.UsageError("--out: DER is binary: give a file (or --out - for stdout)")
    target = None if out in (None, "-") else Path(out)
    if target is not None and target.is_dir():
        raise click.UsageError(f"--out: {clean_cell(out)} is a directory")

    async def fetch() -> tuple[bytes, int, str]:
        async with read_client(ctx, profile) as client:
            cert = await _find_certificate(client, alias)
        data, links = _encode(cert, fmt, chain)
        return data, links, cert.alias or cert.id

    data, links, name = run_read(fetch())
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        _save(target, data, force)
    except OSError as exc:
        click.echo(f"stm-tui: cannot write {clean_cell(out)}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    what = fmt.upper() + (f", leaf and {links} chain certificates" if chain else ", leaf")
    click.echo(
        f"stm-tui: saved {clean_cell(name)} to {clean_cell(str(target.resolve()))} "
        f"({what}, {len(data)} bytes, mode 0644)",
        err=True,
    )


async def _find_certificate(client: Any, alias: str) -> Certificate:
    from stm_tui.api.models import Certificate
    from stm_tui.api.resources import spec_for
    from stm_tui.commands._lookup import find_item

    item = await find_item(client, spec_for("certificates"), alias)
    assert isinstance(item, Certificate)
    return item


# What a CI variable may hold: an alias as STM allows it, a hex hash. Anything else from the
# service (a newline above all) could add lines to a $GITHUB_ENV file: it is refused.
_ENV_SAFE = re.compile(r"[A-Za-z0-9._-]{1,128}")


@certificate.command(
    "copy-as",
    help=(
        "Print what CI pipelines paste for a certificate (alias or id): SM_KEYPAIR_ALIAS and "
        "SM_CODE_SIGNING_CERT_SHA1_HASH (the SHA-1 thumbprint of the certificate, hex, as "
        "signtool /sha1 and smctl take it), then its alias, id and SHA-256 fingerprint as "
        "comments. --env prints the two variables only (for >> \"$GITHUB_ENV\")."
    ),
)
@click.argument("alias")
@click.option("--env", "env_only", is_flag=True, help="Only the two KEY=value lines.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--profile", default=None, help="Profile to use (default: the config's).")
@click.pass_context
def copy_as(
    ctx: click.Context, alias: str, env_only: bool, output: str, profile: str | None
) -> None:
    async def fetch() -> tuple[Certificate, str, str]:
        async with read_client(ctx, profile) as client:
            cert = await _find_certificate(client, alias)
            kp_id, kp_alias = _keypair_of(cert)
            if cert.keypair is not None and not cert.keypair.alias:
                held = await client.get_item("keypairs", kp_id)
                kp_alias = getattr(held, "alias", None) or kp_alias
        return cert, kp_id, kp_alias

    cert, kp_id, kp_alias = run_read(fetch())
    leaf = cert.der
    if leaf is None:
        click.echo(f"stm-tui: certificate {clean_cell(alias)}: no certificate data", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    # A thumbprint that names the certificate, not a security check.
    sha1 = hashlib.sha1(leaf, usedforsecurity=False).hexdigest().upper()
    sha256 = hashlib.sha256(leaf).hexdigest().upper()
    if not _ENV_SAFE.fullmatch(kp_alias):
        click.echo(
            f"stm-tui: the keypair alias {clean_cell(kp_alias)!r} holds characters that are "
            "not safe in an environment file: not printed",
            err=True,
        )
        sys.exit(EXIT_UNAVAILABLE)
    _warn_about(cert, sha256)
    env = {"SM_KEYPAIR_ALIAS": kp_alias, "SM_CODE_SIGNING_CERT_SHA1_HASH": sha1}
    if output == "json":
        record = {
            "id": cert.id,
            "alias": cert.alias,
            "certificate_status": cert.certificate_status,
            "keypair": {"id": kp_id, "alias": kp_alias},
            "sha1_fingerprint": sha1,
            "sha256_fingerprint": sha256,
            "env": env,
        }
        click.echo(escape_json(json.dumps(record, indent=2)))
        return
    for key, value in env.items():
        click.echo(f"{key}={value}")
    if env_only:
        return
    click.echo(f"# certificate alias: {clean_cell(cert.alias or '')}")
    click.echo(f"# certificate id:    {clean_cell(cert.id)}")
    click.echo(f"# keypair id:        {clean_cell(kp_id)}")
    click.echo(f"# SHA-1:             {sha1}")
    click.echo(f"# SHA-256:           {sha256}")


def _warn_about(cert: Certificate, sha256: str) -> None:
    """On stderr, what would make the pasted values fail later."""
    name = clean_cell(cert.alias or cert.id)
    status = (cert.certificate_status or "").upper()
    if status and status != "ACTIVE":
        click.echo(
            f"stm-tui: warning: certificate {name} is {clean_cell(status)}: signing with it "
            "fails",
            err=True,
        )
    if cert.certificate_fingerprint:
        stated = _b64(cert.certificate_fingerprint)
        if stated is None or stated.hex().upper() != sha256:
            click.echo(
                f"stm-tui: warning: the service's certificate_fingerprint for {name} is not the "
                "SHA-256 of its certificate: the hashes above are computed from the certificate",
                err=True,
            )
