"""Shared values: the `sopc senders` listing of every installed sender kind.

Stage: core (stdlib only). Built from the specs alone: listing the senders
imports none of them. A text table for people, JSON for scripts.
"""

from __future__ import annotations

from typing import Any

from sopc.core.contract import kinds_carrying
from sopc.core.i18n import N_, _
from sopc.core.render import display_width, pad
from sopc.core.senders import KINDS, InstalledSender, SenderLimits, SenderRegistry

COLUMNS = (N_("KIND"), N_("TEXT"), N_("MARKDOWN"), N_("SENDS"), N_("@ALL IN"), N_("@USER IN"), N_("RATE"),
           N_("EXTERNAL GROUPS"))
LEGEND = N_("TEXT, MARKDOWN: the longest message, in UTF-8 bytes (in characters where it says chars); "
            "@USER IN: where a user id (@member, @owner) can be mentioned; RATE: per sender")
KIND_ORDER = ("text", "markdown", "image", "link", "miniprogram", "attachments", "action")  # the order the docs list them in


def senders_json(registry: SenderRegistry) -> dict[str, Any]:
    return {
        "senders": [_sender_json(registry.installed[kind]) for kind in sorted(registry.installed)],
        "problems": [{"kind": kind, "error": problem} for kind, problem in sorted(registry.problems.items())],
    }


def _sender_json(installed: InstalledSender) -> dict[str, Any]:
    spec, limits = installed.spec, installed.spec.limits
    return {
        "kind": spec.kind,
        "summary": spec.summary,
        "distribution": installed.distribution,
        "version": installed.version,
        "entry_point": installed.entry_point,
        "factory": spec.factory,
        "limits": {
            "text_bytes": limits.text_bytes,
            "markdown_bytes": limits.markdown_bytes,
            "kinds": sorted(limits.kinds),
            "mentions_in": sorted(limits.mentions_in),
            "per_minute": limits.per_minute,
            "per_second": limits.per_second,
            "external_groups": limits.external_groups,
            "text_chars": limits.text_chars,
            "markdown_chars": limits.markdown_chars,
            "mentions": {form: kinds_carrying(limits, form) for form in ("all", "user", "mobile")},
            "image_from": limits.image_from,
            "link_needs": sorted(limits.link_needs),
            "link_articles": limits.link_articles,
            "attachments": limits.attachments,
            "needs": sorted(limits.needs),
            "private": limits.private,  # can send `to member` (1:1) messages
        },
        "daily_cap": spec.daily_cap,
    }


def senders_text(registry: SenderRegistry) -> str:
    """The limits as a table, then what each kind is and where it comes from,
    then the plugins that could not be loaded."""
    kinds = sorted(registry.installed)
    rows = [tuple(_(column) for column in COLUMNS)] + [_limit_cells(registry.installed[kind]) for kind in kinds]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(pad(cell, width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines += ["", _(LEGEND)]
    indent = " " * (widths[0] + 2)
    for kind in kinds:
        installed = registry.installed[kind]
        summary = _(installed.spec.summary)  # sopc's own are in the catalogue; a plugin's shows as it wrote it
        lines += ["", f"{kind.ljust(widths[0])}  {summary}",
                  indent + _("from {origin}").format(origin=_origin(installed))]
    if registry.problems:
        lines += ["", _("not usable:")]
        lines += [f"  {kind}: {problem}" for kind, problem in sorted(registry.problems.items())]
    return "\n".join(lines)


def _limit_cells(installed: InstalledSender) -> tuple[str, ...]:
    spec, limits = installed.spec, installed.spec.limits
    return (
        spec.kind,
        _size(limits, "text", limits.text_bytes, limits.text_chars),
        _size(limits, "markdown", limits.markdown_bytes, limits.markdown_chars),
        _kinds(limits.kinds),
        _kinds(frozenset(kinds_carrying(limits, "all"))),
        _kinds(frozenset(kinds_carrying(limits, "user"))),
        _rate(limits, spec.daily_cap),
        _("yes") if limits.external_groups else _("no"),
    )


def _size(limits: SenderLimits, kind: str, size: int | None, chars: int | None) -> str:
    if kind not in limits.kinds:
        return "-"
    if chars is not None and size is None:
        return _("{count} chars").format(count=chars)
    return _("no limit") if size is None else str(size)


def _kinds(kinds: frozenset[str]) -> str:
    if kinds >= KINDS:
        return _("any")
    return " ".join(sorted(kinds, key=_kind_rank)) or _("none")


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _rate(limits: SenderLimits, daily_cap: int | None) -> str:
    parts = []
    if limits.per_minute:
        parts.append(f"{limits.per_minute}/min")
    if limits.per_second:
        parts.append(f"{limits.per_second}/s")
    if daily_cap:
        parts.append(_("{count}/day per group").format(count=daily_cap))
    return ", ".join(parts) or _("no limit")


def _origin(installed: InstalledSender) -> str:
    distribution = " ".join(part for part in (installed.distribution, installed.version) if part)
    unnamed = _("an unnamed distribution")
    return f"{distribution or unnamed} ({installed.spec.factory})"
