"""The texts sopc writes down about a message (why it was skipped,
deferred or cancelled), and how a person reads them.

They are recorded in English, whatever language the runner speaks: the
state database, the plan's JSONL and CSV and `sopc status --format json`
keep one wording, so scripts and the gate's own checks (``deferred: ...``)
read them alike. Each is made from one of the templates here
(``REASON.format(...)``), so :func:`shown` can find the template a text
was made from and say it in the reader's language, its values put back
(a value that is itself such a text is translated too).
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from sopc.core.i18n import N_, _, language

# The gate (sopc.plan.policy)
DEFERRED = "deferred: "  # how every deferral's reason starts (not a message: the start of one)
QUIET_DEFERRAL = N_("deferred: quiet hours")
GAP_DEFERRAL = N_("deferred: {gap} gap after the previous post")
PAUSED = N_("paused: its playbook was paused when it fell due")
MISSED = N_("missed: {late} late, past the {grace} grace ({why})")
STOPPED_RUN = N_("was sopc run stopped?")
STOPPED_OR_LATE = N_("was sopc run stopped, or its event recorded late?")
QUIET_SKIP = N_("quiet: it would go out inside the playbook's quiet hours")
CAP = N_("cap: group `{group}` already had {posts} posts today (cap {cap}/day)")
STAGE = N_("stage: group `{group}` is in {stage}, the step is for {wanted}")
NO_STAGE = N_("stage: group `{group}` has no stage yet (not created then, or no roster `created` day and no event); "
              "the step is for {wanted}")
NO_COMMON_STAGE = N_("no stage (its block's stages and the playbook's have none in common)")
# The runner (sopc.run.planner, sopc.run.worker)
EDITED = N_("no longer in the plan: the playbook, a template or the roster changed")
STOPPED = N_("the sequence was stopped: an `until` event came, or the member left")
LATE_EDIT = N_("added by an edit after its time had passed")
GONE_PLAYBOOK = N_("its playbook is no longer in the project")
GONE_GROUP = N_("its group is no longer in the roster")
RETRYING = N_("retrying: {error}")

# A deferral's reason without its "deferred: " start, as `sopc plan --show-skipped` shows it.
DEFERRAL_DETAILS = {QUIET_DEFERRAL: N_("quiet hours"), GAP_DEFERRAL: N_("{gap} gap after the previous post")}

TEMPLATES = (QUIET_DEFERRAL, GAP_DEFERRAL, PAUSED, MISSED, STOPPED_RUN, STOPPED_OR_LATE, QUIET_SKIP, CAP, STAGE,
             NO_STAGE, NO_COMMON_STAGE, EDITED, STOPPED, LATE_EDIT, GONE_PLAYBOOK, GONE_GROUP, RETRYING)

# The word before a reason's colon (`sopc run`'s summary counts reasons by it), and message states.
WORDS = {"deferred": N_("deferred"), "paused": N_("paused"), "missed": N_("missed"), "quiet": N_("quiet"),
         "cap": N_("cap"), "stage": N_("stage"), "retrying": N_("retrying"),
         "pending": N_("pending"), "claimed": N_("claimed"), "sent": N_("sent"), "failed": N_("failed"),
         "skipped": N_("skipped"), "cancelled": N_("cancelled"), "in-doubt": N_("in-doubt")}


def state_word(state: str) -> str:
    """A message state (``sent``, ``skipped``, ...) in the reader's language."""
    return _(WORDS[state]) if state in WORDS else state


def reason_word(word: str) -> str:
    """The word a reason starts with (``missed``, ``cap``), in the reader's language."""
    return _(WORDS[word]) if word in WORDS else shown(word)


def shown(text: str | None) -> str:
    """A recorded text in the reader's language: as it is in English, or
    for a text no template made (a sender's own error), or for one too
    long to match quickly."""
    if not text or language() == "en" or len(text) > MAX_MATCHED:
        return text or ""
    for template, pattern, names in _patterns():
        found = pattern.fullmatch(text)
        if found:
            return _(template).format(**{name: shown(found.group(name)) for name in names})
    return text


def deferral_detail(reason: str | None) -> str:
    """Why a message was deferred, without the "deferred: " its reason
    starts with, in the reader's language."""
    if not reason or language() == "en" or len(reason) > MAX_MATCHED:
        return (reason or "").removeprefix(DEFERRED)
    for template, pattern, names in _patterns():
        found = pattern.fullmatch(reason)
        if found and template in DEFERRAL_DETAILS:
            return _(DEFERRAL_DETAILS[template]).format(**found.groupdict())
    return shown(reason)


# A template's values are matched lazily, so a text repeating a template's
# words costs the cube of its length to match (20,000 characters: 35 s).
# sopc's reasons are far shorter; a longer one (a roster id of thousands of
# characters) is shown as recorded.
MAX_MATCHED = 1_000


@lru_cache(maxsize=1)
def _patterns() -> tuple:
    """Each template as a pattern its texts match, the most literal first
    (so `deferred: quiet hours` is not taken for a gap)."""
    found = []
    for template in TEMPLATES:
        pattern, names = "", []
        for literal, name, _spec, _conversion in string.Formatter().parse(template):
            pattern += re.escape(literal)
            if name is not None:
                pattern += f"(?P<{name}>.+?)"
                names.append(name)
        found.append((template, re.compile(pattern, re.S), tuple(names)))
    return tuple(sorted(found, key=lambda item: len(item[2])))
