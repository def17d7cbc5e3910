"""One `expect` line held against a test's plan: the fates of every message
the gate decided about (:class:`sopc.plan.simulate.Fate`), what `sopc run`
would do with each given the test's events.

What a subject means:

* a step name: the messages of that step (each round of a repeated step:
  `lottery` is `lottery#1`, `lottery#2` ...) that go out;
* `posts`: what goes out as a post in the group, as the cap counts it (not
  actions, not private messages); `messages`: everything that goes out;
* `skipped REASON [STEP]`: what the gate skips for that reason (`cap:`,
  `quiet:` ... as `sopc plan --show-skipped` words it);
* `deferred REASON [STEP]`: what it sends later than scheduled (quiet hours,
  the gap), also past the test's end.

A count of none means at least one; `no` none; a number exactly that many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

from sopc.core.i18n import _, ngettext
from sopc.core.render import display_width
from sopc.core.timeutil import localize
from sopc.core.vocabulary import WEEKDAY_CN
from sopc.lang import ast
from sopc.plan.policy import DEFERRED, counts_as_post
from sopc.plan.simulate import Fate

SHOWN_TEXT = 60  # characters of a message's text in a failure
SHOWN_MESSAGES = 3


@dataclass(frozen=True, slots=True)
class Checked:
    """An expectation and how it came out: ``expected`` says what it asks in
    words; ``got`` the messages that answer it (or come nearest)."""

    expect: ast.Expect
    passed: bool
    expected: str
    got: list[str] = field(default_factory=list)


def check_expect(expect: ast.Expect, fates: Sequence[Fate], zone: dt.tzinfo) -> Checked:
    matching = [fate for fate in fates if _subject_holds(expect, fate) and _filters_hold(expect, fate, zone)]
    expected = describe(expect)
    found = len(matching)
    if expect.count is None:
        if found:
            return Checked(expect, True, expected)
        return Checked(expect, False, expected, [_("none"), *_nearest(expect, fates, zone)])
    if found == expect.count:
        return Checked(expect, True, expected)
    got = [ngettext("{count} message", "{count} messages", found).format(count=found) + (":" if found else "")]
    got += [_shown(fate, zone) for fate in matching[:SHOWN_MESSAGES]]
    if found > SHOWN_MESSAGES:
        got.append(_("... and {count} more").format(count=found - SHOWN_MESSAGES))
    return Checked(expect, False, expected, got)


def describe(expect: ast.Expect) -> str:
    """The expectation in words, e.g. `welcome to g1 at 2026-11-24 08:00 (周二) containing "欢迎"`."""
    words = []
    if expect.count == 0:
        words.append(_("no"))
    elif expect.count is not None:
        words.append(_("exactly {count}").format(count=expect.count))
    if expect.subject in ("skipped", "deferred"):
        what = expect.name.value if expect.name else _("message")
        phrase = (_("{what} skipped for {reason}") if expect.subject == "skipped"
                  else _("{what} deferred for {reason}"))
        words.append(phrase.format(what=what, reason=expect.reason.value))
    elif expect.subject == "step":
        words.append(expect.name.value)
    else:
        words.append(expect.subject)
    if expect.group is not None:
        words.append(f"to {expect.group.value}")
    if expect.member is not None:
        words.append(f"for {expect.member.value}")
    if expect.playbook is not None:
        words.append(f"from {expect.playbook.value}")
    if expect.at is not None and expect.at.date and expect.at.time:
        words.append(f"at {_when(expect.at.date.date, expect.at.time.text())}")
    if expect.on is not None:
        words.append(f"on {_when(expect.on.date)}")
    if expect.contains is not None:
        words.append(_("containing \"{text}\"").format(text=expect.contains))
    return " ".join(words)


# ---- matching ------------------------------------------------------------------------------

def _sent(fate: Fate) -> bool:
    """Goes out within the test's window."""
    return not fate.skipped and fate.in_window


def _base_step(step: str) -> str:
    """`lottery#2` (a round of a repeated step) is a message of `lottery`."""
    return step.split("#", 1)[0]


def _reason_word(fate: Fate) -> str | None:
    """The gate's reason as one word: `cap: group ... (cap 6/day)` -> cap,
    `deferred: 30m gap after ...` -> gap, `deferred: quiet hours` -> quiet."""
    if fate.reason is None:
        return None
    if fate.reason.startswith(DEFERRED):
        rest = fate.reason[len(DEFERRED):]
        return "quiet" if rest.startswith("quiet") else "gap" if " gap " in f" {rest} " else rest.split()[0]
    return fate.reason.split(":", 1)[0]


def _subject_holds(expect: ast.Expect, fate: Fate) -> bool:
    message = fate.message
    subject = expect.subject
    if subject == "step":
        return _sent(fate) and _base_step(message.step) == expect.name.value
    if subject == "posts":
        return _sent(fate) and counts_as_post(message)
    if subject == "messages":
        return _sent(fate)
    if subject == "skipped":
        held = fate.skipped and _reason_word(fate) == expect.reason.value
    else:  # deferred: goes out later than scheduled, in the window or after it
        held = not fate.skipped and fate.reason is not None and _reason_word(fate) == expect.reason.value
    return held and (expect.name is None or _base_step(message.step) == expect.name.value)


def _filters_hold(expect: ast.Expect, fate: Fate, zone: dt.tzinfo, *, timing: bool = True) -> bool:
    message = fate.message
    if expect.group is not None and message.group != expect.group.value:
        return False
    if expect.member is not None and message.member != expect.member.value:
        return False
    if expect.playbook is not None and message.playbook != expect.playbook.value:
        return False
    if expect.contains is not None and expect.contains not in message.text:
        return False
    if not timing:
        return True
    if expect.at is not None and message.at != _moment(expect.at, zone):
        return False
    if expect.on is not None and message.at.astimezone(zone).date() != expect.on.date:
        return False
    return True


def _moment(moment: ast.Moment, zone: dt.tzinfo) -> dt.datetime | None:
    if moment.date is None or moment.time is None:
        return None
    return localize(dt.datetime.combine(moment.date.date, moment.time.time), zone)


# ---- what came nearest ----------------------------------------------------------------------

def _nearest(expect: ast.Expect, fates: Sequence[Fate], zone: dt.tzinfo) -> list[str]:
    """For an expectation no message met: the messages that come nearest,
    closest in time first: its step (or subject) to its group at another time
    or with another text, skipped ones with the gate's reason; else its step
    to other groups; else anything to its group around that time."""
    target = _target_time(expect, zone)
    relaxed = [f for f in fates if _same_kind(expect, f) and _filters_hold(expect, f, zone, timing=False)]
    if not relaxed and expect.contains is not None:
        relaxed = [f for f in fates if _same_kind(expect, f) and _filters_hold(_without_text(expect), f, zone,
                                                                                timing=False)]
    if not relaxed and (expect.group is not None or expect.member is not None):
        relaxed = [f for f in fates if _same_kind(expect, f)]
    if not relaxed and expect.group is not None:
        relaxed = [f for f in fates if f.message.group == expect.group.value]
    if not relaxed:
        if expect.name is None:
            return [_("nothing like it in the test's window")]
        return [_("nothing like it from step `{step}` in the test's window").format(step=expect.name.value)]
    relaxed.sort(key=lambda f: (abs((f.message.at - target).total_seconds()) if target else 0, f.message.at))
    label = _("nearest: ")
    pad = " " * display_width(label)
    shown = [(label if number == 0 else pad) + _shown(fate, zone) for number, fate in enumerate(relaxed[:SHOWN_MESSAGES])]
    if len(relaxed) > SHOWN_MESSAGES:
        shown.append(pad + _("... and {count} more like them").format(count=len(relaxed) - SHOWN_MESSAGES))
    return shown


def _same_kind(expect: ast.Expect, fate: Fate) -> bool:
    """The same step (any fate: skipped or sent), or any message for `posts`/`messages`."""
    if expect.name is not None:
        return _base_step(fate.message.step) == expect.name.value
    if expect.subject == "posts":
        return counts_as_post(fate.message)
    return True


def _without_text(expect: ast.Expect) -> ast.Expect:
    return dataclasses.replace(expect, contains=None)


def _target_time(expect: ast.Expect, zone: dt.tzinfo) -> dt.datetime | None:
    if expect.at is not None:
        return _moment(expect.at, zone)
    if expect.on is not None:
        return localize(dt.datetime.combine(expect.on.date, dt.time(12)), zone)
    return None


def _shown(fate: Fate, zone: dt.tzinfo) -> str:
    """`welcome to g1 for A at 2026-11-24 10:30 (周二): "欢迎 阿甲..."`, and what the gate did."""
    message = fate.message
    local = message.at.astimezone(zone)
    who = f" for {message.member}" if message.member else ""
    text = " ".join(message.text.split())
    text = text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT - 1] + "…"
    when = _when(local.date(), local.strftime("%H:%M"))
    line = f"{message.step} to {message.group}{who} at {when}: \"{text}\""
    if fate.skipped:
        return _("{message}, skipped ({reason})").format(message=line, reason=fate.reason)
    if not fate.in_window:
        return _("{message}, after the test's end ({reason})").format(message=line, reason=fate.reason)
    if fate.reason:
        return _("{message} ({reason}; scheduled {scheduled})").format(
            message=line, reason=fate.reason, scheduled=fate.scheduled.astimezone(zone).strftime("%m-%d %H:%M"))
    return line


def _when(day: dt.date, time: str | None = None) -> str:
    """`2026-11-24 08:00 (周二)`, or the day alone."""
    return f"{day.isoformat()}{f' {time}' if time else ''} ({WEEKDAY_CN[day.weekday()]})"
