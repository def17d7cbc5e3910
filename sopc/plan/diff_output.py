"""`sopc diff` output: text for a terminal, JSON for tools, markdown for a
pull-request comment. Each starts with the counts by playbook and step,
then one line per kind of change (alike changes counted: "x1000"), then
the diagnostics new in HEAD.

Word diffs are marked as git marks them, ``[-old-]{+new+}``, in text and
JSON, and ``~~old~~ **new**`` in markdown.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Iterable

from sopc.core import content
from sopc.core.i18n import N_, _, ngettext
from sopc.core.messages import PlannedMessage
from sopc.core.render import display_width, pad, render_json, render_text, summary_line
from sopc.plan.diff import KINDS, Change, DiffReport, PlanDiff, day_and_time, shift_text

FORMATS = ("text", "json", "markdown")
EXAMPLE_LINES = 3        # lines of an added or removed message's text shown
CHANGED_LINES = 6        # lines of a retexted message shown (those with a change)
MARKDOWN_LIMIT = 60_000  # GitHub takes comments of up to 65,536 characters
NOTHING = "."
# The kinds of change as a reader sees them (JSON keeps the kinds themselves).
KIND_WORDS = {"added": N_("added"), "removed": N_("removed"), "retimed": N_("retimed"),
              "retexted": N_("retexted"), "retargeted": N_("retargeted")}


def kind_word(kind: str) -> str:
    return _(KIND_WORDS[kind])


def render(report: DiffReport, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "text":
        return to_text(report)
    raise ValueError(f"no diff format `{fmt}`; formats: {', '.join(FORMATS)}")


# ---- words shared by every format -------------------------------------------------------

def window_days(report: DiffReport) -> tuple[dt.date, dt.date]:
    """The first and last day compared (as --from and --to say them)."""
    return (report.start.astimezone(report.zone).date(),
            (report.end - dt.timedelta(microseconds=1)).astimezone(report.zone).date())


def window_text(report: DiffReport) -> str:
    first, last = window_days(report)
    return f"{first} .. {last} ({report.zone})"


def headline(plan: PlanDiff) -> str:
    """``120 -> 124 messages: 4 added, 12 retimed`` (``no change`` if none)."""
    totals = plan.totals()
    said = [_("{count} {kind}").format(count=f"{totals[kind]:,}", kind=kind_word(kind)) for kind in KINDS if totals[kind]]
    return _("{old} -> {new} messages: {changes}").format(
        old=f"{plan.old_count:,}", new=f"{plan.new_count:,}", changes=_(", ").join(said) if said else _("no change"))


def spread(change: Change) -> str:
    """``1,000 groups, 4 days``."""
    groups, days = len(change.groups), len(change.days)
    return _("{groups}, {days}").format(
        groups=ngettext("{count} group", "{count} groups", groups).format(count=f"{groups:,}"),
        days=ngettext("{count} day", "{count} days", days).format(count=f"{days:,}"))


def what(change: Change, zone, mark) -> str:
    """The change itself on one line (a retext's words are shown below it)."""
    if change.kind in ("added", "removed"):
        hhmm, kind = change.detail
        return _("at {time}").format(time=hhmm) + (f" [{kind}]" if kind != "text" else "")
    if change.kind == "retimed":
        old, new, shift = change.detail
        return f"{old} -> {new} ({shift_text(shift)})"
    if change.kind == "retexted":
        _hunks, old_kind, new_kind = change.detail
        return _("kind {old} -> {new}").format(old=old_kind, new=new_kind) if old_kind != new_kind else ""
    (old_sender, old_mentions, old_private), (new_sender, new_mentions, new_private) = change.detail
    said = []
    if old_sender != new_sender:
        said.append(_("sender {old} -> {new}").format(old=mark(old_sender), new=mark(new_sender)))
    if old_mentions != new_mentions:
        said.append(_("mentions {old} -> {new}").format(old=_mentions(old_mentions, mark), new=_mentions(new_mentions, mark)))
    if old_private != new_private:
        said.append(_("private (to the member) -> in the group") if old_private else
                    _("in the group -> private (to the member)"))
    return _("; ").join(said)


def _mentions(mentions: tuple[str, ...], mark) -> str:
    return " ".join(mark(f"@{m}") for m in mentions) if mentions else _("(none)")


def target(m: PlannedMessage) -> str:
    """``g1``, ``g1 → m1``, or ``1:1 → m1 (g1)`` (as the plan table says)."""
    if m.private:
        return f"1:1 → {m.member} ({m.group})"
    return m.group + (f" → {m.member}" if m.member else "")


def example(change: Change, zone, mark=str) -> str:
    """``e.g. g1 2026-11-23 周一 10:00 -> 11:00`` (the target written by ``mark``)."""
    m = change.new or change.old
    when = day_and_time(m.at, zone)
    if change.kind == "retimed":
        old, new = change.old.at.astimezone(zone), change.new.at.astimezone(zone)
        when = day_and_time(old, zone) + " -> " + (f"{new:%H:%M}" if old.date() == new.date() else day_and_time(new, zone))
    return _("e.g. {target} {when}").format(target=mark(target(m)), when=when)


def shown_text(m: PlannedMessage) -> list[str]:
    """The first lines of a message's text, as the plan table shows it."""
    summary = content.summary(m.kind, m.text) if m.text else None
    lines = (summary if summary is not None else m.text or "").splitlines() or [""]
    return lines[:EXAMPLE_LINES] + (["…"] if len(lines) > EXAMPLE_LINES else [])


def marked_lines(plan: PlanDiff, change: Change, marked) -> list[str]:
    """The lines of the example's text that hold a change, its word diff
    written by ``marked(segments)``."""
    text = marked(plan.text_change(change.old.text, change.new.text)[1])
    lines = [line for line in text.splitlines() if _MARKED.search(line)] if "\n" in text else [text]
    return lines[:CHANGED_LINES] + (["…"] if len(lines) > CHANGED_LINES else [])


_MARKED = re.compile(r"\[-|-\]|\{\+|\+\}|~~|\*\*")  # a line holding (part of) a change


def plain_segments(segments) -> str:
    """A word diff as git writes one: ``[-old-]{+new+}``."""
    return "".join(s if op == "=" else _plain_gone(s) if op == "-" else _plain_came(s) for op, s in segments)


def _plain_gone(s: str) -> str:
    return f"[-{s}-]"


def _plain_came(s: str) -> str:
    return f"{{+{s}+}}"


# ---- text -------------------------------------------------------------------------------

def to_text(report: DiffReport) -> str:
    out = [f"sopc diff {report.title}: {report.base} -> {report.head}, {window_text(report)}"]
    plan = report.plan
    if plan is None:
        out.append(_("plan not compared: {problem}").format(problem=report.problem))
    else:
        out.append(_("plan: {headline}").format(headline=headline(plan)))
        if plan.changed:
            out += ["", *_step_table(plan), ""]
            out += _text_details(plan, report.zone)
    if report.diagnostics:
        out += ["", _("new diagnostics in {head}:").format(head=report.head),
                render_text(report.diagnostics, report.sources).rstrip("\n")]
    elif plan is not None:
        out += ["", _("no new diagnostics in {head}").format(head=report.head)]
    return "\n".join(out) + "\n"


def _step_table(plan: PlanDiff) -> list[str]:
    steps = plan.by_step()
    names = [f"{playbook}/{step}" for playbook, step in steps]
    heading = _("playbook/step")
    width = max(display_width(n) for n in (*names, heading))
    cells = {k: max(display_width(kind_word(k)), *(len(f"{c[k]:,}") for c in steps.values())) for k in KINDS}
    rows = [pad(heading, width) + "".join("  " + pad(kind_word(k), cells[k], right=True) for k in KINDS)]
    for name, counts in zip(names, steps.values()):
        rows.append(pad(name, width)
                    + "".join(f"  {(f'{counts[k]:,}' if counts[k] else NOTHING):>{cells[k]}}" for k in KINDS))
    return rows


def _text_details(plan: PlanDiff, zone) -> list[str]:
    out, last = [], None
    for change in plan.ordered():
        if (change.playbook, change.step) != last:
            last = (change.playbook, change.step)
            out.append(f"{change.playbook}/{change.step}")
        said = what(change, zone, str)
        out.append(f"  {pad(kind_word(change.kind), 11)} x{change.count:<5} {said + '  ' if said else ''}({spread(change)})")
        out.append("      " + example(change, zone))
        if change.kind in ("added", "removed"):
            out += ["        " + line for line in shown_text(change.new or change.old)]
        elif change.kind == "retexted":
            out += ["        " + line for line in marked_lines(plan, change, plain_segments)]
    return out


# ---- JSON -------------------------------------------------------------------------------

def to_json(report: DiffReport) -> str:
    plan = report.plan
    document = {
        "project": report.project,
        "base": report.base,
        "head": report.head,
        "window": dict(zip(("from", "to"), map(str, window_days(report))), zone=str(report.zone)),
        "changed": report.changed,
        "problem": report.problem,
        "messages": None if plan is None else {"base": plan.old_count, "head": plan.new_count},
        "totals": None if plan is None else plan.totals(),
        "steps": [] if plan is None else [{"playbook": p, "step": s, **counts} for (p, s), counts in plan.by_step().items()],
        "changes": [] if plan is None else [_json_change(plan, c, report.zone) for c in plan.ordered()],
        "diagnostics": json.loads(render_json(report.diagnostics))["diagnostics"],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_change(plan: PlanDiff, change: Change, zone) -> dict:
    record = {"change": change.kind, "playbook": change.playbook, "step": change.step, "count": change.count,
              "groups": len(change.groups), "days": len(change.days)}
    if change.kind in ("added", "removed"):
        record["time"], record["kind"] = change.detail
    elif change.kind == "retimed":
        old, new, shift = change.detail
        record.update({"from": old, "to": new, "shift": shift_text(shift), "shift_seconds": shift})
    elif change.kind == "retexted":
        hunks, old_kind, new_kind = change.detail
        record.update({"words": [{"old": a, "new": b} for a, b in hunks], "kind": {"old": old_kind, "new": new_kind},
                       "text_diff": plain_segments(plan.text_change(change.old.text, change.new.text)[1])})
    else:
        (old_sender, old_mentions, old_private), (new_sender, new_mentions, new_private) = change.detail
        record.update({"sender": {"old": old_sender, "new": new_sender},
                       "mentions": {"old": list(old_mentions), "new": list(new_mentions)},
                       "private": {"old": old_private, "new": new_private}})
    record["example"] = {"base": change.old.to_dict() if change.old else None,
                         "head": change.new.to_dict() if change.new else None}
    return record


# ---- markdown (a pull-request comment) ------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")


def md(text: str) -> str:
    """``text`` shown as it is in markdown (its punctuation escaped; ``->`` as an arrow)."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace(" -> ", " → "))


def code(text: str) -> str:
    """``text`` as a code span (names: no escapes needed inside)."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if text.startswith("`") or text.endswith("`") else f"{fence}{text}{fence}"


def _md_gone(s: str) -> str:
    return _md_marked(s, "~~")


def _md_came(s: str) -> str:
    return _md_marked(s, "**")


def _md_segments(segments) -> str:
    """A word diff in markdown: ``~~old~~ **new**`` (a space between a
    replaced word and its replacement)."""
    out, last = [], "="
    for op, s in segments:
        out.append((" " if op == "+" and last == "-" else "") +
                   (md(s) if op == "=" else _md_gone(s) if op == "-" else _md_came(s)))
        last = op
    return "".join(out)


def _md_marked(s: str, mark: str) -> str:
    """``~~old~~``: spaces and line breaks go outside the marks (markdown
    ignores marks next to a space); a change of spaces alone is shown as ␣."""
    core = s.strip()
    if not core:
        return f"{mark}{s.replace(chr(10), '⏎').replace(' ', '␣')}{mark}"
    head, tail = s[:len(s) - len(s.lstrip())], s[len(s.rstrip()):]
    return head + "\n".join(f"{mark}{md(line)}{mark}" if line.strip() else line for line in core.split("\n")) + tail


def to_markdown(report: DiffReport) -> str:
    out = [f"### sopc diff: {code(report.title)}", "",
           f"{md(report.base)} → {md(report.head)} · {md(window_text(report))}", ""]
    plan = report.plan
    if plan is None:
        out += [_("**Plan not compared**: {problem}").format(problem=md(report.problem or "")), ""]
    else:
        out += [f"**{md(headline(plan))}**", ""]
        if plan.changed:
            out += _md_table(plan) + [""] + _md_details(plan, report.zone)
    if report.diagnostics:
        fence = "`" * max(3, _longest_run(report.diagnostics) + 1)
        out += [_("#### New in {head}: {summary}").format(head=md(report.head), summary=md(summary_line(report.diagnostics))),
                "", fence + "text",
                render_text(report.diagnostics, report.sources).rstrip("\n"), fence, ""]
    elif plan is not None:
        out += [_("No new diagnostics in {head}.").format(head=md(report.head)), ""]
    return _bounded("\n".join(out))


def _md_table(plan: PlanDiff) -> list[str]:
    heading = _("playbook/step")
    rows = [f"| {heading} | " + " | ".join(map(kind_word, KINDS)) + " |", "|---|" + "--:|" * len(KINDS)]
    for (playbook, step), counts in plan.by_step().items():
        rows.append(f"| {code(f'{playbook}/{step}')} | " + " | ".join(f"{counts[k]:,}" if counts[k] else ""
                                                                 for k in KINDS) + " |")
    return rows


def _md_details(plan: PlanDiff, zone) -> list[str]:
    out = []
    for playbook, changes in _by_playbook(plan.ordered()):
        count = sum(c.count for c in changes)
        said = _("{changes}, {messages}").format(
            changes=ngettext("{count} change", "{count} changes", len(changes)).format(count=f"{len(changes):,}"),
            messages=ngettext("{count} message", "{count} messages", count).format(count=f"{count:,}"))
        out += [f"<details><summary><b>{html.escape(playbook)}</b>: {said}</summary>", ""]
        for change in changes:
            said = what(change, zone, code).replace(" -> ", " → ")
            out.append(f"- {code(change.step)} **{kind_word(change.kind)}** x{change.count:,} ({spread(change)})"
                       + (f": {said}" if said else "") + f"  \n  {example(change, zone, code).replace(' -> ', ' → ')}")
            if change.kind in ("added", "removed"):
                out += [f"  > {md(line)}" for line in shown_text(change.new or change.old)]
            elif change.kind == "retexted":
                out += [f"  > {line}" for line in marked_lines(plan, change, _md_segments)]
        out += ["", "</details>", ""]
    return out


def _by_playbook(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.playbook, []).append(change)
    return list(grouped.items())


def _longest_run(diagnostics) -> int:
    runs = [len(r) for d in diagnostics for r in re.findall(r"`+", f"{d.message} {d.hint or ''}")]
    return max(runs, default=0)


def _bounded(text: str) -> str:
    """At most :data:`MARKDOWN_LIMIT` characters, cut at a line, closing an
    open <details> and saying so."""
    if len(text) <= MARKDOWN_LIMIT:
        return text + "\n"
    cut = text.rfind("\n", 0, MARKDOWN_LIMIT - 200)
    kept = text[:cut]
    closing = "\n\n</details>" if kept.count("<details>") > kept.count("</details>") else ""
    return kept + closing + "\n\n" + _("*Cut at {limit} characters: run `sopc diff` for the whole of it.*").format(
        limit=f"{MARKDOWN_LIMIT:,}") + "\n"
