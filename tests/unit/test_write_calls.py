"""Writes as values: the preview, the audit record and the wire body come from one object."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from stm_tui.api.writes import REDACTED, Target, Tier, WriteCall, check
from stm_tui.api.writes.certificates import (
    GenerateCertificate,
    RevokeCertificate,
    generate_certificate,
    revoke_certificate,
)
from stm_tui.api.writes.keypairs import (
    GenerateKeypair,
    UpdateKeypair,
    delete_keypair,
    generate_keypair,
    suspend_keypair,
    update_keypair,
)

STM = "/signingmanager/api/v1"


def test_secrets_are_sent_but_never_previewed_or_recorded() -> None:
    call = WriteCall(
        action="certcentral.setup",
        summary="Set up CertCentral",
        method="PUT",
        path=f"{STM}/account-settings/certcentral",
        body={"region": "GLOBAL", "api_key": SecretStr("canary-cc-key-123456")},
    )
    assert call.wire_body() == {"region": "GLOBAL", "api_key": "canary-cc-key-123456"}
    assert "canary" not in call.preview()
    assert "canary" not in json.dumps(call.record())
    assert call.redacted_body() == {"region": "GLOBAL", "api_key": REDACTED}


def test_a_path_with_a_double_slash_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="bad write path"):
        WriteCall(action="x", summary="x", method="POST", path=f"{STM}//keypairs")


def test_irreversible_writes_name_what_must_be_typed() -> None:
    with pytest.raises(ValueError, match="confirm_text"):
        WriteCall(action="x", summary="x", method="DELETE", path="/a", tier=Tier.IRREVERSIBLE)
    call = delete_keypair("kp-1", "build-key")
    assert call.tier is Tier.IRREVERSIBLE
    assert call.confirm_text == "build-key"
    assert call.request_line == f"DELETE {STM}/keypairs/kp-1"


def test_ids_are_percent_encoded_into_the_path() -> None:
    call = suspend_keypair("../../user/me", "evil")
    assert call.path == f"{STM}/keypairs/..%2F..%2Fuser%2Fme/suspend"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"alias": "ab", "key_alg": "RSA", "key_size": 2048}, "alias", "3-64 characters"),
        ({"alias": "cafe-beef", "key_alg": "RSA", "key_size": 2048}, "alias", "other than a-f"),
        ({"alias": "build key", "key_alg": "RSA", "key_size": 2048}, "alias", "letters, digits"),
        ({"alias": "build-key"}, "key_alg", "required without a keypair profile"),
        ({"alias": "build-key", "key_alg": "RSA"}, "key_size", "required for RSA"),
        ({"alias": "build-key", "key_alg": "RSA", "key_size": 1024}, "key_size", "one of 2048"),
        ({"alias": "build-key", "key_alg": "EDDSA", "key_size": 2048}, "key_size", "not a key"),
        ({"alias": "build-key", "key_alg": "ECDSA"}, "curve", "required for ECDSA"),
        ({"alias": "build-key", "key_alg": "ECDSA", "curve": "Ed25519"}, "curve", "uses P256"),
        (
            {"alias": "build-key", "key_alg": "EDDSA", "generate_cert": True},
            "cert_alias",
            "required",
        ),
        ({"alias": "build-key", "key_alg": "EDDSA", "color": "red"}, "color", "not a field"),
    ],
)
def test_keypair_form_rules_give_one_message_per_field(
    data: dict[str, object], field: str, message: str
) -> None:
    model, problems = check(GenerateKeypair, data)
    assert model is None
    assert message in problems[field]


def test_a_valid_generate_request_becomes_the_exact_call() -> None:
    model, problems = check(
        GenerateKeypair,
        {
            "alias": " release-key ",
            "key_alg": "ECDSA",
            "curve": "P384",
            "key_type": "PRODUCTION",
            "users": ["u1"],
        },
    )
    assert problems == {}
    assert model is not None
    call = generate_keypair(model)
    assert call.request_line == f"POST {STM}/keypairs"
    assert call.wire_body() == {
        "alias": "release-key",
        "key_alg": "ECDSA",
        "curve": "P384",
        "key_storage": "HSM",
        "key_status": "ONLINE",
        "key_type": "PRODUCTION",
        "limit_by_users": True,
        "users": ["u1"],
        "groups": [],
        "generate_cert": False,
    }
    assert call.target == Target("keypairs", "release-key", lookup={"alias": "release-key"})
    assert call.touches == ("keypairs",)


def test_update_sends_only_what_was_changed() -> None:
    model, _ = check(UpdateKeypair, {"limit_by_users": False})
    assert model is not None
    call = update_keypair("kp-1", "build-key", model)
    assert call.wire_body() == {"limit_by_users": False}
    assert check(UpdateKeypair, {})[1] == {"_": "nothing to change"}


def test_certificate_calls() -> None:
    gen, _ = check(GenerateCertificate, {"alias": "build-cert", "certificate_profile_id": "p1"})
    assert gen is not None
    call = generate_certificate("kp-1", "build-key", gen)
    assert call.request_line == f"POST {STM}/keypairs/kp-1/certificates"
    assert set(call.touches) == {"certificates", "keypairs"}
    revoke, problems = check(RevokeCertificate, {"reason": "stolen"})
    assert revoke is None and "one of" in problems["reason"]
    revoke, _ = check(RevokeCertificate, {"reason": "key_compromise"})
    assert revoke is not None
    call = revoke_certificate("c-1", "build-cert", revoke)
    assert call.confirm_text == "build-cert"
    assert call.record()["body"] == {"reason": "key_compromise"}
