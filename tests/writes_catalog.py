"""Every write the client can build, found by looking, not by listing.

`builders()` walks `stm_tui.api.writes` for functions that return a `WriteCall`, so a
builder added tomorrow is in every test that uses this catalog (read-only refusal, retry
counting at the emulator, tiers) without anyone remembering to add it. What it cannot guess
is a valid request model: `EXAMPLES` holds one per model, and `example_call` fails naming
the model when a new one has none, rather than quietly leaving the builder out.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

import stm_tui.api.writes as writes_package
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.validation import RequestModel

Builder = Callable[..., WriteCall]

# One valid request per request model (field values the validators accept).
EXAMPLES: dict[str, dict[str, Any]] = {
    "CloneCertificateProfile": {"name": "cat-profile-copy"},
    "UpdateCertificateProfile": {"name": "cat-profile-renamed"},
    "UpdateKeypairProfile": {"name": "cat-kp-profile-renamed"},
    "SubmitScan": {"project": "cat-project", "alias": "cat-scan", "version": "1.0"},
    "UpdateCertCentral": {"region": "EUROPE"},
    "MapResources": {"keypair_ids": ["catalog-keypair"]},
    "UpdateMember": {"is_lead": True},
    "GenerateCertificate": {"alias": "cat-cert", "certificate_profile_id": "cp-1"},
    "RevokeCertificate": {"reason": "superseded"},
    "CreateApiToken": {"name": "cat-token"},
    "CreateClientCertificate": {"name": "cat-laptop"},
    "GenerateKeypair": {"alias": "cat-key", "key_alg": "EDDSA"},
    "UpdateKeypair": {"limit_by_users": True},
    "CreateCertificateProfile": {"name": "cat-cert-profile"},
    "CreateKeypairProfile": {"name": "cat-kp-profile", "key_alg": "RSA", "key_size": 2048},
    "CreateRelease": {"name": "cat-release", "keypair_ids": ["kp-1"]},
    "RejectRelease": {},
    "SetCertCentral": {"api_key": SecretStr("canary-certcentral-0123456789"), "region": "GLOBAL"},
    "UpdateAccountSettings": {"require_keypair_profile": False},
    "SignHash": {"digest": base64.b64decode(base64.b64encode(bytes(32))), "sig_alg": "ED25519"},
    "CreateTeam": {"name": "cat-team"},
    "UpdateTeam": {"description": "catalogued"},
    "CreateUser": {"user_type": "service", "friendly_name": "cat-service"},
    "UpdateUser": {"status": "ACTIVE"},
}


def builders() -> list[tuple[str, Builder]]:
    """(`module.function`, function) for every WriteCall builder, sorted by name."""
    found: list[tuple[str, Builder]] = []
    for info in pkgutil.iter_modules(writes_package.__path__):
        module = importlib.import_module(f"{writes_package.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            if typing.get_type_hints(fn).get("return") is WriteCall:
                found.append((f"{info.name}.{name}", fn))
    return sorted(found, key=lambda pair: pair[0])


_NONE = object()


def _plain_value(kind: Any, given: str | None) -> Any:
    """An example of a parameter that is not a request model: a flag, a code, a file's bytes,
    a list of role codes, a member, a request to decide."""
    from stm_tui.api import models as m
    from stm_tui.api.writes.teams import TeamMember

    if kind is bool:
        return True
    if kind is SecretStr:
        return SecretStr("123456")
    if kind is bytes:
        return b"catalog: a file to scan\n"
    if kind == tuple[str, ...]:
        return ("SSM_SIGNER",)
    if kind is TeamMember:
        return TeamMember(user_id=given or "catalog-user")
    if kind is m.ApprovalRequest:
        return m.ApprovalRequest(id=given or "catalog-request", kind="KEYPAIR_DELETE")
    return _NONE


def example_call(fn: Builder, ids: Mapping[str, str] | None = None) -> WriteCall:
    """`fn`'s call: string parameters from `ids` by name (or a made-up id), request models
    from `EXAMPLES`."""
    given = dict(ids or {})
    kwargs: dict[str, Any] = {}
    defaults = {
        n: p.default for n, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    for name, kind in typing.get_type_hints(fn).items():
        if name == "return" or name in defaults:
            continue  # an optional part of the call (a reason): its default is an example too
        plain = _plain_value(kind, given.get(name))
        if plain is not _NONE:
            kwargs[name] = plain
        elif kind is str:
            kwargs[name] = given.get(name, f"catalog-{name.replace('_', '-')}")
        elif isinstance(kind, type) and issubclass(kind, RequestModel):
            if kind.__name__ not in EXAMPLES:
                raise AssertionError(
                    f"{fn.__name__}: add an example {kind.__name__} to tests/writes_catalog.py"
                )
            kwargs[name] = kind.model_validate(EXAMPLES[kind.__name__])
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            raise AssertionError(f"{fn.__name__}: {kind.__name__} is not a RequestModel")
        else:
            raise AssertionError(f"{fn.__name__}: cannot make a {kind!r} for {name}")
    return fn(**kwargs)


def all_calls(ids: Mapping[str, str] | None = None) -> list[tuple[str, WriteCall]]:
    return [(name, example_call(fn, ids)) for name, fn in builders()]
