"""A roster may be an Excel workbook (.xlsx): the 企业微信 admin console's
group-list export, or any sheet saved by Excel or WPS. Its first sheet is read
by the CSV reader's own row logic: the same rows give the same groups and the
same diagnostics, located at ``groups.xlsx[sheet]:row:column``; a broken or
oversized workbook is a located error, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sopc.core.limits import MAX_CELL_CHARS
from sopc.project.roster import load_roster

NOW = "2026-11-23T09:00"

OUTBOX_TOML = '''timezone = "Asia/Shanghai"
roster = "groups.xlsx"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

WELFARE = '''
playbook welfare "福利"
  to groups tagged 福利群
  sender outbox
  周一 10:00  coupon  "{{ group.name }}:本周券包已发放({{ group.所属部门 }})"
'''


def write_xlsx(path: Path, rows: list[list], title: str = "客户群列表") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


# ---- the same reader as CSV --------------------------------------------------------------

ROWS = [
    ["id", "name", "tags", "external", "owner", "created", "store"],
    ["wr001", "静安店1群", "VIP;华东", "否", "张三", "2024-03-01", "静安店"],
    ["wr002", "徐汇店1群", "", "是", "", "", "徐汇店"],
    ["", "无名群", "VIP", "", "", "", ""],                 # E0612 empty id
    ["wr001", "重复", "", "", "", "", ""],                 # E0613 duplicate
    ["wr003", "坏日期", "", "也许", "", "2024-13-45", ""],  # E0614 twice
    ["wr004", "多一格", "", "", "", "", "", "extra"],      # W0615
]


def test_a_sheet_and_a_csv_of_the_same_rows_give_the_same_groups_and_diagnostics(tmp_path):
    csv_roster, csv_problems = load_roster([write_csv(tmp_path / "groups.csv", ROWS)], tmp_path)
    xlsx_roster, xlsx_problems = load_roster([write_xlsx(tmp_path / "groups.xlsx", ROWS)], tmp_path)

    def groups(roster):
        return [(g.id, g.name, g.tags, dict(g.variables), g.external, g.owner, g.created, g.span.line)
                for g in roster.groups]

    assert groups(xlsx_roster) == groups(csv_roster)
    assert [g.id for g in xlsx_roster.groups] == ["wr001", "wr002", "wr003", "wr004"]

    def problems(diagnostics):
        return [(d.code, d.message, d.span.line, d.hint) for d in diagnostics]

    # one difference: a sheet has no delimiter to quote, so W0615's help says what to do in the sheet
    assert problems(xlsx_problems)[:-1] == problems(csv_problems)[:-1]
    assert problems(xlsx_problems)[-1][:3] == problems(csv_problems)[-1][:3]
    assert "header's last column" in xlsx_problems[-1].hint
    assert codes(xlsx_problems) == ["E0612", "E0613", "E0614", "E0614", "W0615"]


def test_diagnostics_name_the_file_the_sheet_the_row_and_the_column(tmp_path):
    _, problems = load_roster([write_xlsx(tmp_path / "groups.xlsx", ROWS)], tmp_path)
    where = {(d.code, d.span.line): (d.span.path, d.span.column) for d in problems}
    sheet = f"{tmp_path / 'groups.xlsx'}[客户群列表]"
    assert where[("E0612", 4)] == (sheet, 1)       # A4: the empty id
    assert where[("E0613", 5)] == (sheet, 1)       # A5
    assert where[("W0615", 7)] == (sheet, 8)       # H7: the cell past the header
    dates = sorted(d.span.column for d in problems if d.code == "E0614")
    assert dates == [4, 6]                         # D6 (external), F6 (created)


def test_wecom_admin_console_export_headers_are_recognised(tmp_path):
    rows = [["群名称", "群主", "客户群ID", "创建时间", "群人数", "今日入群", "标签", "所属部门"],
            ["汉堡王武林店福利群", "zhangsan", "wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAA",
             dt.datetime(2024, 3, 1, 10, 30), 186, 3, "福利群，华东", "杭州一区"],
            ["汉堡王南京东路店福利群", "lisi", 1234567, dt.date(2024, 3, 2), 99.0, None, "福利群", None]]
    roster, problems = load_roster([write_xlsx(tmp_path / "客户群.xlsx", rows)], tmp_path)
    assert problems == []
    first, second = roster.groups
    assert (first.id, first.name, first.owner, first.created) == (
        "wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAA", "汉堡王武林店福利群", "zhangsan", dt.date(2024, 3, 1))
    assert first.tags == {"福利群", "华东"}
    assert dict(first.variables) == {"群人数": "186", "今日入群": "3", "所属部门": "杭州一区"}
    # a number typed into an id or count cell reads as the digits, not 1234567.0
    assert (second.id, second.created, second.variables["群人数"]) == ("1234567", dt.date(2024, 3, 2), "99")


@pytest.mark.parametrize("header", ["群ID", "群聊ID", "chat_id", "Chat ID", "id"])
def test_id_headers_in_a_sheet(tmp_path, header):
    roster, problems = load_roster([write_xlsx(tmp_path / "g.xlsx", [[header, "群聊名称"], ["wr1", "一群"]])],
                                   tmp_path)
    assert problems == [] and [(g.id, g.name) for g in roster.groups] == [("wr1", "一群")]


def test_empty_rows_and_trailing_empty_cells_are_not_problems(tmp_path):
    rows = [[None], ["id", "name", "city"], [None, None, None], ["wr1", "一群"], [], ["wr2", "二群", "杭州", None, None]]
    roster, problems = load_roster([write_xlsx(tmp_path / "g.xlsx", rows)], tmp_path)
    assert problems == []
    assert [(g.id, g.variables["city"], g.span.line) for g in roster.groups] == [("wr1", "", 4), ("wr2", "杭州", 6)]


def test_only_the_first_sheet_is_read(tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", [["id"], ["wr1"]], title="群")
    book = openpyxl.load_workbook(path)
    book.create_sheet("备注").append(["id"])
    book["备注"].append(["not-a-group"])
    book.save(path)
    roster, problems = load_roster([path], tmp_path)
    assert problems == [] and [g.id for g in roster.groups] == ["wr1"]


def test_a_sheet_without_an_id_column_says_so_with_a_hint(tmp_path):
    _, problems = load_roster([write_xlsx(tmp_path / "g.xlsx", [["群名称", "群主"], ["一群", "张"]])], tmp_path)
    assert codes(problems) == ["E0611"]
    assert problems[0].message == "g.xlsx has no group id column"
    assert problems[0].span.path.endswith("g.xlsx[客户群列表]") and problems[0].span.line == 1


# ---- bounded, and broken files ----------------------------------------------------------

def test_a_corrupt_workbook_is_a_located_error(tmp_path):
    path = tmp_path / "groups.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    _, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0616"]
    assert problems[0].span.path == str(path)
    assert "not an Excel workbook" in problems[0].message and ".xlsx" in problems[0].hint


def test_a_zip_that_is_not_a_workbook_is_a_located_error(tmp_path):
    path = tmp_path / "groups.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "你好")
    _, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0616"] and "cannot read groups.xlsx as an Excel workbook" in problems[0].message


def test_a_sheet_with_broken_xml_is_located_at_the_sheet(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [["id"], ["wr1"], ["wr2"]])
    path = good.rename(tmp_path / "groups.xlsx")
    rewrite_part(path, "xl/worksheets/sheet1.xml", b"</sheetData>",
                 b"<row r='x'><c r='A9'><v>1</v></c></row></sheetData>")
    roster, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0616"]
    assert problems[0].span.path == f"{path}[客户群列表]" and problems[0].span.line == 4
    assert "cannot read sheet `客户群列表` of groups.xlsx after row 3" in problems[0].message


def test_a_workbook_unpacking_beyond_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import sopc.project.workbook as workbook

    path = write_xlsx(tmp_path / "groups.xlsx", [["id"], ["wr1"]])
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_UNPACKED", unpacked - 1)
    monkeypatch.setattr(workbook, "_open", lambda *a: pytest.fail("opened a workbook over the limit"))
    _, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0619"] and f"unpacks to {unpacked} bytes" in problems[0].message


def rewrite_part(path: Path, part: str, old: bytes, new: bytes) -> None:
    """Edit one part of a workbook in place (what openpyxl would not write)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in parts:
            target.writestr(info, data.replace(old, new) if info.filename == part else data)


def test_a_cell_over_excels_own_limit_is_refused_at_the_cell(tmp_path):
    # openpyxl cuts what it writes at Excel's limit; another program may not
    path = write_xlsx(tmp_path / "groups.xlsx", [["id", "name"], ["wr1", "一群"], ["wr2", "LONGCELL"]])
    rewrite_part(path, "xl/worksheets/sheet1.xml", b"LONGCELL", ("长" * (MAX_CELL_CHARS + 1)).encode())
    roster, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0619"]
    assert (problems[0].span.line, problems[0].span.column) == (3, 2)
    assert [g.id for g in roster.groups] == ["wr1"]


def test_a_header_over_the_column_limit_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "groups.xlsx", [["id", *(f"c{i}" for i in range(1200))], ["wr1"]])
    _, problems = load_roster([path], tmp_path)
    assert codes(problems) == ["E0619"]
    assert problems[0].message == "groups.xlsx has more than 1000 columns; a roster may have at most 1000"


def test_a_cell_right_of_the_header_is_an_extra_cell_and_rows_go_on_to_excels_last(tmp_path):
    path = write_xlsx(tmp_path / "groups.xlsx", [["id", "name"], ["wr1", "一群"]])
    book = openpyxl.load_workbook(path)
    book.active["ALM2"] = "far"      # column 1,001: the last one a sheet roster reads
    book.active["A1048576"] = "wr9"  # Excel's last row, after a million empty ones
    book.save(path)
    roster, problems = load_roster([path], tmp_path)
    assert [g.id for g in roster.groups] == ["wr1", "wr9"]
    assert codes(problems) == ["W0615"]
    assert (problems[0].span.line, problems[0].span.column) == (2, 3)
    assert problems[0].message == "row has 1001 cells but the header has 2"


# ---- end to end: check, plan and run with an .xlsx roster --------------------------------

def xlsx_project(project, rows=None) -> Path:
    root = project({"sopc.toml": OUTBOX_TOML, "welfare.sop": WELFARE})
    (root / "groups.csv").unlink()  # the helper's own roster: this project has the workbook only
    write_xlsx(root / "groups.xlsx", rows or [
        ["客户群ID", "群名称", "群主", "标签", "所属部门"],
        ["wr_a", "一店福利群", "zhangsan", "福利群", "华东"],
        ["wr_b", "二店福利群", "lisi", "福利群", "华南"],
    ])
    return root


def test_check_plan_and_run_with_an_xlsx_roster(project, run_sopc):
    root = xlsx_project(project)
    assert run_sopc("check", ".", "--strict", "--now", NOW, cwd=root).exit_code == 0
    plan = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "jsonl", "--now", NOW,
                    cwd=root)
    assert plan.exit_code == 0, plan.stderr
    texts = {m["target"]["group"]: m["text"] for m in map(json.loads, plan.stdout.splitlines())}
    assert texts == {"wr_a": "一店福利群:本周券包已发放(华东)", "wr_b": "二店福利群:本周券包已发放(华南)"}
    run = run_sopc("run", ".", "--once", "--now", "2026-11-23T10:00", cwd=root)
    assert run.exit_code == 0, run.stderr
    sent = [json.loads(line) for line in (root / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(m["text"] for m in sent) == sorted(texts.values())
    with sqlite3.connect(root / ".sopc" / "state.db") as db:
        assert db.execute("select count(*) from messages where state = 'sent'").fetchone() == (2,)


def test_groups_xlsx_is_the_default_roster_when_there_is_no_csv(project, run_sopc):
    root = xlsx_project(project)
    (root / "sopc.toml").write_text(OUTBOX_TOML.replace('roster = "groups.xlsx"\n', ""), encoding="utf-8")
    plan = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "jsonl", "--now", NOW,
                    cwd=root)
    assert plan.exit_code == 0 and len(plan.stdout.splitlines()) == 2


def test_check_shows_the_sheet_row_and_column_of_a_problem(project, run_sopc):
    root = xlsx_project(project, [["客户群ID", "群名称", "标签"], ["wr_a", "一店", "福利群"], [None, "无 id", "福利群"]])
    result = run_sopc("check", ".", "--now", NOW, cwd=root)
    assert result.exit_code == 1
    assert "groups.xlsx[客户群列表]:3:1: error[E0612]: group id is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_of_a_corrupt_xlsx_roster_is_an_error_not_a_traceback(project, run_sopc):
    root = xlsx_project(project)
    (root / "groups.xlsx").write_bytes(b"\x00" * 100)
    result = run_sopc("check", ".", "--now", NOW, cwd=root)
    assert result.exit_code == 1
    assert "groups.xlsx:1:1: error[E0616]: groups.xlsx is not an Excel workbook (.xlsx)" in result.stderr
