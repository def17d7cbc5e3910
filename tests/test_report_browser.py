"""`sopc report` pages in a real headless Chromium (tests/browser.py): the
burger and lifecycle runs of tests/report_runs.py render with no console
error and nothing fetched, the charts are there with a bar per day, playbook
and group and a segment per count, laid out inside the page, and a
screenshot of each is saved (tests/artifacts/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import browser, page  # noqa: F401  (pytest fixtures)
from report_runs import fill_burger, fill_lifecycle, quiet_mock, sopc


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    with quiet_mock() as mock:
        return {"burger": fill_burger(tmp_path_factory.mktemp("burger"), mock),
                "lifecycle": fill_lifecycle(tmp_path_factory.mktemp("lifecycle"), mock)}


def _report(project: Path) -> tuple[Path, dict]:
    out = project.parent / "report.html"
    sopc(project, "report", str(project), "-o", str(out))
    data = json.loads(sopc(project, "report", str(project), "--format", "json").stdout)
    return out, data


# What the browser sees: each chart's bars (their segments' categories and
# counts, read from the drawn rects) and whether anything sticks out of the page.
CHARTS = """
const charts = {};
for (const svg of document.querySelectorAll('svg.chart')) {
  charts[svg.id] = [...svg.querySelectorAll('g.bar')].map(g => ({
    key: g.dataset.key, total: +g.dataset.total,
    segments: [...g.querySelectorAll('rect.seg')].map(r => [r.dataset.cat, +r.dataset.count,
                                                             r.getBoundingClientRect().height,
                                                             r.getBoundingClientRect().width])}));
}
const page = document.documentElement.getBoundingClientRect();
const outside = [...document.querySelectorAll('svg.chart text')].filter(t => {
  const box = t.getBoundingClientRect(), svg = t.ownerSVGElement.getBoundingClientRect();
  return box.left < svg.left - 1 || box.right > svg.right + 1;
}).map(t => t.textContent);
return {charts, outside, wide: document.documentElement.scrollWidth > window.innerWidth,
        cards: Object.fromEntries([...document.querySelectorAll('.card')].map(c => [c.dataset.cat, +c.dataset.count]))};
"""


@pytest.mark.parametrize("example", ["burger", "lifecycle"])
def test_the_report_renders_its_charts_in_chromium(example, runs, page):
    out, data = _report(runs[example])
    page.open(out)
    assert page.console_errors() == []
    assert page.resources_requested() == []
    seen = page.js(CHARTS)
    assert seen["cards"]["sent"] == data["totals"]["sent"] and seen["cards"]["failed"] == data["totals"]["failed"]
    days = seen["charts"]["chart-day"]
    assert [bar["key"] for bar in days] == [row["day"] for row in data["by_day"]]
    for bar, row in zip(days, data["by_day"]):
        assert {cat: n for cat, n, _, _ in bar["segments"]} == {
            cat: n for cat, n in row["counts"].items() if n and cat not in ("cancelled", "in_doubt")}
        assert all(height > 0 for _, _, height, _ in bar["segments"])  # drawn, not collapsed
    assert len(seen["charts"]["chart-playbook"]) == len(data["by_playbook"])
    assert len(seen["charts"]["chart-group"]) == len(data["by_group"])
    assert len(seen["charts"]["chart-skipped"]) == len(data["skipped_reasons"])
    assert len(seen["charts"]["chart-failed"]) == len(data["failed_reasons"])
    assert seen["outside"] == [] and not seen["wide"]  # no label cut off at a chart's edge, no sideways scroll
    shot = page.screenshot(f"report-{example}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_report_renders_its_message(tmp_path, page):
    from projects import write_project

    root = write_project(tmp_path / "p", {"sopc.toml": 'timezone = "Asia/Shanghai"\n',
                                          "w.sop": 'playbook x "X"\n  to groups tagged t\n  周一 10:00  s  "hi"\n'})
    sopc(root, "pause", "x", str(root))
    out = tmp_path / "empty.html"
    sopc(root, "report", str(root), "-o", str(out))
    page.open(out)
    assert page.console_errors() == []
    assert page.js("return document.getElementById('empty').innerText").startswith("没有记录")
    page.screenshot("report-empty")
