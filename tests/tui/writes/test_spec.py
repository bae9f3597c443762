"""The rules of a form without a terminal: what the model gives, what the spec adds."""

from __future__ import annotations

from datetime import UTC

from pydantic import SecretStr

from stm_tui.api.writes.certificates import RevokeCertificate
from stm_tui.api.writes.keypairs import GenerateKeypair, UpdateKeypair
from stm_tui.tui.writes.keypair_form import generate_keypair_form, revoke_certificate_form
from stm_tui.tui.writes.spec import (
    Choice,
    FieldSpec,
    FormSpec,
    FormState,
    Kind,
    describe_moment,
    empty,
    resolve,
)
from tests.tui.writes.test_form import CERT_PROFILES, PROFILES


def test_kinds_choices_and_defaults_come_from_the_model() -> None:
    alias = resolve(GenerateKeypair, FieldSpec("alias"))
    assert (alias.kind, alias.required, alias.default, alias.label) == (
        Kind.TEXT,
        True,
        None,
        "Alias",
    )
    storage = resolve(GenerateKeypair, FieldSpec("key_storage"))
    assert storage.kind is Kind.CHOICE and storage.default == "HSM" and not storage.optional
    assert storage.literal_choices == (Choice("HSM", "HSM"), Choice("DISK", "DISK"))
    size = resolve(GenerateKeypair, FieldSpec("key_size"))
    assert size.optional and [c.value for c in size.literal_choices] == [2048, 3072, 4096]
    assert resolve(GenerateKeypair, FieldSpec("limit_by_users")).kind is Kind.BOOL
    assert resolve(GenerateKeypair, FieldSpec("users")).kind is Kind.MULTI
    assert resolve(GenerateKeypair, FieldSpec("users")).default == ()
    reason = resolve(RevokeCertificate, FieldSpec("reason"))
    assert reason.default == "unspecified" and len(reason.literal_choices) == 4


def keypair_state() -> FormState[GenerateKeypair]:
    return FormState(
        GenerateKeypair,
        generate_keypair_form(
            profiles=PROFILES,
            certificate_profiles=CERT_PROFILES,
            keypair_aliases={"build-key": "build-key (RSA 3072)"},
        ),
    )


def test_hidden_fields_are_left_out_of_the_request() -> None:
    state = keypair_state()
    values = state.initial_values() | {
        "alias": "edge-key",
        "key_alg": "ECDSA",
        "key_size": 3072,
        "curve": "P384",
    }
    ev = state.evaluate(values)
    assert "key_size" not in ev.visible and "key_size" not in ev.data
    assert ev.model is not None and ev.model.key_size is None and ev.model.curve == "P384"
    assert "cert_alias" not in ev.visible  # no certificate asked for


def test_a_value_the_other_fields_no_longer_allow_is_dropped() -> None:
    state = keypair_state()
    ev = state.evaluate(
        state.initial_values() | {"alias": "e-key", "key_alg": "EDDSA", "curve": "P256"}
    )
    assert ev.values["curve"] is None
    assert [c.value for c in ev.choices["curve"]] == ["Ed25519"]
    # EdDSA's curve is optional in STM: the request is still valid.
    assert ev.valid


def test_a_fixed_profile_locks_values_even_against_what_was_typed() -> None:
    state = keypair_state()
    ev = state.evaluate(
        state.initial_values()
        | {
            "alias": "prod-key",
            "keypair_profile_id": "kp-fixed",
            "key_alg": "ECDSA",
            "key_type": "TEST",
        }
    )
    assert set(ev.locks) == {"key_alg", "key_size", "curve", "key_status", "key_type"}
    assert ev.locks["key_alg"].reason == "set by the Fixed profile RSA-3072 production (HSM)"
    assert ev.model is not None
    assert (ev.model.key_alg, ev.model.key_size, ev.model.key_type) == ("RSA", 3072, "PRODUCTION")


def test_validator_messages_join_the_models_and_unknown_fields_become_general() -> None:
    state = keypair_state()
    ev = state.evaluate(state.initial_values() | {"alias": "build-key"})
    assert ev.messages == {"alias": "already used by keypair build-key (RSA 3072)"}
    assert not ev.valid and ev.model is None

    update = FormState(UpdateKeypair, FormSpec("Update", [FieldSpec("alias", kind=Kind.TEXT)]))
    nothing = update.evaluate({"alias": ""})
    assert nothing.general == ("nothing to change",)
    assert not nothing.valid


def test_a_one_field_form_and_what_counts_as_empty() -> None:
    state = FormState(RevokeCertificate, revoke_certificate_form("build-cert"))
    assert state.evaluate({"reason": "superseded"}).valid
    assert empty(SecretStr("")) and not empty(SecretStr("x")) and empty("  ")


def test_a_moment_is_echoed_in_utc_and_local_time() -> None:
    assert describe_moment("2026-12-01T14:00Z", tz=UTC) == (
        "2026-12-01 14:00 UTC · 2026-12-01 14:00 local"
    )
    assert describe_moment("2026-12-01T14:00") == "add a time zone: Z for UTC, or +02:00"
    assert describe_moment("soon") is None
