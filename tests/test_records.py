"""sopc.core.records.dataclass makes what dataclasses.dataclass makes.

Every dataclass of sopc is rebuilt from its own fields by the standard
library's decorator, and the two are held to each other: the signature, the
fields, pattern matching, equality, hashing, repr, frozenness, replace,
asdict, copying and pickling. Faster class creation must never change what
a class does."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import re
import sys
from dataclasses import MISSING

import pytest

import sopc
from sopc.core.records import dataclass

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the fast path writes Python 3.11's methods")


def sopc_dataclasses() -> list[type]:
    found = []
    for module in pkgutil.walk_packages(sopc.__path__, "sopc."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        found += [value for value in vars(loaded).values()
                  if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.name]
    return found


def made_here(cls: type) -> bool:
    return getattr(cls.__eq__, "__module__", None) == "sopc.core.records"


def twin(cls: type) -> type:
    """The class dataclasses.dataclass makes from ``cls``'s fields and options."""
    specs = []
    for spec in dataclasses.fields(cls):
        options = {"repr": spec.repr, "compare": spec.compare, "hash": spec.hash, "kw_only": spec.kw_only,
                   "metadata": dict(spec.metadata) or None}
        if spec.default is not MISSING:
            options["default"] = spec.default
        if spec.default_factory is not MISSING:
            options["default_factory"] = spec.default_factory
        specs.append((spec.name, spec.type, dataclasses.field(**options)))
    made = dataclasses.make_dataclass(cls.__name__, specs, frozen=cls.__dataclass_params__.frozen,
                                      slots="__slots__" in cls.__dict__)
    made.__module__, made.__qualname__ = cls.__module__, cls.__qualname__
    return made


def sample_values(cls: type, salt: str) -> dict[str, object]:
    """A distinct hashable value for every field without a default."""
    return {spec.name: f"{salt}-{spec.name}" for spec in dataclasses.fields(cls)
            if spec.default is MISSING and spec.default_factory is MISSING}


def shown(instance) -> str:
    """repr without the addresses of default objects made per instance."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(instance))


def same_values(one, other) -> bool:
    """Field by field: equal, or shown alike (an object compared by identity,
    a set whose copy iterates in another order)."""
    if isinstance(one, str) or isinstance(other, str):  # a failure's name
        return one == other
    return all(a == b or shown(a) == shown(b) for a, b in
               zip((getattr(one, f.name) for f in dataclasses.fields(one)),
                   (getattr(other, f.name) for f in dataclasses.fields(other)), strict=True))


def outcome(function, value):
    try:
        return function(value)
    except Exception as exc:  # the same failure counts as the same behaviour
        return type(exc).__name__


ALL = sopc_dataclasses()
OURS = [cls for cls in ALL if made_here(cls)]


def test_sopcs_dataclasses_are_made_the_fast_way():
    assert len(OURS) >= 100, len(OURS)  # so the test below holds them to dataclasses, not nothing


@pytest.mark.parametrize("cls", OURS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_a_sopc_dataclass_is_what_dataclasses_makes(cls):
    standard = twin(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(standard))
    assert cls.__init__.__annotations__ == standard.__init__.__annotations__
    assert cls.__match_args__ == standard.__match_args__
    assert cls.__dict__.get("__slots__") == standard.__dict__.get("__slots__")
    assert repr(cls.__dataclass_params__) == repr(standard.__dataclass_params__)
    assert [repr(spec) for spec in dataclasses.fields(cls)] == [repr(spec) for spec in dataclasses.fields(standard)]
    assert (cls.__hash__ is None) == (standard.__hash__ is None)
    if cls.__doc__.startswith(cls.__name__ + "("):  # written by the decorator, not by us
        assert cls.__doc__ == standard.__doc__

    values, other = sample_values(cls, "a"), sample_values(cls, "b")
    ours, theirs = cls(**values), standard(**values)
    assert shown(ours) == shown(theirs)
    assert (ours == cls(**values)) == (theirs == standard(**values))  # a default made per instance may differ
    assert (ours != cls(**values)) == (theirs != standard(**values))
    assert ours != theirs  # another class: never equal, as between two dataclasses
    if other != values:
        assert (ours == cls(**other)) == (theirs == standard(**other))
    if cls.__hash__ is not None:
        assert outcome(hash, ours) == outcome(hash, theirs)  # a frozen class holding a dict cannot hash either way
    assert shown(outcome(dataclasses.asdict, ours)) == shown(outcome(dataclasses.asdict, theirs))
    assert shown(outcome(dataclasses.astuple, ours)) == shown(outcome(dataclasses.astuple, theirs))
    for name in values:
        assert getattr(dataclasses.replace(ours, **{name: "changed"}), name) == "changed"
    assert copy.copy(ours) == ours
    assert same_values(outcome(copy.deepcopy, ours), outcome(copy.deepcopy, theirs))
    if outcome(pickle.dumps, ours) != "TypeError":  # values that pickle (not a lock, a mappingproxy)
        assert same_values(pickle.loads(pickle.dumps(ours)), ours)
    if cls.__dataclass_params__.frozen and values:
        name = next(iter(values))
        for instance in (ours, theirs):
            with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field '{name}'"):
                setattr(instance, name, "x")
            with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot delete field '{name}'"):
                delattr(instance, name)
    if values:
        with pytest.raises(TypeError) as missing_ours:
            cls()
        with pytest.raises(TypeError) as missing_theirs:
            standard()
        assert str(missing_ours.value) == str(missing_theirs.value)


def test_defaults_and_factories_behave_as_in_dataclasses():
    @dataclass(slots=True)
    class Mutable:
        count: int
        label: str = "x"
        items: list = dataclasses.field(default_factory=list, compare=False)

    first, second = Mutable(1), Mutable(1)
    assert first.items is not second.items and first == second
    first.count = 2  # not frozen
    assert first.count == 2 and Mutable.__hash__ is None
    assert Mutable.__match_args__ == ("count", "label", "items")
    assert repr(Mutable(3, "y", [1])).endswith("Mutable(count=3, label='y', items=[1])")


def test_what_it_does_not_write_goes_to_dataclasses():
    @dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self):
            if self.value < 0:
                raise ValueError("negative")

    with pytest.raises(ValueError):
        Checked(-1)
    assert not made_here(Checked)

    with pytest.raises(ValueError, match="mutable default"):
        @dataclass
        class Shared:
            items: list = []  # noqa: RUF012 (the mistake dataclasses refuses)


def _compiled_fields(code) -> tuple:
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            code.co_flags, code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount)


def test_every_shape_sopc_has_is_precompiled_so_a_start_compiles_none():
    """A class of a shape missing from sopc/core/record_inits.py is still
    made right, but costs a compile at every start: write the module again
    with `python tools/write_record_inits.py`."""
    from sopc.core import record_inits, records

    shapes = {records.init_shape(cls.__dataclass_fields__, cls.__dataclass_params__.frozen, "__slots__" in cls.__dict__)
              for cls in OURS}
    missing = [shape for shape in shapes if shape not in record_inits.SHAPES]
    assert not missing, f"run `python tools/write_record_inits.py`: no precompiled __init__ for {missing}"


def test_the_precompiled_inits_are_what_records_would_compile():
    """Stale functions in record_inits.py (records.py now writes another
    __init__) would make classes that differ from dataclasses' own."""
    from types import CodeType

    from sopc.core import record_inits, records

    assert record_inits.SHAPES
    for shape, maker in record_inits.SHAPES.items():
        fresh = compile(records.template_source(shape), "<string>", "exec")
        outer = next(const for const in fresh.co_consts if isinstance(const, CodeType))
        assert _compiled_fields(records._inner_code(maker.__code__)) == _compiled_fields(records._inner_code(outer)), shape
