"""Memory engineering, in one place: when the cyclic collector runs, how the C heap is tuned,
and how models share what many of them hold identically.

A dashboard holds 100,000 certificates (and each keypair embeds its certificates again). What
that costs depends on three things the rest of the code must not each decide for itself:

- the GC policy: the collector is paused while a large listing is parsed or many rows are
  built (`gc_paused`), young garbage is cleared page by page (`collect_young`), and after a
  complete large listing the long-lived objects are frozen out of later scans (`settle`).
  The session decides when to settle; only `gc_paused_keeping` freezes otherwise.
- the C heap (glibc only): page bodies get their own mappings (`tune_heap`) and free pages
  go back to the OS after a settle.
- pydantic internals: the per-instance "fields set" and small nested values shared between
  equal models. These touch pydantic's private attributes, which is why `pyproject.toml` pins
  pydantic to one minor version; `tests/unit/test_models_memory.py` checks that sharing
  changes nothing a model says.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")

# ---------------------------------------------------------------------------- GC policy

_gc_pauses = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic collector while many acyclic objects are created at once.

    Parsing 100,000 items (or building their rows) creates millions of objects, and the
    collector kept re-scanning the growing heap for cycles that are not there: ~45% of the CPU
    of a full sync. Reference counting still frees everything. Pauses nest (a listing and a
    row build can overlap); the collector resumes when the last one ends, and a collector
    someone else turned off stays off.
    """
    global _gc_pauses
    if _gc_pauses == 0 and not gc.isenabled():
        yield
        return
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            gc.enable()


@contextmanager
def gc_paused_keeping() -> Iterator[None]:
    """`gc_paused` around building what is kept (the inventory read from the cache), and at
    the end what was built is frozen out of the collector's scans instead of scanned.

    Paused, nothing is collected, so the first allocation after resuming began a pass over
    every object built meanwhile: ~0.9 s for 150,000 cached items, with the UI waiting for
    the interpreter. The few reference cycles made meanwhile are kept too."""
    with gc_paused():
        yield
        gc.freeze()


def collect_young() -> None:
    """Free the young generations' cycles now, during a pause.

    Each HTTP response is a reference cycle holding its body: with the full collector paused
    they piled up (~0.9 GB for 100,000 certificates and their keypairs). A pass over the two
    young generations after each page frees them and looks at each new object once. (A pass
    over the youngest alone left every survivor in the middle one, and the pass `settle` makes
    over it then walked the whole listing at once: ~0.65 s with the UI waiting.)"""
    gc.collect(1)


def settle() -> None:
    """After a complete listing of a large collection: take its long-lived objects out of the
    collector's scans and hand the heap's free pages back to the OS.

    The models are acyclic, but every full collection walked all of them: ~1 s each,
    triggered again and again while 100,000 rows were built. `gc.freeze()` moves what is alive
    now to the permanent generation; a pass over the younger generations first clears recent
    cycles so that they are not frozen with it."""
    gc.collect(1)
    gc.freeze()
    trim_heap()


# ---------------------------------------------------------------------------- C heap (glibc)

# glibc's `mallopt` parameter for the size from which allocations get their own mapping.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024

_libc_handle: Any = None


def _libc() -> Any:
    global _libc_handle
    if _libc_handle is None:
        try:
            handle = ctypes.CDLL("libc.so.6")
            handle.malloc_trim  # noqa: B018 (glibc, not musl or another libc)
            handle.mallopt  # noqa: B018
            _libc_handle = handle
        except (OSError, AttributeError):
            _libc_handle = False
    return _libc_handle


def tune_heap() -> None:
    """Give every large block (a page body: 0.3-0.9 MB) its own mapping, returned to the OS
    when freed. glibc otherwise raises that threshold after the first such free and carves
    later bodies out of the heap, where the models parsed in between pin the freed space:
    ~0.5 GB more resident memory after a sync of 100,000 certificates. Elsewhere: nothing."""
    libc = _libc()
    if libc:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def trim_heap() -> None:
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


# ---------------------------------------------------------------------------- pydantic sharing

# One set per distinct set of sent fields, shared by every model that has it: pydantic keeps a
# `set` per instance (2.2 kB for a certificate's 29 fields), the biggest single cost. Shared
# sets are never mutated: an instance gets its own copy before pydantic would add to it.
# (A frozenset would be safer, but pydantic-core's serialiser insists on a `set`.)
_FIELD_SETS: dict[frozenset[str], set[str]] = {}
_SHARED_SET_IDS: set[int] = set()


def share_fields_set(model: BaseModel) -> None:
    """Make `model` use the one shared set equal to its fields set (call after validation)."""
    fields = model.__pydantic_fields_set__
    if id(fields) in _SHARED_SET_IDS:
        return
    key = frozenset(fields)
    shared = _FIELD_SETS.get(key)
    if shared is None:
        shared = _FIELD_SETS[key] = fields
        _SHARED_SET_IDS.add(id(fields))  # kept alive by _FIELD_SETS, so the id stays its own
    object.__setattr__(model, "__pydantic_fields_set__", shared)


def fields_set_shared(model: BaseModel) -> bool:
    """Whether `model` still has the shared set it was given when validated: one that was
    assigned to since has its own (see `own_fields_set`)."""
    return id(model.__pydantic_fields_set__) in _SHARED_SET_IDS


def own_fields_set(model: BaseModel) -> None:
    """Give `model` its own fields set before pydantic adds to it (on assignment).
    (`model_copy` copies the set itself.)"""
    if id(model.__pydantic_fields_set__) in _SHARED_SET_IDS:
        object.__setattr__(model, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))


# Small frozen nested values (a reference, a chain entry) that many items carry identically:
# equal ones become one instance. Bounded; instances in use live on where they are.
_SHARED_VALUES: dict[tuple[Any, ...], Any] = {}
_SHARED_VALUES_MAX = 8192
_CONSTRUCTING: ContextVar[bool] = ContextVar("_CONSTRUCTING", default=False)


@contextmanager
def constructing() -> Iterator[None]:
    """Around a model's own `__init__`: `Ref(...)` must build that very instance, so only
    values parsed from a response are shared."""
    token = _CONSTRUCTING.set(True)
    try:
        yield
    finally:
        _CONSTRUCTING.reset(token)


def shared_instance(model: M) -> M:
    """The one shared instance equal to the frozen `model` (it, the first time)."""
    if _CONSTRUCTING.get():
        return model
    extra = model.__pydantic_extra__
    key = (type(model), frozenset(model.__pydantic_fields_set__), tuple(model.__dict__.values()),
           tuple(extra.items()) if extra else ())
    try:
        shared = _SHARED_VALUES.get(key)
    except TypeError:  # an unhashable extra field: keep this one to itself
        return model
    if shared is not None:
        return shared  # type: ignore[no-any-return]
    if len(_SHARED_VALUES) >= _SHARED_VALUES_MAX:
        _SHARED_VALUES.clear()
    _SHARED_VALUES[key] = model
    return model


def mark_pydantic_init(init: Any) -> None:
    """Tell pydantic an overridden `__init__` is still its own, so parsing nested values does
    not call it (a Python call per reference: a third of the parse time of a page)."""
    init.__pydantic_base_init__ = True
