"""The words sopc gives meaning to, each defined once: the names a template
can read, the mention words, the Chinese weekday names, the default zone."""

from __future__ import annotations

from sopc.core.records import dataclass


DEFAULT_ZONE = "Asia/Shanghai"   # a project's zone when sopc.toml names none

# ---- template context -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContextName:
    name: str
    meaning: str
    scope: str          # "always" | "trigger" (lifecycle steps) | "timeline" (timeline steps) | "repeat" (repeated steps)
    per_slot: bool      # its value changes from one send moment to the next


CONTEXT_NAMES = (
    ContextName("group", "dict: id, name, tags + roster variables", "always", False),
    ContextName("playbook", "dict: name, title", "always", False),
    ContextName("date", "YYYY-MM-DD of the send date", "always", True),
    ContextName("time", "HH:MM of the send time", "always", True),
    ContextName("now", "timezone-aware datetime of the send", "always", True),
    ContextName("weekday_cn", "周一..周日 of the send date", "always", True),
    ContextName("schedule_summary", "text summary of the playbook's weekly schedule", "always", False),
    ContextName("member", "dict: id, name (lifecycle steps only)", "trigger", True),
    ContextName("event", "dict of the triggering event's data (lifecycle steps only)", "trigger", True),
    ContextName("T", "anchor datetime (timeline steps only)", "timeline", True),
    ContextName("round", "1, 2, 3 ... the round of a repeated step (`every 15m x3`)", "repeat", False),
)
BUILTIN_NAMES = frozenset(c.name for c in CONTEXT_NAMES)
ALWAYS_PROVIDED = frozenset(c.name for c in CONTEXT_NAMES if c.scope == "always")
PER_SLOT_NAMES = frozenset(c.name for c in CONTEXT_NAMES if c.per_slot)

# ---- mentions -------------------------------------------------------------------------
# A mention is a role word, or a user id / mobile number sent as written.
# The planner resolves the roles: @all stays "all" (each sender writes it its
# way), @member becomes the id of the member the event is about, @owner the
# group's roster `owner` (群主).

ALL_MENTIONS = ("all", "所有人", "全体成员", "everyone")   # everyone in the group
MEMBER_MENTIONS = ("member", "成员")                      # the member an event is about
OWNER_MENTIONS = ("owner", "群主")                        # the group's owner (roster `owner`)
MENTION_ROLES = {"all": ALL_MENTIONS, "member": MEMBER_MENTIONS, "owner": OWNER_MENTIONS}
ROLE_WORDS = frozenset(word for words in MENTION_ROLES.values() for word in words)


def is_all_mention(word: str) -> bool:
    return word in ALL_MENTIONS


def is_member_mention(word: str) -> bool:
    return word in MEMBER_MENTIONS


def is_owner_mention(word: str) -> bool:
    return word in OWNER_MENTIONS


def mention_role(word: str) -> str | None:
    """``"all"``, ``"member"`` or ``"owner"`` for a role word; None for a user id."""
    for role, words in MENTION_ROLES.items():
        if word in words:
            return role
    return None


def mention_words_text() -> str:
    """The role words as a reader is told them: ``@all (所有人, 全体成员, everyone), ...``."""
    return ", ".join(f"@{words[0]} ({', '.join(words[1:])})" for words in MENTION_ROLES.values())


# ---- weekdays -------------------------------------------------------------------------

WEEKDAY_CN = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")   # Monday first, as date.weekday()
