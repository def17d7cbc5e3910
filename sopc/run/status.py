"""`sopc status`: what the runner has done and will do, from the store.

One value (:func:`collect`; :func:`project_status` reads it from a
project's state file) and two renderers (:func:`render_text` for
people, :func:`render_json` for tools). Nothing here prints a secret: the
store never holds one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sopc.core.i18n import _, language
from sopc.core.messages import STATES, StoredMessage
from sopc.core.reasons import shown
from sopc.project.paths import display_path
from sopc.run.runlock import open_state, runner_pid
from sopc.run.store import SQLiteStore
from sopc.core.timeutil import WEEKDAY_CN

STATE_CN = {"pending": "待发", "claimed": "发送中", "sent": "已发", "failed": "失败", "skipped": "跳过",
            "cancelled": "已取消", "in-doubt": "存疑"}
CONFIRM_CN = {"waiting": "待群主确认", "confirmed": "群主已确认", "failed": "未发出"}


def project_status(project_dir: Path, state_file: Path | None = None, *, limit: int = 10) -> dict[str, Any]:
    """:func:`collect` from the project's state file (``state_file`` or the
    default one); :class:`sopc.run.runlock.NoRunState` if nothing has run."""
    state, store = open_state(project_dir, state_file)
    try:
        return collect(store, state_path=display_path(state), runner_pid=runner_pid(state), limit=limit)
    finally:
        store.close()


def collect(store: SQLiteStore, *, state_path: str, runner_pid: int | None, limit: int = 10) -> dict[str, Any]:
    counts = store.counts()
    return {
        "state": state_path,
        "runner": {"running": runner_pid is not None, "pid": runner_pid},
        "counts": counts,
        "paused": store.paused_playbooks(),
        "skipped": store.reasons("skipped"),
        "cancelled": store.reasons("cancelled"),
        "next": [_brief(m) for m in store.upcoming(limit)],
        "failures": [_brief(m) for m in store.recent(("failed",), limit)],
        "in_doubt": [_brief(m) for m in store.recent(("in-doubt",), limit)],
        "confirmations": store.confirmation_counts(),
        "awaiting_confirmation": [_brief(m) for m in store.awaiting_confirmation(limit)],
        "events": store.event_count(),
    }


def _brief(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "at": message.at.isoformat(), "due": message.due.isoformat(),
            "playbook": message.playbook, "step": message.step, "group": message.group, "member": message.member,
            "sender": message.sender, "state": message.state, "reason": message.reason,
            "attempts": message.attempts, "remote_id": message.remote_id, "confirm": message.confirm,
            "confirm_detail": message.confirm_detail, **({"private": True} if message.private else {})}


def render_json(status: dict[str, Any]) -> str:
    return json.dumps(status, ensure_ascii=False, indent=2)


def render_text(status: dict[str, Any], zone) -> str:
    counts = status["counts"]
    runner = status["runner"]
    lines = [_("state   {path}").format(path=status["state"]),
             _("runner  {how}").format(how=_("running (pid {pid})").format(pid=runner["pid"]) if runner["running"]
                                       else _("not running")),
             _("counts  {counts}").format(counts=" · ".join(_count(counts[s], s) for s in STATES
                                                           if counts[s] or s in ("pending", "sent", "failed")))]
    if status["paused"]:
        lines.append(_("paused  {playbooks}  (sopc resume PLAYBOOK)").format(playbooks=", ".join(status["paused"])))
    for title, reasons in ((_("skipped:"), status["skipped"]), (_("cancelled:"), status["cancelled"])):
        if reasons:
            lines.append(title)
            lines += [f"  {count:>5} × {shown(reason)}" for reason, count in reasons.items()]
    sections = ((_("next due:"), status["next"], _line_due),
                (_("recent failures:"), status["failures"], _line_reason),
                (_("in doubt (claimed, then the runner stopped; not resent unless --resend-in-doubt):"),
                 status["in_doubt"], _line_reason),
                (_("企业群发 awaiting the owner's confirmation:"), status["awaiting_confirmation"], _line_confirm))
    for title, rows, line in sections:
        if rows:
            lines.append(title)
            lines += ["  " + line(row, zone) for row in rows]
    if status["confirmations"]:
        lines.append("企业群发  " + " · ".join(f"{n} {CONFIRM_CN.get(k, k)}" for k, n in
                                              sorted(status["confirmations"].items())))
    if not any(counts.values()):
        lines.append(_("nothing planned yet: start `sopc run` (or `sopc run --once`)"))
    return "\n".join(lines)


def _count(count: int, state: str) -> str:
    """``3 sent 已发`` (English keeps the Chinese word beside the state), or ``3 已发``."""
    return f"{count} {STATE_CN[state]}" if language() == "zh" else f"{count} {state} {STATE_CN[state]}"


def _when(text: str, zone) -> str:
    moment = dt.datetime.fromisoformat(text).astimezone(zone)
    return f"{moment:%m-%d} {WEEKDAY_CN[moment.weekday()]} {moment:%H:%M}"


def _target(row: dict) -> str:
    if row.get("private"):  # `to member`: 1:1, not in the group
        return f"{row['playbook']}/{row['step']} -> " + _("1:1 {member} of {group}").format(member=row["member"],
                                                                                        group=row["group"])
    return f"{row['playbook']}/{row['step']} -> {row['group']}" + (f" @{row['member']}" if row["member"] else "")


def _line_due(row: dict, zone) -> str:
    note = f"  ({shown(row['reason'])})" if row["reason"] else ""
    return f"{_when(row['due'], zone)}  {_target(row)}{note}"


def _line_reason(row: dict, zone) -> str:
    return f"{_when(row['at'], zone)}  {_target(row)}: {shown(row['reason'])}"


def _line_confirm(row: dict, zone) -> str:
    detail = f" ({row['confirm_detail']})" if row["confirm_detail"] else ""
    return f"{_when(row['at'], zone)}  {_target(row)}  " + _("msgid {id}").format(id=row["remote_id"]) + detail
