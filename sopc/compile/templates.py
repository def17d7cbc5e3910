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

The render budget: a template is a program, so every render is held to
:data:`MAX_TEXT` characters (of the message and of any one text built on the
way), :data:`MAX_BUILT` characters built in all, :data:`MAX_LOOPS` loop
iterations (recursive loop calls and macro calls count too), numbers of at
most :data:`MAX_INT_DIGITS` digits and :data:`RENDER_SECONDS` of time. An
operation that would go over is refused *before* it runs (``'x'|center(10**9)``
never allocates the gigabyte): the sandbox intercepts the operators, every
call, every filter and ``~``, and the code generator counts each loop
iteration and watches the clock there, since Jinja compiles loops to Python
``for``. Going over raises :class:`RenderBudgetError`: a located diagnostic
(E0408) at check and plan time, a ``failed`` message with the reason at run
time. A template that once ran out of *time* fails at once from then on
(until it is compiled again), so a slow template costs the runner's event
loop one budget, not one per group.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import functools
import itertools
import math
import re
import string
import sys
import time
from collections.abc import ItemsView, KeysView, ValuesView
from dataclasses import replace
from pathlib import Path
from types import CodeType
from typing import Any, Callable, Iterable, Iterator, Mapping

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from sopc.core.records import dataclass
from sopc.lang import ast
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error
from sopc.core.i18n import N_, _, language
from sopc.core.memo import TextMemo
from sopc.compile.jinja_tags import name_in_tags
from sopc.compile.plain_templates import GUARD_FILTERS, PlainTemplate, plain_template
from sopc.compile.saved_templates import SavedTemplates
from sopc.project.walk import files_under


# Tests and filters whose operand may legitimately be missing: an attribute
# read under them is guarded, not a use a checker should hold against a roster.
_GUARD_TESTS = frozenset({"defined", "undefined"})

# The render budget (see the module docstring; README, "Limits").
MAX_TEXT = 1_000_000          # characters of the rendered message, and of any one text built while rendering
MAX_BUILT = 10 * MAX_TEXT     # characters (and list items) built in all during one render
MAX_LOOPS = 10_000            # loop iterations, recursive loop calls and macro calls in one render
MAX_INT_DIGITS = 4_300        # digits of a number (Python's own limit for turning one into text)
RENDER_SECONDS = 1.0          # time for one render
_MAX_INT_BITS = math.ceil(MAX_INT_DIGITS * math.log2(10))
def render_budget_hint() -> str:
    """What a render may take, for E0408's help."""
    return _("a message renders within {chars} characters, {loops} loop iterations, numbers of {digits} digits and "
             "{seconds} s (README, Limits)").format(chars=f"{MAX_TEXT:,}", loops=f"{MAX_LOOPS:,}",
                                                   digits=f"{MAX_INT_DIGITS:,}", seconds=f"{RENDER_SECONDS:g}")
_CLOCK_EVERY = 16             # budget checks between two readings of the clock
# Expressions, tags and runs of text in one template: compiling and checking
# cost grows with them (a 64 KB `{{ a,a,a,... }}` took seconds); a real
# message template has a few hundred.
MAX_TEMPLATE_NODES = 5_000
# Jinja's optimizer folds constants with work that grows as the cube of the
# nesting (`not not ... not x`: 300 deep took 8 s to compile); real templates
# nest a dozen deep.
MAX_TEMPLATE_DEPTH = 64


class TemplateRenderError(Exception):
    """Rendering failed (a missing variable, a bad filter argument, ...).

    The planner turns it into a diagnostic at the message's span."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RenderBudgetError(TemplateRenderError):
    """A render went over its budget (``timed_out``: over its time)."""

    def __init__(self, what: str, *, timed_out: bool = False):
        super().__init__(_("over the render budget: {what}").format(what=what))
        self.what = what
        self.timed_out = timed_out


# ---- filters ---------------------------------------------------------------------

def _number(value: object) -> "decimal.Decimal":
    import decimal  # here: a template without `yuan` never needs it

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
    import decimal

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


# ---- the render budget -------------------------------------------------------------

class _Budget:
    """What one render has spent: loop iterations, characters built, time.

    Every check counts down to a reading of the clock; the hot paths only
    add and compare."""

    __slots__ = ("deadline", "loops", "built", "countdown")

    def __init__(self) -> None:
        self.stop()

    def start(self) -> None:
        self.deadline = time.monotonic() + RENDER_SECONDS
        self.loops = self.built = 0
        self.countdown = _CLOCK_EVERY

    def stop(self) -> None:
        """Between renders (Jinja folding constants while it compiles): no clock."""
        self.deadline = math.inf
        self.loops = self.built = 0
        self.countdown = _CLOCK_EVERY

    def loop(self) -> bool:
        """One loop iteration (or macro call); true, so it can stand in a loop's ``if``."""
        self.loops += 1
        self.countdown -= 1
        if self.countdown <= 0 or self.loops > MAX_LOOPS:
            self._settle()
        return True

    def build(self, size: int) -> None:
        """``size`` characters (or list items) made; the hot path of every check."""
        self.built += size
        self.countdown -= 1
        if self.countdown <= 0 or self.built > MAX_BUILT:
            self._settle()

    def clock(self) -> None:
        self.countdown -= 1
        if self.countdown <= 0:
            self._settle()

    def _settle(self) -> None:
        if self.loops > MAX_LOOPS:
            raise RenderBudgetError(_("loops ran more than {limit} times (macro calls count too)").format(
                limit=f"{MAX_LOOPS:,}"))
        if self.built > MAX_BUILT:
            raise RenderBudgetError(_("built more than {limit} characters of text in all").format(limit=f"{MAX_BUILT:,}"))
        if self.countdown <= 0:
            self.countdown = _CLOCK_EVERY
            if time.monotonic() > self.deadline:
                raise RenderBudgetError(_("rendering took more than {seconds} s").format(seconds=f"{RENDER_SECONDS:g}"),
                                        timed_out=True)


# The budget of this thread's (or task's) renders, made at its first render
# and started afresh for each; None before that. Between renders it is
# stopped, and when Jinja folds constants while compiling only the size
# limits apply.
_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("sopc_render_budget", default=None)


def _started_budget() -> _Budget:
    budget = _CURRENT.get()
    if budget is None:
        budget = _Budget()
        _CURRENT.set(budget)
    budget.start()
    return budget


def _clock() -> None:
    budget = _CURRENT.get()
    if budget is not None:
        budget.clock()


def _text_fits(size: int, what: str = "") -> None:
    if size > MAX_TEXT:
        raise RenderBudgetError(_("{what} would be {size} characters long, too long (at most {limit})").format(
            what=_(what) if what else _("the text"), size=f"{size:,}", limit=f"{MAX_TEXT:,}"))


def _checked(result: Any) -> Any:
    """A value a call, a filter or an operator produced: held to the size
    limits and charged to the budget (which also watches the clock)."""
    if type(result) is str or isinstance(result, (str, bytes)):
        size = len(result)
        if size > MAX_TEXT:
            _text_fits(size)
    elif isinstance(result, (list, tuple)):
        size = len(result)
    else:
        size = 0
    budget = _CURRENT.get()
    if budget is not None:
        budget.build(size)
    return result


def _text_size(value: Any, limit: int = MAX_TEXT) -> int:
    """About how long ``str(value)`` is (exact for text), without building it;
    counting stops once past ``limit``. A list of one long text repeated a
    million times is cheap to hold and costly to print: this sees it."""
    if isinstance(value, str):
        return len(value)
    total, stack, seen = 0, [value], 0
    while stack and total <= limit and seen <= limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, (bytes, bytearray)):
            total += 4 * len(item) + 3
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            total += 24
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, Namespace):
            stack.append(object.__getattribute__(item, "_Namespace__attrs"))
        else:
            total += 64  # other objects (ranges, macros, loops, undefined) print short
    return total


def _int_fits(bits: int) -> None:
    if bits > _MAX_INT_BITS:
        raise RenderBudgetError(_("a number too large: more than {limit} digits").format(limit=f"{MAX_INT_DIGITS:,}"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- checks before an operation runs ------------------------------------------------

def _check_power(base: Any, exponent: Any) -> None:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _int_fits(base.bit_length() * exponent)


def _check_product(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        _int_fits(left.bit_length() + right.bit_length())
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and _is_int(count):
            _text_fits(len(sequence) * count, N_("repeated text"))


def _check_sum(left: Any, right: Any) -> None:
    if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, (str, bytes, list, tuple)):
        _text_fits(len(left) + len(right))


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _check_percent(template: Any, values: Any) -> None:
    """``template % values`` (and the ``format`` filter): every width and
    precision, and the text the values print as, within the limits."""
    if not isinstance(template, str):
        return
    arguments = list(values) if isinstance(values, tuple) else [values]
    stars = iter(a for a in arguments if _is_int(a))
    widths = 0
    fields = 0
    for match in _PERCENT_FIELD.finditer(template):
        fields += 1
        for number in match.group(1, 2):
            size = next(stars, 0) if number == "*" else int(number) if number else 0
            _text_fits(abs(size), N_("a formatted field"))
            widths += abs(size)
    largest = max((_text_size(a) for a in arguments), default=0)
    _text_fits(len(template) + widths + fields * largest, N_("the formatted text"))


_FORMATTER = string.Formatter()


def _check_str_format(template: str, args: tuple, kwargs: Mapping) -> None:
    """``'{:>9}'.format(x)``: widths and precisions within the limits (a
    width taken from an argument, ``{:{w}}``, is refused)."""
    try:
        fields = [spec for _, name, spec, _ in _FORMATTER.parse(template) if name is not None]
    except ValueError:
        return  # str.format raises the same error itself
    widths = 0
    for spec in fields:
        if "{" in (spec or ""):
            raise RenderBudgetError("a format width taken from an argument (`{:{w}}`) is not allowed in templates")
        for number in re.findall(r"\d+", spec or ""):
            _text_fits(int(number), N_("a formatted field"))
            widths += int(number)
    largest = max((_text_size(a) for a in (*args, *kwargs.values())), default=0)
    _text_fits(len(template) + widths + len(fields) * largest, N_("the formatted text"))


def _argument(args: tuple, kwargs: Mapping, index: int, name: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _check_text_method(text: str | bytes, name: str, args: tuple, kwargs: Mapping) -> tuple:
    """Calls of text methods that can make a text longer than they read:
    checked before they run. Returns the arguments to call with (an
    iterable to join is read once, here)."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _argument(args, kwargs, 0, "width", 0)
        if _is_int(width):
            _text_fits(width)
    elif name == "expandtabs":
        tabsize = _argument(args, kwargs, 0, "tabsize", 8)
        if _is_int(tabsize):
            _text_fits(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tabsize, 0))
    elif name == "replace" and len(args) >= 2:
        _check_replace(text, args[0], args[1])
    elif name == "join" and args:
        items = list(args[0])
        _text_fits(sum(len(i) if isinstance(i, (str, bytes)) else 0 for i in items) + len(text) * max(len(items) - 1, 0))
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _text_fits(len(text) * max(longest, 1))
    elif name in ("format", "format_map") and isinstance(text, str):
        _check_str_format(text, args if name == "format" else (), kwargs if name == "format" else dict(*args))
    return args


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, (str, bytes)) and type(old) is type(text) and type(new) is type(text):
        times = text.count(old) if old else len(text) + 1
        _text_fits(len(text) + times * max(len(new) - len(old), 0))


def _check_call(target: Any, args: tuple, kwargs: Mapping) -> tuple:
    """Arguments for a call from a template, after the checks of the calls
    that can build something huge from small arguments."""
    target = getattr(target, "__wrapped__", target)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    if isinstance(owner, (str, bytes)):
        return _check_text_method(owner, getattr(target, "__name__", ""), args, kwargs)
    if _is_int(owner) and getattr(target, "__name__", "") == "to_bytes":
        length = _argument(args, kwargs, 0, "length", 1)
        if _is_int(length):
            _text_fits(length, N_("the bytes"))
    return args


# ---- filters ------------------------------------------------------------------------
# Each filter runs through a guard: the clock, a check before it runs where its
# arguments can make it build much more than it reads, the size of what it made.

def _value_and_rest(args: tuple, skip: int) -> tuple[Any, tuple]:
    return (args[skip] if len(args) > skip else None), args[skip + 1:]


def _filter_center(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    value, rest = _value_and_rest(args, skip)
    width = _argument(rest, kwargs, 0, "width", 80)
    if _is_int(width):
        _text_fits(max(width, _text_size(value)))
    return args


def _filter_format(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    value, rest = _value_and_rest(args, skip)
    _check_percent(value, tuple(rest) or tuple(kwargs.values()))
    return args


def _filter_indent(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    value, rest = _value_and_rest(args, skip)
    width = _argument(rest, kwargs, 0, "width", 4)
    prefix = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    _text_fits(prefix, N_("the indent"))
    size = _text_size(value)
    lines = value.count("\n") + 1 if isinstance(value, str) else size + 1
    _text_fits(size + lines * prefix)
    return args


_JUST_TEXT = {str}


def _filter_join(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    items = args[skip]
    if type(items) is not list and type(items) is not tuple:  # read an iterator once, here
        items = list(items)
        args = (*args[:skip], items, *args[skip + 1:])
    separator = args[skip + 1] if len(args) > skip + 1 else kwargs.get("d", "")
    measure = len if set(map(type, items)) <= _JUST_TEXT else _text_size
    size = sum(map(measure, items)) + _text_size(separator) * (len(items) - 1) if items else 0
    if size > MAX_TEXT:
        _text_fits(size)
    return args


def _filter_replace(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    value, rest = _value_and_rest(args, skip)
    old, new = _argument(rest, kwargs, 0, "old"), _argument(rest, kwargs, 1, "new")
    text = value if isinstance(value, str) else None
    if text is None:
        _text_fits(_text_size(value))
    elif isinstance(old, str) and isinstance(new, str):
        _check_replace(text, old, new)
    return args


def _filter_wordwrap(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    """Lines are at least half ``width`` long (or hold one longer word), so
    there are at most ``2 * size / width`` of them, plus the paragraphs."""
    value, rest = _value_and_rest(args, skip)
    width = _argument(rest, kwargs, 0, "width", 79)
    wrap = _argument(rest, kwargs, 2, "wrapstring") or "\n"
    size = _text_size(value)
    paragraphs = value.count("\n") + 1 if isinstance(value, str) else size + 1
    lines = 2 * size // width + paragraphs if _is_int(width) and width > 0 else size + 1
    _text_fits(size + lines * _text_size(wrap))
    return args


def _filter_counted(name: str, index: int) -> Callable[[tuple, Mapping, int], tuple]:
    """``batch(n)``, ``slice(n)``: ``n`` lists are made, each filled up."""
    def check(args: tuple, kwargs: Mapping, skip: int) -> tuple:
        _value, rest = _value_and_rest(args, skip)
        count = _argument(rest, kwargs, index, name, 1)
        if _is_int(count) and count > MAX_LOOPS:
            raise RenderBudgetError(_("`{name}` of {count}, more than {limit}").format(
                name=name, count=f"{count:,}", limit=f"{MAX_LOOPS:,}"))
        return args
    return check


def _filter_sum(args: tuple, kwargs: Mapping, skip: int) -> tuple:
    _value, rest = _value_and_rest(args, skip)
    start = _argument(rest, kwargs, 1, "start", 0)
    decimal = sys.modules.get("decimal")  # a Decimal start means it is imported: no need to import it here
    if not isinstance(start, (int, float)) and not (decimal and isinstance(start, decimal.Decimal)):
        raise RenderBudgetError("`sum` adds numbers (joining lists with it takes quadratic time)")
    return args


_FILTER_CHECKS: dict[str, Callable[[tuple, Mapping, int], tuple]] = {
    "center": _filter_center, "format": _filter_format, "indent": _filter_indent, "join": _filter_join,
    "replace": _filter_replace, "wordwrap": _filter_wordwrap, "batch": _filter_counted("linecount", 0),
    "slice": _filter_counted("slices", 0), "sum": _filter_sum,
}
# Filters that print their value: a value that would print too long is refused first.
_PRINTING_FILTERS = frozenset({
    "string", "e", "escape", "forceescape", "striptags", "urlize", "tojson", "pprint", "title", "upper", "lower",
    "capitalize", "trim", "truncate", "wordcount", "urlencode", "xmlattr", "filesizeformat", "safe",
})


def _guarded_filter(name: str, function: Callable) -> Callable:
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0  # context/environment first
    check = _FILTER_CHECKS.get(name)
    prints = name in _PRINTING_FILTERS

    @functools.wraps(function)  # keeps jinja_pass_arg
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if check is not None:
            args = check(args, kwargs, skip)
        elif prints and len(args) > skip and not isinstance(args[skip], str):
            _text_fits(_text_size(args[skip]))
        return _checked(function(*args, **kwargs))

    return guarded


# ---- the sandbox -------------------------------------------------------------------

# Jinja allows no custom node types; an environment attribute (which only
# extensions make, and sopc loads none) under this name stands for a tick.
_LOOP_TICK = "_sopc_loop_tick"


class _BudgetCodeGenerator(CodeGenerator):
    """Jinja's code generator, counting loop iterations and joining ``~``
    within the budget. It also notes the names the template reads from its
    context (``reads``): what ``jinja2.meta.find_undeclared_variables`` works
    out by generating the code a second time, unwritten."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reads: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        for action, name in frame.symbols.loads.values():
            if action == "resolve" and name not in self.environment.globals:
                self.reads.add(name)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        node = copy.copy(node)  # the parsed tree stays as parsed
        tick = nodes.EnvironmentAttribute(_LOOP_TICK, lineno=node.lineno)
        node.body = [nodes.ExprStmt(tick, lineno=node.lineno), *node.body]  # one iteration
        if node.test is not None:  # one item looked at by the loop's `if` (the tick is true)
            node.test = nodes.And(tick, node.test, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_EnvironmentAttribute(self, node: nodes.EnvironmentAttribute, frame: Frame) -> None:
        if node.name == _LOOP_TICK:
            self.write("environment.loop_tick()")
        else:
            super().visit_EnvironmentAttribute(node, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Sandbox(ImmutableSandboxedEnvironment):
    """No mutation of context values, and every render within its budget.

    Intercepting the operators also stops Jinja from constant-folding
    ``9**9**9`` at compile time, so compiling any text terminates."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BudgetCodeGenerator

    def call_binop(self, context, operator_: str, left, right):
        if operator_ == "**":
            _check_power(left, right)
        elif operator_ == "*":
            _check_product(left, right)
        elif operator_ == "+":
            _check_sum(left, right)
        elif operator_ == "%":
            _check_percent(left, right)
        return _checked(super().call_binop(context, operator_, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (the sandbox's own signature)
        if isinstance(__obj, (Macro, LoopContext)):  # a macro call, `loop(children)`
            budget = _CURRENT.get()
            if budget is not None:
                budget.loop()
        args = _check_call(__obj, args, kwargs)
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj, attribute):
        # `group.name` on a plain dict: what the sandbox finds anyway (a dict
        # has no attribute of a name that is not one of dict's), without
        # raising AttributeError first, a fifth of a short render.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def loop_tick(self) -> bool:
        budget = _CURRENT.get()
        return budget.loop() if budget is not None else True

    def joined(self, parts: tuple) -> str:
        """``a ~ b``: its length is known before it is built."""
        size = sum(map(_text_size, parts))
        if size > MAX_TEXT:
            _text_fits(size)
        return _checked("".join(map(str, parts)))


_CONCAT_BATCH = 256


def _concat(chunks: Iterable[str]) -> str:
    """The render's (and a block's, a macro's) output, refused once it is
    too long: read in batches, so a loop printing a long literal (or
    nothing) ten thousand times is stopped before it is all held."""
    chunks = iter(chunks)
    parts = list(itertools.islice(chunks, _CONCAT_BATCH))
    if len(parts) < _CONCAT_BATCH:  # a message of a few dozen pieces: read at once
        text = "".join(parts)
        if len(text) > MAX_TEXT:
            _text_fits(len(text), N_("the message"))
        return text
    size = sum(map(len, parts))
    while True:
        _text_fits(size, N_("the message"))
        if len(parts) > MAX_TEXT:
            raise RenderBudgetError(_("the message would be made of more than {limit} pieces").format(
                limit=f"{MAX_TEXT:,}"))
        _clock()
        more = list(itertools.islice(chunks, _CONCAT_BATCH))
        if not more:
            return "".join(parts)
        parts += more
        size += sum(map(len, more))


def _finalized(value: Any) -> Any:
    """Each ``{{ value }}`` before it is printed: a value that would print too long is refused."""
    if type(value) is str:
        return value
    if not isinstance(value, (int, float, str)):
        _text_fits(_text_size(value), N_("a printed value"))
    return value


def _make_environment(templates_dir: Path) -> jinja2.Environment:
    env = _Sandbox(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # no stat() per render of a template that includes files
        finalize=_finalized,
    )
    env.concat = _concat  # type: ignore[method-assign]
    env.globals.pop("lipsum", None)  # random text would break memoized rendering
    env.filters.update(FILTERS)
    env.filters = {name: _guarded_filter(name, function) for name, function in env.filters.items()}
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
        found = name_in_tags(lines[min(max(lineno, 1), len(lines)) - 1], name)
        if found:
            return replace(line_span, column=line_span.column + found[0], end_column=line_span.column + found[1])
        return line_span


# ---- one parsed source text ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Reference:
    """An ``include`` / ``import`` / ``extends`` in a template."""

    names: tuple[str, ...] | None  # None: the name is an expression
    lineno: int
    ignore_missing: bool
    always: bool = False           # not inside an if, a loop or a macro: every render takes it


@dataclass(frozen=True, slots=True)
class _Parsed:
    template: jinja2.Template | PlainTemplate | None
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
        wanted = _(", Jinja was looking for {tags}").format(tags=_(" or ").join(f"`{t}`" for t in enders))
    if message.startswith("Unexpected end of template"):
        return _("unexpected end of template") + wanted
    unknown = re.match(r"Encountered unknown tag '([^']*)'", message)
    if unknown:
        return _("unknown tag `{tag}`").format(tag=unknown.group(1)) + wanted
    message = re.sub(r"^unexpected char (.*) at \d+$", r"unexpected character \1", message)
    message = re.sub(r"expected token '([^']*)'", r"expected \1", message)
    message = message.replace("can't", "cannot")
    message = re.sub(r"(?<!\w)'([^' ]*)'", r"`\1`", message)  # a name: `x`
    message = re.sub(r"(?<!\w)'([^']*)'", r"\1", message).rstrip(".")  # a token kind
    return _in_words(message[:1].lower() + message[1:])


# Jinja's syntax errors, in the shapes the rewriting above leaves them, and the
# kinds of token they name: said in the catalogue's words (English as above).
_JINJA_SHAPES = (
    (re.compile(r"^unexpected character (?P<found>.+)$"), N_("unexpected character {found}")),
    (re.compile(r"^unexpected (?P<found>.+?), expected (?P<wanted>.+)$"), N_("unexpected {found}, expected {wanted}")),
    (re.compile(r"^unexpected (?P<found>.+)$"), N_("unexpected {found}")),
    (re.compile(r"^expected (?P<wanted>.+?), got (?P<found>.+)$"), N_("expected {wanted}, got {found}")),
)
_JINJA_TOKENS = {"end of print statement": N_("end of print statement"), "end of statement block":
                 N_("end of statement block"), "an expression": N_("an expression"), "name": N_("name"),
                 "end of template": N_("end of template")}


def _in_words(message: str) -> str:
    for shape, words in _JINJA_SHAPES:
        found = shape.match(message)
        if found:
            parts = {k: _(_JINJA_TOKENS[v]) if v in _JINJA_TOKENS else v for k, v in found.groupdict().items()}
            return _(words).format(**parts)
    return message


def _syntax_hint(message: str, env: jinja2.Environment) -> str | None:
    missing = re.match(r"No (filter|test) named '([^']*)'", message)
    if not missing:
        return None
    kind, name = missing.groups()
    pool = env.filters if kind == "filter" else env.tests
    available = _("available filters: {names}") if kind == "filter" else _("available tests: {names}")
    return did_you_mean(name, pool) or available.format(names=", ".join(sorted(pool)))


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
    always = _unconditional(tree)
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        ignore = bool(getattr(node, "ignore_missing", False))
        found.append(_Reference(_referenced_names(node.template), node.lineno, ignore, id(node) in always))
    return tuple(found)


# Statements whose body runs whenever they do; an `if`, a loop, a macro or a
# call block may not run its body.
_ALWAYS_RUN = (nodes.Scope, nodes.ScopedEvalContextModifier, nodes.With, nodes.FilterBlock, nodes.Block)


def _unconditional(tree: nodes.Template) -> set[int]:
    """The ids of the statements every render of ``tree`` reaches."""
    reached, bodies = set(), [tree.body]
    while bodies:
        for node in bodies.pop():
            reached.add(id(node))
            if isinstance(node, _ALWAYS_RUN):
                bodies.append(node.body)
    return reached


def _guarded_operands(tree: nodes.Template) -> set[int]:
    guarded = set()
    for test in tree.find_all(nodes.Test):
        if test.name in _GUARD_TESTS:
            guarded.add(id(test.node))
    for flt in tree.find_all(nodes.Filter):
        if flt.name in GUARD_FILTERS and flt.node is not None:
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


def _size_and_depth(tree: nodes.Template) -> tuple[int, int]:
    """The nodes under the template and how deep the tree nests, in one walk
    (without recursion: the depth is what is measured)."""
    size, deepest, stack = -1, 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        size, deepest = size + 1, max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return size, deepest


def _first_reads(tree: nodes.Template, variables: frozenset[str]) -> dict[str, int]:
    """The first line each context variable is read on."""
    lines: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in variables:
            lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
    return lines


def _parse(env: jinja2.Environment, text: str) -> _Parsed:
    """Parse, analyse and compile one source text; never raises.

    What does not depend on the environment (the analysis, Jinja's compiled
    code, or the error) is remembered for the process by (text, language):
    every sopc environment is made alike (:func:`_make_environment`; only
    the folder its includes are read from differs, which the code does not
    hold), and a rebuild after an edit (`sopc run`, `sopc serve`; the
    fuzzer, for every input) compiles only the templates that changed."""
    key = (text, language())
    parsed = _compiled_texts.get(key)
    if parsed is None:  # compiled (or loaded) just now, so for this environment: kept as it is
        return _compiled_texts.put(key, len(text), _saved_or_parsed(env, text))
    if parsed.template is None:
        return parsed
    return replace(parsed, template=_bound(env, parsed.template))


def _bound(env: jinja2.Environment, template) -> jinja2.Template | PlainTemplate:
    """A template compiled for one sopc environment, for ``env``."""
    if type(template) is PlainTemplate:
        return template.bound_to(env)
    return _template_from(env, template._sopc_code)  # type: ignore[attr-defined]


_compiled_texts: TextMemo[_Parsed] = TextMemo(2_000_000)


def _saved_or_parsed(env: jinja2.Environment, text: str) -> _Parsed:
    """What an earlier process saved of compiling ``text``
    (:mod:`sopc.compile.saved_templates`), else it compiled now (and saved
    when it compiles cleanly). A text that only prints values is read
    without Jinja's compiler (:mod:`sopc.compile.plain_templates`): quicker
    than loading what was saved."""
    plain = plain_template(env, text)
    if plain is not None:
        return _Parsed(plain.template, None, "", None, plain.variables, plain.attributes, (), plain.first_reads)
    saved = _saved_templates(env)
    value = saved.load(text)
    if value is not None:
        parsed = _from_saved(env, value)
        if parsed is not None:
            return parsed
    parsed = _parse_text(env, text)
    if parsed.template is not None:
        saved.save(text, _to_saved(parsed))
    return parsed


def _saved_templates(env: jinja2.Environment) -> SavedTemplates:
    saved = getattr(env, "_sopc_saved", None)
    if saved is None:
        saved = env._sopc_saved = SavedTemplates(env, Path(__file__))  # type: ignore[attr-defined]
    return saved


def _to_saved(parsed: _Parsed) -> tuple:
    references = tuple((r.names, r.lineno, r.ignore_missing, r.always) for r in parsed.references)
    return (parsed.template._sopc_code, parsed.variables, dict(parsed.attributes or {}),  # type: ignore[union-attr]
            references, dict(parsed.first_reads or {}))


def _from_saved(env: jinja2.Environment, value: tuple) -> _Parsed | None:
    try:
        code, variables, attributes, references, first_reads = value
        return _Parsed(_template_from(env, code), None, "", None, frozenset(variables),
                       {name: frozenset(names) for name, names in attributes.items()},
                       tuple(_Reference(*reference) for reference in references), dict(first_reads))
    except Exception:  # noqa: BLE001 (a saved value of another shape: compile the text instead)
        return None


def _compiled_tree(env: jinja2.Environment, tree: nodes.Template) -> tuple[CodeType, frozenset[str]]:
    """``env.compile(tree)``, and the names the template reads from its
    context (globals excluded), in one pass of the code generator."""
    generator = _BudgetCodeGenerator(env, None, None, optimized=env.optimized)
    generator.visit(tree)
    return env._compile(generator.stream.getvalue(), "<template>"), frozenset(generator.reads)


def _template_from(env: jinja2.Environment, code) -> jinja2.Template:
    # The globals as a plain dict, not Jinja's ChainMap over the environment's:
    # each render copies them twice, and iterating a ChainMap was a fifth of a
    # short text's render. The same names: an environment's globals are set
    # once, when it is made.
    template = env.template_class.from_code(env, code, dict(env.globals))
    template._sopc_code = code  # type: ignore[attr-defined]
    return template


def _parse_text(env: jinja2.Environment, text: str) -> _Parsed:
    try:
        tree = env.parse(text)
        size, depth = _size_and_depth(tree)
        if size > MAX_TEMPLATE_NODES:
            return _Parsed(None, 1, _("template is too large: {size} expressions, tags and runs of text "
                                      "(at most {limit})").format(size=f"{size:,}", limit=f"{MAX_TEMPLATE_NODES:,}"),
                           _("split it into smaller templates"))
        if depth > MAX_TEMPLATE_DEPTH:
            return _Parsed(None, 1, _("template is nested {depth} deep (at most {limit}): an expression inside an "
                                      "expression inside ...").format(depth=depth, limit=MAX_TEMPLATE_DEPTH),
                           _("write it flatter: set parts with {% set %} first, or drop repeated `not`s and brackets"))
        code, variables = _compiled_tree(env, tree)
        attributes = _attribute_uses(tree, variables)
        references = _references(tree)
        template = _template_from(env, code)
    except jinja2.TemplateSyntaxError as exc:
        raw = exc.message or str(exc)
        return _Parsed(None, exc.lineno, _plain_syntax_message(raw), _syntax_hint(raw, env))
    except RecursionError:
        return _Parsed(None, 1, _("template is nested too deeply to compile"))
    except Exception as exc:
        return _Parsed(None, 1, _("cannot compile this template ({error})").format(error=f"{type(exc).__name__}: {exc}"))
    return _Parsed(template, None, "", None, variables, attributes, references, _first_reads(tree, variables))


# ---- compiled templates ----------------------------------------------------------

class CompiledTemplate:
    """A template ready to render; built by :meth:`TemplateStore.compile`.

    ``variables`` and :meth:`attribute_uses` cover the template and every file
    it includes, imports or extends; :meth:`variable_span` says where each
    variable is first read."""

    __slots__ = ("source_path", "variables", "_template", "_attributes", "_reads", "_timed_out")

    def __init__(self, source_path: str, template: jinja2.Template | PlainTemplate,
                 variables: frozenset[str], attributes: Mapping[str, frozenset[str]],
                 reads: Mapping[str, Span | tuple] | None = None):
        self.source_path = source_path
        self.variables = variables
        self._template = template
        self._attributes = dict(attributes)
        self._reads = dict(reads or {})
        self._timed_out: str | None = None  # why it ran out of time, once it has

    def variable_span(self, name: str) -> Span | None:
        """Where ``name`` is first read: its line (and column) in the template
        file, or in the file a template includes; in the .sop file for inline
        text. None for a name the template does not read."""
        read = self._reads.get(name)
        if type(read) is tuple:  # (where, line): placed when first asked (most never are)
            where, lineno = read
            read = self._reads[name] = where.name_span(lineno, name)
        return read

    def render(self, context: Mapping[str, object]) -> str:
        """Render with strict undefined names, within the render budget; one
        trailing newline is dropped.

        Raises :class:`TemplateRenderError` for any failure
        (:class:`RenderBudgetError` for going over the budget)."""
        if self._timed_out is not None:
            raise RenderBudgetError(_("{what} once already (it is not rendered again until it changes)").format(
                what=self._timed_out), timed_out=True)
        budget = _started_budget()
        try:
            text = self._template.render(context)
        except RenderBudgetError as exc:
            if exc.timed_out:
                self._timed_out = exc.what
            raise
        except RecursionError:  # an include circle an `if` did not end: fail at once from now on, as on a timeout
            self._timed_out = _("includes, imports or macro calls nested too deep (does a template include itself?)")
            raise RenderBudgetError(self._timed_out, timed_out=True) from None
        except Exception as exc:
            raise TemplateRenderError(_render_message(exc)) from exc
        finally:
            budget.stop()
        return text[:-1] if text.endswith("\n") else text

    def attribute_uses(self) -> dict[str, frozenset[str]]:
        return dict(self._attributes)

    @property
    def context_names(self) -> frozenset[str] | None:
        """Every name a render reads from its context, where that is known
        exactly (a text that only prints values); None: it may read any."""
        return self._template.names if type(self._template) is PlainTemplate else None

    def __repr__(self) -> str:
        return f"CompiledTemplate({self.source_path!r}, variables={sorted(self.variables)})"


def _render_message(exc: Exception) -> str:
    message = str(exc) or type(exc).__name__
    undefined = re.match(r"^'([^']*)' is undefined$", message)
    if undefined:
        return _("`{name}` is not defined").format(name=undefined.group(1))
    no_attribute = re.match(r"^'([^']*)' has no attribute '([^']*)'$", message)
    if no_attribute:
        return _("{value} has no attribute `{attribute}`").format(value=no_attribute.group(1),
                                                                  attribute=no_attribute.group(2))
    if isinstance(exc, jinja2.TemplateNotFound):
        return _("template file `{name}` not found").format(name=exc.name)
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

    def __init__(self, templates_dir: Path, named: Mapping[str, ast.TemplateDef] = {},
                 project_dir: Path | None = None):
        self.templates_dir = Path(templates_dir)
        self.project_dir = project_dir  # did-you-mean hints list template files only inside it
        self.named = dict(named)
        self.env = _make_environment(self.templates_dir)
        self._parsed: dict[str, _Parsed] = {}
        self._compiled: dict[tuple[str, str], CompiledTemplate] = {}
        # template file -> its text, for step titles; None where it cannot be read (not retried: a
        # miss lists the folder for its hint), the text itself as _read holds it
        self._sources: dict[str, str | None] = {}
        # A template file as read, once per build: 300 steps sending one file
        # read it once (and every step sees the same text, even mid-edit).
        self._read: dict[str, _Location] = {}

    # -- public -----------------------------------------------------------------

    def compile(self, content: ast.Content, *, origin_span: Span
                ) -> tuple[CompiledTemplate | None, list[Diagnostic]]:
        try:
            return self._compile_content(content, origin_span)
        except Exception as exc:  # last resort: compile() reports, never raises
            return None, [error("E0402", _("cannot compile this template ({error})").format(
                error=f"{type(exc).__name__}: {exc}"), origin_span)]

    def source_of(self, content: ast.Content) -> str | None:
        """The text of a step's content as written (inline, a named template,
        or a template file read through the loader); None if it cannot be
        read (compiling it reports why)."""
        if isinstance(content, ast.InlineText):
            return content.text
        if isinstance(content, ast.TemplateRef):
            definition = self.named.get(content.name.value)
            return definition.body.text if definition is not None else None
        if content.path not in self._sources:  # a welcome's summary asks for each step's words
            where, _problems = self._load(content.path, content.span)
            self._sources[content.path] = where.text if where is not None else None
        return self._sources[content.path]

    def template_files(self) -> list[str]:
        """Relative paths (with ``/``) of the files under the templates dir,
        for a did-you-mean: a bounded walk, and none outside the project
        (`templates = "/"` walked the whole disk; see sopc.project.walk)."""
        return files_under(self.templates_dir, inside=self.project_dir)

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
            hint = did_you_mean(name, self.named) or _('define it: template {name} """..."""').format(name=name)
            return None, [error("E0403", _("unknown template `{name}`").format(name=name), ref.name.span, hint)]
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
        where = self._read.get(name)
        if where is not None:
            return where, []
        try:
            text, _filename, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return None, [self._not_found(name, origin_span)]
        except UnicodeDecodeError as exc:
            return None, [self._not_utf8(name, exc)]
        except OSError as exc:
            return None, [error("E0401", _("cannot read template file `{name}`: {error}").format(
                name=name, error=exc.strerror or exc), origin_span)]
        where = self._read[name] = _Location(self._file_path(name), text)
        return where, []

    def _not_found(self, name: str, span: Span) -> Diagnostic:
        if ".." in name.replace("\\", "/").split("/"):
            hint = _("template files must be inside `{folder}`").format(folder=self.templates_dir)
        else:
            hint = did_you_mean(name, self.template_files()) or _("create {file}").format(file=self._file_path(name))
        message = _("template file `{name}` not found in `{folder}`").format(name=name, folder=self.templates_dir)
        return error("E0401", message, span, hint)

    def _not_utf8(self, name: str, exc: UnicodeDecodeError) -> Diagnostic:
        data = exc.object if isinstance(exc.object, bytes) else b""
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start: exc.start + 1].hex() or "??"
        message = _("template file `{name}` is not UTF-8 (byte 0x{byte} on line {line})").format(
            name=name, byte=byte, line=line)
        return error("E0404", message, Span.point(self._file_path(name), line), _("save the file as UTF-8"))

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
        edges: dict[str, list[tuple[str, str, Span]]] = {}  # file -> (file it always names, that name, where)
        while queue:
            where, item = queue.pop()
            for ref in item.references:
                for name in (ref.names or ()) if ref.always else ():
                    edges.setdefault(where.path, []).append((self._file_path(name), name, where.span_at(ref.lineno)))
                for child in self._follow(where, ref, seen, diagnostics):
                    yield child
                    queue.append(child)
        circle = _include_circle(root.path, edges)
        if circle is not None:  # each render would recurse until Python gives up (seconds per message)
            names, span = circle
            diagnostics.append(error("E0402", _("templates include one another in a circle ({names}): rendering "
                                                "would never end").format(names=" → ".join(names)), span,
                                     _("remove one of these includes, or put it under an `if` that ends the circle")))

    def _follow(self, where: _Location, ref: _Reference, seen: set[str],
                diagnostics: list[Diagnostic]) -> list[tuple[_Location, _Parsed]]:
        span = where.span_at(ref.lineno)
        if ref.names is None:
            diagnostics.append(error(
                "E0402", _("include/import/extends needs a quoted file name, not an expression"),
                span, _("write the file name literally so sopc can check it and the variables it reads")))
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


def _include_circle(start: str, edges: Mapping[str, list[tuple[str, str, Span]]]
                    ) -> tuple[list[str], Span] | None:
    """A chain of include/import/extends from ``start`` back to a file on
    it: the names along the circle, and the reference that closes it."""
    chain: list[tuple[str, str]] = []   # (file, the name it was reached by), below ``start``
    on_chain, done = {start}, set()
    stack = [iter(edges.get(start, ()))]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            if chain:
                path, _name = chain.pop()
                on_chain.discard(path)
                done.add(path)
            continue
        path, name, span = step
        if path in on_chain:
            below = [n for _, n in chain]
            names = below[[p for p, _ in chain].index(path):] if path != start else [name, *below]
            return [*names, name], span
        if path not in done:
            chain.append((path, name))
            on_chain.add(path)
            stack.append(iter(edges.get(path, ())))
    return None


def _missing_problems(ref: _Reference, problems: list[Diagnostic], loaded: int) -> list[Diagnostic]:
    """``ignore missing`` forgives absent files; a list of alternatives
    (``{% include ["a.j2", "b.j2"] %}``) needs only one of them to exist."""
    if ref.ignore_missing or (len(ref.names or ()) > 1 and loaded > 0):
        return [d for d in problems if d.code != "E0401"]
    return problems


def _note_reads(into: dict[str, tuple], where: _Location, parsed: _Parsed) -> None:
    """The first file (the template itself, then what it reaches) reading a
    variable tells where: (that file, the line), for
    :meth:`CompiledTemplate.variable_span` to place in the line when asked."""
    for name, lineno in (parsed.first_reads or {}).items():
        if name not in into:
            into[name] = (where, lineno)


def _merge(into: dict[str, set[str]], uses: Mapping[str, frozenset[str]]) -> None:
    for name, keys in uses.items():
        into.setdefault(name, set()).update(keys)
