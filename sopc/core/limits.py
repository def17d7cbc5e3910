"""The limits every input to sopc is held to, each defined once: the span of
time sopc plans in, and the sizes, depths and digits of what it reads.

Shared by every reader (the .sop transform, sopc.toml, the roster, event
records from files, the command line and ``sopc serve``), so an operator can
rely on one list (README, "Limits"): anything beyond a limit is refused with
a located message, never a traceback, and never stored.
"""

from __future__ import annotations

import datetime as dt

from sopc.core.i18n import _

# ---- time ------------------------------------------------------------------------------
# Every date and time that enters sopc (events, --at, --now, --from/--to, launch
# dates, `active` windows, the roster's `created`) lies in these years: far
# enough from datetime's own ends (years 1 and 9999) that a plan's arithmetic
# (a step days after an event, a week of plan after --now) cannot overflow.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)

# ---- numbers ---------------------------------------------------------------------------
MAX_DIGITS = 30             # digits of a whole number (sopc.toml, a TOML roster, event data, step variables)
MAX_CAP = 1000              # a daily cap (`cap` in sopc.toml, `cap N/day` in a playbook)
MAX_OFFSET = LAST_DAY - FIRST_DAY  # a step's offset from T or its event (`T+15m`, `+1d`): within the years planned
MAX_REPEATS = 100           # rounds of one repeated step (`every 15m x3`)
MAX_REPEAT_SPAN = dt.timedelta(days=366)  # from a repeated step's first round to its last
MAX_EXPECTED = 100_000     # messages one `expect N ...` line of a playbook test counts
MAX_TEST_SPAN = dt.timedelta(days=366)    # a playbook test's window, `start` to `until`

# ---- structure -------------------------------------------------------------------------
MAX_NESTING = 32            # arrays and tables/objects inside one another (TOML, event JSON)

# ---- sizes -----------------------------------------------------------------------------
MAX_CONFIG_BYTES = 1024 * 1024              # sopc.toml
MAX_ROSTER_BYTES = 64 * 1024 * 1024         # one roster file (.csv or .toml)
MAX_EVENTS_FILE_BYTES = 64 * 1024 * 1024    # an events file read whole (check/plan --events; not sopc event --file)
MAX_EVENT_LINE = 64 * 1024                  # characters of one event record (one JSONL line)
MAX_COLUMNS = 1000                          # columns of a roster (CSV or a workbook's sheet)
MAX_WORKBOOK_UNPACKED = 256 * 1024 * 1024   # a roster workbook (.xlsx, a zip) unpacked
MAX_CELL_CHARS = 32_767                     # characters of one cell of a roster workbook (Excel's own limit)


def day_range_text() -> str:
    """How a message names the range: ``2000-01-01 to 2099-12-31``."""
    return _("{first} to {last}").format(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def size_text(count: int) -> str:
    """``64 MiB``, ``1 MiB``, ``64 KiB``: a limit as people read it."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


# ---- .sop files (read by sopc/lang/parser.py) ------------------------------------------
MAX_SOP_BYTES = 8 * 1024 * 1024   # one .sop file (about 200,000 lines): larger is not read at all
MAX_LINE_CHARS = 64 * 1024        # one line of a .sop file (every sender's message limit is far below)
MAX_TAG_NESTING = MAX_NESTING     # `not`s and parentheses inside one another in a tag expression

# ---- walks for did-you-mean hints (sopc/project/walk.py) -------------------------------
MAX_WALK_DEPTH = 8                # folders down from the one a hint lists (templates, the project)
MAX_WALK_ENTRIES = 10_000         # files and folders looked at for one hint

# ---- pictures (read when a playbook is compiled: sopc/compile/media.py) -----------------
MAX_IMAGE_BYTES = 2 * 1024 * 1024           # an image file or fetched URL (the WeCom robot's limit, before base64)
MAX_IMAGES = 100                            # different pictures (paths and URLs) one build reads or fetches
