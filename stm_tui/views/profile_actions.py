"""The write actions of the keypair profiles, certificate profiles and CertCentral views.

Creating, editing and cloning are asked in a form first (`form=True`: the dashboard's form
plans in `tui/writes/profile_forms.py` build the call); enabling, disabling, validating and
deleting build their call from the item at once. `applies` says why an item is not one an
action can act on ("already disabled"), in the words the footer, the help and the palette
show.
"""

from __future__ import annotations

from typing import Any

from stm_tui.api.writes import profiles, settings
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.views.actions import WriteAction


def _name(item: Any) -> str:
    return str(item.name or item.id)


def _account(item: Any) -> str:
    account = getattr(item, "account", None)
    return str(account.name if account is not None and account.name else item.id)


# -- keypair profiles ------------------------------------------------------------------------


def _kp_enabled(item: Any) -> str | None:
    return "already enabled" if item.enabled is not False and item.status != "DISABLED" else None


def _kp_disabled(item: Any) -> str | None:
    return "already disabled" if item.enabled is False or item.status == "DISABLED" else None


def _kp_enable(item: Any) -> WriteCall:
    return profiles.enable_keypair_profile(item.id, _name(item))


def _kp_disable(item: Any) -> WriteCall:
    return profiles.disable_keypair_profile(item.id, _name(item))


CREATE_KEYPAIR_PROFILE = WriteAction(
    "keypair_profile.create", "n", "New", Tier.CONFIRM, None, form=True, needs_item=False
)
EDIT_KEYPAIR_PROFILE = WriteAction(
    "keypair_profile.update", "m", "Edit", Tier.CONFIRM, None, form=True
)
ENABLE_KEYPAIR_PROFILE = WriteAction(
    "keypair_profile.enable", "U", "Enable", Tier.CONFIRM, _kp_enable, _kp_enabled
)
DISABLE_KEYPAIR_PROFILE = WriteAction(
    "keypair_profile.disable", "X", "Disable", Tier.CONFIRM, _kp_disable, _kp_disabled
)
# The account setting, offered where profiles are listed (its form shows the current state).
REQUIRE_KEYPAIR_PROFILE = WriteAction(
    "account_settings.require_keypair_profile", "R", "Require profile", Tier.CONFIRM, None,
    form=True, needs_item=False,
)

KEYPAIR_PROFILE_ACTIONS = (
    CREATE_KEYPAIR_PROFILE,
    EDIT_KEYPAIR_PROFILE,
    ENABLE_KEYPAIR_PROFILE,
    DISABLE_KEYPAIR_PROFILE,
    REQUIRE_KEYPAIR_PROFILE,
)


# -- certificate profiles --------------------------------------------------------------------


def _cp_active(item: Any) -> bool:
    return (item.status or "ACTIVE").upper() == "ACTIVE"


def _cp_enabled(item: Any) -> str | None:
    return "already enabled" if _cp_active(item) else None


def _cp_disabled(item: Any) -> str | None:
    return None if _cp_active(item) else "already disabled"


def _cp_enable(item: Any) -> WriteCall:
    return profiles.enable_certificate_profile(item.id, _name(item))


def _cp_disable(item: Any) -> WriteCall:
    return profiles.disable_certificate_profile(item.id, _name(item))


CREATE_CERTIFICATE_PROFILE = WriteAction(
    "certificate_profile.create", "n", "New", Tier.CONFIRM, None, form=True, needs_item=False
)
EDIT_CERTIFICATE_PROFILE = WriteAction(
    "certificate_profile.update", "m", "Edit", Tier.CONFIRM, None, form=True
)
CLONE_CERTIFICATE_PROFILE = WriteAction(
    "certificate_profile.clone", "c", "Clone", Tier.CONFIRM, None, form=True
)
ENABLE_CERTIFICATE_PROFILE = WriteAction(
    "certificate_profile.enable", "U", "Enable", Tier.CONFIRM, _cp_enable, _cp_enabled
)
DISABLE_CERTIFICATE_PROFILE = WriteAction(
    "certificate_profile.disable", "X", "Disable", Tier.CONFIRM, _cp_disable, _cp_disabled
)

CERTIFICATE_PROFILE_ACTIONS = (
    CREATE_CERTIFICATE_PROFILE,
    EDIT_CERTIFICATE_PROFILE,
    CLONE_CERTIFICATE_PROFILE,
    ENABLE_CERTIFICATE_PROFILE,
    DISABLE_CERTIFICATE_PROFILE,
)


# -- CertCentral (on the account settings) ---------------------------------------------------


def certcentral_of(item: Any) -> dict[str, Any]:
    value = getattr(item, "certcentral", None)
    return value if isinstance(value, dict) else {}


def _not_set_up(item: Any) -> str | None:
    return None if certcentral_of(item).get("configured") else "not set up: s sets it up"


def _set_up_already(item: Any) -> str | None:
    return "already set up: u updates it" if certcentral_of(item).get("configured") else None


def _enabled_already(item: Any) -> str | None:
    return _not_set_up(item) or (
        "already enabled" if certcentral_of(item).get("enabled", True) else None
    )


def _disabled_already(item: Any) -> str | None:
    return _not_set_up(item) or (
        None if certcentral_of(item).get("enabled", True) else "already disabled"
    )


def _cc(builder: Any) -> Any:
    def build(item: Any) -> WriteCall:
        call: WriteCall = builder(_account(item))
        return call

    return build


def _delete_impact(item: Any) -> list[str]:
    return [
        "the stored API key is removed (only its hint was ever shown)",
        "CertCentral (PUBLIC) certificate profiles cannot issue until it is set up again",
    ]


SETUP_CERTCENTRAL = WriteAction(
    "certcentral.set", "s", "Set up", Tier.CONFIRM, None, _set_up_already, form=True
)
UPDATE_CERTCENTRAL = WriteAction(
    "certcentral.update", "u", "Update", Tier.CONFIRM, None, _not_set_up, form=True
)
VALIDATE_CERTCENTRAL = WriteAction(
    "certcentral.validate", "v", "Validate", Tier.CONFIRM, _cc(settings.validate_certcentral),
    _not_set_up,
)
ENABLE_CERTCENTRAL = WriteAction(
    "certcentral.enable", "U", "Enable", Tier.CONFIRM, _cc(settings.enable_certcentral),
    _enabled_already,
)
DISABLE_CERTCENTRAL = WriteAction(
    "certcentral.disable", "X", "Disable", Tier.CONFIRM, _cc(settings.disable_certcentral),
    _disabled_already,
)
DELETE_CERTCENTRAL = WriteAction(
    "certcentral.delete", "D", "Delete", Tier.IRREVERSIBLE, _cc(settings.delete_certcentral),
    _not_set_up, _delete_impact,
)

CERTCENTRAL_ACTIONS = (
    SETUP_CERTCENTRAL,
    UPDATE_CERTCENTRAL,
    VALIDATE_CERTCENTRAL,
    ENABLE_CERTCENTRAL,
    DISABLE_CERTCENTRAL,
    DELETE_CERTCENTRAL,
)
