"""Property tests: whatever the input, `sopc check` reports, never crashes.

Random text, and random mutations of the standard library playbooks and of
a rich sample (lines deleted, duplicated, swapped; CJK, full-width and quote
characters inserted; files truncated) go through the whole pipeline. Every
diagnostic must have a proper code and a span inside the file it names, and
the CLI must exit 0 or 1 (never 70, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopc import pipeline
from sopc.core.render import render_json, render_text

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CODE = re.compile(r"^[EW]\d{4}$")

RICH = '''# 丰富的样例:用到语言的大部分写法
import "std/flash_sale.sop"
import newcomer from "std/newcomer.sop"
import recall from "std/recall.sop"

template welcome_card markdown """
欢迎 @{{ member.name }} 加入{{ group.name }}!
{{ schedule_summary }}
"""

stages
  新人期 when age < 7d
  沉默期 when silent >= 7d and age > 30d or silent > 60d
  活跃期 otherwise

timeline mini "迷你快闪" max 2h
  T-30m  pre    "还有 30 分钟开抢 {{ product }}"
  T      open   "开抢啦" @all
  T+1h   close  dissolve group

playbook welfare "门店福利群 周SOP"
  to groups tagged 福利群 and not (city:上海 or 快闪群)
  sender console
  timezone Asia/Shanghai
  quiet 22:00-08:00 defer
  cap 6/day
  gap 30m
  active 2026-11-01 to 2027-03-31
  on holidays 顺延
  vars brand=喜茶 amount=50 rate=0.8

  周一 10:00          coupon_pack  template "coupon.j2"  amount=50
  周三 11:30,15:00    member_day   “会员日:第二杯半价,{{ group.store }}今天全天可用” @all
  fri..mon 18:00      weekend      markdown "**周末**福利 {{ brand }}"
  工作日 12:30        lunch        "午餐时间到,{{ group.name }}"
  每月 1号,最后一天 09:30  monthly  "月度福利已发放"
  every 14d from 2026-11-02 at 20:00  biweekly  "双周直播预告"
  cron "0 21 * * 5"   friday_night "周五晚安" @所有人

  on member.joined once per member until member.purchased
    +0            hello   template welcome_card @member
    +1d at 10:00  coupon  "{{ member.name }},新人券到账" @member
    use newcomer
  on member.silent 7d repeat until member.message
    use recall
  on group.stage 沉默期
    +2h  wake  remind staff "{{ group.name }} 沉默了,去活跃一下"

playbook flash "快闪群"
  to groups tagged 快闪群
  quiet off
  gap 10m
  run flash_sale at 2026-12-12 20:00 in group flash_01 with product=樱花杯 price=9.9
  run mini at 2026-12-20 19:00 in groups tagged 快闪群 with product=月饼
'''

SAMPLES = {p.name: p.read_text(encoding="utf-8") for p in sorted((REPO / "playbooks").glob("*.sop"))}
SAMPLES["rich.sop"] = RICH
LINES_POOL = sorted({line for text in SAMPLES.values() for line in text.splitlines() if line.strip()})

INTERESTING = list("周一二三日天星期每月号最后：，（）＝＠＋－＂“”‘’「」\u3000\t\"'#=@.,:;+-/()\\{}%") + [
    '"""', "{{", "}}", "{%", "%}", "..", "T+", "\r", "\r\n", "\n", "\x00", "\ufeff", "😀", "é", "\u200d",
    "25:00", "2026-02-30", "1m1d", "member", "@member", "dissolve group", " and ", " or ", " not ",
]

chars = st.one_of(st.sampled_from(INTERESTING), st.characters(codec="utf-8"))


def pieces(min_size: int = 0, max_size: int = 300):
    """Text made of the interesting pieces above and any other characters."""
    return st.lists(chars, min_size=min_size, max_size=max_size).map("".join)


def line_count(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@st.composite
def mutated(draw) -> str:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    lines = SAMPLES[name].split("\n")
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "line", "truncate", "replace"]))
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(pieces(1, 4)) + lines[i][at:]
        elif kind == "line":
            lines.insert(i, draw(st.sampled_from(LINES_POOL)))
        elif kind == "replace" and lines[i]:
            at = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:at] + draw(chars) + lines[i][at + 1:]
        elif kind == "truncate":
            text = "\n".join(lines)
            lines = text[:draw(st.integers(0, len(text)))].split("\n")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("props")
    (root / "sopc.toml").write_text('timezone = "Asia/Shanghai"\n\n[senders.console]\nkind = "console"\n',
                                    encoding="utf-8")
    (root / "groups.csv").write_text(
        "id,name,tags,store,city\n"
        "hz_001,杭州西湖店福利群,福利群;city:杭州,西湖店,杭州\n"
        "sh_001,上海人民广场店福利群,福利群;city:上海,人民广场店,上海\n"
        "flash_01,双十二快闪群,快闪群,线上,杭州\n", encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "coupon.j2").write_text("【{{ group.store }}】{{ amount }} 元券包\n", encoding="utf-8")
    return root


def check_never_crashes(root: Path, text: str) -> None:
    path = root / "main.sop"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = pipeline.check([path], now=NOW)
    render_text(result.diagnostics, result.project.sources)
    json.loads(render_json(result.diagnostics))
    if not result.failed:  # what checks clean can be planned
        list(pipeline.plan(result, NOW, NOW + dt.timedelta(days=7)))
    for d in result.diagnostics:
        assert CODE.match(d.code), d
        assert d.code != "E0999", d  # a check crashed: a bug, reported as a diagnostic
        if d.span is None:
            continue
        target = Path(d.span.path)
        if target.is_file() and target.resolve() == path.resolve():
            lines = line_count(text.removeprefix("\ufeff"))
        elif d.span.path in result.project.sources:  # e.g. `std/newcomer.sop`, read from the package
            lines = line_count(result.project.sources[d.span.path])
        else:  # sopc.toml, a template file
            assert target.is_file(), d
            lines = line_count(target.read_text(encoding="utf-8-sig", errors="replace"))
        assert 1 <= d.span.line <= len(lines), d
        assert 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1, d
        assert (d.span.end_line, d.span.end_column) >= (d.span.line, d.span.column), d
        assert d.span.end_line <= len(lines) + 1, d


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])


@FAST
@given(text=pieces())
def test_random_text(workspace, text):
    check_never_crashes(workspace, text)


@FAST
@given(text=st.lists(st.sampled_from(LINES_POOL + ["", "  ", "playbook p", "  to all groups"]), max_size=25)
       .map("\n".join))
def test_random_lines_from_the_samples(workspace, text):
    check_never_crashes(workspace, text)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_mutated_playbooks(workspace, text):
    check_never_crashes(workspace, text)


def test_the_samples_themselves_check_cleanly(workspace):
    path = workspace / "main.sop"
    path.write_text(RICH, encoding="utf-8")
    result = pipeline.check([path], now=NOW)
    assert [d for d in result.diagnostics if d.is_error] == []


def _mutate_plainly(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(2, 6)):
        i = rng.randrange(len(lines))
        op = rng.choice(["delete", "duplicate", "insert", "swap"])
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            at = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + rng.choice(INTERESTING) + lines[i][at:]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cli_on_mutated_files_exits_0_or_1(tmp_path, run_sopc, seed):
    rng = random.Random(seed)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "groups.csv").write_text("id,name,tags,store\nhz_001,西湖店福利群,福利群,西湖店\n", encoding="utf-8")
    for index, (name, text) in enumerate(sorted(SAMPLES.items())):
        (root / f"m{index}_{name}").write_text(_mutate_plainly(text, rng), encoding="utf-8")
    for fmt in ("text", "json"):
        result = run_sopc("check", "proj", "--format", fmt, "--now", "2026-11-23T09:00", cwd=tmp_path)
        assert result.exit_code in (0, 1), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
