"""Chinese and English: the message catalogue every person-facing string goes through.

Messages are written in English in the code and marked ``_("...")``;
``tools/i18n.py`` extracts them (Babel), merges them into
``sopc/locale/zh/LC_MESSAGES/sopc.po`` where the Chinese is written, and
compiles ``sopc.mo``, which ships in the package and is all that is read at
run time. Placeholders are ``str.format`` names applied *after* the lookup,
so the translation can move them: ``_("cap of {cap}/day exceeded").format(cap=6)``.

A string is translated when it is made, so the language is set (by the
command line, :func:`resolve_language`) before anything is built. English
needs no catalogue: nothing is read, and :mod:`gettext` is not even imported,
which keeps ``sopc``'s cold start where it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
DOMAIN = "sopc"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Where the language comes from when --lang is not given, strongest first.
LANGUAGE_VARIABLE = "SOPC_LANG"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


class _English:
    """The msgids are the English text: looking one up returns it."""

    @staticmethod
    def gettext(message: str) -> str:
        return message

    @staticmethod
    def ngettext(singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    @staticmethod
    def pgettext(context: str, message: str) -> str:
        return message


_active = _English()
_language = DEFAULT_LANGUAGE
_loaded: dict[str, object] = {}


def _catalogue(lang: str):
    """The compiled catalogue for ``lang``, read once per process."""
    if lang not in _loaded:
        import gettext

        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        with path.open("rb") as handle:
            _loaded[lang] = gettext.GNUTranslations(handle)
    return _loaded[lang]


def set_language(lang: str) -> None:
    """Make ``lang`` ("en" or "zh") the language of every string made from now on."""
    global _active, _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; sopc speaks {', '.join(LANGUAGES)}")
    _active = _English() if lang == "en" else _catalogue(lang)
    _language = lang


def language() -> str:
    """The language strings are made in now: "en" or "zh"."""
    return _language


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` things, in the current language."""
    return _active.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, where the same English needs
    different Chinese in another ``context`` (a list's `, ` is `、`)."""
    return _active.pgettext(context, message)


def N_(message: str) -> str:
    """Marks ``message`` for extraction only; translate it later with ``_()``
    (for strings defined at import time, before the language is known)."""
    return message


def language_of_locale(value: str | None) -> str | None:
    """"zh" for a Chinese locale name (zh_CN.UTF-8, zh_TW, zh), "en" for any
    other non-empty one, None when unset."""
    if not value:
        return None
    return "zh" if value.lower().startswith("zh") else "en"


def resolve_language(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``--lang`` if given, else ``$SOPC_LANG``, else the
    locale (the first of LC_ALL, LC_MESSAGES, LANG that is set, as POSIX does:
    zh_* is Chinese, anything else English). An unknown SOPC_LANG value is read
    like a locale name, so SOPC_LANG=zh_CN works too."""
    env = os.environ if environ is None else environ
    if option:
        return option
    chosen = env.get(LANGUAGE_VARIABLE)
    if chosen:
        return chosen if chosen in LANGUAGES else language_of_locale(chosen)
    for name in LOCALE_VARIABLES:
        found = language_of_locale(env.get(name))
        if found:
            return found
    return DEFAULT_LANGUAGE
