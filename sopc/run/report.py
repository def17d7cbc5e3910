"""`sopc report`: what the runner did, as pictures, from the state file.

What was sent, skipped (by reason), failed (by the sender's error, made
short), and what waits for a person: 企业群发 sends the group owner has not
confirmed yet; per day, per playbook and per group (the busiest groups, the
rest as one bar), and how many of the staff tasks and of the 企业群发 sends
were done. One value (:func:`collect`; :func:`project_report` reads it from
a project's state file) and two renderers: :func:`render_html` (one
self-contained page, charts drawn here as SVG, no script, nothing fetched)
and :func:`render_json` (the same numbers, for CI and dashboards).

Every number is counted by SQLite (:meth:`SQLiteStore.tally`): a state file
of millions of messages gives a report in seconds. Group names, playbook
names and sender errors are user data: the page template escapes them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sopc.core.messages import MessageState
from sopc.project.paths import display_path
from sopc.run.runlock import open_state
from sopc.run.store import SQLiteStore

S = MessageState

# What a message came to, as the report counts it (each message in one):
# key, Chinese label, colour. A 企业群发 send is `sent` once WeCom created it,
# but it reaches the group only when the owner confirms: until then it is
# awaiting, and refused or never sent by the owner it is failed.
CATEGORIES = (
    ("sent", "已发送", "#2e9d5b"),
    ("awaiting", "待确认", "#e0a100"),
    ("failed", "失败", "#d64541"),
    ("skipped", "已跳过", "#8a94a6"),
    ("pending", "待发", "#a8c7f0"),
    ("cancelled", "已取消", "#d5d9e0"),
    ("in_doubt", "存疑", "#9b59b6"),
)
CATEGORY_KEYS = tuple(key for key, _, _ in CATEGORIES)
# The bars of the charts: what happened to a message (pending is the future).
CHART_KEYS = ("sent", "awaiting", "failed", "skipped", "pending")

# A skip reason is "word: detail"; the word, in Chinese for the page.
SKIP_REASONS_CN = {
    "missed": "错过(超过宽限时间)",
    "paused": "剧本已暂停",
    "quiet": "免打扰时段",
    "cap": "超过每群每日上限",
    "stage": "群阶段不符",
    "late edit": "改动晚于发送时间",
}
LATE_EDIT_PREFIX = "added by an edit after"


def category(state: str, confirm: str) -> str:
    """Which of :data:`CATEGORIES` a stored message with ``state`` and
    企业群发 ``confirm`` ('' for none) counts in."""
    if state == S.SENT:
        return {"waiting": "awaiting", "failed": "failed"}.get(confirm, "sent")
    if state in (S.PENDING, S.CLAIMED):
        return "pending"
    if state == S.IN_DOUBT:
        return "in_doubt"
    return state


def skip_reason(reason: str | None) -> str:
    """A skipped message's reason, short: its first word (``missed: 45m
    late, past the 10m grace`` is ``missed``)."""
    if not reason:
        return "(no reason)"
    if reason.startswith(LATE_EDIT_PREFIX):
        return "late edit"
    head, colon, _ = reason.partition(":")
    return head.strip() if colon and len(head) <= 20 else _short(reason)


_ATTEMPTS = re.compile(r"^gave up after \d+ attempts: ")
_QUOTED = re.compile(r"`[^`]*`")
_URL = re.compile(r"https?://\S+")
_NUMBER = re.compile(r"\d{6,}")   # ids, timestamps; a vendor's error code (5 digits) stays
_CUTS = (", hint", " hint:", " from ip", ", more info", "; ", " (")


def failure_reason(reason: str | None) -> str:
    """A sender's error, short, so alike errors count together: without
    the attempts it took, the names in backquotes, URLs and long numbers
    (WeCom's request ids), cut at its hint or detail."""
    if not reason:
        return "(no reason)"
    text = _ATTEMPTS.sub("", reason)
    text = _URL.sub("URL", _QUOTED.sub("`…`", text))
    text = _NUMBER.sub("…", text)
    for cut in _CUTS:
        at = text.find(cut)
        if at > 0:
            text = text[:at]
    return _short(text)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class Scope:
    """What to report on: the days [first, last] (None: all) in ``zone``,
    the senders whose messages are staff tasks (``remind`` senders), group
    names for the labels, and how many groups get a bar of their own."""

    zone: Any
    first: dt.date | None = None
    last: dt.date | None = None
    staff_senders: tuple[str, ...] = ()
    group_names: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)   # group id -> its owner (roster `owner`, 群主)
    top: int = 15


def project_scope(project_dir: Path, first: dt.date | None = None, last: dt.date | None = None, *,
                  top: int = 15) -> Scope:
    """The scope of a project's report: its timezone, its `remind` senders
    (their messages are staff tasks) and its groups' names, from sopc.toml
    and the roster as they are now (a group no longer in the roster is
    shown by its id; a project that does not load falls back to these)."""
    from sopc.core.timeutil import zone_or_default
    from sopc.project.config import load_config
    from sopc.project.roster import load_roster

    config, _ = load_config(project_dir)
    staff = tuple(sorted(name for name, sender in config.senders.items() if sender.kind == "remind"))
    roster, _ = load_roster(config.roster_paths, project_dir)
    names = {group.id: group.name for group in roster.groups if group.name}
    owners = {group.id: group.owner for group in roster.groups if group.owner}
    return Scope(zone=zone_or_default(config.timezone), first=first, last=last, staff_senders=staff,
                 group_names=names, owners=owners, top=top)


def project_report(project_dir: Path, state_file: Path | None, scope: Scope, *,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """:func:`collect` from the project's state file (``state_file`` or the
    default one); :class:`sopc.run.runlock.NoRunState` if there is none."""
    state, store = open_state(project_dir, state_file)
    try:
        return collect(store, scope, state_path=display_path(state), now=now)
    finally:
        store.close()


def collect(store: SQLiteStore, scope: Scope, *, state_path: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The report's numbers, every one counted by the store: two passes
    over the messages (by day, playbook and staff task; by group and staff
    task) and two over an index (the reasons of the skipped and of the failed)."""
    start, end = _window(scope)
    window = {"start": start, "end": end}
    # (day, playbook, staff task 0/1, state, confirm, count); (group, staff task 0/1, state, confirm, count)
    tally = store.tally(("day", "playbook", "staff"), staff=scope.staff_senders, **window)
    groups = store.tally(("group", "staff"), staff=scope.staff_senders, **window)
    by_day = _rows([(day, *rest) for day, _, _, *rest in tally], "day")
    totals = _sum(row["counts"] for row in by_day)
    groupmsg = _groupmsg(tally)
    return {
        "state": state_path,
        "generated": (now or dt.datetime.now(scope.zone)).isoformat(timespec="seconds"),
        "from": _day_text(scope.first) or (by_day[0]["day"] if by_day else None),
        "to": _day_text(scope.last) or (by_day[-1]["day"] if by_day else None),
        "messages": sum(totals.values()),
        "totals": totals,
        "by_day": _every_day(by_day, scope),
        "by_playbook": sorted(_rows([(playbook, *rest) for _, playbook, _, *rest in tally], "playbook"),
                              key=lambda row: (-row["total"], row["playbook"])),
        "by_group": _top_groups(_rows([(group, *rest) for group, _, *rest in groups], "group"), scope),
        "skipped_reasons": [{"reason": reason, "label": SKIP_REASONS_CN.get(reason, reason), "count": count}
                            for reason, count in store.reason_tally(S.SKIPPED, skip_reason, **window)],
        "failed_reasons": _failed_reasons(store.reason_tally(S.FAILED, failure_reason, **window), groupmsg),
        "groupmsg": groupmsg,
        "staff": _staff([row[3:] for row in tally if row[2]], scope.staff_senders),
        "by_owner": _by_owner(groups, scope.owners),
    }


def _window(scope: Scope) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = dt.datetime.combine(scope.first, dt.time(), scope.zone) if scope.first else None
    end = dt.datetime.combine(scope.last + dt.timedelta(days=1), dt.time(), scope.zone) if scope.last else None
    return start, end


def _day_text(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _zero() -> dict[str, int]:
    return dict.fromkeys(CATEGORY_KEYS, 0)


def _sum(counts) -> dict[str, int]:
    total = _zero()
    for one in counts:
        for key, n in one.items():
            total[key] += n
    return total


def _rows(tally, name: str) -> list[dict[str, Any]]:
    """(value, state, confirm, count) rows as one row per value with its
    counts by category, in the order of the values."""
    by_value: dict[str, dict[str, int]] = {}
    for value, state, confirm, count in tally:
        by_value.setdefault(value, _zero())[category(state, confirm)] += count
    return [{name: value, "counts": counts, "total": sum(counts.values())}
            for value, counts in sorted(by_value.items())]


def _every_day(rows: list[dict[str, Any]], scope: Scope) -> list[dict[str, Any]]:
    """One row for each day from the first to the last (a quiet day is a
    gap in the chart, not a missing bar): the days of --from/--to, else
    those with messages."""
    if not rows and not (scope.first and scope.last):
        return []
    have = {row["day"]: row for row in rows}
    first = scope.first or dt.date.fromisoformat(rows[0]["day"])
    last = scope.last or dt.date.fromisoformat(rows[-1]["day"])
    days = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    # A message written in another playbook's offset may fall on a day outside the window: keep it.
    days = sorted(set(days) | set(have))
    return [have.get(day) or {"day": day, "counts": _zero(), "total": 0} for day in days]


def _top_groups(rows: list[dict[str, Any]], scope: Scope) -> list[dict[str, Any]]:
    """The ``top`` groups with the most messages, then the rest as one row
    ("others", ``groups``: how many)."""
    rows.sort(key=lambda row: (-row["total"], row["group"]))
    top = [{**row, "name": scope.group_names.get(row["group"])} for row in rows[:scope.top]]
    rest = rows[scope.top:]
    if rest:
        top.append({"group": None, "name": None, "others": len(rest), "counts": _sum(r["counts"] for r in rest),
                    "total": sum(r["total"] for r in rest)})
    return top


def _groupmsg(tally: list[tuple]) -> dict[str, Any]:
    """企业群发 sends: how many the owners confirmed, still have to, or did
    not send (``tally``: rows ending in state, confirm, count)."""
    counts = {"waiting": 0, "confirmed": 0, "failed": 0}
    for *_, state, confirm, count in tally:
        if state == S.SENT and confirm in counts:
            counts[confirm] += count
    created = sum(counts.values())
    return {**counts, "created": created, "rate": _rate(counts["confirmed"], created)}


def _failed_reasons(rows: list[tuple[str, int]], groupmsg: dict[str, Any]) -> list[dict[str, Any]]:
    reasons = [{"reason": reason, "count": count} for reason, count in rows]
    if groupmsg["failed"]:
        reasons.append({"reason": "企业群发: 群主未发送", "count": groupmsg["failed"]})
        reasons.sort(key=lambda row: (-row["count"], row["reason"]))
    return reasons


def _staff(tally: list[tuple[str, str, int]], senders: tuple[str, ...]) -> dict[str, Any]:
    """Staff tasks (actions, and messages a `remind` sender hands to a
    person; ``tally``: their (state, confirm, count)). sopc sees a task done
    when its reminder reached the person; whether they then did it in the
    group, no API tells."""
    counts = _zero()
    for state, confirm, count in tally:
        counts[category(state, confirm)] += count
    due = counts["sent"] + counts["failed"] + counts["in_doubt"]
    return {"senders": list(senders), "tasks": sum(counts.values()), "counts": counts,
            "done": counts["sent"], "due": due, "rate": _rate(counts["sent"], due)}


def _by_owner(groups: list[tuple], owners: dict[str, str]) -> list[dict[str, Any]]:
    """For each group owner (the staff member the roster names: who gets
    the reminders and confirms the 企业群发 sends) with a staff task or a
    企业群发 send: how many were done, lowest rate first. Groups the roster
    names no owner for count under None."""
    tasks: dict[str | None, list[tuple]] = {}
    sends: dict[str | None, list[tuple]] = {}
    for group, staff, state, confirm, count in groups:
        owner = owners.get(group)
        if staff:
            tasks.setdefault(owner, []).append((state, confirm, count))
        if state == S.SENT and confirm:
            sends.setdefault(owner, []).append((group, state, confirm, count))
    rows = []
    for owner in set(tasks) | set(sends):
        staff = _staff(tasks.get(owner, []), ())
        groupmsg = _groupmsg(sends.get(owner, []))
        rows.append({"owner": owner, "staff": {key: staff[key] for key in ("done", "due", "rate")},
                     "groupmsg": {key: groupmsg[key] for key in ("confirmed", "created", "rate")}})
    return sorted(rows, key=lambda row: (_lowest_rate(row), row["owner"] or ""))


def _lowest_rate(row: dict[str, Any]) -> float:
    rates = [rate for rate in (row["staff"]["rate"], row["groupmsg"]["rate"]) if rate is not None]
    return min(rates, default=1.0)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def render_html(report: dict[str, Any]) -> str:
    """The page: one file, its CSS inline, its charts SVG, no script."""
    from sopc.run import report_page

    return report_page.render(report)
