"""Shared values: what each kind of sender can carry, and where its code lives.

Stage: core (stdlib only). ``sopc check`` and ``sopc plan`` validate messages
against a sender kind's :class:`SenderLimits` without loading any sender
code (the HTTP senders pull in aiohttp); the runner imports a sender's class
only when it builds that sender to deliver.

Every kind, sopc's own included, is a :class:`SenderSpec` registered in the
entry-point group ``sopc.senders`` (the entry point's name is the kind, its
object the spec). The spec names its implementation as ``"module:Class"``
in ``factory``; :mod:`sopc.senders.base` imports it on demand. A spec from
another distribution replaces sopc's own spec of the same kind.
"""

from __future__ import annotations

from dataclasses import field
from typing import Mapping

from sopc.core import plugins
from sopc.core.diagnostics import did_you_mean
from sopc.core.records import dataclass

KINDS = frozenset({"text", "markdown", "image", "link", "miniprogram", "attachments", "action"})
MENTION_FORMS = frozenset({"all", "user", "mobile"})  # @all, a user id, a mainland mobile number
LINK_PARTS = ("url", "title", "description")          # a link's text: URL, TITLE, DESCRIPTION lines
ENTRY_POINT_GROUP = "sopc.senders"
HOME_DISTRIBUTION = "sopc"  # whose specs a plugin of the same kind replaces


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderLimits:
    """A sender kind's contract: what it carries, how much, how fast.

    :mod:`sopc.core.contract` reads it, the same way for ``sopc check``, for
    a dry run and for the sender itself before it sends. The fields after
    ``external_groups`` have defaults that add no rule, so a spec written
    before they existed means what it meant.
    """

    text_bytes: int | None           # the longest text, in UTF-8 bytes
    markdown_bytes: int | None
    kinds: frozenset[str]            # message kinds it sends
    mentions_in: frozenset[str]      # message kinds that carry @mentions at all
    per_minute: int | None
    per_second: int | None
    external_groups: bool            # can post in external customer groups
    text_chars: int | None = None    # limits the platform counts in characters, not bytes (Slack)
    markdown_chars: int | None = None
    # Which mentions each kind of `mentions_in` carries, of MENTION_FORMS; a
    # kind left out carries all three.
    mention_forms: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # How an image's text is read: "file" (a local file the sender uploads:
    # it must exist), "url" (an http(s) URL), None (passed on as written).
    image_from: str | None = None
    image_bytes: int | None = None               # the largest image file
    image_types: frozenset[str] = frozenset()    # "jpg", "png"; empty: any
    link_needs: frozenset[str] = frozenset()     # of "url", "title": what a link's text must give
    link_bytes: Mapping[str, int] = field(default_factory=dict)   # LINK_PARTS -> the most UTF-8 bytes
    needs: Mapping[str, str] = field(default_factory=dict)        # roster column -> why the sender needs it
    # Whether it can send a private (1:1) message to a member (`to member`).
    # False unless declared: a sender written before `to member` existed
    # would post it in the group, and a warning meant for one member must
    # never reach them all.
    private: bool = False
    link_articles: int | None = None             # the most articles one link message holds; None: any number
    attachments: int | None = None               # the most attachments after a text; None: any number
    attachment_kinds: frozenset[str] = frozenset({"link", "miniprogram", "image"})  # parts it sends as attachments
    feed_needs: frozenset[str] = frozenset()     # {"picurl"}: each article of a several-article link needs a picture


# What a sender with no channel limits declares (console, file, generic webhook).
UNLIMITED = SenderLimits(
    text_bytes=None,
    markdown_bytes=None,
    kinds=KINDS,
    mentions_in=KINDS,
    per_minute=None,
    per_second=None,
    external_groups=True,
    private=True,  # console and file write the recipient down; a webhook hands it on (`"private": true`)
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderSpec:
    """One kind of sender, as ``sopc check`` and ``sopc senders`` see it.

    ``factory`` is ``"module:Class"``: a class with ``from_settings(name,
    settings, env, runtime)``, imported only to deliver. ``daily_cap`` is the
    default number of sends one customer group may get per day, for kinds
    whose platform caps them (企业群发); a sender's ``daily_cap`` setting
    overrides it.
    """

    kind: str
    summary: str
    limits: SenderLimits
    factory: str
    daily_cap: int | None = None


@dataclass(frozen=True, slots=True)
class InstalledSender:
    """A registered spec and the entry point it came from."""

    spec: SenderSpec
    distribution: str | None  # None when the entry point does not say
    version: str | None
    entry_point: str | None   # "module:attribute" of the spec


@dataclass(frozen=True, slots=True)
class SenderRegistry:
    """The entry-point group read once: usable specs by kind, and the kinds
    whose entry point is broken with what is wrong with each."""

    installed: dict[str, InstalledSender] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


class SenderKindError(ValueError):
    """A sender kind that is not installed, or whose plugin is broken."""


# ---- the registry ----------------------------------------------------------------------

def read_registry() -> SenderRegistry:
    """Every sender kind registered in the entry-point group. Loading an entry
    point imports only the module that holds the spec. Read once per set of
    installed entry points: `sopc check` asks several times."""
    entries = tuple(plugins.entry_points(ENTRY_POINT_GROUP))
    key = tuple((e.name, getattr(e, "value", None) or id(e), _dist_path(e)) for e in entries)
    cached = _REGISTRIES.get(key)
    if cached is None:
        cached = _REGISTRIES[key] = _read_registry(entries)
    return cached


_REGISTRIES: dict[tuple, SenderRegistry] = {}


def _read_registry(entries) -> SenderRegistry:
    registry = SenderRegistry()
    plugins: dict[str, list[str]] = {}
    for entry in _home_first(entries):
        kind, origin = entry.name, _origin(entry)
        if origin.distribution != HOME_DISTRIBUTION:
            plugins.setdefault(kind, []).append(origin.distribution or "an unnamed distribution")
        loaded = _load_spec(entry)
        if isinstance(loaded, str):  # a broken plugin does not fall back to sopc's own spec silently
            registry.problems[kind] = loaded
            registry.installed.pop(kind, None)
            continue
        registry.installed[kind] = InstalledSender(loaded, origin.distribution, origin.version, origin.entry_point)
        registry.problems.pop(kind, None)
    for kind, owners in plugins.items():
        if len(owners) > 1:  # neither may quietly win: which is used would depend on install order
            registry.installed.pop(kind, None)
            registry.problems[kind] = (f"sender kind `{kind}` is registered by several distributions "
                                       f"({', '.join(sorted(owners))}): uninstall all but one")
    return registry


def sender_specs() -> dict[str, SenderSpec]:
    """kind -> spec, for every installed kind that loads."""
    return {kind: installed.spec for kind, installed in read_registry().installed.items()}


def sender_spec(kind: str, registry: SenderRegistry | None = None) -> SenderSpec:
    """The spec of ``kind``; :class:`SenderKindError` says why there is none."""
    registry = registry or read_registry()
    if kind in registry.installed:
        return registry.installed[kind].spec
    if kind in registry.problems:
        raise SenderKindError(registry.problems[kind])
    raise SenderKindError(unknown_kind_message(kind, registry.installed))


def unknown_kind_message(kind: str, known) -> str:
    message = f"unknown sender kind `{kind}`"
    close = did_you_mean(kind, known)
    if close:
        message += f"; {close}"
    return message + f" (known: {', '.join(sorted(known))})"


def known_kinds() -> list[str]:
    return sorted(read_registry().installed)


def _home_first(entries) -> list:
    """sopc's own entry points first, so a plugin's spec of the same kind replaces them."""
    return sorted(entries, key=lambda entry: _origin(entry).distribution != HOME_DISTRIBUTION)


@dataclass(frozen=True, slots=True)
class _Origin:
    distribution: str | None
    version: str | None
    entry_point: str | None


def _origin(entry) -> _Origin:
    name, version = _distribution(getattr(entry, "dist", None))
    return _Origin(name, version, getattr(entry, "value", None))


_DISTRIBUTIONS: dict[object, tuple[str | None, str | None]] = {}


def _distribution(dist) -> tuple[str | None, str | None]:
    """(name, version) of a distribution; each reading parses its metadata
    file, so it is done once per distribution."""
    if dist is None:
        return None, None
    key = _dist_key(dist)
    if key not in _DISTRIBUTIONS:
        _DISTRIBUTIONS[key] = (getattr(dist, "name", None), getattr(dist, "version", None))
    return _DISTRIBUTIONS[key]


def _dist_key(dist) -> object:
    path = getattr(dist, "_path", None)
    return str(path) if path is not None else id(dist)


def _dist_path(entry) -> object:
    dist = getattr(entry, "dist", None)
    return None if dist is None else _dist_key(dist)


def _load_spec(entry) -> SenderSpec | str:
    """The entry point's spec, or a sentence saying what is wrong with it."""
    where = _describe(entry)
    try:
        loaded = entry.load()
    except Exception as exc:  # a broken plugin is a clear error, never a traceback
        return f"{where} cannot be loaded: {type(exc).__name__}: {exc}"
    if not isinstance(loaded, SenderSpec):
        return (f"{where} names {_what(loaded)}, not a SenderSpec: register "
                f"`SenderSpec(kind=..., summary=..., limits=..., factory=\"module:Class\")` "
                f"(from sopc.core.senders)")
    return _spec_problem(entry.name, loaded, where) or loaded


def _spec_problem(name: str, spec: SenderSpec, where: str) -> str | None:
    if spec.kind != name:
        return f"{where} names the spec of kind `{spec.kind}`: the entry point's name must be its kind"
    if not isinstance(spec.limits, SenderLimits):
        return f"{where}: `limits` must be a SenderLimits"
    contract = _contract_problem(spec.limits)
    if contract:
        return f"{where}: {contract}"
    module, _, attribute = spec.factory.partition(":") if isinstance(spec.factory, str) else ("", "", "")
    if not module or not attribute:
        return f"{where}: `factory` must be \"module:Class\", not {spec.factory!r}"
    return None


def _contract_problem(limits: SenderLimits) -> str | None:
    """A contract field no check could read (a typo in a plugin's spec)."""
    if limits.image_from not in (None, "file", "url"):
        return f"`image_from` must be \"file\", \"url\" or None, not {limits.image_from!r}"
    for kind, forms in limits.mention_forms.items():
        if not set(forms) <= MENTION_FORMS:
            return f"`mention_forms[{kind!r}]` may hold only {', '.join(sorted(MENTION_FORMS))}"
    if not set(limits.link_needs) <= {"url", "title"}:
        return "`link_needs` may hold only \"url\" and \"title\""
    unknown = set(limits.link_bytes) - set(LINK_PARTS)
    if unknown:
        return f"`link_bytes` knows {', '.join(LINK_PARTS)}, not {', '.join(sorted(unknown))}"
    return None


def _describe(entry) -> str:
    origin = _origin(entry)
    source = ", ".join(part for part in (origin.distribution, origin.entry_point) if part)
    return f"sender entry point `{entry.name}`" + (f" ({source})" if source else "")


def _what(value: object) -> str:
    if isinstance(value, type):
        return f"the class `{value.__module__}.{value.__qualname__}`"
    return f"a value of type `{type(value).__name__}`"
