"""Every diagnostic code sopc reports, as data: its severity and what it
means in one line. Shared by all stages (codes are plain values).

The code's letter is its severity (E error, W warning); the hundreds say
which part of a project is wrong (see :data:`FAMILIES`). The messages
themselves stay where they are emitted, with the specifics; this is the
list a user (or a CI script matching on codes) can look a code up in:
``docs/codes.md`` is generated from it (``tools/gen_codes.py``).

tests/test_codes.py keeps it complete and true: every code literal in
sopc/ and every code reported over the examples and golden projects must
be here, with the severity it is reported with, and every code here must
be produced by some test.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from sopc.core.diagnostics import Severity
from sopc.core.records import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    summary: str

    @property
    def family(self) -> str:
        """The key of its family in :data:`FAMILIES`: ``"02"`` for E0201."""
        return self.code[1:3]


FAMILIES: Mapping[str, str] = MappingProxyType({
    "00": "Reading .sop files",
    "01": "Values written in a playbook",
    "02": "Names and definitions",
    "03": "Timing: quiet hours, caps, gaps, timelines, calendar",
    "04": "Templates and mentions",
    "05": "Senders",
    "06": "Project files: sopc.toml, the roster, the calendar",
    "07": "Event files",
    "08": "Playbook tests (`test` blocks, `sopc test`)",
    "09": "sopc itself",
})

E, W = Severity.ERROR, Severity.WARNING

_CODES = (
    Code("E0001", E, "a line does not follow the .sop syntax (the message says what was expected)"),
    Code("E0002", E, "a character that cannot appear here, such as a full-width `：`"),
    Code("E0003", E, "a quoted text has no closing `\"` on its line"),
    Code("E0004", E, "too many syntax errors in one file; sopc stopped reading it"),
    Code("E0005", E, "a `\"\"\"` text is never closed"),
    Code("E0006", E, "a block (`playbook`, `timeline`, `stages`, `on <event>`) with nothing indented under it"),
    Code("E0007", E, "a line's indentation fits no block: deeper with no header above, or back to no open block"),
    Code("E0008", E, "a .sop file is not UTF-8 text"),
    Code("E0009", E, "a line indented with a tab (indent with spaces; a full-width space counts as two)"),
    Code("E0010", E, "a .sop file too large, a line too long or a tag expression nested too deep (README, Limits)"),

    Code("E0101", E, "not a time of day (hours 00-23, minutes 00-59)"),
    Code("E0102", E, "not a date on the calendar"),
    Code("E0103", E, "not a duration or offset (units d, h, m, s from largest to smallest)"),
    Code("E0104", E, "unknown time zone in a playbook's `timezone`"),
    Code("E0105", E, "not a valid five-field cron expression"),
    Code("E0106", E, "not a day of the month (1-31 or `last`)"),
    Code("E0107", E, "`every N` is not a whole number of days"),
    Code("E0108", E, "quiet hours that start and end at the same time"),
    Code("E0109", E, "a daily cap below 1"),
    Code("E0110", E, "an `active` window or a recurring launch's `from`/`until` that ends before it starts"),
    Code("E0111", E, "a date outside the years sopc plans (2000-01-01 to 2099-12-31)"),
    Code("E0112", E, "a number beyond sopc's limits: a cap over 1000, over 30 digits, an offset over 100 years"),
    Code("E0120", E, "a stage rule's value in the wrong unit (`silent > 50`, `members >= 3d`)"),
    Code("E0130", E, "a trigger's count (`2nd`, `第2次`) below 1: occurrences are counted from the 1st"),
    Code("E0131", E, "a repeat (`every 15m x3`) out of bounds: `x0`, over 100 rounds, `every 0m` (README, Limits)"),
    Code("E0140", E, "a weekday, day range or day list sopc does not read (`周1`, `星期八`, `周一到五`, `周一到`)"),
    Code("E0141", E, "a `posts` minimum above its maximum (or a maximum of 0), a `peaks` window of no length"),

    Code("E0201", E, "unknown sender (not declared in sopc.toml)"),
    Code("E0202", E, "unknown timeline"),
    Code("E0203", E, "unknown group stage"),
    Code("E0204", E, "unknown group id (not in the roster)"),
    Code("E0205", E, "no group in the roster has this tag"),
    Code("W0206", W, "a playbook's audience reaches no group"),
    Code("E0207", E, "unknown lifecycle event"),
    Code("E0208", E, "an event that needs an argument (duration, tag or stage) has none"),
    Code("E0209", E, "a step name used twice in one playbook or timeline"),
    Code("E0210", E, "a playbook defined twice"),
    Code("E0211", E, "a timeline defined twice"),
    Code("E0212", E, "an imported file cannot be found"),
    Code("E0213", E, "an import names a timeline or template the file does not have"),
    Code("W0215", W, "a playbook setting written twice (the last one counts)"),
    Code("E0216", E, "a template defined twice"),
    Code("E0217", E, "the group stages declared twice"),
    Code("E0218", E, "a playbook that does not say which groups it posts to"),
    Code("E0219", E, "an event starts a timeline with a step before T"),
    Code("E0220", E, "two steps of one name fall due together in a group: one message id, the second is lost"),
    Code("E0230", E, "`to member`, `remove member` or a count (`2nd`) where no event names a member"),
    Code("E0235", E, "`in stage` in a project with no `stages` block"),
    Code("W0236", W, "an `in stage` block whose stages the playbook's own `in stage` never allows"),
    Code("W0237", W, "`in stage` steps reach groups with no roster `created` day (no stage until an event)"),

    Code("E0301", E, "a message falls in the playbook's quiet hours"),
    Code("W0302", W, "a greeting that does not fit the hour it is sent at"),
    Code("E0303", E, "two messages to one group closer together than the playbook's `gap`"),
    Code("E0304", E, "a group gets more posts in a day than the playbook's `cap`"),
    Code("E0305", E, "a timeline runs longer than its `max` (also: a repeated step's later round)"),
    Code("E0306", E, "a timeline step (or a round of a repeated one) comes after the group is dissolved"),
    Code("W0307", W, "a timeline launch is in the past (a recurring one: its `until` has passed)"),
    Code("W0308", W, "a holiday rule plans a date that China's holiday schedule, not announced yet, can still change"),
    Code("W0309", W, "a local time skipped or repeated by a clock change"),
    Code("W0320", W, "two launches of one recurring `run ... every` line overlap in the same groups"),
    Code("W0321", W, "a recurring launch whose `from` ... `until` window holds none of its days"),
    Code("E0340", E, "`posts` and `cap` in one playbook (the maximum of `posts 3-6/day` is the daily cap)"),
    Code("W0341", W, "a group gets fewer posts on a day than the `posts` minimum (the plan, after the gate)"),
    Code("W0342", W, "most of a group's posts on a day go out outside the `peaks` windows"),

    Code("E0401", E, "a template file cannot be found or read"),
    Code("E0402", E, "a template that does not compile (template syntax)"),
    Code("E0403", E, "unknown named template"),
    Code("E0404", E, "a template file is not UTF-8 text"),
    Code("E0405", E, "a template variable with no value where the step is sent"),
    Code("E0406", E, "a step that fails to render for a group"),
    Code("E0407", E, "`group.<column>` names a roster column no group of the playbook has"),
    Code("E0408", E, "a step whose template goes over the render budget (size, loops, digits, time: README, Limits)"),
    Code("E0410", E, "a mention of the event's member outside a lifecycle step"),
    Code("W0411", W, "a mention that reads like a role word (`@群管理`, `@memeber`) but would go out as a user id"),
    Code("E0412", E, "`@owner` / `@群主` where the roster names no owner for a group"),
    Code("E0420", E, "a field a link, mini-program card or image attachment does not have, or one given twice"),
    Code("E0421", E, "a link, mini-program card or image attachment without a field it needs"),
    Code("E0422", E, "a field value that cannot be sent: empty, not an http(s) URL, too long, or a template"),
    Code("E0423", E, "more parts in one message than any platform takes (9)"),
    Code("E0424", E, "a kind written with fields that takes a text (`text url=...`), or attachments after a non-text"),
    Code("E0425", E, "an image that cannot be read or fetched, is not a JPG/PNG of at most 2 MiB, or leaves the project"),

    Code("E0501", E, "unknown or broken sender kind"),
    Code("E0502", E, "a message larger than its sender accepts"),
    Code("E0503", E, "a mention (@all, a user id, a mobile) the sender cannot carry in that message kind"),
    Code("E0504", E, "a sender that cannot post in an external customer group"),
    Code("E0505", E, "a sender that cannot send this message kind"),
    Code("E0506", E, "more WeCom mass sends to a customer group in a day than the sender's `daily_cap`"),
    Code("E0507", E, "an image, link or attachment its sender cannot take (too many articles, a field too long)"),
    Code("E0508", E, "a group without a roster value its sender needs (企业群发 needs the `owner`)"),
    Code("E0520", E, "a `to member` (1:1) step through a sender that posts only in groups (a group bot)"),
    Code("E0521", E, "an action (remove, dissolve, remind staff) through a sender that cannot hand it to a person"),

    Code("E0601", E, "sopc.toml (or a TOML roster) is not valid TOML or not UTF-8"),
    Code("W0602", W, "unknown key in sopc.toml or a TOML roster"),
    Code("E0603", E, "a value of the wrong type or form in sopc.toml"),
    Code("E0604", E, "unknown time zone in sopc.toml"),
    Code("E0605", E, "a secret written in sopc.toml instead of an environment variable"),
    Code("E0606", E, "a problem in sopc.toml's [calendar] table"),
    Code("E0607", E, "a file or folder named to sopc does not exist or cannot be read"),
    Code("W0608", W, "a path in sopc.toml's `playbooks` does not exist"),
    Code("E0609", E, "no .sop files found to check"),
    Code("E0610", E, "the roster file is missing"),
    Code("E0611", E, "the roster has no group id column"),
    Code("E0612", E, "a roster group with no id"),
    Code("E0613", E, "a group id used twice in the roster"),
    Code("E0614", E, "a roster value of the wrong form (not a date, not true/false, ...)"),
    Code("W0615", W, "a roster row with more or fewer cells than the header"),
    Code("E0616", E, "the roster cannot be read (encoding, broken CSV quoting, a broken workbook, I/O)"),
    Code("E0617", E, "the roster is not a .csv, .xlsx or .toml file"),
    Code("W0618", W, "a playbook saved under a name sopc does not read (`x.sop.txt`, `x.SOP`); rename it to `.sop`"),
    Code("E0619", E, "sopc.toml or a roster beyond sopc's limits (size, columns, nesting, digits: README, Limits)"),
    Code("E0620", E, "a roster header that names one column twice (`id,id`, or `id` and `群ID`)"),

    Code("E0701", E, "the events file cannot be read"),
    Code("E0702", E, "a line of the events file is not a valid event"),

    Code("E0801", E, "a test with no `start`, a second `start` or `until`, or an `until` before its `start`"),
    Code("E0802", E, "a `given` line that is not a valid event (the event reader's reasons, or words it does not take)"),
    Code("E0803", E, "a test names a group that is not in the roster"),
    Code("E0804", E, "a test expects a step no playbook or timeline has, or names a playbook there is not"),
    Code("E0805", E, "an `expect` line that cannot be checked: a reason the gate has not, `at` with `on`, a filter twice"),
    Code("E0806", E, "a test's window is over its limit, or an expectation's time lies outside it"),
    Code("W0807", W, "a test with no `expect` line (it always passes)"),
    Code("W0808", W, "`expect ... for MEMBER` about a member no `given` line of the test is about (it cannot fail)"),

    Code("E0990", E, "sopc fmt would change what a file means (a bug in sopc fmt); the file is left as it is"),
    Code("E0999", E, "a check crashed (a bug in that check)"),
)

CATALOGUE: Mapping[str, Code] = MappingProxyType({entry.code: entry for entry in _CODES})


def codes_markdown() -> str:
    """docs/codes.md: every code, by family, as Markdown tables."""
    lines = [
        "# Diagnostic codes",
        "",
        "Every problem `sopc check` (and `sopc plan`) reports carries a code:",
        "`E` codes are errors (exit status 1), `W` codes warnings (exit 1 only",
        "with `--strict`). The message beside the code in the output says",
        "exactly what is wrong where, and usually how to fix it. `sopc explain CODE`",
        "explains a code at length, with an example and its fix.",
        "",
        "Generated from `sopc/core/codes.py` by `python tools/gen_codes.py`; do not edit by hand.",
    ]
    for family, title in FAMILIES.items():
        lines += ["", f"## {title}", "", "| code | severity | meaning |", "|------|----------|---------|"]
        for entry in _CODES:
            if entry.family == family:
                summary = entry.summary.replace("|", "\\|")
                lines.append(f"| {entry.code} | {entry.severity.value} | {summary} |")
    return "\n".join(lines) + "\n"
