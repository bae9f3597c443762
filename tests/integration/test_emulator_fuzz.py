"""Property-based fuzzing of request bodies and query parameters: whatever a client sends,
the emulator never answers 5xx, and every error body has the contract's shape.

Kept small for the default suite; `STM_FUZZ_EXAMPLES=2000 pytest tests/integration/
test_emulator_fuzz.py` runs a longer campaign (see docs/emulator.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, STM, api_client, frozen_clock

EXAMPLES = int(os.environ.get("STM_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

FIELDS = [
    "alias",
    "key_alg",
    "key_size",
    "curve",
    "key_type",
    "key_status",
    "key_storage",
    "limit_by_users",
    "users",
    "groups",
    "keypair_profile_id",
    "generate_cert",
    "cert_alias",
    "cert_profile_id",
    "hash",
    "sig_alg",
    "account",
    "reason",
    "name",
    "version",
    "team_id",
    "release_type",
    "purpose",
    "start_time",
    "end_time",
    "duration_minutes",
    "keypair_ids",
    "signer_ids",
    "max_signatures",
    "members",
    "description",
    "status",
    "token_id",
    "private_key",
    "sign_in_methods",
    "require_keypair_profile",
    "release_preferences",
    "api_key",
    "region",
    "user_type",
    "email",
    "friendly_name",
    "end_date",
    "account_ids",
    "roles",
    "user_id",
    "password",
    "profile_type",
    "hierarchy",
    "certificate_type",
    "validity_days",
    "allowed_key_algs",
    "subject_template",
    "set_as_default_cert",
    "custom_fields",
    "certificate_profile_id",
]
PLAUSIBLE = st.sampled_from(
    [
        "RSA",
        "ECDSA",
        "EDDSA",
        "P256",
        "Ed25519",
        "ONLINE",
        "OFFLINE",
        "TEST",
        "SHA256withRSA",
        "fuzz-alias-x",
        "2026-11-27T12:30:00Z",
        "2027-01-01",
        "service",
        "standard",
        "SSM_SIGNER",
        2048,
        0,
        -1,
    ]
)
bodies = st.dictionaries(st.sampled_from(FIELDS), PLAUSIBLE | json_values, max_size=8) | json_values

KEYPAIR = "{keypair}"
WRITE_ROUTES = [
    ("POST", f"{STM}/keypairs"),
    ("PUT", f"{STM}/keypairs/{KEYPAIR}"),
    ("POST", f"{STM}/keypairs/{KEYPAIR}/sign"),
    ("POST", f"{STM}/keypairs/{KEYPAIR}/certificates"),
    ("POST", f"{STM}/certificates/{{cert}}/revoke"),
    ("POST", f"{STM}/release-windows"),
    ("POST", f"{STM}/keypair-profiles"),
    ("POST", f"{STM}/certificate-profiles"),
    ("POST", f"{STM}/teams"),
    ("PUT", f"{STM}/teams/{{team}}"),
    ("PUT", f"{STM}/account-settings"),
    ("PUT", f"{STM}/account-settings/certcentral"),
    ("POST", f"{AM}/user"),
    ("PUT", f"{AM}/user/{{user}}"),
    ("POST", f"{AM}/api-token"),
    ("POST", f"{AM}/client-certificate"),
]
LIST_ROUTES = [
    f"{STM}/keypairs",
    f"{STM}/certificates",
    f"{STM}/release-windows",
    f"{STM}/signatures",
    f"{STM}/scans",
    f"{STM}/audit-log",
    f"{STM}/teams",
    f"{STM}/audit-log/export",
    f"{STM}/keypair-profiles",
    f"{AM}/user",
    f"{AM}/api-token",
    f"{AM}/role",
]
PARAMS = [
    "limit",
    "offset",
    "modified_since",
    "id",
    "alias",
    "key_alg",
    "key_size",
    "curve",
    "key_status",
    "certificate_status",
    "keypair_id",
    "status",
    "from",
    "to",
    "account_id",
    "user_type",
    "release_id",
    "user_id",
    "format",
    "team_id",
]
param_values = (
    st.text(max_size=20)
    | st.integers(-5, 10**12).map(str)
    | st.sampled_from(
        [
            "ACTIVE",
            "RSA",
            "2026-11-27T12:00:00Z",
            "100",
            "-1",
            "0",
            "1e9",
            "%00",
            "der",
            "1" + "0" * 25,
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+14:00",
            "2048",
        ]
    )
)


@pytest.fixture(scope="module")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    with (
        EmulatorServer(data_dir=tmp_path_factory.mktemp("fuzz"), clock=frozen_clock) as emu,
        api_client(emu) as c,
    ):
        ids = {
            "keypair": c.get(f"{STM}/keypairs", params={"key_alg": "EDDSA"}).json()["items"][0][
                "id"
            ],
            "cert": c.get(f"{STM}/certificates").json()["items"][0]["id"],
            "team": c.get(f"{STM}/teams").json()["items"][0]["id"],
            "user": emu.credentials["users"]["developer"]["id"],
        }
        yield c, ids


def assert_contract_response(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code >= 400:
        body: Any = response.json()
        if response.request.url.path.startswith(AM):
            assert isinstance(body["errors"][0]["code"], str)
            assert isinstance(body["errors"][0]["message"], str)
        else:
            assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}


@FUZZ
@given(route=st.sampled_from(WRITE_ROUTES), body=bodies)
def test_write_endpoints_never_fail_on_any_body(
    fuzz_target: tuple[httpx.Client, dict[str, str]], route: tuple[str, str], body: Any
) -> None:
    client, ids = fuzz_target
    method, template = route
    response = client.request(method, template.format(**ids), json=body)
    assert_contract_response(response)


@FUZZ
@given(
    path=st.sampled_from(LIST_ROUTES),
    params=st.dictionaries(st.sampled_from(PARAMS), param_values, max_size=4),
)
def test_list_endpoints_never_fail_on_any_query(
    fuzz_target: tuple[httpx.Client, dict[str, str]], path: str, params: dict[str, str]
) -> None:
    client, _ = fuzz_target
    assert_contract_response(client.get(path, params=params))


@FUZZ
@given(raw=st.binary(max_size=64), route=st.sampled_from(WRITE_ROUTES))
def test_raw_bytes_bodies_are_rejected_cleanly(
    fuzz_target: tuple[httpx.Client, dict[str, str]], raw: bytes, route: tuple[str, str]
) -> None:
    client, ids = fuzz_target
    method, template = route
    response = client.request(
        method, template.format(**ids), content=raw, headers={"content-type": "application/json"}
    )
    assert_contract_response(response)
