"""What the command line draws on a terminal, apart from the commands
themselves: the progress bar, and help pages and click's own words in the
reader's language.

Help texts (command docstrings, options' ``help=``) are English in the
code, as click keeps them from the moment the commands are defined; they
are looked up in the catalogue when a help page is *formatted*, so the
language chosen at run time (``--lang``, ``SOPC_LANG``, the locale) is the
one shown. ``tools/i18n.py`` extracts them from the command tree
(:func:`help_messages`), so a new command's help lands in sopc.po for its
Chinese like any ``_()`` message. click's own words ("Usage:", "Error: No
such option") it looks up itself, with the standard library's gettext:
:func:`speak` points that at sopc's catalogue too.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import time
import unicodedata
from typing import Iterator

import click

from sopc.core.i18n import DOMAIN, LOCALE_DIR, N_, _, language, set_language
from sopc.core.progress import QUIET, Progress

# ---- the language ------------------------------------------------------------------------

_LANGUAGE_BEFORE: list[str | None] = []  # $LANGUAGE as it was before Chinese set it (empty: not set by sopc)


def speak(lang: str) -> None:
    """Make ``lang`` the language of everything printed from now on: sopc's
    own messages (:func:`sopc.core.i18n.set_language`) and click's. click
    asks ``gettext.gettext`` in the global domain, which reads the language
    from $LANGUAGE first: in Chinese that domain is sopc's catalogue and
    $LANGUAGE is zh; back in English click's words are its own and
    $LANGUAGE is what it was (other programs a test starts read it too)."""
    import gettext

    set_language(lang)
    if lang == "zh":
        gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
        gettext.textdomain(DOMAIN)
        if not _LANGUAGE_BEFORE:
            _LANGUAGE_BEFORE.append(os.environ.get("LANGUAGE"))
        os.environ["LANGUAGE"] = "zh"
    else:
        gettext.textdomain("messages")  # the default: no catalogue, click's English
        if _LANGUAGE_BEFORE:
            before = _LANGUAGE_BEFORE.pop()
            if before is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = before


def language_in(args: list[str]) -> str | None:
    """The value of ``--lang`` among the top-level options in ``args``
    (before the command's name), read before click parses them: ``sopc
    --help --lang zh`` shows the help in Chinese though --help acts first."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if not arg.startswith("-"):
            return None
    return None


# ---- help pages --------------------------------------------------------------------------

def help_text(command: click.Command) -> str:
    """A command's help as the catalogue knows it (its msgid): the
    docstring as click shows it, de-indented, up to a form feed."""
    return inspect.cleandoc(command.help or "").partition("\f")[0]


OPTIONS_METAVAR = N_("[OPTIONS]")
SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
HELP_OPTION = N_("Show this message and exit.")


class HelpFormatter(click.HelpFormatter):
    """click's formatter, wrapping by the columns text takes on a terminal
    (a Chinese character takes two; click counts one)."""

    def write_text(self, text: str) -> None:
        super().write_text(_prewrapped(text, self.width - self.current_indent))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if not rows:
            return
        first_col = min(max(click.formatting.term_len(first) for first, _second in rows), col_max) + col_spacing
        text_width = max(self.width - first_col - 2 - self.current_indent, 10)
        super().write_dl([(first, _prewrapped(second, text_width)) for first, second in rows], col_max, col_spacing)


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    """A command whose help page is in the reader's language."""

    context_class = Context

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = _(help_text(self)) if self.help else ""
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first sentence of the help (click shortens English its own way)."""
        if not self.help or language() != "zh":
            return super().get_short_help_str(limit)
        return _(help_text(self)).split("\n\n")[0].split("。")[0].replace("\n", "")

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [_(piece) if piece in (OPTIONS_METAVAR, SUBCOMMAND_METAVAR) else piece for piece in pieces]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The options, each one's help in the reader's language (click keeps the English)."""
        params = [p for p in self.get_params(ctx) if getattr(p, "help", None)]
        english = [p.help for p in params]
        help_option = self.get_help_option(ctx)  # click words it in the language of its first use
        for param in params:
            param.help = _(HELP_OPTION if param is help_option else param.help)
        try:
            super().format_options(ctx, formatter)
        finally:
            for param, text in zip(params, english):
                param.help = text


class Group(Command, click.Group):
    """The top-level group: its commands are :class:`Command`, and the
    language is chosen before click parses anything (``--lang``, else
    ``SOPC_LANG``, else the locale)."""

    command_class = Command

    def make_context(self, info_name, args, parent=None, **extra):
        from sopc.core.i18n import LANGUAGES, resolve_language

        given = language_in(args)
        speak(resolve_language(given if given in LANGUAGES else None))
        _name_paths(self)
        return super().make_context(info_name, args, parent, **extra)


def _name_paths(group: click.Group) -> None:
    """click names what a path option takes ("file", "directory") when the
    command is defined, in English, for its errors ("File 'x' does not
    exist"): named again in the language now spoken."""
    import gettext

    for command in (group, *group.commands.values()):
        for param in command.params:
            kind = param.type
            if isinstance(kind, click.Path):
                english = "file" if kind.file_okay and not kind.dir_okay else (
                    "directory" if kind.dir_okay and not kind.file_okay else "path")
                kind.name = gettext.gettext(english)


def help_messages(group: click.Group) -> Iterator[tuple[str, str]]:
    """(where, msgid) of every help text the command tree shows: each
    command's help and each option's, for ``tools/i18n.py``."""
    commands = [("", group), *sorted(group.commands.items())]
    for name, command in commands:
        where = f"sopc {name}".strip()
        if command.help:
            yield where, help_text(command)
        for param in command.params:
            if getattr(param, "help", None):
                yield f"{where} {param.opts[-1]}", param.help


# ---- wrapping by display width --------------------------------------------------------------

_WIDE = "WF"
_NO_LINE_START = set("，。、；：！？）」』》】,.;:!?)")
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\uffef]+|.", re.S)


def width_of(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in _WIDE else 1 for c in text)


def _has_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in _WIDE for c in text)


def _mostly_wide(text: str) -> bool:
    """Chinese prose, not English with a Chinese word or two (click wraps that as before)."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in _WIDE)
    return wide * 2 > sum(1 for c in text if c.isalpha())


def _prewrapped(text: str, width: int) -> str:
    """``text`` with each paragraph holding Chinese wrapped by display width
    and marked ``\\b`` (click keeps such a paragraph as it is); other
    paragraphs are left for click to wrap, as in English."""
    if not _has_wide(text):
        return text
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = paragraph.split("\n")
        if lines[0].strip() == "\b" or not _mostly_wide(paragraph):
            paragraphs.append(paragraph)
            continue
        indent = len(lines[0]) - len(lines[0].lstrip())
        joined = _join_lines([line.strip() for line in lines])
        wrapped = _wrap(joined, max(width - indent, 10))
        paragraphs.append("\b\n" + "\n".join(" " * indent + line for line in wrapped))
    return "\n\n".join(paragraphs)


def _join_lines(lines: list[str]) -> str:
    """A paragraph's lines as one: with a space between English words, none
    between Chinese characters."""
    text = ""
    for line in lines:
        if text and not (_has_wide(text[-1]) or _has_wide(line[:1])):
            text += " "
        text += line
    return text


def _wrap(text: str, width: int) -> list[str]:
    lines, line, used = [], "", 0
    for token in _TOKEN.findall(text):
        size = width_of(token)
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        if used + size > width and line.strip() and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


# ---- the progress bar ---------------------------------------------------------------------

class TerminalProgress(Progress):
    """The library's progress as click's progress bar on stderr, one line
    redrawn in place (at most 10 times a second) and wiped when a stage
    ends, so what follows prints on a clean line."""

    REDRAW = 0.1  # seconds

    def __init__(self, stream):
        self.stream = stream
        self.bar = None
        self.drawn = 0.0

    def begin(self, label: str, total: int) -> None:
        self.end()
        width = max(10, min(30, _columns() - width_of(label) - 30))  # room for the percent, ETA and note
        self.bar = click.progressbar(length=max(total, 1), label=label, file=self.stream, width=width,
                                     show_eta=True, item_show_func=lambda note: note or None)
        self._draw()

    def advance_to(self, done: int, note: str = "") -> None:
        bar = self.bar
        if bar is None:
            return
        bar.current_item = note
        step = min(done, bar.length) - bar.pos
        if step > 0:
            bar.make_step(step)
        if time.monotonic() - self.drawn >= self.REDRAW:
            self._draw()

    def end(self) -> None:
        if self.bar is not None:
            self.make_room()
            self.stream.write("\033[?25h")  # click hides the cursor while its bar shows
            self.stream.flush()
            self.bar = None

    def make_room(self) -> None:
        if self.bar is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.bar._last_line = None  # drawn again in full next time
            self.drawn = 0.0

    def _draw(self) -> None:
        self.bar.render_progress()
        self.drawn = time.monotonic()


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def progress_bar(quiet: bool = False, *, prints_on_terminal: bool = False) -> Progress:
    """What a command passes the library to show how far a long piece of
    work is: a bar on stderr when that is a terminal, else nothing; nothing
    with ``-q``, and nothing when the command's own output streams to the
    same terminal (``prints_on_terminal``: it would break the bar's line,
    and the lines coming are progress enough)."""
    if quiet or not sys.stderr.isatty() or (prints_on_terminal and sys.stdout.isatty()):
        return QUIET
    return TerminalProgress(sys.stderr)
