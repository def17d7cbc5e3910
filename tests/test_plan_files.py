"""The plan as files people open: CSV that Excel on Chinese Windows reads
right (a UTF-8 BOM, `--no-bom` for tools), an Excel workbook with one sheet
per day, and an iCalendar file for Outlook, Feishu and Google Calendar. Each
is read back with the library a user's tool would use and compared with the
JSONL plan (the contract): the same messages, at the same local times."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pty
import subprocess
import sys
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pytest

from helpers_golden import assert_golden
from inprocess import run_sopc

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "plans"
NOW = "2026-11-23T09:00"
WEEK = ("--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Two posts a day under a cap of one: the second is skipped (--show-skipped shows why).
CAPPED = '''
playbook daily "每日"
  to groups tagged 福利群
  sender console
  quiet off
  cap 1/day
  gap 0m
  周一 10:00  morning  "=早安 {{ group.store }}"
  周一 11:00  noon     "@午安"
'''


def sopc(*args: str, cwd: Path = REPO):
    return run_sopc(*args, cwd=cwd)


def plan(*args: str, cwd: Path = REPO) -> bytes:
    result = sopc("plan", *args, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def burger_jsonl(*extra: str) -> list[dict]:
    return [json.loads(line) for line in plan("examples/burger", *WEEK, "--format", "jsonl", *extra).splitlines()]


def local(message: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(message["at"]).astimezone(SHANGHAI)


# ---- CSV -----------------------------------------------------------------------------------

def test_csv_starts_with_a_bom_for_excel_and_parses_back_to_the_plan():
    raw = plan("examples/burger", *WEEK, "--format", "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    messages = burger_jsonl()
    assert [(r["id"], r["at"], r["group"], r["text"]) for r in rows] == \
        [(m["id"], m["at"], m["target"]["group"], m["text"]) for m in messages]


def test_no_bom_is_for_tools():
    raw = plan("examples/burger", *WEEK, "--format", "csv", "--no-bom")
    assert raw.startswith(b"id,at,playbook,")
    assert raw == plan("examples/burger", *WEEK, "--format", "csv")[3:]


def test_csv_with_show_skipped_has_the_bom_and_the_reasons(project):
    root = project({"daily.sop": CAPPED})
    raw = plan(".", *WEEK, "--format", "csv", "--show-skipped", cwd=root)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert len(skipped) == 3 and all(r["step"] == "noon" and "cap" in r["reason"] for r in skipped)


def test_output_file_holds_the_same_bytes_as_stdout(tmp_path):
    target = tmp_path / "plan.csv"
    result = sopc("plan", "examples/burger", *WEEK, "--format", "csv", "-o", str(target))
    assert result.exit_code == 0 and result.stdout_bytes == b""
    assert target.read_bytes() == plan("examples/burger", *WEEK, "--format", "csv")
    assert not (tmp_path / "plan.csv.part").exists()


def test_an_output_file_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path):
    result = sopc("plan", "examples/burger", *WEEK, "--format", "xlsx", "-o", str(tmp_path / "no" / "plan.xlsx"))
    assert result.exit_code == 1
    assert "plan.xlsx" in result.stderr and "No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


# ---- xlsx ------------------------------------------------------------------------------------

def burger_book(tmp_path, *extra: str) -> openpyxl.Workbook:
    target = tmp_path / "plan.xlsx"
    result = sopc("plan", "examples/burger", *WEEK, "--format", "xlsx", "-o", str(target), *extra)
    assert result.exit_code == 0, result.stderr
    return openpyxl.load_workbook(target)


def test_xlsx_has_a_sheet_per_day_with_chinese_headers_and_every_message(tmp_path):
    book = burger_book(tmp_path)
    messages = burger_jsonl()
    days = sorted({local(m).date() for m in messages})
    weekdays = "一二三四五六日"
    assert book.sheetnames == [f"{d:%m-%d} 周{weekdays[d.weekday()]}" for d in days]
    assert book.sheetnames[0] == "11-23 周一"
    rows = []
    for sheet, day in zip(book.worksheets, days):
        header, *body = sheet.iter_rows(values_only=True)
        assert header == ("时间", "群", "群名称", "成员", "私聊", "玩法", "步骤", "发送方", "类型", "@提醒", "内容",
                          "消息ID")
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:L{len(body) + 1}"
        assert sheet.column_dimensions["K"].width >= 40  # the text column is wide, and wraps
        assert all(row[0].date() == day for row in body)
        rows += body
    assert [(r[11], r[0], r[1], r[5], r[6], r[10]) for r in rows] == \
        [(m["id"], local(m).replace(tzinfo=None), m["target"]["group"], m["playbook"], m["step"], m["text"])
         for m in messages]
    names = {r[1]: r[2] for r in rows}
    assert names["bk_hz_wulin"] == "汉堡王杭州武林广场店福利群"  # the roster's name beside the id


def test_xlsx_shows_skipped_messages_with_their_reason_and_text_stays_text(project, tmp_path):
    root = project({"daily.sop": CAPPED})
    target = tmp_path / "plan.xlsx"
    result = sopc("plan", ".", *WEEK, "--format", "xlsx", "-o", str(target), "--show-skipped", cwd=root)
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(target)["11-23 周一"]
    header, *body = sheet.iter_rows(values_only=True)
    assert header[11:] == ("状态", "原因", "原定时间", "消息ID")
    by_step = {}
    for row in body:
        by_step.setdefault(row[6], []).append(row)
    assert {r[11] for r in by_step["morning"]} == {"计划"}
    assert {r[11] for r in by_step["noon"]} == {"跳过"} and all("cap" in r[12] for r in by_step["noon"])
    # "=早安" is text (not a formula Excel would run), "@午安" too
    assert by_step["morning"][0][10].startswith("=早安")
    cells = list(sheet.iter_rows(min_row=2))
    assert {row[10].data_type for row in cells} == {"s"}
    skipped_row = next(row for row in cells if row[6].value == "noon")
    assert skipped_row[0].font.color.rgb.endswith("808080")  # greyed out


def test_xlsx_refuses_a_terminal_and_says_to_use_o():
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-c", "from sopc.cli import main; main()",
                               "plan", "examples/burger", *WEEK, "--format", "xlsx"],
                              cwd=REPO, stdout=follower, stderr=subprocess.PIPE, timeout=120,
                              env={**os.environ, "NO_COLOR": "1"})
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert "give -o plan.xlsx" in done.stderr.decode()


def test_xlsx_to_a_pipe_is_a_workbook():
    raw = plan("examples/burger", *WEEK, "--format", "xlsx")
    assert zipfile.is_zipfile(io.BytesIO(raw))
    assert openpyxl.load_workbook(io.BytesIO(raw)).sheetnames[0] == "11-23 周一"


def test_a_day_over_a_sheets_rows_goes_on_in_another_sheet(tmp_path, monkeypatch):
    import sopc.plan.sheets as sheets

    monkeypatch.setattr(sheets, "EXCEL_MAX_ROWS", 3)  # the header and two messages
    book = burger_book(tmp_path)
    assert book.sheetnames[:3] == ["11-23 周一", "11-23 周一 (2)", "11-25 周三"]
    assert [s.max_row for s in book.worksheets[:2]] == [3, 2]
    assert sum(s.max_row - 1 for s in book.worksheets) == len(burger_jsonl())


def test_sheet_titles_and_cells_stay_within_excels_rules():
    from sopc.plan.sheets import EXCEL_MAX_CELL, excel_text, sheet_title

    assert sheet_title(dt.date(2026, 11, 24), 2026) == "11-24 周二"
    assert sheet_title(dt.date(2027, 1, 2), 2026) == "2027-01-02 周六"
    assert excel_text("a\x07b") == "a\ufffdb"
    long = excel_text("长" * (EXCEL_MAX_CELL + 10))
    assert len(long) == EXCEL_MAX_CELL and long.endswith("…")


def test_an_empty_plan_is_a_workbook_with_the_header(tmp_path):
    target = tmp_path / "plan.xlsx"
    result = sopc("plan", "examples/burger", "--from", "2026-11-24", "--to", "2026-11-24", "--now", NOW,
                  "--format", "xlsx", "-o", str(target))
    assert result.exit_code == 0
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["计划"] and book.active["A1"].value == "时间" and book.active.max_row == 1


# ---- ics ---------------------------------------------------------------------------------------

def burger_ics(*extra: str) -> bytes:
    return plan("examples/burger", *WEEK, "--format", "ics", *extra)


def events_of(raw: bytes) -> list:
    return list(icalendar.Calendar.from_ical(raw).walk("VEVENT"))


def test_ics_matches_golden_for_the_burger_week():
    assert_golden(GOLDEN / "burger.ics", burger_ics())


def test_ics_is_the_same_bytes_each_run():
    assert burger_ics() == burger_ics()


def test_ics_events_are_at_the_plans_local_times_in_its_zone():
    raw = burger_ics()
    calendar = icalendar.Calendar.from_ical(raw)
    zones = list(calendar.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Asia/Shanghai"]
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    events = events_of(raw)
    messages = burger_jsonl()
    # a step posted to the three groups at one moment is one event for them
    moments = sorted({(local(m), m["step"]) for m in messages})
    assert [(e.decoded("DTSTART"), str(e["SUMMARY"])) for e in events] == \
        [(at, f"bk_week/{step} · 3 个群") for at, step in moments]
    for event in events:
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(hours=8)
        assert b"DTSTART;TZID=Asia/Shanghai:" in event.to_ical()
        assert event.decoded("DTEND") - start == dt.timedelta(minutes=15)
    assert len({str(e["UID"]) for e in events}) == len(events)
    king = next(e for e in events if "king_day" in str(e["SUMMARY"]))
    description = str(king["DESCRIPTION"])
    assert "群（3 个）：汉堡王北京三里屯店福利群、汉堡王杭州武林广场店福利群、汉堡王上海南京东路店福利群" in description
    assert "👑 今天是汉堡王国王日!9.9元 1+1 随心配,三里屯店堂食" in description


def test_one_group_gets_one_event_per_message_with_the_message_id_as_uid():
    messages = burger_jsonl("--group", "bk_hz_wulin")
    events = events_of(burger_ics("--group", "bk_hz_wulin"))
    assert [str(e["UID"]) for e in events] == [f"{m['id']}@sopc" for m in messages]
    assert [e.decoded("DTSTART") for e in events] == [local(m) for m in messages]
    assert all(str(e["SUMMARY"]).endswith("· 汉堡王杭州武林广场店福利群") for e in events)
    assert [str(e["DESCRIPTION"]).split("\n\n", 1)[1] for e in events] == [m["text"] for m in messages]


def test_member_messages_are_each_their_own_event():
    args = ("plan", "examples/lifecycle", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW,
            "--events", "examples/lifecycle/events.jsonl")
    messages = [json.loads(line) for line in plan(*args[1:], "--format", "jsonl").splitlines()]
    events = events_of(plan(*args[1:], "--format", "ics"))
    for_members = [m for m in messages if "member" in m["target"]]
    assert for_members, "the lifecycle example plans messages to members"
    uids = {str(e["UID"]) for e in events}
    assert {f"{m['id']}@sopc" for m in for_members} <= uids


def test_skipped_messages_show_only_with_show_skipped_and_say_why(project):
    root = project({"daily.sop": CAPPED})
    plain = events_of(plan(".", *WEEK, "--format", "ics", cwd=root))
    assert [str(e["SUMMARY"]) for e in plain] == ["daily/morning · 3 个群"]
    shown = events_of(plan(".", *WEEK, "--format", "ics", "--show-skipped", cwd=root))
    skipped = [e for e in shown if str(e["STATUS"]) == "CANCELLED"]
    assert [str(e["SUMMARY"]) for e in skipped] == ["【已跳过】daily/noon · 3 个群"]
    assert "已跳过：" in str(skipped[0]["DESCRIPTION"]) and "cap" in str(skipped[0]["DESCRIPTION"])


def test_a_skipped_messages_reason_in_the_calendar_is_in_the_readers_language(project):
    """The gate records its reasons in English; the calendar's own words are
    Chinese, and so is the reason for a Chinese reader (it was English)."""
    root = project({"daily.sop": CAPPED})
    raw = sopc("--lang", "zh", "plan", ".", *WEEK, "--format", "ics", "--show-skipped", cwd=root).stdout_bytes
    [skipped, *_] = [e for e in events_of(raw) if str(e["STATUS"]) == "CANCELLED"]
    why = str(skipped["DESCRIPTION"]).split("\n\n")[0].splitlines()[-1]
    assert why.startswith("已跳过：") and "already had" not in why
    assert "今天已发 1 条（上限每天 1 条）" in why, why


def test_text_that_looks_like_a_formula_is_text_in_every_column(tmp_path):
    from sopc.core.messages import PlannedMessage
    from sopc.plan.output import PlanFile
    from sopc.plan.sheets import write_xlsx

    at = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    message = PlannedMessage(id="m1", at=at, playbook="p", step="=step", group="=g1", member=None, sender="s",
                             kind="text", mentions=("=cmd",), text="plain")
    how = PlanFile(zone=SHANGHAI, window=(at, at + dt.timedelta(days=1)), group_names={"=g1": '=HYPERLINK("x")'})
    target = tmp_path / "plan.xlsx"
    with open(target, "wb") as out:
        assert write_xlsx([message], out, how) == 1
    row = list(openpyxl.load_workbook(target)["11-24 周二"].iter_rows(min_row=2))[0]
    assert [(c.value, c.data_type) for c in row if str(c.value).startswith("=")] == [
        ("=g1", "s"), ('=HYPERLINK("x")', "s"), ("=step", "s"), ("=cmd", "s")]
