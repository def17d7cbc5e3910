"""Tests for sopc.project.config: reading sopc.toml into a Config plus diagnostics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopc.project.config import Config, Defaults, SenderConfig, TomlLocator, load_config, parse_quiet
from sopc.project.finder import playbook_files
from sopc.core.diagnostics import Severity


def write(project: Path, text: str) -> Path:
    path = project / "sopc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


# ---- defaults ----------------------------------------------------------------------


def test_no_sopc_toml_gives_defaults_and_no_diagnostics(tmp_path):
    config, diagnostics = load_config(tmp_path)
    assert diagnostics == []
    assert config.path is None
    assert config.project_dir == tmp_path
    assert config.timezone == "Asia/Shanghai"
    assert config.templates_dir == tmp_path / "templates"
    assert config.playbook_paths == (tmp_path,)
    assert config.roster_paths == (tmp_path / "groups.csv",)
    assert config.defaults == Defaults()
    assert config.defaults.quiet_start == dt.time(22, 0)
    assert config.defaults.quiet_end == dt.time(8, 0)
    assert config.defaults.quiet_mode == "defer"
    assert config.defaults.cap == 6
    assert config.defaults.gap == dt.timedelta(minutes=30)
    assert config.defaults.holidays == "keep"
    assert config.defaults.grace == dt.timedelta(minutes=10)
    assert config.calendar == {}
    assert config.senders == {}


def test_default_playbook_paths_include_playbooks_folder_when_present(tmp_path):
    (tmp_path / "playbooks").mkdir()
    config, _ = load_config(tmp_path)
    assert config.playbook_paths == (tmp_path, tmp_path / "playbooks")


def test_default_roster_is_groups_toml_when_only_that_exists(tmp_path):
    (tmp_path / "groups.toml").write_text("", encoding="utf-8")
    config, _ = load_config(tmp_path)
    assert config.roster_paths == (tmp_path / "groups.toml",)


def test_empty_sopc_toml_is_all_defaults(tmp_path):
    path = write(tmp_path, "")
    config, diagnostics = load_config(tmp_path)
    assert diagnostics == []
    assert config.path == path
    assert config.defaults == Defaults()


# ---- a full file -------------------------------------------------------------------

FULL = """\
timezone = "Asia/Tokyo"
templates = "tpl"
playbooks = ["playbooks", "."]
roster = ["groups.csv", "vip.toml"]

[defaults]
quiet = "23:30-07:15"
quiet_mode = "skip"
cap = 0
gap = "1h30m"
holidays = "before"
grace = "90s"

[calendar]
extra_holidays = ["2025-05-20"]
[calendar.workdays]
dates = ["2025-02-08"]

[senders.wecom]
kind = "wecom-bot"
key_env = "WECOM_BOT_KEY"
mention_all = true

[senders.console]
kind = "console"
"""


def test_full_sopc_toml(tmp_path):
    (tmp_path / "playbooks").mkdir()
    write(tmp_path, FULL)
    config, diagnostics = load_config(tmp_path)
    assert diagnostics == []
    assert config.timezone == "Asia/Tokyo"
    assert config.templates_dir == tmp_path / "tpl"
    assert config.playbook_paths == (tmp_path / "playbooks", tmp_path)
    assert config.roster_paths == (tmp_path / "groups.csv", tmp_path / "vip.toml")
    assert config.defaults == Defaults(
        quiet_start=dt.time(23, 30), quiet_end=dt.time(7, 15), quiet_mode="skip", cap=0,
        gap=dt.timedelta(hours=1, minutes=30), holidays="before", grace=dt.timedelta(seconds=90),
    )
    assert config.calendar == {"extra_holidays": ["2025-05-20"], "workdays": {"dates": ["2025-02-08"]}}
    assert set(config.senders) == {"wecom", "console"}
    wecom = config.senders["wecom"]
    assert isinstance(wecom, SenderConfig)
    assert (wecom.name, wecom.kind) == ("wecom", "wecom-bot")
    assert wecom.settings == {"key_env": "WECOM_BOT_KEY", "mention_all": True}
    assert wecom.env_names() == {"key": "WECOM_BOT_KEY"}
    assert wecom.span.line == 19
    assert config.senders["console"].span.line == 24
    assert config.senders["console"].settings == {}


def test_single_string_paths_and_empty_quiet(tmp_path):
    write(tmp_path, 'playbooks = "."\nroster = "qun.csv"\n[defaults]\nquiet = ""\n')
    config, diagnostics = load_config(tmp_path)
    assert diagnostics == []
    assert config.playbook_paths == (tmp_path,)
    assert config.roster_paths == (tmp_path / "qun.csv",)
    assert (config.defaults.quiet_start, config.defaults.quiet_end) == (None, None)


def test_bom_in_sopc_toml_is_accepted(tmp_path):
    (tmp_path / "sopc.toml").write_bytes('\ufefftimezone = "Asia/Shanghai"\n'.encode("utf-8"))
    _, diagnostics = load_config(tmp_path)
    assert diagnostics == []


def test_config_is_frozen(tmp_path):
    config, _ = load_config(tmp_path)
    with pytest.raises(AttributeError):
        config.timezone = "UTC"  # type: ignore[misc]


# ---- syntax errors -------------------------------------------------------------------


def test_toml_syntax_error_reports_line_and_column(tmp_path):
    write(tmp_path, 'timezone = "Asia/Shanghai"\n\n[defaults]\nquiet = 22:00-08:00\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0601"]
    [problem] = diagnostics
    assert problem.severity is Severity.ERROR
    assert problem.span.line == 4
    assert problem.span.column == 11  # tomllib read `22` as a number and stopped at `:`
    assert "(at line" not in problem.message
    assert "sopc.toml" in problem.message
    assert "double quotes" in problem.hint
    assert config.defaults == Defaults()  # still a usable config


def test_toml_syntax_error_at_end_of_document_points_at_last_line(tmp_path):
    write(tmp_path, 'timezone = "Asia/Shanghai"\ncap = \n\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0601"]
    assert diagnostics[0].span.line == 2


def test_duplicate_table_is_explained(tmp_path):
    write(tmp_path, '[defaults]\ncap = 1\n[defaults]\ncap = 2\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0601"]
    assert diagnostics[0].span.line == 3
    assert "twice" in diagnostics[0].message


def test_non_utf8_sopc_toml(tmp_path):
    (tmp_path / "sopc.toml").write_bytes('timezone = "上海"\n'.encode("gbk"))
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0601"]
    assert "UTF-8" in diagnostics[0].message


# ---- unknown keys and wrong types -----------------------------------------------------


def test_unknown_key_warns_with_did_you_mean_and_line(tmp_path):
    write(tmp_path, 'timezone = "Asia/Shanghai"\ntemplate = "tpl"\n[defaults]\n  quite = "22:00-08:00"\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["W0602", "W0602"]
    top, nested = diagnostics
    assert top.severity is Severity.WARNING
    assert "`template`" in top.message
    assert top.hint == "did you mean `templates`?"
    assert (top.span.line, top.span.column) == (2, 1)
    assert "`defaults.quite`" in nested.message
    assert nested.hint == "did you mean `quiet`?"
    assert (nested.span.line, nested.span.column, nested.span.end_column) == (4, 3, 8)
    assert config.templates_dir == tmp_path / "templates"


@pytest.mark.parametrize("spaces", [1, 32_768])
def test_a_header_spaced_out_is_found_with_its_keys(spaces):
    """`[ senders .  console ]` is the table senders.console to TOML, however
    wide it is spaced (the fuzzer wrote 32,768 spaces: the header scan took
    2.4 s); diagnostics point at its header and keys."""
    gap = " " * spaces
    text = f'timezone = "Asia/Shanghai"\n\n[ senders .{gap}console ]\nkind = "console"\n  colour = "red"\n'
    locator = TomlLocator("sopc.toml", text)
    assert locator.table(("senders", "console")).line == 3
    found = locator.key(("senders", "console"), "colour")
    assert (found.line, found.column, found.end_column) == (5, 3, 9)


def test_unknown_table_points_at_its_header(tmp_path):
    write(tmp_path, 'timezone = "Asia/Shanghai"\n\n[sender.wecom]\nkind = "wecom-bot"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["W0602"]
    assert diagnostics[0].span.line == 3
    assert diagnostics[0].hint == "did you mean `senders`?"


def test_same_key_name_in_two_tables_is_found_in_the_right_one(tmp_path):
    write(tmp_path, '[senders.a]\nkind = "console"\ncap = 1\n\n[defaults]\ncap = "six"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0603"]
    assert diagnostics[0].span.line == 6


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("timezone = 8\n", "timezone", "a string"),
        ("playbooks = [1, 2]\n", "playbooks", "array of strings"),
        ("roster = true\n", "roster", "array of strings"),
        ("defaults = 3\n", "defaults", "a table"),
        ("[defaults]\ncap = \"6\"\n", "defaults.cap", "an integer"),
        ("[defaults]\ncap = true\n", "defaults.cap", "an integer"),
        ("[defaults]\ncap = -1\n", "defaults.cap", "0 or more"),
        ("[defaults]\ngap = 30\n", "defaults.gap", "a duration"),
        ("[defaults]\ngrace = \"10 min\"\n", "defaults.grace", "a duration"),
        ("[defaults]\nquiet = \"22:00\"\n", "defaults.quiet", "time range"),
        ("[defaults]\nquiet = \"25:00-08:00\"\n", "defaults.quiet", "time range"),
        ("[defaults]\nquiet_mode = \"later\"\n", "defaults.quiet_mode", "defer | skip"),
        ("[defaults]\nholidays = \"skipp\"\n", "defaults.holidays", "skip | before | after | keep"),
    ],
)
def test_wrong_types_and_values(tmp_path, text, key, expected):
    write(tmp_path, text)
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0603"], diagnostics
    assert f"`{key}`" in diagnostics[0].message
    assert expected in diagnostics[0].message
    assert config.defaults == Defaults()  # a bad value falls back to the default


def test_integer_gap_hint_suggests_minutes(tmp_path):
    write(tmp_path, "[defaults]\ngap = 30\n")
    _, diagnostics = load_config(tmp_path)
    assert '"30m"' in diagnostics[0].hint
    assert diagnostics[0].span.line == 2


def test_bad_choice_gets_did_you_mean(tmp_path):
    write(tmp_path, '[defaults]\nholidays = "skipp"\n')
    _, diagnostics = load_config(tmp_path)
    assert diagnostics[0].hint == "did you mean `skip`?"


def test_sender_without_kind(tmp_path):
    write(tmp_path, '[senders.wecom]\nkey_env = "K"\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0603"]
    assert "`kind`" in diagnostics[0].message
    assert diagnostics[0].span.line == 1
    assert config.senders == {}


# ---- time zones -----------------------------------------------------------------------


def test_bad_timezone_did_you_mean(tmp_path):
    write(tmp_path, '# project\ntimezone = "Asia/Shanghia"\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0604"]
    assert diagnostics[0].hint == "did you mean `Asia/Shanghai`?"
    assert diagnostics[0].span.line == 2
    assert config.timezone == "Asia/Shanghai"


def test_beijing_timezone_hint_names_asia_shanghai(tmp_path):
    write(tmp_path, 'timezone = "Asia/Beijing"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0604"]
    assert "Asia/Shanghai" in diagnostics[0].hint


def test_path_tricks_in_timezone_are_just_unknown(tmp_path):
    write(tmp_path, 'timezone = "../../etc/passwd"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0604"]


# ---- secrets ----------------------------------------------------------------------------

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "d1n9t0k3nd1n9t0k3nd1n9t0k3n"


@pytest.mark.parametrize(
    ("setting", "secret"),
    [
        (f'key = "{WECOM_KEY}"', WECOM_KEY),
        (f'secret = "SEC{DING_TOKEN}"', f"SEC{DING_TOKEN}"),
        (f'app_secret = "{DING_TOKEN}"', DING_TOKEN),
        (f'token = "{DING_TOKEN}"', DING_TOKEN),
        (f'webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"', WECOM_KEY),
        (f'url = "https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"', DING_TOKEN),
        (f'webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/{WECOM_KEY}"', WECOM_KEY),
    ],
)
def test_inline_secret_is_an_error_that_never_shows_the_secret(tmp_path, setting, secret):
    write(tmp_path, f'timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "wecom-bot"\n{setting}\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0605"]
    [problem] = diagnostics
    assert problem.severity is Severity.ERROR
    assert "secret written in sopc.toml" in problem.message
    assert "line 5" in problem.message
    assert "_env = \"NAME\"" in problem.hint
    assert "environment variable" in problem.hint
    assert secret not in problem.message and secret not in problem.hint
    assert secret not in repr(config)  # dropped from the settings too
    assert problem.span.line == 3  # the [senders.bot] header, not the line holding the secret


def test_key_setting_hint_is_exactly_key_env(tmp_path):
    write(tmp_path, f'[senders.bot]\nkind = "wecom-bot"\nkey = "{WECOM_KEY}"\n')
    _, diagnostics = load_config(tmp_path)
    assert diagnostics[0].hint == 'put it in an environment variable and write `key_env = "NAME"`'


def test_secret_in_nested_sender_table(tmp_path):
    write(tmp_path, f'[senders.bot]\nkind = "dingtalk-bot"\n[senders.bot.auth]\ntoken = "{DING_TOKEN}"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0605"]
    assert "senders.bot.auth.token" in diagnostics[0].message
    assert "line 4" in diagnostics[0].message
    assert 'auth_env = { token = "NAME" }' in diagnostics[0].hint


def test_secret_http_header_is_detected_and_headers_env_table_is_fine(tmp_path):
    write(tmp_path, '[senders.hook]\nkind = "webhook"\nurl = "https://example.com/sop"\n'
                    'headers = { Authorization = "Bearer s3cr3t-value" }\n'
                    'headers_env = { X-Api-Key = "HOOK_API_KEY" }\n')
    config, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0605"]
    assert "`senders.hook.headers.Authorization`" in diagnostics[0].message
    assert "s3cr3t" not in diagnostics[0].message + diagnostics[0].hint
    assert config.senders["hook"].settings == {
        "url": "https://example.com/sop", "headers_env": {"X-Api-Key": "HOOK_API_KEY"}}


def test_plain_settings_are_not_secrets(tmp_path):
    write(tmp_path, '[senders.bot]\nkind = "feishu-bot"\nchat_id = "oc_123"\n'
                    'url = "https://example.com/notify"\nkey_env = "FEISHU_KEY"\nkeyword = "SOP"\n')
    config, diagnostics = load_config(tmp_path)
    assert diagnostics == []
    assert config.senders["bot"].settings["url"] == "https://example.com/notify"


def test_env_setting_holding_a_secret_is_rejected_without_echo(tmp_path):
    write(tmp_path, f'[senders.bot]\nkind = "wecom-bot"\nkey_env = "{WECOM_KEY}"\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["E0603"]
    assert "environment variable" in diagnostics[0].message
    assert WECOM_KEY not in diagnostics[0].message + (diagnostics[0].hint or "")


# ---- quiet ranges and playbook discovery -----------------------------------------------


def test_parse_quiet():
    assert parse_quiet("22:00-08:00") == (dt.time(22), dt.time(8))
    assert parse_quiet("9:05 ~ 12:00") == (dt.time(9, 5), dt.time(12))
    assert parse_quiet("22：00－08：00") == (dt.time(22), dt.time(8))  # full-width, as IMEs type it
    assert parse_quiet("08:00-08:00") is None
    assert parse_quiet("24:00-08:00") is None
    assert parse_quiet("22-08") is None


def test_missing_playbook_path_warns(tmp_path):
    write(tmp_path, 'playbooks = [".", "sops"]\n')
    _, diagnostics = load_config(tmp_path)
    assert codes(diagnostics) == ["W0608"]
    assert "`sops`" in diagnostics[0].message


def test_playbook_files_project_folder_flat_other_folders_recursive(tmp_path):
    (tmp_path / "a.sop").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "skipped.sop").write_text("", encoding="utf-8")
    (tmp_path / "playbooks" / "618").mkdir(parents=True)
    (tmp_path / "playbooks" / "b.sop").write_text("", encoding="utf-8")
    (tmp_path / "playbooks" / "618" / "c.sop").write_text("", encoding="utf-8")
    (tmp_path / "playbooks" / ".hidden").mkdir()
    (tmp_path / "playbooks" / ".hidden" / "d.sop").write_text("", encoding="utf-8")
    config, _ = load_config(tmp_path)
    assert playbook_files(config) == (
        tmp_path / "a.sop",
        tmp_path / "playbooks" / "618" / "c.sop",
        tmp_path / "playbooks" / "b.sop",
    )


def test_playbook_files_lists_each_file_once(tmp_path):
    (tmp_path / "a.sop").write_text("", encoding="utf-8")
    config = Config(project_dir=tmp_path, playbook_paths=(tmp_path, tmp_path / "a.sop"))
    assert playbook_files(config) == (tmp_path / "a.sop",)


def test_a_project_and_its_playbooks_folder_read_the_same_files(tmp_path):
    """`sopc check p` and `sopc check p/playbooks` used to disagree: only the
    first skipped hidden folders such as an editor's backup copies."""
    from sopc.project.loader import load_project

    (tmp_path / "sopc.toml").write_text("", encoding="utf-8")
    (tmp_path / "groups.csv").write_text("id,name,tags\ng1,一群,福利群\n", encoding="utf-8")
    playbook = 'playbook p\n  to all groups\n  每天 10:00  hi  "早"\n'
    (tmp_path / "playbooks" / ".backup").mkdir(parents=True)
    (tmp_path / "playbooks" / "p.sop").write_text(playbook, encoding="utf-8")
    (tmp_path / "playbooks" / ".backup" / "p.sop").write_text(playbook, encoding="utf-8")

    whole = load_project([tmp_path])
    folder = load_project([tmp_path / "playbooks"])
    assert [f.path for f in folder.files] == [f.path for f in whole.files]
    assert len(folder.files) == 1 and ".backup" not in folder.files[0].path


def test_a_sender_remembers_where_its_kind_is_written(tmp_path):
    """Checks point at `kind = ...` from the loaded config, without reading sopc.toml again."""
    (tmp_path / "sopc.toml").write_text('timezone = "Asia/Shanghai"\n\n[senders.bot]\n# the robot\nkind = "wecom-bott"\n'
                                        'key_env = "WECOM_BOT_KEY"\n', encoding="utf-8")
    config, _ = load_config(tmp_path)
    (tmp_path / "sopc.toml").write_text("", encoding="utf-8")  # changed after loading: no effect
    assert config.senders["bot"].kind_span.line == 5
