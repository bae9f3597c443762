"""`ResourceName` is the one key of every per-resource table. Adding a resource is one entry per
layer; this says which table misses it (and which names a table leaves out on purpose)."""

from __future__ import annotations

import typing
from typing import get_args, get_origin

from stm_tui.api.resources import RESOURCE_NAMES, RESOURCES, resource_name, spec_for
from stm_tui.config import DEFAULT_POLL_INTERVALS
from stm_tui.store import store as store_module
from stm_tui.store.store import RESOURCES as HELD
from stm_tui.store.store import Collection, Store
from stm_tui.store.sync import APPEND_ONLY, CHANGE_ONLY

# Read on demand (the CLI, forms), not held by a session (your own API tokens and client
# certificates are held: the credentials screen lists them).
NOT_HELD = {"roles"}
# Never listed: read item by item from another collection's route.
NOT_LISTED = {"scan_reports"}


def test_the_api_lists_every_collection_but_the_derived_ones() -> None:
    assert set(RESOURCES) == set(RESOURCE_NAMES) - NOT_LISTED
    assert all(spec.name == name for name, spec in RESOURCES.items())


def test_a_session_holds_every_collection_but_the_on_demand_ones() -> None:
    assert set(HELD) == set(RESOURCE_NAMES) - NOT_HELD
    assert len(HELD) == len(set(HELD))


def test_every_held_collection_has_a_poll_cadence() -> None:
    assert set(DEFAULT_POLL_INTERVALS) == set(HELD)
    assert all(seconds > 0 for seconds in DEFAULT_POLL_INTERVALS.values())


def test_every_sync_strategy_table_names_held_collections() -> None:
    assert set(CHANGE_ONLY) <= set(HELD) and set(APPEND_ONLY) <= set(HELD)
    assert not set(CHANGE_ONLY) & set(APPEND_ONLY)


def test_store_collection_is_typed_with_each_collections_model() -> None:
    """One overload of `Store.collection` per name, returning `Collection[<its model>]`."""
    models: dict[str, type] = {}
    for overload in typing.get_overloads(Store.collection):
        hints = typing.get_type_hints(overload, vars(store_module))
        returned, name = hints["return"], hints["name"]
        assert get_origin(returned) is Collection
        if name is str:
            continue  # the fallback for names only known at run time
        for literal in get_args(name):
            models[literal] = get_args(returned)[0]
    assert set(models) == set(RESOURCE_NAMES)
    for name, spec in RESOURCES.items():
        assert models[name] is spec.model, name
    assert models["scan_reports"] is RESOURCES["scans"].model


def test_people_may_spell_names_with_dashes() -> None:
    assert resource_name("Keypair-Profiles") == "keypair_profiles"
    assert resource_name("nonsense") is None
    assert spec_for("certificate-profiles").name == "certificate_profiles"
