"""Issue 10, rich content, as an operator meets it: pictures by path or URL,
links with named fields (several make a news message), mini-program cards
and attachments for 企业群发.

- `sopc plan` on tests/golden/rich shows each form meaningfully and the
  same every time (tests/golden/rich/expected_plan.{txt,jsonl});
- `sopc check` holds each form to its sender, at its line;
- `sopc run --once` posts the exact bodies each platform documents to a real
  loopback server (tests/mockhooks.py), a picture URL is fetched from one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from helpers_golden import assert_golden
from inprocess import run_sopc
from mockhooks import MockHooks
from projects import write_project

RICH = Path(__file__).resolve().parent / "golden" / "rich"
POSTER = (RICH / "images" / "poster.png").read_bytes()
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(200))
ENV = {"SOPC_RICH_ROBOT_KEY": "robot-key", "SOPC_RICH_DINGTALK_TOKEN": "ding-token",
       "SOPC_RICH_FEISHU_TOKEN": "feishu-token", "SOPC_RICH_CORP": "ww-corp", "SOPC_RICH_SECRET": "corp-secret"}


def diagnostics(root: Path, *args: str) -> tuple[int, list[dict]]:
    result = run_sopc("check", ".", "--now", "2026-11-20T09:00", "--format", "json", *args, cwd=root)
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def codes(found: list[dict]) -> list[str]:
    return [d["code"] for d in found]


# ---- the plan shows what goes out ------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "golden"), [("table", "expected_plan.txt"), ("jsonl", "expected_plan.jsonl")])
def test_the_plan_shows_each_form(fmt, golden):
    result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-29", "--format", fmt, cwd=RICH)
    assert result.exit_code == 0, result.stderr
    assert_golden(RICH / golden, result.stdout_bytes)


def test_the_planned_image_is_the_file_read_when_compiled():
    result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "jsonl", cwd=RICH)
    [poster] = [json.loads(line) for line in result.stdout.splitlines() if '"step":"poster"' in line]
    assert json.loads(poster["text"]) == {"image": {"bytes": len(POSTER), "md5": hashlib.md5(POSTER).hexdigest(),
                                                    "source": "images/poster.png", "type": "png"}}


def test_the_rich_project_checks_clean():
    assert diagnostics(RICH, "--strict") == (0, [])


# ---- check: each form against its sender -------------------------------------------------------------


ROBOT = 'timezone = "Asia/Shanghai"\n\n[senders.robot]\nkind = "wecom-bot"\nkey_env = "K"\n'


def robot_project(tmp_path: Path, *steps: str, files: dict | None = None) -> Path:
    sop = 'playbook p "图文"\n  to groups tagged 福利群\n  sender robot\n' + "".join(f"  {s}\n" for s in steps)
    return write_project(tmp_path / "proj", {"sopc.toml": ROBOT, "main.sop": sop, **(files or {})})


def test_a_news_message_holds_at_most_eight_articles_for_the_robot(tmp_path):
    nine = " ".join(f'link url="https://a.example.cn/{n}" title=第{n}篇' for n in range(1, 10))
    status, found = diagnostics(robot_project(tmp_path, f"周一 10:00 nine {nine}"))
    [problem] = found
    assert (status, problem["code"], problem["line"]) == (1, "E0507", 4)
    assert "sender `robot` sends at most 8 articles in one link message, not 9" in problem["message"]


def test_one_message_takes_at_most_nine_parts(tmp_path):
    ten = " ".join(f"image media_id=M{n}" for n in range(1, 11))
    _, found = diagnostics(robot_project(tmp_path, f'周一 10:00 album "本周新品" {ten}'))
    [problem] = [d for d in found if d["code"] == "E0423"]
    assert problem["message"] == "10 parts in one message; a message takes at most 9"
    assert problem["column"] == 1 + len('  周一 10:00 album "本周新品" ') + len(" ".join(f"image media_id=M{n}" for n in range(1, 10))) + 1


def test_a_step_variable_named_like_a_kind_is_a_located_syntax_error(tmp_path):
    status, found = diagnostics(robot_project(tmp_path, '周一 10:00 hello "hi" link=1'))
    assert status == 1 and codes(found) == ["E0001"] and found[0]["line"] == 4
    assert found[0]["hint"].startswith("`link` starts a part here")


# ---- check: pictures by URL, fetched from a real loopback server -------------------------------------


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh user cache folder for fetched pictures."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SOPC_CACHE_DIR", str(folder))
    return folder


def test_an_image_url_is_fetched_when_checked_and_planned(tmp_path, cache):
    with MockHooks() as mock:
        mock.media["/media/poster.jpg"] = (JPEG, "image/jpeg")
        root = robot_project(tmp_path, f'周一 10:00 poster image "{mock.url}/media/poster.jpg"')
        assert diagnostics(root) == (0, [])
        plan = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", cwd=root)
        fetches = [r for r in mock.requests if r.path == "/media/poster.jpg"]
    md5 = hashlib.md5(JPEG).hexdigest()
    assert f"[image {mock.url}/media/poster.jpg 1 KB jpg md5 {md5[:8]}…]" in plan.stdout
    assert len(fetches) == 2  # once per build: check, then plan
    assert (cache / "media" / f"{md5}.jpg").read_bytes() == JPEG  # kept for the run


@pytest.mark.parametrize(("served", "problem"), [
    (None, "cannot fetch image `{url}/media/p.png?…`: HTTP 404"),
    ((b"<html>nope</html>", "text/html"), "image `{url}/media/p.png?…` is served as `text/html`, not a JPG or PNG picture"),
    ((b"GIF89a" + bytes(50), "image/png"), "image `{url}/media/p.png?…` is not a JPG or PNG picture"),
    ((b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), "image/png"),
     "image `{url}/media/p.png?…` is 2.0 MB (2097160 bytes), over the limit of 2 MiB"),
])
def test_an_image_url_that_cannot_be_sent_is_an_error_at_its_line_without_its_query(tmp_path, cache, served, problem):
    with MockHooks() as mock:
        if served is not None:
            mock.media["/media/p.png"] = served
        root = robot_project(tmp_path, '周一 10:00 hi "你好"', f'周二 10:00 poster image "{mock.url}/media/p.png?token=SECRET123"')
        status, found = diagnostics(root)
    [error] = found
    assert (status, error["code"], error["line"], error["column"]) == (1, "E0425", 5, 25)  # at the quoted source
    assert error["message"] == problem.format(url=mock.url)
    assert "SECRET123" not in json.dumps(found)


def test_an_image_url_that_does_not_answer_in_time_is_an_error(tmp_path, cache, monkeypatch):
    from sopc.compile import media
    monkeypatch.setattr(media, "FETCH_SECONDS", 0.3)
    with MockHooks() as mock:
        mock.hang_next(1, seconds=2.0)
        root = robot_project(tmp_path, f'周一 10:00 poster image "{mock.url}/media/slow.png"')
        status, found = diagnostics(root)
    [error] = found
    assert status == 1 and error["code"] == "E0425"
    assert error["message"] in (f"cannot fetch image `{mock.url}/media/slow.png`: no answer within 0.3 s",
                                f"cannot fetch image `{mock.url}/media/slow.png`: timed out")


# ---- run: the exact bodies, to a real loopback server -------------------------------------------------


def run_rich(tmp_path: Path, mock: MockHooks, now: str) -> str:
    """The rich project copied to ``tmp_path``, every sender aimed at ``mock``, run once at ``now``."""
    root = tmp_path / "rich"
    if not root.exists():
        shutil.copytree(RICH, root, ignore=shutil.ignore_patterns("expected_plan.*"))
        toml = (root / "sopc.toml").read_text(encoding="utf-8")
        for sender in ("robot", "dingtalk", "feishu", "qunfa"):
            toml = toml.replace(f"[senders.{sender}]\n", f'[senders.{sender}]\nbase_url = "{mock.url}"\n')
        (root / "sopc.toml").write_text(toml, encoding="utf-8")
    result = run_sopc("run", ".", "--once", "--now", now, cwd=root, env=ENV)
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture
def mock():
    with MockHooks() as hooks:
        hooks.add_wecom_bot("robot-key")
        hooks.add_dingtalk_bot("ding-token")
        hooks.add_feishu_bot("feishu-token")
        hooks.add_wecom_corp("ww-corp", "corp-secret", users=("laowang",))
        yield hooks


def test_run_sends_the_planned_picture_and_a_news_message_of_two_articles(tmp_path, mock):
    run_rich(tmp_path, mock, "2026-11-23T10:00:30")
    run_rich(tmp_path, mock, "2026-11-23T11:00:30")
    image, news = mock.bodies("wecom")
    assert image == {"msgtype": "image", "image": {"base64": base64.b64encode(POSTER).decode("ascii"),
                                                  "md5": hashlib.md5(POSTER).hexdigest()}}
    assert news == {"msgtype": "news", "news": {"articles": [
        {"title": "秋冬上新", "description": "新品 8 折", "url": "https://shop.example.cn/new",
         "picurl": "https://cdn.example.cn/new.png"},
        {"title": "爆款返场", "description": "", "url": "https://shop.example.cn/hot"}]}}


def test_a_picture_changed_after_planning_is_refused_not_sent(tmp_path, mock):
    run_rich(tmp_path, mock, "2026-11-23T09:00:00")  # planned now, due at 10:00
    (tmp_path / "rich" / "images" / "poster.png").write_bytes(POSTER + b"edited")
    from sopc.senders.wecom_bot import planned_bytes
    from sopc.core.contract import PlannedImage
    outcome = planned_bytes(PlannedImage(source="images/poster.png", size=len(POSTER), type="png",
                                         md5=hashlib.md5(POSTER).hexdigest()), tmp_path / "rich")
    assert outcome.status == "failed" and "changed since it was planned" in outcome.error
    # the runner re-plans the edit before it sends: the new picture goes out
    run_rich(tmp_path, mock, "2026-11-23T10:00:30")
    [image] = mock.bodies("wecom")
    assert image["image"]["md5"] == hashlib.md5(POSTER + b"edited").hexdigest()


def test_run_sends_a_fetched_picture_from_the_cache_without_fetching_again(tmp_path, cache):
    with MockHooks() as mock:
        mock.add_wecom_bot("robot-key")
        mock.media["/media/poster.jpg"] = (JPEG, "image/jpeg")
        root = robot_project(tmp_path, f'周一 10:00 poster image "{mock.url}/media/poster.jpg"')
        toml = ROBOT.replace('key_env = "K"', f'key_env = "K"\nbase_url = "{mock.url}"')
        (root / "sopc.toml").write_text(toml, encoding="utf-8")
        result = run_sopc("run", ".", "--once", "--now", "2026-11-23T10:00:30", cwd=root, env={"K": "robot-key"})
        assert result.exit_code == 0, result.stderr
        bodies = mock.bodies("wecom")
        fetches = [r for r in mock.requests if r.path == "/media/poster.jpg"]
    assert len(bodies) == 3  # the three 福利群
    for body in bodies:
        assert body["image"] == {"base64": base64.b64encode(JPEG).decode("ascii"), "md5": hashlib.md5(JPEG).hexdigest()}
    assert len(fetches) == 1  # by the build; the sender read the kept copy


def test_run_sends_a_dingtalk_feed_card_and_a_feishu_post_of_two_articles(tmp_path, mock):
    run_rich(tmp_path, mock, "2026-11-25T10:00:30")
    [feed] = mock.bodies("dingtalk")
    assert feed == {"msgtype": "feedCard", "feedCard": {"links": [
        {"title": "新品", "messageURL": "https://shop.example.cn/a", "picURL": "https://cdn.example.cn/a.png"},
        {"title": "返场", "messageURL": "https://shop.example.cn/b", "picURL": "https://cdn.example.cn/b.png"}]}}
    [post] = mock.bodies("feishu")
    assert post["msg_type"] == "post"
    assert post["content"]["post"]["zh_cn"]["content"] == [
        [{"tag": "a", "text": "新品", "href": "https://shop.example.cn/a"}],
        [{"tag": "a", "text": "返场", "href": "https://shop.example.cn/b"}]]


def test_run_creates_a_groupmsg_with_a_text_and_three_attachments(tmp_path, mock):
    stderr = run_rich(tmp_path, mock, "2026-11-26T10:00:30")
    [task] = mock.groupmsgs
    assert task.body == {
        "chat_type": "group", "sender": "laowang", "chat_id_list": ["wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"],
        "text": {"content": "本周福利：点开小程序领 20 元券"},
        "attachments": [
            {"msgtype": "miniprogram", "miniprogram": {"appid": "wx8bd80126147dfAAA", "page": "pages/coupon/index?from=sop",
                                                       "pic_media_id": "MEDIA_COVER_1", "title": "领 20 元券"}},
            {"msgtype": "link", "link": {"title": "活动规则", "url": "https://shop.example.cn/rules"}},
            {"msgtype": "image", "image": {"media_id": "MEDIA_POSTER_1"}}]}
    assert "done: 1 sent" in stderr


def test_run_creates_a_groupmsg_of_a_mini_program_card_alone(tmp_path, mock):
    run_rich(tmp_path, mock, "2026-11-27T10:00:30")
    [task] = mock.groupmsgs
    assert "text" not in task.body
    assert task.body["attachments"] == [{"msgtype": "miniprogram", "miniprogram": {
        "appid": "wx8bd80126147dfAAA", "page": "pages/index/index", "pic_media_id": "MEDIA_COVER_2", "title": "周末特惠"}}]


def test_a_reminder_spells_out_a_mini_program_card_for_the_owner(tmp_path):
    toml = ('timezone = "Asia/Shanghai"\n\n[senders.hand]\nkind = "remind"\nvia = "out"\n\n'
            '[senders.out]\nkind = "file"\npath = "outbox.jsonl"\n')
    sop = ('playbook p "提醒"\n  to groups tagged 福利群\n  sender hand\n'
           '  周一 10:00 card "本周福利" miniprogram appid=wx1 page="pages/i" title="领券" pic_media_id=M1\n')
    root = write_project(tmp_path / "proj", {"sopc.toml": toml, "main.sop": sop})
    result = run_sopc("run", ".", "--once", "--now", "2026-11-23T10:00:30", cwd=root)
    assert result.exit_code == 0, result.stderr
    reminder = json.loads((root / "outbox.jsonl").read_text(encoding="utf-8").splitlines()[0])["text"]
    assert "把下面的消息和附件发到群「杭州西湖店福利群」" in reminder
    assert reminder.endswith("本周福利\n\n小程序卡片：领券\nAppID：wx1\n页面：pages/i\n封面 media_id：M1")


def test_a_dry_run_prints_the_parts_as_the_plan_shows_them(tmp_path):
    sop = 'playbook p "图文"\n  to groups tagged 福利群\n  周一 10:00 picks link url="https://a.example.cn/1" title="上新"\n'
    root = write_project(tmp_path / "proj", {"main.sop": sop})
    result = run_sopc("run", ".", "--once", "--dry-run", "--now", "2026-11-23T10:00:30", cwd=root)
    assert "[link]: [link 上新 → https://a.example.cn/1]" in result.stdout


def test_a_reminder_names_the_planned_picture(tmp_path):
    toml = ('timezone = "Asia/Shanghai"\n\n[senders.hand]\nkind = "remind"\nvia = "out"\n\n'
            '[senders.out]\nkind = "file"\npath = "outbox.jsonl"\n')
    sop = 'playbook p "提醒"\n  to group hz_001\n  sender hand\n  周一 10:00 poster image "images/poster.png"\n'
    root = write_project(tmp_path / "proj", {"sopc.toml": toml, "main.sop": sop, "images/poster.png": POSTER})
    result = run_sopc("run", ".", "--once", "--now", "2026-11-23T10:00:30", cwd=root)
    assert result.exit_code == 0, result.stderr
    reminder = json.loads((root / "outbox.jsonl").read_text(encoding="utf-8"))["text"]
    assert reminder.endswith(f"图片：images/poster.png（{len(POSTER)} 字节，PNG，md5 {hashlib.md5(POSTER).hexdigest()}）")


def test_a_project_reads_at_most_a_hundred_pictures(tmp_path):
    steps = [f'周一 10:00 p{n} image "images/{n}.png"' for n in range(101)]
    pictures = {f"images/{n}.png": POSTER for n in range(101)}
    status, found = diagnostics(robot_project(tmp_path, *steps, files=pictures))
    [problem] = [d for d in found if d["code"] == "E0425"]
    assert status == 1 and problem["line"] == 4 + 100
    assert problem["message"].startswith("more than 100 different images in one project")


def test_the_readme_rich_content_examples_check_clean(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("- **Rich content**", 1)[1].split("```sop\n", 1)[1].split("```", 1)[0]
    steps = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(steps) == 5
    with MockHooks() as mock:  # the URL picture, served on loopback
        mock.media["/media/p.png"] = (POSTER, "image/png")
        steps = [s.replace("https://cdn.example.cn/p.png", f"{mock.url}/media/p.png") for s in steps]
        toml = 'timezone = "Asia/Shanghai"\n\n[senders.hand]\nkind = "remind"\nvia = "console"\n\n[senders.console]\nkind = "console"\n'
        sop = 'playbook p "图文"\n  to groups tagged 福利群\n  sender hand\n  gap 0m\n' + "".join(f"  {s}\n" for s in steps)
        root = write_project(tmp_path / "proj", {"sopc.toml": toml, "main.sop": sop, "images/poster.png": POSTER})
        status, found = diagnostics(root, "--strict")
        assert (status, [(d["code"], d["message"]) for d in found]) == (0, [])


def test_a_private_welcome_with_a_mini_program_card_goes_to_the_member_alone(tmp_path, mock):
    root = tmp_path / "rich"
    run_rich(tmp_path, mock, "2026-11-23T09:00:00")  # sets the project up
    (root / "playbooks" / "welcome.sop").write_text(
        'playbook welcome "私聊欢迎"\n  to groups tagged 客户群\n  on member.joined\n'
        '    +0 hello "欢迎！点开小程序领新人券" miniprogram appid=wx8bd80126147dfAAA page="pages/new/index" '
        'title="新人券" pic_media_id=MEDIA_NEW to member\n', encoding="utf-8")
    recorded = run_sopc("event", "member.joined", ".", "--group", "vip_01", "--member", "wmNewcomer",
                        "--at", "2026-11-23T09:30:00+08:00", cwd=root)
    assert recorded.exit_code == 0, recorded.stderr
    run_rich(tmp_path, mock, "2026-11-23T09:30:30")
    [task] = mock.groupmsgs
    assert task.body == {
        "chat_type": "single", "external_userid": ["wmNewcomer"], "sender": "laowang",
        "text": {"content": "欢迎！点开小程序领新人券"},
        "attachments": [{"msgtype": "miniprogram", "miniprogram": {
            "appid": "wx8bd80126147dfAAA", "page": "pages/new/index", "pic_media_id": "MEDIA_NEW", "title": "新人券"}}]}


def test_the_plan_files_for_people_show_the_parts_not_their_json(tmp_path):
    import openpyxl
    out = tmp_path / "week.xlsx"
    result = run_sopc("plan", ".", "--from", "2026-11-26", "--to", "2026-11-26", "--format", "xlsx", "-o", str(out), cwd=RICH)
    assert result.exit_code == 0, result.stderr
    cells = [str(c.value) for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row if c.value]
    assert any(c.startswith("本周福利：点开小程序领 20 元券\n[miniprogram 领 20 元券 → wx8bd80126147dfAAA") for c in cells)
    assert not any('"parts"' in c for c in cells)
    ics = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "ics", cwd=RICH).stdout
    assert "[image images/poster.png" in ics.replace("\r\n ", "") and '"image"' not in ics


def test_an_image_path_holding_a_nul_character_is_an_error_at_its_line(tmp_path):
    # the 1M fuzz run (seed 2027), input 134,470: the build crashed (ValueError: embedded null byte)
    status, found = diagnostics(robot_project(tmp_path, '周一 10:00 poster image "images/po\0ster.png"',
                                              '周二 10:00 hello "大家好"'))
    [problem] = [d for d in found if d["code"] == "E0425"]
    assert status == 1 and problem["line"] == 4
    assert problem["message"] == "image `images/po\\0ster.png` holds a NUL character, which no file name has"
