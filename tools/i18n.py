"""Extract every marked message from sopc/, merge it into the Chinese
catalogue, and compile the catalogue sopc reads at run time.

Run from the repository root after adding or changing a ``_("...")``:

    .venv/bin/python tools/i18n.py           # update sopc.po, rewrite sopc.mo
    .venv/bin/python tools/i18n.py --check   # exit 1 if either is out of date

then write the Chinese for each new (empty) entry in
sopc/locale/zh/LC_MESSAGES/sopc.po and run it again to compile.
tests/test_i18n.py fails on a message without Chinese and on a stale .mo.

A git merge conflict in sopc.po needs no hand-merging: keep both sides (or
leave the conflict markers in), and run this; it drops the markers, keeps one
entry per message, and rewrites sopc.mo (take either side of the .mo).

The output is sorted by message, with file names but no line numbers, and
fixed dates, so two people adding messages rarely touch the same lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sopc"
CATALOGUE_DIR = ROOT / "sopc" / "locale" / "zh" / "LC_MESSAGES"
PO = CATALOGUE_DIR / "sopc.po"
MO = CATALOGUE_DIR / "sopc.mo"
# The names sopc.core.i18n exports: _(msg), ngettext(singular, plural, n), pgettext(context, msg), N_(msg).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
CONFLICT_MARKER = re.compile(r"^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)( .*)?$")


def _new_catalogue() -> Catalog:
    return Catalog(locale="zh", domain="sopc", project="sopc", version="", copyright_holder="sopc",
                   creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False,
                   last_translator="sopc", language_team="sopc")


def extract() -> Catalog:
    """Every message marked in sopc/ (the template: msgids, no Chinese)."""
    template = _new_catalogue()
    found = extract_from_dir(str(SOURCES), method_map=[("**.py", "python")], keywords=KEYWORDS,
                             comment_tags=("i18n:",), strip_comment_tags=True)
    for filename, _lineno, message, comments, context in found:
        template.add(message, locations=[(f"sopc/{filename}", None)], auto_comments=comments, context=context)
    for where, message in _help_texts():
        template.add(message, locations=[("sopc/cli.py", None)], auto_comments=[f"--help of {where}"])
    return template


def _help_texts():
    """The --help texts (command docstrings, options' help=) as click keeps
    them: English from the command tree itself, translated when a help page
    is shown (sopc.terminal), so a new command's help needs no marking."""
    from sopc.cli import cli
    from sopc.terminal import help_messages

    return help_messages(cli)


def _without_conflict_markers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not CONFLICT_MARKER.match(line))


def read_existing(path: Path = PO) -> Catalog:
    """The Chinese catalogue as written, conflict markers dropped (both sides
    of a conflict kept; a message twice keeps its first translation)."""
    if not path.is_file():
        return _new_catalogue()
    text = _without_conflict_markers(path.read_text(encoding="utf-8"))
    return read_po(io.StringIO(text), locale="zh", domain="sopc")


def merged(template: Catalog, existing: Catalog) -> Catalog:
    """``existing`` updated to ``template``: new messages added (empty),
    gone ones dropped, translations kept."""
    # No fuzzy matching: a guess from a similar message reads as a translation
    # and is not one; a new message comes in empty, to be written.
    existing.update(template, no_fuzzy_matching=True, update_header_comment=False)
    existing.obsolete.clear()  # a removed message's Chinese is in git history, not in the way
    existing.creation_date = FIXED_DATE
    existing.revision_date = FIXED_DATE
    existing.fuzzy = False
    return existing


def po_bytes(catalog: Catalog) -> bytes:
    """The .po text, without the Babel version line (so another Babel
    release does not make an unchanged catalogue look stale)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False, omit_header=False)
    return b"".join(line for line in buffer.getvalue().splitlines(keepends=True)
                    if not line.startswith(b'"Generated-By: '))


def mo_bytes(catalog: Catalog) -> bytes:
    """The compiled catalogue: fuzzy and empty entries left out (English shows)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def wanted() -> tuple[bytes, bytes]:
    """What sopc.po and sopc.mo should hold for the sources as they are."""
    catalog = merged(extract(), read_existing())
    po = po_bytes(catalog)
    # Compile what was written, so the .mo never differs from the .po on disk.
    return po, mo_bytes(read_po(io.BytesIO(po), locale="zh", domain="sopc"))


def translations(mo: bytes) -> dict:
    """What a compiled catalogue translates: msgid (or (msgid, n)) -> Chinese,
    header aside; two .mo files that agree here behave the same."""
    import gettext

    table = gettext.GNUTranslations(io.BytesIO(mo))._catalog  # noqa: SLF001 - the parsed table is the point
    return {key: value for key, value in table.items() if key not in ("", ("", 0))}


def _mo_is_current(mo: bytes) -> bool:
    return MO.is_file() and translations(MO.read_bytes()) == translations(mo)


def _untranslated(catalog_bytes: bytes) -> int:
    catalog = read_po(io.BytesIO(catalog_bytes), locale="zh", domain="sopc")
    return sum(1 for m in catalog if m.id and (m.fuzzy or not m.string or
                                              (isinstance(m.string, tuple) and not all(m.string))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether sopc.po and sopc.mo are up to date")
    args = parser.parse_args()
    po, mo = wanted()
    stale = [path for path, current in ((PO, PO.is_file() and PO.read_bytes() == po), (MO, _mo_is_current(mo)))
             if not current]
    if args.check:
        if stale:
            sys.exit(f"out of date: {', '.join(map(str, stale))}: run python tools/i18n.py")
        print("sopc.po and sopc.mo are up to date")
        return
    CATALOGUE_DIR.mkdir(parents=True, exist_ok=True)
    for path, data in ((PO, po), (MO, mo)):
        if path in stale:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)}")
    missing = _untranslated(po)
    if missing:
        print(f"{missing} message(s) need Chinese (empty or #, fuzzy) in {PO.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
