"""`sopc event --file` in bulk (issue 9, item 3): a file of any size is read
and checked whole first (one refused line: nothing recorded, the line
named), then recorded a chunk at a time, each chunk in one transaction and
once, also when the same file is run again after a failure part-way.
Intake reads the project's zone, roster and stages, not a build of it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from projects import write_project

from sopc import pipeline
from sopc.events import intake
from sopc.run.store import SQLiteStore

MEMBERS = '''
playbook members "会员"
  to all groups
  sender console

  on member.joined
    +0  welcome  "欢迎 {{ member.name }}"
'''


def _line(number: int, group: str = "hz_001", **extra) -> str:
    return json.dumps({"event": "member.message", "group": group, "member": f"m{number}",
                       "at": "2026-11-23T10:00:00+08:00", **extra}, ensure_ascii=False)


def _members(root: Path) -> list[str]:
    """The members of the recorded events, in the order recorded."""
    state = root / ".sopc" / "state.db"
    if not state.exists():
        return []
    with sqlite3.connect(state) as db:
        return [row[0] for row in db.execute("SELECT member FROM events ORDER BY seq")]


def _chunk_keys(root: Path) -> int:
    with sqlite3.connect(root / ".sopc" / "state.db") as db:
        return db.execute("SELECT COUNT(*) FROM request_keys WHERE key LIKE 'sopc event --file %'").fetchone()[0]


@pytest.fixture
def root(tmp_path) -> Path:
    return write_project(tmp_path / "proj", {"m.sop": MEMBERS})


@pytest.fixture
def chunks_of_four(monkeypatch):
    monkeypatch.setattr(intake, "CHUNK", 4)


def _record(run_sopc, root: Path, events: Path):
    return run_sopc("event", "--file", str(events), str(root), cwd=root.parent)


# ---- a file of many chunks ------------------------------------------------------------------------

def test_a_file_of_many_chunks_is_recorded_completely_in_order_and_once(root, run_sopc, tmp_path, chunks_of_four):
    events = tmp_path / "events.jsonl"
    lines = [_line(n) for n in range(10)]
    lines[5:5] = ["", "# a comment", _line(99, group="zz_other")]
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = _record(run_sopc, root, events)
    assert first.exit_code == 0, first.stderr
    assert _members(root) == [f"m{n}" for n in range(10)]
    assert "recorded member.message m0 in hz_001 at 2026-11-23 10:00" in first.stdout
    assert f"{events}:8: ignored: group `zz_other` is not in the roster" in first.stderr
    assert _chunk_keys(root) == 3  # 11 records: 4 + 4 + 3, each chunk in its own transaction
    again = _record(run_sopc, root, events)
    assert again.exit_code == 0
    assert "10 events of these lines were recorded before" in again.stderr and "recorded member" not in again.stdout
    assert _members(root) == [f"m{n}" for n in range(10)]


def test_twelve_thousand_lines_are_three_chunks_each_line_recorded_once(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(_line(n) + "\n" for n in range(12_001)), encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 0, result.stderr
    assert "... and 11,981 more" in result.stdout
    members = _members(root)
    assert len(members) == 12_001 and len(set(members)) == 12_001 and members[-1] == "m12000"
    assert _chunk_keys(root) == 3
    store = SQLiteStore(root / ".sopc" / "state.db")
    assert store.event_count() == 12_001
    store.close()


def test_a_failed_write_part_way_then_the_same_file_again_records_each_line_once(root, run_sopc, tmp_path,
                                                                                  chunks_of_four, monkeypatch):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(_line(n) + "\n" for n in range(10)), encoding="utf-8")
    real = SQLiteStore.add_batches
    calls = []

    def full_disk_at_the_second_chunk(self, batches, now):
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, batches, now)

    monkeypatch.setattr(SQLiteStore, "add_batches", full_disk_at_the_second_chunk)
    failed = _record(run_sopc, root, events)
    assert failed.exit_code == 1
    assert (f"{events}:5: the state database refused the write (database or disk is full): nothing recorded from "
            "this line on (4 events before it were)") in failed.stderr
    assert _members(root) == ["m0", "m1", "m2", "m3"]
    monkeypatch.setattr(SQLiteStore, "add_batches", real)
    again = _record(run_sopc, root, events)
    assert again.exit_code == 0, again.stderr
    assert "4 events of these lines were recorded before" in again.stderr
    assert _members(root) == [f"m{n}" for n in range(10)]


# ---- all or nothing: a refused line anywhere --------------------------------------------------------

def test_a_bad_record_far_into_a_big_file_records_nothing_and_names_its_line(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    lines = [_line(n) for n in range(12_000)]
    lines[10_999] = _line(10_999, colour="red")
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1
    assert f"{events}:11000: error: unknown field \"colour\"" in result.stderr
    assert "nothing recorded; fix the events above and run again" in result.stderr
    assert _members(root) == []


def test_a_line_that_is_not_json_far_into_the_file_records_nothing(root, run_sopc, tmp_path, chunks_of_four):
    events = tmp_path / "events.jsonl"
    lines = [_line(n) for n in range(20)]
    lines[16] = '{"event": "member.message", "group": "hz_001",'
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1
    assert f"{events}:17: not a JSON object: Expecting property name enclosed in double quotes" in result.stderr
    assert "; nothing recorded" in result.stderr and _members(root) == []


def test_past_a_hundred_errors_the_rest_are_counted(root, run_sopc, tmp_path, chunks_of_four):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(_line(n, at="yesterday") + "\n" for n in range(130)), encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1
    assert f"{events}:100: error: \"at\" must be an ISO 8601 time" in result.stderr
    assert f"{events}:101: error" not in result.stderr and "... and 30 more errors" in result.stderr
    assert _members(root) == []


def test_a_line_too_long_to_be_a_record_is_measured_not_held(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(_line(0) + "\n" + '{"event": "' + "x" * 300_000 + '"}\n', encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1
    assert f"{events}:2: a record is 300013 characters long; at most 65536; nothing recorded" in result.stderr
    assert _members(root) == []


def test_a_byte_order_mark_and_crlf_line_ends_are_read_as_before(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\xef\xbb\xbf" + (_line(0) + "\r\n" + _line(1) + "\r\n").encode("utf-8"))
    result = _record(run_sopc, root, events)
    assert result.exit_code == 0, result.stderr
    assert _members(root) == ["m0", "m1"]


# ---- ignored lines ----------------------------------------------------------------------------------

def test_ignored_lines_are_named_and_past_a_hundred_counted(root, run_sopc, tmp_path, chunks_of_four):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(_line(n, group=f"zz_{n}") + "\n" for n in range(150)) + _line(150) + "\n",
                      encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 0, result.stderr
    assert f"{events}:1: ignored: group `zz_0` is not in the roster" in result.stderr
    assert f"{events}:100: ignored: group `zz_99`" in result.stderr and f"{events}:101: ignored" not in result.stderr
    assert "... and 50 more lines ignored" in result.stderr
    assert _members(root) == ["m150"]


def test_a_file_whose_every_line_is_ignored_records_nothing_and_exits_1(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(_line(0, group="zz_other") + "\n", encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1 and f"{events}:1: ignored: group `zz_other` is not in the roster" in result.stderr
    assert _members(root) == []


# ---- event ids, as sopc serve takes them ---------------------------------------------------------------

def test_an_id_recorded_before_is_not_recorded_again_and_other_content_under_it_is_refused(root, run_sopc, tmp_path):
    first = tmp_path / "first.jsonl"
    first.write_text(_line(1, id="e1") + "\n" + _line(2, id="e2") + "\n", encoding="utf-8")
    assert _record(run_sopc, root, first).exit_code == 0
    second = tmp_path / "second.jsonl"
    second.write_text(_line(1, id="e1") + "\n" + _line(3, id="e3") + "\n", encoding="utf-8")
    repeated = _record(run_sopc, root, second)
    assert repeated.exit_code == 0, repeated.stderr
    assert "1 events with an \"id\" recorded before: not recorded again" in repeated.stderr
    assert _members(root) == ["m1", "m2", "m3"]
    third = tmp_path / "third.jsonl"
    third.write_text(_line(4) + "\n" + _line(5, id="e2") + "\n", encoding="utf-8")
    refused = _record(run_sopc, root, third)
    assert refused.exit_code == 1
    assert f"{third}:2: error: \"id\": `e2` was recorded before with other content" in refused.stderr
    assert f"{third}:1: an id was recorded before with other content: nothing recorded from this line on" \
        in refused.stderr
    assert _members(root) == ["m1", "m2", "m3"]


# ---- what intake reads of the project --------------------------------------------------------------------

STAGES = '''
stages
  沉默期 when silent >= 5d
  活跃期 otherwise
'''


def test_the_stages_are_found_without_a_build_also_in_an_imported_file(tmp_path):
    root = write_project(tmp_path / "proj", {"m.sop": 'import "lib/stages.sop"\n' + MEMBERS,
                                             "a.sop": MEMBERS.replace("members", "others"),
                                             "lib/stages.sop": STAGES})
    facts = intake.project_facts(root)
    assert facts.stages == ("沉默期", "活跃期")
    assert facts.roster_ids == {"hz_001", "hz_002", "sh_001", "flash_01"}
    assert str(facts.zone) == "Asia/Shanghai"


@pytest.mark.parametrize("example", sorted(p.name for p in (Path(__file__).parents[1] / "examples").iterdir()
                                           if (p / "sopc.toml").is_file()))
def test_the_stages_intake_finds_are_the_stages_a_build_compiles(example):
    root = Path(__file__).parents[1] / "examples" / example
    program = pipeline.build([root]).program
    built = tuple(rule.name.value for rule in program.stages.rules) if program.stages else ()
    assert intake.project_facts(root).stages == built


def test_a_stage_event_naming_a_stage_of_an_imported_file_is_recorded(tmp_path, run_sopc):
    root = write_project(tmp_path / "proj", {"m.sop": 'import "lib/stages.sop"\n' + MEMBERS,
                                             "lib/stages.sop": STAGES})
    events = tmp_path / "events.jsonl"
    events.write_text('{"event": "group.stage", "group": "hz_001", "stage": "沉默期", "at": "2026-11-23T10:00"}\n'
                      '{"event": "group.stage", "group": "hz_002", "stage": "沉默", "at": "2026-11-23T10:00"}\n',
                      encoding="utf-8")
    refused = _record(run_sopc, root, events)
    assert refused.exit_code == 1
    assert f"{events}:2: error: \"stage\": `沉默` is not a stage of this project; did you mean `沉默期`?" \
        in refused.stderr
    events.write_text(events.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert _record(run_sopc, root, events).exit_code == 0


# ---- text that is not text: a lone surrogate (the fuzzer's input 314,257) --------------------------

def test_a_lone_surrogate_escape_in_a_record_is_a_located_refusal_not_a_traceback(root, run_sopc, tmp_path):
    # JSON allows "\ud800"; Python decodes it to a str no UTF-8 file or SQLite can hold.
    events = tmp_path / "events.jsonl"
    lines = [_line(0), _line(1).replace('"m1"', '"\\ud800"'), _line(2).replace('"hz_001"', '"\\udcff"', 1),
             '{"\\ud83d": 1, "event": "member.message", "group": "hz_001", "member": "m3", '
             '"at": "2026-11-23T10:00:00+08:00"}']
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1, result.output
    assert (f'{events}:2: error: "member" holds \\ud800, half of a UTF-16 pair (a lone surrogate): '
            "not a character; send text as UTF-8, or both halves of the pair") in result.stderr
    assert f'{events}:3: error: "group" holds \\udcff' in result.stderr
    assert f"{events}:4: error: a field name holds \\ud83d" in result.stderr
    assert "Traceback" not in result.output and _members(root) == []


def test_a_lone_surrogate_deep_in_data_is_refused_and_named(root, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    # json.dumps wrote the surrogate as an escape, which is what a careless SCRM sends
    text = json.dumps({"event": "member.message", "group": "hz_001", "member": "m0",
                       "at": "2026-11-23T10:00:00+08:00", "data": {"order": {"items": ["ok", "\ud800x"]}}})
    events.write_text(text + "\n", encoding="utf-8")
    result = _record(run_sopc, root, events)
    assert result.exit_code == 1, result.output
    assert f'{events}:1: error: "data" holds \\ud800' in result.stderr
    assert _members(root) == []


def test_a_command_line_byte_that_is_not_utf8_is_refused_before_anything_is_recorded(root, run_sopc):
    # `--group $'\xff'`: Python hands such a byte to sopc as the lone surrogate \udcff
    result = run_sopc("event", "member.joined", str(root), "--group", "\udcff", "--member", "m1",
                      "--at", "2026-11-24T10:00", cwd=root.parent)
    assert result.exit_code == 1, result.output
    assert 'error: "group" holds \\udcff, half of a UTF-16 pair' in result.stderr
    assert "Traceback" not in result.output and _members(root) == []
