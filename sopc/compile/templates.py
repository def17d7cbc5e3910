"""Templates: compile and render message content (the rendering stage).

Every message body in a playbook is a Jinja2 template: inline text, a file
under ``templates/`` or a named ``template`` definition. :class:`TemplateStore`
compiles each source text once (problems come back as
:class:`~sopc.core.diagnostics.Diagnostic` values, never as exceptions) and hands
out :class:`CompiledTemplate` objects that the planner renders for every
group, member and send time.

Determinism guarantee, relied on by :func:`memo_key_names`: templates run in
an immutable Jinja sandbox whose globals hold no clock and no randomness
(``lipsum`` is removed), and rendering may not mutate the context. So a
template's output depends only on the values of the top-level names it reads,
including names read by the files it includes, imports or extends. Two
contexts that agree on :func:`memo_key_names` render to the same text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from sopc.lang import ast
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error


# Tests and filters whose operand may legitimately be missing: an attribute
# read under them is guarded, not a use a checker should hold against a roster.
_GUARD_TESTS = frozenset({"defined", "undefined"})
_GUARD_FILTERS = frozenset({"default", "d"})

# Output size limits for the sandbox's intercepted operators.
_MAX_POWER_EXPONENT = 1000
_MAX_REPEAT_LENGTH = 100_000


class TemplateRenderError(Exception):
    """Rendering failed (a missing variable, a bad filter argument, ...).

    The planner turns it into a diagnostic at the message's span."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- filters ---------------------------------------------------------------------

def _number(value: object) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, str)):
        raise ValueError(f"`yuan` needs a number, got {type(value).__name__} {value!r}")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(f"`yuan` needs a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"`yuan` needs a finite number, got {value!r}")
    return number


def yuan(value: object) -> str:
    """``9.9`` -> ``9.9元``; ``10`` and ``10.0`` -> ``10元``; rounds to fen."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("`yuan` needs a number, got an empty string")
    number = _number(value).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}元"


def cn_date(value: object) -> str:
    """A date or datetime (or ``YYYY-MM-DD`` text) -> ``11月25日``."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value.strip())
    if not isinstance(value, dt.date):
        raise ValueError(f"`cn_date` needs a date, got {type(value).__name__} {value!r}")
    return f"{value.month}月{value.day}日"


def hhmm(value: object) -> str:
    """A datetime or time -> ``20:00``."""
    if not isinstance(value, (dt.datetime, dt.time)):
        raise ValueError(f"`hhmm` needs a time or datetime, got {type(value).__name__} {value!r}")
    return f"{value.hour:02d}:{value.minute:02d}"


FILTERS: dict[str, Callable[[object], str]] = {"yuan": yuan, "cn_date": cn_date, "hhmm": hhmm}


# ---- the sandbox -------------------------------------------------------------------

class _Sandbox(ImmutableSandboxedEnvironment):
    """No mutation of context values, and bounded ``*`` / ``**`` results.

    Intercepting the operators also stops Jinja from constant-folding
    ``9**9**9`` at compile time, so compiling any text terminates."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator_: str, left, right):
        if operator_ == "**" and isinstance(right, (int, float)) and abs(right) > _MAX_POWER_EXPONENT:
            raise jinja2.sandbox.SecurityError(f"exponent {right} is too large")
        if operator_ == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        return super().call_binop(context, operator_, left, right)


def _check_repeat(sequence, count) -> None:
    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
        if len(sequence) * count > _MAX_REPEAT_LENGTH:
            raise jinja2.sandbox.SecurityError("repeated text would be too long")


def _make_environment(templates_dir: Path) -> jinja2.Environment:
    env = _Sandbox(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # no stat() per render of a template that includes files
    )
    env.globals.pop("lipsum", None)  # random text would break memoized rendering
    env.filters.update(FILTERS)
    return env


# ---- where template text lives -------------------------------------------------

_NEWLINE = re.compile(r"\r\n|\r|\n")  # what Jinja counts as a line break


@dataclass(frozen=True, slots=True)
class _Location:
    """Maps a line of template text back to a file: the template file itself
    (first_line 1, column 1) or the .sop file holding the inline text."""

    path: str
    text: str
    first_line: int = 1
    first_column: int = 1

    def span_at(self, lineno: int | None) -> Span:
        lines = _NEWLINE.split(self.text)
        index = min(max((lineno or 1), 1), len(lines))
        column = self.first_column if index == 1 else 1
        line = self.first_line + index - 1
        end_column = max(column + len(lines[index - 1]), column + 1)
        return Span(path=self.path, line=line, column=column, end_line=line, end_column=end_column)

    def name_span(self, lineno: int, name: str) -> Span:
        """Where ``name`` is read on template line ``lineno``: inside a
        ``{{ }}`` or ``{% %}`` tag of that line (Jinja gives lines, not
        columns), else the whole line."""
        line_span = self.span_at(lineno)
        lines = _NEWLINE.split(self.text)
        text = lines[min(max(lineno, 1), len(lines)) - 1]
        word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
        for tag in _JINJA_TAG.finditer(text):
            found = word.search(text, tag.start(), tag.end())
            if found:
                return replace(line_span, column=line_span.column + found.start(),
                               end_column=line_span.column + found.end())
        return line_span


_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


# ---- one parsed source text ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Reference:
    """An ``include`` / ``import`` / ``extends`` in a template."""

    names: tuple[str, ...] | None  # None: the name is an expression
    lineno: int
    ignore_missing: bool


@dataclass(frozen=True, slots=True)
class _Parsed:
    template: jinja2.Template | None
    error_line: int | None = None
    error_message: str = ""
    error_hint: str | None = None
    variables: frozenset[str] = frozenset()
    attributes: Mapping[str, frozenset[str]] | None = None
    references: tuple[_Reference, ...] = ()
    first_reads: Mapping[str, int] | None = None  # variable -> the first line reading it


def _plain_syntax_message(message: str) -> str:
    """Jinja's error message in plain words, names quoted with backticks."""
    looking = re.search(r"Jinja was looking for the following tags: (.*?)\.", message)
    wanted = ""
    if looking:
        tags = re.findall(r"'([^']*)'", looking.group(1))
        enders = [t for t in tags if t.startswith("end")] or tags
        wanted = ", Jinja was looking for " + " or ".join(f"`{t}`" for t in enders)
    if message.startswith("Unexpected end of template"):
        return "unexpected end of template" + wanted
    unknown = re.match(r"Encountered unknown tag '([^']*)'", message)
    if unknown:
        return f"unknown tag `{unknown.group(1)}`" + wanted
    message = re.sub(r"^unexpected char (.*) at \d+$", r"unexpected character \1", message)
    message = re.sub(r"expected token '([^']*)'", r"expected \1", message)
    message = message.replace("can't", "cannot")
    message = re.sub(r"(?<!\w)'([^' ]*)'", r"`\1`", message)  # a name: `x`
    message = re.sub(r"(?<!\w)'([^']*)'", r"\1", message).rstrip(".")  # a token kind
    return message[:1].lower() + message[1:]


def _syntax_hint(message: str, env: jinja2.Environment) -> str | None:
    missing = re.match(r"No (filter|test) named '([^']*)'", message)
    if not missing:
        return None
    kind, name = missing.groups()
    pool = env.filters if kind == "filter" else env.tests
    return did_you_mean(name, pool) or f"available {kind}s: " + ", ".join(sorted(pool))


def _referenced_names(template: nodes.Node) -> tuple[str, ...] | None:
    if isinstance(template, nodes.Const) and isinstance(template.value, str):
        return (template.value,)
    if isinstance(template, (nodes.Tuple, nodes.List)):
        names = [_referenced_names(item) for item in template.items]
        if all(n is not None for n in names):
            return tuple(name for group in names for name in group)  # type: ignore[union-attr]
    return None


def _references(tree: nodes.Template) -> tuple[_Reference, ...]:
    found = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        ignore = bool(getattr(node, "ignore_missing", False))
        found.append(_Reference(_referenced_names(node.template), node.lineno, ignore))
    return tuple(found)


def _guarded_operands(tree: nodes.Template) -> set[int]:
    guarded = set()
    for test in tree.find_all(nodes.Test):
        if test.name in _GUARD_TESTS:
            guarded.add(id(test.node))
    for flt in tree.find_all(nodes.Filter):
        if flt.name in _GUARD_FILTERS and flt.node is not None:
            guarded.add(id(flt.node))
    return guarded


def _attribute_uses(tree: nodes.Template, variables: frozenset[str]) -> dict[str, frozenset[str]]:
    """``{'group': {'name', 'store'}}`` from ``group.name`` / ``group['store']``,
    for context names only, leaving out reads guarded by ``is defined`` or
    ``| default``."""
    guarded = _guarded_operands(tree)
    uses: dict[str, set[str]] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if id(node) in guarded or not isinstance(target, nodes.Name) or target.name not in variables:
            continue
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        else:
            continue
        uses.setdefault(target.name, set()).add(key)
    return {name: frozenset(keys) for name, keys in uses.items()}


def _first_reads(tree: nodes.Template, variables: frozenset[str]) -> dict[str, int]:
    """The first line each context variable is read on."""
    lines: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in variables:
            lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
    return lines


def _parse(env: jinja2.Environment, text: str) -> _Parsed:
    """Parse, analyse and compile one source text; never raises."""
    try:
        tree = env.parse(text)
        variables = frozenset(meta.find_undeclared_variables(tree))  # globals excluded
        attributes = _attribute_uses(tree, variables)
        references = _references(tree)
        code = env.compile(tree)
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except jinja2.TemplateSyntaxError as exc:
        raw = exc.message or str(exc)
        return _Parsed(None, exc.lineno, _plain_syntax_message(raw), _syntax_hint(raw, env))
    except RecursionError:
        return _Parsed(None, 1, "template is nested too deeply to compile")
    except Exception as exc:
        return _Parsed(None, 1, f"cannot compile this template ({type(exc).__name__}: {exc})")
    return _Parsed(template, None, "", None, variables, attributes, references, _first_reads(tree, variables))


# ---- compiled templates ----------------------------------------------------------

class CompiledTemplate:
    """A template ready to render; built by :meth:`TemplateStore.compile`.

    ``variables`` and :meth:`attribute_uses` cover the template and every file
    it includes, imports or extends; :meth:`variable_span` says where each
    variable is first read."""

    __slots__ = ("source_path", "variables", "_template", "_attributes", "_reads")

    def __init__(self, source_path: str, template: jinja2.Template,
                 variables: frozenset[str], attributes: Mapping[str, frozenset[str]],
                 reads: Mapping[str, Span] | None = None):
        self.source_path = source_path
        self.variables = variables
        self._template = template
        self._attributes = dict(attributes)
        self._reads = dict(reads or {})

    def variable_span(self, name: str) -> Span | None:
        """Where ``name`` is first read: its line (and column) in the template
        file, or in the file a template includes; in the .sop file for inline
        text. None for a name the template does not read."""
        return self._reads.get(name)

    def render(self, context: Mapping[str, object]) -> str:
        """Render with strict undefined names; one trailing newline is dropped.

        Raises :class:`TemplateRenderError` for any failure."""
        try:
            text = self._template.render(context)
        except Exception as exc:
            raise TemplateRenderError(_render_message(exc)) from exc
        return text[:-1] if text.endswith("\n") else text

    def attribute_uses(self) -> dict[str, frozenset[str]]:
        return dict(self._attributes)

    def __repr__(self) -> str:
        return f"CompiledTemplate({self.source_path!r}, variables={sorted(self.variables)})"


def _render_message(exc: Exception) -> str:
    message = str(exc) or type(exc).__name__
    message = re.sub(r"^'([^']*)' is undefined$", r"`\1` is not defined", message)
    message = re.sub(r"^'([^']*)' has no attribute '([^']*)'$", r"\1 has no attribute `\2`", message)
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template file `{exc.name}` not found"
    if not isinstance(exc, (jinja2.TemplateError, ValueError)):
        message = f"{type(exc).__name__}: {message}"
    return message


def memo_key_names(tpl: CompiledTemplate) -> tuple[str, ...]:
    """The sorted top-level names ``tpl`` reads (through includes too).

    Rendering is deterministic (see the module docstring), so two contexts
    that agree on the values of these names render to the same text; the
    planner may memoize rendered text keyed by those values. A name absent
    from a context is part of the key too (rendering it fails)."""
    return tuple(sorted(tpl.variables))


# ---- the store -------------------------------------------------------------------

class TemplateStore:
    """Compiles message content against one project's templates directory.

    The same source text at the same path always yields the same
    :class:`CompiledTemplate` object."""

    def __init__(self, templates_dir: Path, named: Mapping[str, ast.TemplateDef] = {}):
        self.templates_dir = Path(templates_dir)
        self.named = dict(named)
        self.env = _make_environment(self.templates_dir)
        self._parsed: dict[str, _Parsed] = {}
        self._compiled: dict[tuple[str, str], CompiledTemplate] = {}

    # -- public -----------------------------------------------------------------

    def compile(self, content: ast.Content, *, origin_span: Span
                ) -> tuple[CompiledTemplate | None, list[Diagnostic]]:
        try:
            return self._compile_content(content, origin_span)
        except Exception as exc:  # last resort: compile() reports, never raises
            return None, [error("E0402", f"cannot compile this template ({type(exc).__name__}: {exc})",
                                origin_span)]

    def template_files(self) -> list[str]:
        """Relative paths (with ``/``) of the files under the templates dir."""
        try:
            return sorted(self.env.loader.list_templates())  # type: ignore[union-attr]
        except OSError:
            return []

    # -- content kinds ------------------------------------------------------------

    def _compile_content(self, content, origin_span: Span):
        if isinstance(content, ast.InlineText):
            return self._compile_inline(content)
        if isinstance(content, ast.TemplateFile):
            return self._compile_file(content.path, origin_span)
        if isinstance(content, ast.TemplateRef):
            return self._compile_named(content)
        raise TypeError(f"not message content: {type(content).__name__}")

    def _compile_inline(self, content: ast.InlineText):
        where = _Location(content.span.path, content.text, content.body_line, content.body_column)
        return self._compile_text(where)

    def _compile_named(self, ref: ast.TemplateRef):
        definition = self.named.get(ref.name.value)
        if definition is None:
            name = ref.name.value
            hint = did_you_mean(name, self.named) or f'define it: template {name} """..."""'
            return None, [error("E0403", f"unknown template `{name}`", ref.name.span, hint)]
        return self._compile_inline(definition.body)

    def _compile_file(self, name: str, origin_span: Span):
        where, diagnostics = self._load(name, origin_span)
        if where is None:
            return None, diagnostics
        return self._compile_text(where)

    # -- shared machinery -----------------------------------------------------------

    def _file_path(self, name: str) -> str:
        return str(self.templates_dir / name)

    def _load(self, name: str, origin_span: Span) -> tuple[_Location | None, list[Diagnostic]]:
        """Read a template file through the loader (so ``..`` cannot escape)."""
        try:
            text, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return None, [self._not_found(name, origin_span)]
        except UnicodeDecodeError as exc:
            return None, [self._not_utf8(name, exc)]
        except OSError as exc:
            return None, [error("E0401", f"cannot read template file `{name}`: {exc.strerror or exc}",
                                origin_span)]
        return _Location(self._file_path(name), text), []

    def _not_found(self, name: str, span: Span) -> Diagnostic:
        if ".." in name.replace("\\", "/").split("/"):
            hint = f"template files must be inside `{self.templates_dir}`"
        else:
            hint = did_you_mean(name, self.template_files()) or f"create {self._file_path(name)}"
        message = f"template file `{name}` not found in `{self.templates_dir}`"
        return error("E0401", message, span, hint)

    def _not_utf8(self, name: str, exc: UnicodeDecodeError) -> Diagnostic:
        data = exc.object if isinstance(exc.object, bytes) else b""
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start: exc.start + 1].hex() or "??"
        message = f"template file `{name}` is not UTF-8 (byte 0x{byte} on line {line})"
        return error("E0404", message, Span.point(self._file_path(name), line), "save the file as UTF-8")

    def _parse_cached(self, text: str) -> _Parsed:
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parsed[text] = _parse(self.env, text)
        return parsed

    def _compile_text(self, where: _Location):
        key = (where.path, where.text)
        if key in self._compiled:
            return self._compiled[key], []
        parsed = self._parse_cached(where.text)
        if parsed.template is None:
            return None, [self._syntax_error(where, parsed)]
        variables, attributes, reads, diagnostics = self._closure(where, parsed)
        if diagnostics:
            return None, diagnostics
        compiled = CompiledTemplate(where.path, parsed.template, variables, attributes, reads)
        self._compiled[key] = compiled
        return compiled, []

    def _syntax_error(self, where: _Location, parsed: _Parsed) -> Diagnostic:
        return error("E0402", parsed.error_message, where.span_at(parsed.error_line), parsed.error_hint)

    def _closure(self, root: _Location, parsed: _Parsed):
        """Variables, attribute uses and where each variable is first read,
        of a template and every file it reaches through
        include/import/extends, plus problems found there."""
        variables, attributes, reads = set(parsed.variables), {}, {}
        diagnostics: list[Diagnostic] = []
        _merge(attributes, parsed.attributes or {})
        _note_reads(reads, root, parsed)
        for where, item in self._reachable(root, parsed, diagnostics):
            variables |= item.variables
            _merge(attributes, item.attributes or {})
            _note_reads(reads, where, item)
        frozen = {name: frozenset(keys) for name, keys in attributes.items()}
        return frozenset(variables), frozen, reads, diagnostics

    def _reachable(self, root: _Location, parsed: _Parsed, diagnostics: list[Diagnostic]
                   ) -> Iterator[tuple[_Location, _Parsed]]:
        queue, seen = [(root, parsed)], set()
        while queue:
            where, item = queue.pop()
            for ref in item.references:
                for child in self._follow(where, ref, seen, diagnostics):
                    yield child
                    queue.append(child)

    def _follow(self, where: _Location, ref: _Reference, seen: set[str],
                diagnostics: list[Diagnostic]) -> list[tuple[_Location, _Parsed]]:
        span = where.span_at(ref.lineno)
        if ref.names is None:
            diagnostics.append(error(
                "E0402", "include/import/extends needs a quoted file name, not an expression",
                span, "write the file name literally so sopc can check it and the variables it reads"))
            return []
        found, missing = [], []
        for name in ref.names:
            if name in seen:
                continue
            seen.add(name)
            child, problems = self._load(name, span)
            if child is None:
                missing.extend(problems)
                continue
            parsed = self._parse_cached(child.text)
            if parsed.template is None:
                diagnostics.append(self._syntax_error(child, parsed))
                continue
            found.append((child, parsed))
        diagnostics.extend(_missing_problems(ref, missing, loaded=len(ref.names) - len(missing)))
        return found


def _missing_problems(ref: _Reference, problems: list[Diagnostic], loaded: int) -> list[Diagnostic]:
    """``ignore missing`` forgives absent files; a list of alternatives
    (``{% include ["a.j2", "b.j2"] %}``) needs only one of them to exist."""
    if ref.ignore_missing or (len(ref.names or ()) > 1 and loaded > 0):
        return [d for d in problems if d.code != "E0401"]
    return problems


def _note_reads(into: dict[str, Span], where: _Location, parsed: _Parsed) -> None:
    """The first file (the template itself, then what it reaches) reading a variable tells where."""
    for name, lineno in (parsed.first_reads or {}).items():
        if name not in into:
            into[name] = where.name_span(lineno, name)


def _merge(into: dict[str, set[str]], uses: Mapping[str, frozenset[str]]) -> None:
    for name, keys in uses.items():
        into.setdefault(name, set()).update(keys)
