"""Write sopc/core/record_inits.py: dataclasses' __init__ for each field
shape sopc's classes have, as plain functions, so that Python's bytecode
cache holds them compiled (sopc.core.records compiled one per shape at
every start: ~7% of a small `sopc check`).

Run from the repository root after adding a class of a new shape (tests/
test_records.py says when):

    .venv/bin/python tools/write_record_inits.py
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import sopc
from sopc.core import records

TARGET = Path(__file__).resolve().parents[1] / "sopc" / "core" / "record_inits.py"
HEADER = '''"""dataclasses' __init__ for each field shape sopc's classes have, kept
compiled in this module's bytecode cache instead of compiled at every start
(:func:`sopc.core.records._template`; a shape not here is compiled there).

Written by tools/write_record_inits.py: do not edit. tests/test_records.py
fails when a shape is missing or a function differs from what records.py
would compile.
"""

from __future__ import annotations  # as records.py, whose compile() inherits it

'''


def every_shape() -> list[tuple]:
    """The shapes of every class in sopc (its editor support apart: it makes no records)."""
    for module in pkgutil.walk_packages(sopc.__path__, "sopc."):
        if not module.name.startswith("sopc.editors") and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return sorted(set(records.shapes_in_use()), key=repr)


def module_text(shapes: list[tuple]) -> str:
    functions = [records.template_source(shape, f"_shape_{number}") for number, shape in enumerate(shapes)]
    table = "".join(f"    {shape!r}: _shape_{number},\n" for number, shape in enumerate(shapes))
    return HEADER + "\n\n".join(functions) + "\n\nSHAPES = {\n" + table + "}\n"


def main() -> None:
    TARGET.write_text(module_text(every_shape()), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
