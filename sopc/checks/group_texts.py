"""Each group's text of a step, for the checks, without a render per group.

A template that reads `group` gives every group its own text, and the
checks look at each one (its size against the sender's limit, a greeting,
whether it renders at all). Rendering them all is what made a 100,000-group
roster take minutes to check. But a template reads only some of a group's
fields, and most of those it only prints as they are (`{{ group.store }}`).
So the groups are sorted by the values of the fields the template uses in
any other way (`{{ group.price | yuan }}`, `{% if group.city == ... %}`):
for each such combination of values the template is rendered once, with a
marker where each printed field goes, and each group's text is made from
that by putting its own values in for the markers. Three prices among
100,000 groups: three renders, not 100,000.

That holds only when the template uses `group` through its fields and
nothing else. Its syntax tree decides: every use of `group` must be
`group.x` or `group["x"]`, and no include, import or extends may bring in
another file (which could use `group` any way). Otherwise every group's
text is rendered, as before. So are the odd cases: a group without one of
the fields (its render fails, and says how), a value that would end the
text with a line break (rendering drops one), a text long enough for the
render budget to matter. And for each combination of values, the first
group's text is rendered for real and held against the substitution: where
they differ, that combination's groups are all rendered.
"""

from __future__ import annotations

from typing import Callable

import jinja2
from jinja2 import nodes

from sopc.compile.resolve import Program, Step
from sopc.lang import ast
from sopc.plan.expand import Renderer
from sopc.plan.slots import Slot
from sopc.project.roster import Group

# A dict's own attributes: `group.items` is the method, not a column named items.
_DICT_ATTRIBUTES = frozenset(name for name in dir(dict) if not name.startswith("__"))
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: in no real text
_LONGEST_SUBSTITUTED = 8192  # longer texts are rendered for real (the render budget applies to them)
_MISSING = object()          # a field the group has no value for (id, name and tags it always has: see Renderer)
Text = tuple[str | None, str | None]  # (the text, None) or (None, why it cannot be rendered)


class GroupTexts:
    """Texts of one program's steps for any group: by substitution where
    the template allows it (see the module docstring), else rendered."""

    def __init__(self, program: Program, renderer: Renderer):
        self.program = program
        self.renderer = renderer
        self._fields: dict[int, tuple[Step, tuple | None]] = {}  # id(step) -> (printed, used) fields or None
        self._marked: dict[tuple, dict] = {}  # key -> {values of the used fields: the text with markers, or None}
        self._by_source: dict[str, tuple | None] = {}  # a template's text -> its fields

    def reads_group(self, step: Step) -> bool:
        return step.template is not None and "group" in step.template.variables

    def texts_for(self, slot: Slot, key: tuple) -> Callable[[Group], Text]:
        """A function giving each group of ``slot`` its text. ``key`` names
        the slot's texts: slots with equal keys give a group equal texts."""
        fields = self._group_fields(slot.step)
        if fields is None:
            return lambda group: self._rendered(slot, group)
        printed, used = fields
        markers = [(f"{_MARK_OPEN}{index}{_MARK_CLOSE}", field) for index, field in enumerate(printed)]
        marked_by_values = self._marked.setdefault(key, {})

        def text(group: Group) -> Text:
            values = _values(group, used)
            if values is None:
                return self._rendered(slot, group)
            marked = marked_by_values.get(values, _MISSING)
            if marked is _MISSING:  # the first group with these values: rendered, and the substitution held to it
                real = self._rendered(slot, group)
                marked = self._marked_text(slot, group, markers, used) if real[0] is not None else None
                if marked is not None and _substituted(marked, markers, group) != real[0]:
                    marked = None
                marked_by_values[values] = marked
                return real
            substituted = _substituted(marked, markers, group) if marked is not None else None
            return (substituted, None) if substituted is not None else self._rendered(slot, group)
        return text

    # -- the template's fields ---------------------------------------------------------

    def _group_fields(self, step: Step) -> tuple | None:
        entry = self._fields.get(id(step))
        if entry is None or entry[0] is not step:
            entry = self._fields[id(step)] = (step, self._analyse(step))
        return entry[1]

    def _analyse(self, step: Step) -> tuple | None:
        source = self._source(step)
        if source is None:
            return None
        if source not in self._by_source:  # steps with one text are parsed once (a pasted step, 250 times)
            try:
                self._by_source[source] = group_fields(self.program.templates.env.parse(source))
            except (jinja2.TemplateError, RecursionError):
                self._by_source[source] = None
        return self._by_source[source]

    def _source(self, step: Step) -> str | None:
        content = getattr(step.body, "content", None)
        store = self.program.templates
        if isinstance(content, ast.InlineText):
            return content.text
        if isinstance(content, ast.TemplateRef):
            definition = store.named.get(content.name.value)
            return definition.body.text if definition is not None else None
        if isinstance(content, ast.TemplateFile):
            try:
                return store.env.loader.get_source(store.env, content.path)[0]  # type: ignore[union-attr]
            except (jinja2.TemplateNotFound, OSError, UnicodeDecodeError):
                return None
        return None

    # -- rendering ------------------------------------------------------------------

    def _marked_text(self, slot: Slot, group: Group, markers: list[tuple[str, str]],
                     used: tuple[str, ...]) -> str | None:
        """The text with markers for the printed fields and ``group``'s own
        values for the fields used otherwise."""
        context = self.renderer.context(slot, group)
        context["group"] = {**{field: _value(group, field) for field in used},
                            **{field: marker for marker, field in markers}}
        try:
            return slot.step.template.render(context)
        except Exception:  # fails with markers (a budget, say): these groups are rendered for real
            return None

    def _rendered(self, slot: Slot, group: Group) -> Text:
        message = next(self.renderer.messages(slot, (group,)), None)
        if message is None:
            return None, "not rendered"
        return (None, message.error) if message.error is not None else (message.text, None)


def group_fields(tree: nodes.Template) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(printed, used): the fields of `group` a template only prints as they
    are (`{{ group.store }}`), and those it uses in any other way; None when
    it uses `group` other than by a field name, or brings in another file."""
    if next(tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)), None) is not None:
        return None
    printed_nodes = {id(child) for output in tree.find_all(nodes.Output) for child in output.nodes}
    printed: dict[str, None] = {}
    used: dict[str, None] = {}
    named: set[int] = set()  # the `group` Name nodes read through a field
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if not (isinstance(target, nodes.Name) and target.name == "group"):
            continue
        field = _field(node)
        if field is None or target.ctx != "load":
            return None
        named.add(id(target))
        (printed if id(node) in printed_nodes else used)[field] = None
    if any(name.name == "group" and id(name) not in named for name in tree.find_all(nodes.Name)):
        return None  # `group` itself: looped over, passed on, assigned
    return tuple(f for f in printed if f not in used), tuple(used)


def _field(node: nodes.Getattr | nodes.Getitem) -> str | None:
    """`x` of `group.x` / `group["x"]`; None for anything else."""
    if isinstance(node, nodes.Getattr):
        # `group.items` is dict.items; `group._x` the sandbox refuses
        return node.attr if node.attr not in _DICT_ATTRIBUTES and not node.attr.startswith("_") else None
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _value(group: Group, field: str):
    """The value `group.<field>` has in a template (as Renderer builds the group)."""
    if field == "id":
        return group.id
    if field == "name":
        return group.name
    if field == "tags":
        return sorted(group.tags)
    return group.variables.get(field, _MISSING)


def _values(group: Group, fields: tuple[str, ...]) -> tuple | None:
    """The group's values of ``fields``, to sort groups by; None when one is
    missing or cannot be compared (then the group is rendered)."""
    values = []
    for field in fields:
        value = _value(group, field)
        if value is _MISSING:
            return None
        if isinstance(value, list):
            value = tuple(value)
        try:
            hash(value)
        except TypeError:
            return None
        values.append((type(value), value))
    return tuple(values)


def _substituted(marked: str, markers: list[tuple[str, str]], group: Group) -> str | None:
    """``marked`` with ``group``'s values for the markers, as rendering would
    print them (``str(value)``); None when only rendering can tell."""
    text = marked
    variables = group.variables
    for marker, field in markers:
        if field == "id":
            value = group.id
        elif field == "name":
            value = group.name
        elif field == "tags":
            value = sorted(group.tags)
        else:
            value = variables.get(field, _MISSING)
            if value is _MISSING:
                return None  # rendering fails, and says why
        text = text.replace(marker, value if type(value) is str else str(value))
    if len(text) > _LONGEST_SUBSTITUTED or (text.endswith("\n") and not marked.endswith("\n")):
        return None  # the render budget, or the one trailing line break rendering drops
    return text


def source_key(slot: Slot, per_slot: bool, index: int) -> tuple:
    """What a slot's texts depend on besides the group: the slot itself for
    a template reading a per-slot name (date, time, ...), else the step, its
    variables and its groups (a weekly step's slots all give a group one text)."""
    if per_slot:
        return ("slot", index)
    return ("source", id(slot.step), id(slot.variables), id(slot.groups))
