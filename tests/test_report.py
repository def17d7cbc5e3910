"""`sopc report` on states filled by really running (tests/report_runs.py:
examples/burger, examples/lifecycle with its events, a 企业群发 project,
delivered to a loopback WeCom that refuses some). Every number on the page
and in the JSON is checked against the state file, counted by our own SQL
here."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from inprocess import run_sopc
from mockhooks import wecom_error
from projects import write_project
from report_runs import SEND_PATH, fill_burger, fill_lifecycle, fill_qunfa, quiet_mock, run, sopc


@pytest.fixture(scope="module")
def mock():
    with quiet_mock() as server:
        yield server


@pytest.fixture(scope="module")
def burger(tmp_path_factory, mock) -> Path:
    return fill_burger(tmp_path_factory.mktemp("burger"), mock)


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, mock) -> Path:
    return fill_lifecycle(tmp_path_factory.mktemp("lifecycle"), mock)


@pytest.fixture(scope="module")
def qunfa(tmp_path_factory, mock) -> Path:
    return fill_qunfa(tmp_path_factory.mktemp("qunfa"), mock)


def _state(project: Path) -> sqlite3.Connection:
    return sqlite3.connect(project / ".sopc" / "state.db")


CATEGORY_SQL = """CASE WHEN state='sent' AND confirm='waiting' THEN 'awaiting'
                       WHEN state='sent' AND confirm='failed' THEN 'failed'
                       WHEN state IN ('pending', 'claimed') THEN 'pending'
                       WHEN state='in-doubt' THEN 'in_doubt' ELSE state END"""


def _counted(project: Path, by: str = "''", where: str = "1") -> dict:
    """{value of ``by``: {category: count}} counted here, independently of sopc."""
    found: dict = {}
    with _state(project) as db:
        for value, cat, n in db.execute(f"SELECT {by}, {CATEGORY_SQL}, COUNT(*) FROM messages WHERE {where} "
                                        "GROUP BY 1, 2"):
            found.setdefault(value, {})[cat] = n
    return found


def _nonzero(counts: dict) -> dict:
    return {key: n for key, n in counts.items() if n}


def _report_json(project: Path, *args: str) -> dict:
    result = sopc(project, "report", str(project), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("example", ["burger", "lifecycle"])
def test_the_json_counts_equal_the_state_file(example, request):
    project = request.getfixturevalue(example)
    data = _report_json(project)
    everything = _counted(project)[""]
    assert _nonzero(data["totals"]) == everything
    assert data["messages"] == sum(everything.values())
    by_day = _counted(project, "substr(at, 1, 10)")
    assert {row["day"]: _nonzero(row["counts"]) for row in data["by_day"] if row["total"]} == by_day
    assert {row["playbook"]: _nonzero(row["counts"]) for row in data["by_playbook"]} == _counted(project, "playbook")
    assert {row["group"]: _nonzero(row["counts"]) for row in data["by_group"]} == _counted(project, "grp")
    with _state(project) as db:
        skipped = dict(db.execute("SELECT reason, COUNT(*) FROM messages WHERE state='skipped' GROUP BY 1"))
        failed = dict(db.execute("SELECT reason, COUNT(*) FROM messages WHERE state='failed' GROUP BY 1"))
    assert sum(row["count"] for row in data["skipped_reasons"]) == sum(skipped.values())
    assert sum(row["count"] for row in data["failed_reasons"]) == sum(failed.values())


def test_burger_shows_what_the_week_did(burger):
    data = _report_json(burger)
    with _state(burger) as db:
        last = db.execute("SELECT MAX(substr(at, 1, 10)) FROM messages").fetchone()[0]
    assert (data["from"], data["to"]) == ("2026-11-23", last)
    totals = data["totals"]
    assert totals["sent"] > 0 and totals["failed"] == 2 and totals["skipped"] >= 6
    reasons = {row["reason"]: row["count"] for row in data["skipped_reasons"]}
    assert reasons["missed"] == 3 and reasons["paused"] == 3  # Friday 15:00; the paused Wednesday
    assert {row["label"] for row in data["skipped_reasons"]} >= {"错过(超过宽限时间)", "剧本已暂停"}
    failures = {row["reason"]: row["count"] for row in data["failed_reasons"]}
    assert failures == {"WeCom error 40008: invalid message type": 1, "WeCom error 93000: invalid webhook url": 1}
    wednesday = next(row for row in data["by_day"] if row["day"] == "2026-11-25")
    assert wednesday["counts"]["failed"] == 2 and wednesday["counts"]["sent"] == 1
    assert [row["day"] for row in data["by_day"]][:3] == ["2026-11-23", "2026-11-24", "2026-11-25"]  # quiet days too
    names = {row["group"]: row["name"] for row in data["by_group"]}
    assert names["bk_hz_wulin"] == "汉堡王杭州武林广场店福利群"
    assert data["staff"]["tasks"] == 0 and data["staff"]["rate"] is None
    assert data["groupmsg"]["created"] == 0


def test_lifecycle_staff_tasks_and_their_completion(lifecycle):
    data = _report_json(lifecycle)
    staff = data["staff"]
    assert staff["senders"] == ["staff"]
    counted = _counted(lifecycle, where="kind='action' OR sender='staff'")[""]
    assert _nonzero(staff["counts"]) == counted
    assert staff["done"] == counted.get("sent", 0) and staff["tasks"] == sum(counted.values())
    due = staff["done"] + counted.get("failed", 0) + counted.get("in_doubt", 0)
    assert staff["rate"] == round(staff["done"] / due, 4)
    assert 0 < staff["rate"] < 1  # the reminder before the staff bot worked failed, the later ones went out
    assert any("93000" in row["reason"] for row in data["failed_reasons"])
    assert any(row["reason"] == "missed" for row in data["skipped_reasons"])  # nobody ran on 11-26


def test_completion_per_group_owner(lifecycle, qunfa):
    """Who gets the reminders and confirms the 企业群发 sends: the roster's owner of each group."""
    owners = {row["owner"]: row for row in _report_json(lifecycle)["by_owner"]}
    with _state(lifecycle) as db:
        tasks = db.execute("SELECT grp, state FROM messages WHERE kind='action' OR sender='staff'").fetchall()
    owner_of = {"gy_hz_xixi": "店长-阿杰", "gy_hz_binjiang": "店长-小雯", "gy_sh_gubei": "店长-Kevin"}
    expected = {}
    for group, state in tasks:
        done, due = expected.get(owner_of[group], (0, 0))
        expected[owner_of[group]] = (done + (state == "sent"), due + (state in ("sent", "failed", "in-doubt")))
    assert {owner: (row["staff"]["done"], row["staff"]["due"]) for owner, row in owners.items()} == expected
    assert owners["店长-阿杰"]["staff"]["rate"] == 0.0  # the reminder to remove 代购小刘 did not reach the staff bot
    assert list(owners)[0] == "店长-阿杰"  # the lowest completion first
    [zhangsan] = _report_json(qunfa)["by_owner"]
    assert zhangsan["owner"] == "zhangsan"
    assert zhangsan["groupmsg"] == {"confirmed": 1, "created": 3, "rate": round(1 / 3, 4)}
    page, html = _page(lifecycle)
    assert "店长-阿杰" in html and "0.0%" in html


def test_a_date_range_counts_only_its_days(burger):
    week = _report_json(burger, "--from", "2026-11-23", "--to", "2026-11-29")
    assert [row["day"] for row in week["by_day"]] == [f"2026-11-{d}" for d in range(23, 30)]
    counted = _counted(burger, where="substr(at, 1, 10) BETWEEN '2026-11-23' AND '2026-11-29'")[""]
    assert _nonzero(week["totals"]) == counted
    assert (week["from"], week["to"]) == ("2026-11-23", "2026-11-29")


def test_groupmsg_confirmations_and_their_completion(qunfa):
    data = _report_json(qunfa, "--from", "2026-11-23", "--to", "2026-11-23")
    with _state(qunfa) as db:
        confirms = dict(db.execute("SELECT confirm, COUNT(*) FROM messages WHERE confirm IS NOT NULL GROUP BY 1"))
    assert confirms == {"confirmed": 1, "failed": 1, "waiting": 1}
    assert data["groupmsg"] == {"waiting": 1, "confirmed": 1, "failed": 1, "created": 3, "rate": round(1 / 3, 4)}
    assert data["totals"]["awaiting"] == 1 and data["totals"]["sent"] == 1 and data["totals"]["failed"] == 1
    assert {"reason": "企业群发: 群主未发送", "count": 1} in data["failed_reasons"]


# ---- the page ---------------------------------------------------------------------------------

class _Page(HTMLParser):
    """What a test reads off the page: the cards, the charts' bars and
    their segments, the texts, scripts and links to elsewhere."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, int] = {}
        self.charts: dict[str, list[dict]] = {}
        self.rates: dict[str, str] = {}
        self.external: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self._chart: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "card" in (a.get("class") or "").split():
            self.cards[a["data-cat"]] = int(a["data-count"])
        if tag == "div" and (a.get("id") or "").startswith("rate-"):
            self.rates[a["id"][5:]] = a["data-rate"]
        if tag == "svg" and (a.get("id") or "").startswith("chart-"):
            self._chart = a["id"][6:]
            self.charts[self._chart] = []
        if tag == "g" and a.get("class") == "bar":
            self.charts[self._chart].append({"key": a["data-key"], "total": int(a["data-total"]), "segments": {}})
        if tag == "rect" and a.get("class") == "seg":
            self.charts[self._chart][-1]["segments"][a["data-cat"]] = int(a["data-count"])
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            if a.get(name) and not a[name].startswith("#"):
                self.external.append(a[name])
        if tag == "link":
            self.external.append(a.get("href", "link"))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None

    def handle_data(self, data):
        self.text.append(data)


def _page(project: Path, *args: str) -> tuple[_Page, str]:
    out = project.parent / "report.html"
    result = sopc(project, "report", str(project), "-o", str(out), *args)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    html = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return page, html


@pytest.mark.parametrize("example", ["burger", "lifecycle"])
def test_the_page_shows_the_state_files_numbers_as_bars(example, request):
    project = request.getfixturevalue(example)
    page, html = _page(project)
    everything = _counted(project)[""]
    for cat in ("sent", "awaiting", "failed", "skipped", "pending"):
        assert page.cards[cat] == everything.get(cat, 0), cat
    by_day = _counted(project, "substr(at, 1, 10)")
    days = {bar["key"]: bar["segments"] for bar in page.charts["day"]}
    assert {day: segs for day, segs in days.items() if segs} == {
        day: {k: n for k, n in counts.items() if k not in ("cancelled", "in_doubt")} for day, counts in by_day.items()}
    first, last = min(by_day), max(by_day)
    assert len(page.charts["day"]) == (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1
    assert len(page.charts["playbook"]) == len(_counted(project, "playbook"))
    assert len(page.charts["group"]) == len(_counted(project, "grp"))
    assert sum(bar["total"] for bar in page.charts["skipped"]) == everything.get("skipped", 0)
    for label in ("已发送", "已跳过", "失败", "待确认", "完成率", "按天", "按剧本", "按群"):
        assert label in html
    assert page.scripts == 0 and page.external == []  # nothing to fetch, nothing to run


def test_the_page_escapes_what_users_wrote(tmp_path, mock):
    """A group name and a sender's error are user data: shown as text, never markup."""
    evil = '<img src=x onerror=alert(1)>店'
    root = write_project(tmp_path / "evil", {
        "w.sop": 'playbook p "P"\n  to groups tagged t\n  sender bot\n  周一 10:00   s   "hi"\n',
        "groups.csv": f'id,name,tags\ng1,"{evil}",t\ng2,ok,t\n',
        "sopc.toml": f'timezone = "Asia/Shanghai"\n[senders.bot]\nkind = "wecom-bot"\nkey_env = "K"\n'
                     f'base_url = "{mock.url}"\n'})
    mock.add_wecom_bot("evil-key")
    mock.queue_answers(SEND_PATH, wecom_error(40008, "<script>alert(2)</script>"))
    run(root, "2026-11-23T10:00:30", {"K": "evil-key"})
    page, html = _page(root)
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;店" in html and "&lt;script&gt;alert(2)" in html
    assert page.scripts == 0 and page.external == []
    assert page.cards["failed"] == 1 and page.cards["sent"] == 1


def test_an_empty_state_says_there_is_nothing_yet(tmp_path):
    root = write_project(tmp_path / "p", {"sopc.toml": 'timezone = "Asia/Shanghai"\n',
                                          "w.sop": 'playbook x "X"\n  to groups tagged t\n  周一 10:00  s  "hi"\n'})
    sopc(root, "pause", "x", str(root))  # creates the state file; no message in it
    page, html = _page(root)
    assert "没有记录" in html and page.charts == {} and page.cards == {}
    data = _report_json(root)
    assert data["messages"] == 0 and data["by_day"] == []


def test_a_range_with_nothing_in_it_says_so(burger):
    page, html = _page(burger, "--from", "2027-01-01", "--to", "2027-01-07")
    assert "没有记录" in html and "2027-01-01 至 2027-01-07" in html


def test_a_missing_state_file_is_a_clear_error(tmp_path):
    root = write_project(tmp_path / "p", {"sopc.toml": 'timezone = "Asia/Shanghai"\n'})
    result = run_sopc("report", str(root), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert result.exit_code == 1
    assert "no run state at" in result.stderr and "sopc run" in result.stderr and "Traceback" not in result.stderr
    missing = run_sopc("report", str(root), "--state", str(tmp_path / "nope.db"), "--format", "json", cwd=tmp_path)
    assert missing.exit_code == 1 and "nope.db" in missing.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_file_that_is_not_a_state_file_is_a_clear_error(tmp_path):
    root = write_project(tmp_path / "p", {"sopc.toml": 'timezone = "Asia/Shanghai"\n'})
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not sqlite at all " * 100, encoding="utf-8")
    result = run_sopc("report", str(root), "--state", str(bogus), "--format", "json", cwd=tmp_path)
    assert result.exit_code == 1 and "sopc state file" in result.stderr and "Traceback" not in result.stderr


def test_bad_dates_are_refused_with_the_option_named(burger):
    wrong = run_sopc("report", str(burger), "--from", "2026-13-01", "--format", "json", cwd=burger.parent)
    assert wrong.exit_code == 2 and "--from" in wrong.stderr and "YYYY-MM-DD" in wrong.stderr
    backwards = run_sopc("report", str(burger), "--from", "2026-11-29", "--to", "2026-11-23", "--format", "json",
                         cwd=burger.parent)
    assert backwards.exit_code == 2 and "before --from" in backwards.stderr


def test_many_groups_show_the_busiest_and_the_others_as_one_bar(burger):
    data = _report_json(burger, "--top", "2")
    assert len(data["by_group"]) == 3 and data["by_group"][-1]["group"] is None
    others = data["by_group"][-1]
    assert others["others"] == 1
    counted = _counted(burger, "grp")
    top_two = {row["group"] for row in data["by_group"][:2]}
    assert others["total"] == sum(sum(c.values()) for g, c in counted.items() if g not in top_two)
    page, html = _page(burger, "--top", "2")
    assert len(page.charts["group"]) == 3 and "其他 1 个群" in html


def test_the_command_speaks_chinese_when_asked(burger):
    out = burger.parent / "zh.html"
    written = run_sopc("--lang", "zh", "report", str(burger), "-o", str(out), cwd=burger.parent)
    assert written.exit_code == 0 and f"已写入 {out}：" in written.stderr and "条消息" in written.stderr
    backwards = run_sopc("--lang", "zh", "report", str(burger), "--from", "2026-11-29", "--to", "2026-11-23",
                         "--format", "json", cwd=burger.parent)
    assert backwards.exit_code == 2 and "2026-11-23 早于 --from 2026-11-29" in backwards.stderr
