"""sopc.events.intake: the rules an event record must follow before it is recorded
(shared by `sopc event` and `sopc serve`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sopc.events.intake import MAX_RECORDS, IntakeResult, Rejected, parse_records, record
from sopc.run.store import SQLiteStore

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
ROSTER = {"g1", "g2"}


def joined(**changes):
    base = {"event": "member.joined", "group": "g1", "member": "m1", "name": "小王",
            "at": "2026-11-24T10:00:00+08:00"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def parse(*records, roster=ROSTER, now=NOW) -> IntakeResult:
    return parse_records(list(records), zone=ZONE, now=now, roster_ids=roster)


def only_problem(result: IntakeResult) -> str:
    assert not result.recorded
    assert len(result.rejected) == 1, result.rejected
    return result.rejected[0].message


# ---- what passes ------------------------------------------------------------------------------

def test_a_valid_record_becomes_an_event():
    result = parse(joined(data={"channel": "扫码", "score": 3, "vip": True, "ref": None}))
    assert result.rejected == [] and result.ignored == []
    [event] = result.recorded
    assert (event.kind, event.group, event.member, event.name) == ("member.joined", "g1", "m1", "小王")
    assert event.at == dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
    assert event.data == {"channel": "扫码", "score": 3, "vip": True, "ref": None}


def test_at_defaults_to_now_in_the_project_zone():
    [event] = parse(joined(at=...)).recorded
    assert event.at == NOW
    assert event.at.utcoffset() == dt.timedelta(hours=8)  # shown in the project's zone
    [event] = parse(joined(at=None)).recorded
    assert event.at == NOW


def test_a_naive_at_is_local_time_in_the_project_zone():
    [event] = parse(joined(at="2026-11-24T10:00")).recorded
    assert event.at == dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.timezone.utc)


def test_tag_and_stage_become_the_argument():
    tagged, in_data, stage = parse(
        joined(event="member.tagged", tag="高价值"),
        joined(event="member.tagged", data={"tag": "违规"}),
        {"event": "group.stage", "group": "g2", "stage": "沉默期", "at": "2026-11-24T10:00:00+08:00"},
    ).recorded
    assert (tagged.argument, in_data.argument, stage.argument) == ("高价值", "违规", "沉默期")
    assert stage.member is None


def test_records_keep_their_order_and_indexes():
    result = parse(joined(member="a"), joined(group="zz"), joined(member="b"), joined(event="nope"))
    assert [e.member for e in result.recorded] == ["a", "b"]
    assert [i for i, _ in result.ignored] == [1]
    assert [r.index for r in result.rejected] == [3]


def test_no_roster_accepts_every_group():
    assert len(parse(joined(group="anything"), roster=None).recorded) == 1


def test_a_mapping_roster_works_like_a_set():
    assert len(parse(joined(group="g2"), roster={"g1": object(), "g2": object()}).recorded) == 1


# ---- ignored, not rejected ----------------------------------------------------------------------

def test_a_group_outside_the_roster_is_ignored_with_did_you_mean():
    result = parse(joined(group="g3"), joined(group="shop_999"))
    assert result.recorded == [] and result.rejected == []
    assert result.ignored == [(0, "group `g3` is not in the roster; did you mean `g1`?"),
                              (1, "group `shop_999` is not in the roster")]


def test_an_invalid_record_about_an_unknown_group_is_rejected_not_ignored():
    result = parse(joined(group="g3", member=...))
    assert result.ignored == [] and [r.index for r in result.rejected] == [0]


# ---- rejected: one rule each --------------------------------------------------------------------

@pytest.mark.parametrize("value, kind", [([1], "an array"), ("text", "a string"), (3, "a number (3)"), (None, "null")])
def test_each_record_must_be_an_object(value, kind):
    assert only_problem(parse(value)) == f"each event must be a JSON object, not {kind}"


def test_unknown_event_kind_with_did_you_mean():
    assert only_problem(parse(joined(event="member.join"))) == (
        "\"event\": unknown event `member.join`; did you mean `member.joined`?")
    assert "events are member.joined" in only_problem(parse(joined(event="zzz")))


def test_missing_or_non_string_event():
    assert only_problem(parse(joined(event=...))).startswith("\"event\" is missing; events are member.joined")
    assert only_problem(parse(joined(event=7))) == (
        "\"event\" must be a string such as \"member.joined\", not a number (7)")


def test_member_silent_is_derived_not_reported():
    message = only_problem(parse(joined(event="member.silent")))
    assert message.startswith("\"event\": `member.silent` is not reported")
    assert "member.message" in message


def test_group_is_required_and_a_string():
    assert only_problem(parse(joined(group=...))).startswith("\"group\" is missing")
    assert only_problem(parse(joined(group=""))).startswith("\"group\" is empty")
    assert only_problem(parse(joined(group=12))) == "\"group\" must be a string, not a number (12)"


def test_member_events_need_a_member():
    assert only_problem(parse(joined(member=...))) == (
        "\"member\" is missing: a member.joined event needs the member's id")
    assert only_problem(parse(joined(member=["m1"]))) == "\"member\" must be a string, not an array"


def test_a_group_event_needs_no_member():
    [event] = parse({"event": "group.stage", "group": "g1", "stage": "成长期"}).recorded
    assert event.member is None


@pytest.mark.parametrize("key", ["member", "name"])
def test_member_and_name_are_at_most_256_characters(key):
    assert parse(joined(**{key: "x" * 256})).recorded
    assert only_problem(parse(joined(**{key: "字" * 257}))) == f"\"{key}\" is 257 characters long; at most 256"


def test_name_must_be_a_string():
    assert only_problem(parse(joined(name={"first": "王"}))) == "\"name\" must be a string, not an object"


def test_tagged_needs_a_tag_and_stage_needs_a_stage():
    assert only_problem(parse(joined(event="member.tagged"))) == (
        "\"tag\" is missing: a member.tagged event needs its tag, e.g. \"tag\": \"高价值\"")
    assert only_problem(parse({"event": "group.stage", "group": "g1"})) == (
        "\"stage\" is missing: a group.stage event needs its stage, e.g. \"stage\": \"沉默期\"")
    assert only_problem(parse(joined(event="member.tagged", data={"tag": 5}))) == (
        "\"data\".\"tag\" must be a non-empty string of at most 256 characters")


def test_tag_or_stage_on_the_wrong_event():
    assert only_problem(parse(joined(tag="高价值"))) == "\"tag\" belongs to member.tagged events, not to member.joined"
    assert only_problem(parse(joined(stage="x"))) == "\"stage\" belongs to group.stage events, not to member.joined"


def test_at_must_be_an_iso_time():
    assert only_problem(parse(joined(at="tomorrow"))).startswith("\"at\" must be an ISO 8601 time")
    assert only_problem(parse(joined(at=1764000000))).startswith("\"at\" must be an ISO 8601 time")


def test_unknown_fields_are_rejected_with_did_you_mean():
    message = only_problem(parse(joined(memebr="m2")))
    assert message.startswith("unknown field \"memebr\"; did you mean `member`?")
    assert "put your own values in \"data\"" in message


def test_every_problem_of_a_record_is_reported():
    result = parse({"event": "member.join", "group": 3, "name": "x" * 300})
    assert [r.index for r in result.rejected] == [0, 0, 0]
    assert [r.message.split(" ")[0] for r in result.rejected] == ['"event":', '"group"', '"name"']


# ---- data ----------------------------------------------------------------------------------------

def test_data_must_be_an_object():
    assert only_problem(parse(joined(data=[1, 2]))) == "\"data\" must be an object, not an array"


def test_data_values_are_scalars_or_small():
    assert parse(joined(data={"items": ["a", "b"], "order": {"id": 1, "total": 9.9}})).recorded
    assert only_problem(parse(joined(data={"note": "x" * 1025}))) == (
        "\"data\".\"note\" is 1025 characters long; at most 1024")
    assert "a list or object value may have at most 1024" in only_problem(parse(joined(data={"items": ["x"] * 400})))
    assert only_problem(parse(joined(data={"score": float("nan")}))) == "\"data\".\"score\" must be a finite number"


def test_data_size_and_keys_are_bounded():
    assert only_problem(parse(joined(data={f"k{i}": i for i in range(51)}))) == "\"data\" has 51 keys; at most 50"
    assert only_problem(parse(joined(data={"k" * 65: 1}))) == "\"data\": a key must be a string of 1 to 64 characters"
    big = {f"k{i}": "x" * 1000 for i in range(9)}
    assert only_problem(parse(joined(data=big))).startswith("\"data\" is ")


def test_data_may_not_hide_the_fields_of_the_event():
    assert only_problem(parse(joined(data={"group": "g2"}))) == (
        "\"data\".\"group\": `group` is a field of every event; give this value another name")


# ---- limits and recording ---------------------------------------------------------------------------

def test_at_most_1000_records_per_call():
    assert len(parse(*[joined(member=f"m{i}") for i in range(MAX_RECORDS)]).recorded) == MAX_RECORDS
    result = parse(*[joined(member=f"m{i}") for i in range(MAX_RECORDS + 1)])
    assert result.recorded == []
    assert result.rejected == [Rejected(MAX_RECORDS, "too many events in one call (1001); send at most 1000 at a time")]


def test_records_must_be_a_list():
    with pytest.raises(TypeError):
        parse_records({"event": "member.joined"}, zone=ZONE, now=NOW, roster_ids=None)


def test_record_writes_the_events_to_a_real_store(tmp_path):
    store = SQLiteStore(tmp_path / "state.db")
    result = parse(joined(member="a"), joined(group="g9"), joined(event="member.tagged", member="b", tag="vip"))
    record(store, result, NOW)
    store.close()
    reopened = SQLiteStore(tmp_path / "state.db")
    assert reopened.event_count() == 2
    assert [(e.kind, e.member, e.argument) for e in reopened.events()] == [
        ("member.joined", "a", None), ("member.tagged", "b", "vip")]
    reopened.close()
