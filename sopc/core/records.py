"""``dataclass`` as :func:`dataclasses.dataclass` makes it, for less at import.

Stage: core (stdlib only). sopc defines ~150 dataclasses; Python 3.11's
decorator compiles six functions per frozen class, one ``exec`` each, and
inspects every annotation: ~0.3 ms a class, a third of the start of a small
``sopc check`` (the 54 AST nodes alone cost more than importing Jinja).
This one writes the same methods (the same code as Python 3.11's: __init__,
__repr__, __eq__, __hash__, frozen __setattr__/__delattr__, __getstate__ and
__setstate__ of a frozen slotted class) in one ``exec`` per class, and fills
in the same ``__dataclass_fields__`` and ``__dataclass_params__``, so
``dataclasses.fields``, ``replace``, ``asdict``, pickling and pattern matching
see a real dataclass. tests/test_records.py holds every sopc class made here
to the one ``dataclasses.dataclass`` makes from the same definition.
One difference, in speed only: the __init__ of a frozen slotted class sets
each field through its slot's own setter, which is what
``object.__setattr__`` (dataclasses' way past the frozen ``__setattr__``)
ends up calling, without looking it up per field: a 5-field Span is made in
0.54 us instead of 0.80, and the 10,000-line bench project's build keeps 67,386
of these records (30,558 Spans).

It takes the common shapes only (``frozen``, ``slots``, ``kw_only``; fields
with a default or a ``field(default=, default_factory=, repr=, compare=,
hash=, kw_only=, metadata=)``); anything else (a base dataclass,
``__post_init__``, ``ClassVar``, ``init=False``, another Python) goes to
:func:`dataclasses.dataclass` itself.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import MISSING, Field, FrozenInstanceError
from operator import attrgetter
from types import CellType, CodeType, FunctionType

from sopc.core import record_inits

_FAST = sys.version_info[:2] == (3, 11)  # the methods written below are 3.11's
_OWN_METHODS = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__",
                "__getstate__", "__setstate__", "__post_init__", "__match_args__", "__slots__")


def dataclass(cls=None, /, *, frozen: bool = False, slots: bool = False, kw_only: bool = False):
    """``@dataclass``, ``@dataclass(frozen=True, slots=True, kw_only=True)``: as
    :func:`dataclasses.dataclass` with the same arguments."""
    def wrap(cls):
        fields = _fields(cls, kw_only) if _FAST else None
        if fields is None:
            return dataclasses.dataclass(cls, frozen=frozen, slots=slots, kw_only=kw_only)
        return _make(cls, fields, frozen, slots)
    return wrap if cls is None else wrap(cls)


def _fields(cls, kw_only: bool) -> dict[str, Field] | None:
    """The class's fields as dataclasses would make them, or None when the
    class needs something this module does not write."""
    if cls.__bases__ != (object,) or any(name in cls.__dict__ for name in _OWN_METHODS):
        return None
    annotations = cls.__dict__.get("__annotations__", {})
    fields: dict[str, Field] = {}
    for name, kind in annotations.items():
        if not isinstance(kind, str) or any(word in kind for word in ("ClassVar", "InitVar", "KW_ONLY")):
            return None
        default = cls.__dict__.get(name, MISSING)
        spec = default if isinstance(default, Field) else dataclasses.field(default=default)
        if not spec.init or (spec.default is not MISSING and spec.default.__class__.__hash__ is None):
            return None  # dataclasses has its own rules (and errors) for these
        spec.name, spec.type, spec._field_type = name, kind, dataclasses._FIELD
        if spec.kw_only is MISSING:
            spec.kw_only = kw_only
        fields[name] = spec
    if any(isinstance(value, Field) and name not in fields for name, value in cls.__dict__.items()):
        return None
    positional = [spec for spec in fields.values() if not spec.kw_only]
    defaulted = [_has_default(spec) for spec in positional]
    if any(earlier and not later for earlier, later in zip(defaulted, defaulted[1:])):
        return None  # a field without a default after one with: dataclasses says so
    return fields


def _has_default(spec: Field) -> bool:
    return spec.default is not MISSING or spec.default_factory is not MISSING


def _make(cls, fields: dict[str, Field], frozen: bool, slots: bool):
    names = tuple(fields)
    for name, spec in fields.items():  # class attributes as dataclasses leaves them
        if isinstance(cls.__dict__.get(name), Field):
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    if slots:
        body = {key: value for key, value in cls.__dict__.items()
                if key not in names and key not in ("__dict__", "__weakref__")}
        body["__slots__"] = names
        qualname = cls.__qualname__
        cls = type(cls)(cls.__name__, cls.__bases__, body)
        cls.__qualname__ = qualname
    methods = [_init(cls, fields, frozen, slots),
               _repr([name for name, spec in fields.items() if spec.repr]),
               _eq(_values([name for name, spec in fields.items() if spec.compare]))]
    if frozen:
        hashed = [name for name, spec in fields.items() if (spec.compare if spec.hash is None else spec.hash)]
        methods += [_hash(_values(hashed)), *_frozen(cls, frozenset(names))]
    for method in methods:
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    if not frozen:
        cls.__hash__ = None  # eq without frozen: unhashable, as dataclasses makes it
    if slots and frozen:
        cls.__getstate__ = dataclasses._dataclass_getstate
        cls.__setstate__ = dataclasses._dataclass_setstate
    cls.__dataclass_fields__ = fields
    cls.__dataclass_params__ = dataclasses._DataclassParams(True, True, True, False, False, frozen)
    cls.__match_args__ = tuple(name for name, spec in fields.items() if not spec.kw_only)
    if not cls.__doc__:
        cls.__doc__ = cls.__name__ + _signature_text(fields)
    return cls


# ---- the methods ---------------------------------------------------------------------
# __init__ is compiled, as dataclasses does (it is called for every node and
# message: its code must be the plain assignments); the others are closures
# over the field names (compiling them is what costs at import), computing
# what dataclasses' generated code computes.

def _init(cls, fields: dict[str, Field], frozen: bool, slots: bool):
    """dataclasses' __init__ for ``fields``: the code of the one compiled for
    fields of the same kinds (named _f0, _f1, ...), renamed to these fields.
    Compiling a function is most of what a class costs to make; a module's
    ~50 classes have ~15 shapes."""
    specs = list(fields.values())
    shape = init_shape(fields, frozen, slots)
    template = _TEMPLATES.get(shape)
    if template is None:
        template = _TEMPLATES[shape] = _template(shape)
    names = {f"_f{i}": spec.name for i, spec in enumerate(specs)}
    names.update({f"_dflt__f{i}": f"_dflt_{spec.name}" for i, spec in enumerate(specs)})
    names.update({f"_set__f{i}": f"_set_{spec.name}" for i, spec in enumerate(specs)})
    code = template.replace(
        co_varnames=tuple(names.get(name, name) for name in template.co_varnames),
        co_freevars=tuple(names.get(name, name) for name in template.co_freevars),
        co_names=tuple(names.get(name, name) for name in template.co_names),
        co_consts=tuple(names.get(const, const) if type(const) is str else const for const in template.co_consts),
        co_qualname=f"{cls.__qualname__}.__init__")
    cells = {"__dataclass_builtins_object__": object, "_HAS_DEFAULT_FACTORY": dataclasses._HAS_DEFAULT_FACTORY,
             **{f"_dflt_{spec.name}": spec.default_factory for spec in specs}}
    if shape[0] == SLOTTED:  # each field's slot, set as object.__setattr__ would (not through the frozen one)
        cells.update({f"_set_{spec.name}": cls.__dict__[spec.name].__set__ for spec in specs})
    module = sys.modules.get(cls.__module__)
    init = FunctionType(code, module.__dict__ if module else {}, "__init__",
                        tuple(_default(spec) for spec in specs if not spec.kw_only and _default_kind(spec)) or None,
                        tuple(CellType(cells[name]) for name in code.co_freevars) or None)
    init.__kwdefaults__ = {spec.name: _default(spec) for spec in specs if spec.kw_only and _default_kind(spec)} or None
    init.__annotations__ = {**{name: spec.type for name, spec in fields.items()}, "return": None}
    return init


_TEMPLATES: dict[tuple, CodeType] = {}


SLOTTED = "slots"  # a shape's first item for a frozen class with slots


def init_shape(fields: dict[str, Field], frozen: bool, slots: bool) -> tuple:
    """What the code of a class's __init__ depends on: frozen or not (and
    then slotted or not), the name of `self`, and each field's kind
    (keyword-only; with a default, a factory or neither)."""
    self_name = "__dataclass_self__" if "self" in fields else "self"
    return (SLOTTED if frozen and slots else frozen), self_name, tuple((spec.kw_only, _default_kind(spec)) for spec in fields.values())


def _default_kind(spec: Field) -> str:
    if spec.default is not MISSING:
        return "default"
    return "factory" if spec.default_factory is not MISSING else ""


def _default(spec: Field):
    return spec.default if spec.default is not MISSING else dataclasses._HAS_DEFAULT_FACTORY


def _template(shape: tuple) -> CodeType:
    """The code of dataclasses' __init__ for fields _f0, _f1, ... of
    ``shape``: compiled once into the bytecode cache of
    :mod:`sopc.core.record_inits` for the shapes sopc's classes have (a
    compile per shape was ~7% of a small `sopc check`), else here."""
    maker = record_inits.SHAPES.get(shape)
    if maker is not None:
        return _inner_code(maker.__code__)
    return _inner_code(next(const for const in compile(template_source(shape), "<string>", "exec").co_consts
                            if isinstance(const, CodeType)))


def _inner_code(outer: CodeType) -> CodeType:
    return next(const for const in outer.co_consts if isinstance(const, CodeType))


def template_source(shape: tuple, name: str = "__create_fn__") -> str:
    """The source of a function ``name`` that makes dataclasses' __init__
    for fields _f0, _f1, ... of ``shape``, as dataclasses writes it."""
    frozen, self_name, kinds = shape
    specs = []
    for i, (kw_only, kind) in enumerate(kinds):
        spec = dataclasses.field(default=None if kind == "default" else MISSING,
                                 default_factory=list if kind == "factory" else MISSING, kw_only=kw_only)
        spec.name, spec.type = f"_f{i}", None
        specs.append(spec)
    namespace = {"MISSING": MISSING, "_HAS_DEFAULT_FACTORY": dataclasses._HAS_DEFAULT_FACTORY,
                 "__dataclass_builtins_object__": object}
    positional = [_parameter(spec, namespace) for spec in specs if not spec.kw_only]
    keywords = [_parameter(spec, namespace) for spec in specs if spec.kw_only]
    parameters = ",".join([self_name, *positional, *(["*", *keywords] if keywords else [])])
    if frozen == SLOTTED:
        namespace.update({f"_set_{spec.name}": None for spec in specs})
    body = "".join(f"  {_assignment(spec, frozen, self_name)}\n" for spec in specs) or "  pass\n"
    return f"def {name}({', '.join(namespace)}):\n def __init__({parameters}):\n{body} return __init__\n"


def shapes_in_use() -> list[tuple]:
    """The shapes of the classes made so far in this process."""
    return list(_TEMPLATES)


def _parameter(spec: Field, namespace: dict) -> str:
    namespace[f"_type_{spec.name}"] = spec.type
    if spec.default is not MISSING:
        namespace[f"_dflt_{spec.name}"] = spec.default
        return f"{spec.name}:_type_{spec.name}=_dflt_{spec.name}"
    if spec.default_factory is not MISSING:
        namespace[f"_dflt_{spec.name}"] = spec.default_factory
        return f"{spec.name}:_type_{spec.name}=_HAS_DEFAULT_FACTORY"
    return f"{spec.name}:_type_{spec.name}"


def _assignment(spec: Field, frozen: bool, self_name: str) -> str:
    value = spec.name
    if spec.default_factory is not MISSING:
        value = f"_dflt_{spec.name}() if {spec.name} is _HAS_DEFAULT_FACTORY else {spec.name}"
    if frozen == SLOTTED:
        # The slot's own setter: what object.__setattr__ calls for a slot, without looking it up (~30% faster).
        return f"_set_{spec.name}({self_name},{value})"
    if frozen:
        return f"__dataclass_builtins_object__.__setattr__({self_name},{spec.name!r},{value})"
    return f"{self_name}.{spec.name}={value}"


def _values(names: list[str]):
    """obj -> the tuple of its fields ``names`` (what dataclasses writes as
    ``(self.a,self.b,)``)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


def _repr(names: list[str]):
    getters = [(f"{name}=", attrgetter(name)) for name in names]

    def __repr__(self):
        return self.__class__.__qualname__ + "(" + ", ".join(label + repr(get(self)) for label, get in getters) + ")"
    return dataclasses._recursive_repr(__repr__)


def _eq(values):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _hash(values):
    def __hash__(self):
        return hash(values(self))
    return __hash__


def _frozen(cls, names: frozenset[str]):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__


def _signature_text(fields: dict[str, Field]) -> str:
    """``(a: 'int', b: 'str' = 'x', *, c: 'Span')``: what dataclasses puts in
    the docstring of a class without one (``inspect.signature`` of the class)."""
    def shown(spec: Field) -> str:
        text = f"{spec.name}: {spec.type!r}"
        if spec.default is not MISSING:
            return f"{text} = {spec.default!r}"
        return f"{text} = <factory>" if spec.default_factory is not MISSING else text
    positional = [shown(spec) for spec in fields.values() if not spec.kw_only]
    keywords = [shown(spec) for spec in fields.values() if spec.kw_only]
    return "(" + ", ".join([*positional, *(["*", *keywords] if keywords else [])]) + ")"
