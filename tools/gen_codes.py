"""Write docs/codes.md, the table of diagnostic codes, from sopc/core/codes.py.

Run from the repository root after changing the catalogue:

    .venv/bin/python tools/gen_codes.py           # rewrite docs/codes.md
    .venv/bin/python tools/gen_codes.py --check   # exit 1 if it is out of date

tests/test_codes.py fails while docs/codes.md differs from what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sopc.core.codes import codes_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "codes.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/codes.md is up to date")
    args = parser.parse_args()
    wanted = codes_markdown()
    current = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else None
    if args.check:
        if current != wanted:
            sys.exit(f"{DOCS} is out of date: run python tools/gen_codes.py")
        print(f"{DOCS} is up to date")
        return
    if current == wanted:
        print(f"{DOCS} is already up to date")
        return
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(wanted, encoding="utf-8")
    print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
