"""The page of `sopc report`: the charts laid out (here, in Python: where
each bar and label goes) and drawn by a Jinja template as inline SVG.

No charting library and no script: the page is static, opens offline, and
what the charts show is also in the tables beside them. The template
escapes every text (autoescape): group names, playbook names and sender
errors come from users.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sopc.run.report import CATEGORIES, CATEGORY_KEYS, CHART_KEYS

TEMPLATE = "report.html.j2"
LABELS = {key: label for key, label, _ in CATEGORIES}
COLOURS = {key: colour for key, _, colour in CATEGORIES}
WEEKDAYS_CN = "一二三四五六日"
OWNER_ROWS = 30   # owners listed on the page, lowest completion first (all of them in the JSON)

# The day chart's box (SVG user units; the page scales it to its width).
DAY_WIDTH, DAY_HEIGHT = 960, 260
DAY_LEFT, DAY_RIGHT, DAY_TOP, DAY_BOTTOM = 48, 12, 12, 46
# A horizontal chart: a row per item, its label on the left; (label width,
# bar width, room for the total) of a full-width chart and of a half-width one.
ROW_HEIGHT, ROW_GAP = 22, 6
WIDE = (330, 560, 60)
NARROW = (250, 270, 40)
LABEL_COLUMNS = (48, 34)   # how many Latin letters fit before a WIDE and a NARROW chart's bars


@dataclass
class Segment:
    key: str      # a category, or "count" for one-colour bars
    label: str
    colour: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Bar:
    key: str              # the day, playbook, group or reason it stands for
    label: str            # what the axis says
    title: str            # the hover text
    total: int
    segments: list[Segment] = field(default_factory=list)
    x: float = 0.0        # the label's place
    sublabel: str = ""    # a second line under it (the day's weekday)
    y: float = 0.0


@dataclass
class Chart:
    name: str
    width: float
    height: float
    bars: list[Bar]
    ticks: list[tuple[float, float, str]]  # (x or y, the line's other end, text)
    label_every: int = 1
    left: float = DAY_LEFT                 # where the bars start (a horizontal chart's labels end there)


def nice_top(value: int) -> int:
    """The axis maximum: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 5:
        return max(value, 1)
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def day_chart(rows: Sequence[dict[str, Any]]) -> Chart:
    """Stacked columns, one per day, bottom up in :data:`CHART_KEYS` order."""
    top = nice_top(max((sum(row["counts"][k] for k in CHART_KEYS) for row in rows), default=0))
    plot_w = DAY_WIDTH - DAY_LEFT - DAY_RIGHT
    plot_h = DAY_HEIGHT - DAY_TOP - DAY_BOTTOM
    slot = plot_w / max(len(rows), 1)
    width = max(min(slot * 0.7, 48), 1)
    bars = []
    for index, row in enumerate(rows):
        day = dt.date.fromisoformat(row["day"])
        x = DAY_LEFT + index * slot + (slot - width) / 2
        weekday = f"周{WEEKDAYS_CN[day.weekday()]}"
        bar = Bar(key=row["day"], label=f"{day:%m-%d}", sublabel=weekday, title=f"{row['day']} {weekday}",
                  total=sum(row["counts"][k] for k in CHART_KEYS), x=x + width / 2, y=DAY_TOP + plot_h + 16)
        base = DAY_TOP + plot_h
        for key in CHART_KEYS:
            count = row["counts"][key]
            if count:
                height = plot_h * count / top
                base -= height
                bar.segments.append(Segment(key, LABELS[key], COLOURS[key], count, x, base, width, height))
        bars.append(bar)
    ticks = [(DAY_TOP + plot_h - plot_h * value / top, DAY_WIDTH - DAY_RIGHT, f"{value:g}")
             for value in _tick_values(top)]
    return Chart("day", DAY_WIDTH, DAY_HEIGHT, bars, ticks, label_every=max(1, math.ceil(len(rows) / 16)))


def stacked_rows(name: str, rows: Sequence[dict[str, Any]], labels: Sequence[str],
                 titles: Sequence[str] | None = None) -> Chart:
    """Stacked bars, one row each, in the order given (full width)."""
    left, span, _ = WIDE
    top = nice_top(max((sum(row["counts"][k] for k in CHART_KEYS) for row in rows), default=0))
    bars = []
    for index, row in enumerate(rows):
        y = ROW_GAP + index * (ROW_HEIGHT + ROW_GAP)
        bar = Bar(key=str(index), label=labels[index], title=(titles or labels)[index],
                  total=sum(row["counts"][k] for k in CHART_KEYS), x=left - 8, y=y + ROW_HEIGHT / 2)
        x = left
        for key in CHART_KEYS:
            count = row["counts"][key]
            if count:
                width = span * count / top
                bar.segments.append(Segment(key, LABELS[key], COLOURS[key], count, x, y, width, ROW_HEIGHT))
                x += width
        bars.append(bar)
    return _rows_chart(name, bars, top, WIDE)


def count_rows(name: str, rows: Sequence[tuple[str, int]], colour: str) -> Chart:
    """One-colour bars, one row per (label, count) (half width)."""
    left, span, _ = NARROW
    top = nice_top(max((count for _, count in rows), default=0))
    bars = []
    for index, (label, count) in enumerate(rows):
        y = ROW_GAP + index * (ROW_HEIGHT + ROW_GAP)
        bar = Bar(key=str(index), label=_clip(label, LABEL_COLUMNS[1]), title=label, total=count, x=left - 8, y=y + ROW_HEIGHT / 2)
        bar.segments.append(Segment("count", label, colour, count, left, y, span * count / top, ROW_HEIGHT))
        bars.append(bar)
    return _rows_chart(name, bars, top, NARROW)


def _rows_chart(name: str, bars: list[Bar], top: int, box: tuple[int, int, int]) -> Chart:
    left, span, right = box
    height = ROW_GAP + len(bars) * (ROW_HEIGHT + ROW_GAP) + 18
    bottom = height - 18
    ticks = [(left + span * value / top, bottom, f"{value:g}") for value in _tick_values(top)]
    return Chart(name, left + span + right, height, bars, ticks, left=left)


def _tick_values(top: int) -> list[int]:
    step = top / 5 if top >= 5 and top % 5 == 0 else (top / 4 if top % 4 == 0 and top >= 4 else top)
    step = max(int(step), 1)
    return list(range(0, top + 1, step))


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` columns, a Chinese character taking two
    (as wide as two Latin letters at the charts' 12px): a label must end
    before its bar starts."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > limit:
            return text[:max(index - 1, 0)] + "…"
    return text


def group_label(row: dict[str, Any]) -> str:
    if row["group"] is None:
        return f"其他 {row['others']} 个群"
    return f"{row['name']} ({row['group']})" if row["name"] else row["group"]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def render(report: dict[str, Any]) -> str:
    groups = report["by_group"]
    group_labels = [group_label(row) for row in groups]
    charts = {
        "day": day_chart(report["by_day"]),
        "playbook": stacked_rows("playbook", report["by_playbook"],
                                 [_clip(row["playbook"], LABEL_COLUMNS[0]) for row in report["by_playbook"]],
                                 [row["playbook"] for row in report["by_playbook"]]),
        "group": stacked_rows("group", groups, [_clip(label, LABEL_COLUMNS[0]) for label in group_labels], group_labels),
        "skipped": count_rows("skipped", [(row["label"], row["count"]) for row in report["skipped_reasons"]],
                              COLOURS["skipped"]),
        "failed": count_rows("failed", [(row["reason"], row["count"]) for row in report["failed_reasons"]],
                             COLOURS["failed"]),
    }
    table_keys = [key for key in CATEGORY_KEYS if key in CHART_KEYS or report["totals"][key]]
    return _environment().get_template(TEMPLATE).render(
        report=report, charts=charts, categories=CATEGORIES, chart_keys=CHART_KEYS, table_keys=table_keys,
        labels=LABELS,
        colours=COLOURS, group_labels=group_labels, percent=percent, owner_rows=OWNER_ROWS)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(
        enabled_extensions=("html", "j2"), default_for_string=True, default=True), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
