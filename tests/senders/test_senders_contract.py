"""Issue 14, items 3 and 8: the senders against their declared contracts
and the vendors' documentation, on the loopback mock servers.

- a dry run refuses exactly what the real sender refuses, with its words;
- a relative image path is read from the project folder, not the cwd;
- Slack's limit is 40,000 characters, not bytes;
- 企业群发 keeps its access_token (with its expiry) in the state store, so
  consecutive runs do not fetch one each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json

import pytest

from sopc.core.sender_specs import WECOM_BOT
from sopc.run.store import SenderState, SQLiteStore
from sopc.senders.base import load_sender
from sopc.senders.dryrun import DryRunSender

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
KEY = "693a91f6-7xxx-4bc4-97a0-contract0001"
CORP_ID, SECRET = "ww5f2c1e0d9b8a7c6d", "Zq8Xv1LmN3bC5dF7gH9jK2pQ4rS6tU8wYcontract"
CORP_ENV = {"WECOM_CORP_ID": CORP_ID, "WECOM_CONTACT_SECRET": SECRET}
GETTOKEN = "/cgi-bin/gettoken"


def deliver(sender, *messages):
    async def scenario():
        try:
            return [await sender.deliver(message) for message in messages]
        finally:
            await sender.aclose()

    return asyncio.run(asyncio.wait_for(scenario(), 10))


# ---- the dry run refuses what the sender refuses ---------------------------------------------


def test_a_dry_run_fails_what_the_wecom_robot_fails_with_the_same_reason(mockhooks, runtime, make_message, tmp_path):
    (tmp_path / "poster.png").write_bytes(PNG)
    runtime = dataclasses.replace(runtime, extra={"project_dir": tmp_path})
    mockhooks.add_wecom_bot(KEY)
    messages = [
        make_message(kind="image", text="https://cdn.example.com/poster.png"),   # the robot uploads files
        make_message(kind="image", text="missing.png"),
        make_message(kind="link", text="看这里"),                                  # no URL, no title
        make_message(kind="link", text="https://shop.example.cn/618"),            # no title
        make_message(kind="markdown", text="**今晚**", mentions=("all",)),        # markdown has no @all
        make_message(text="福" * 683),                                            # 2049 bytes
        make_message(kind="image", text="poster.png"),                            # fine: sent
    ]
    real = deliver(load_sender("robot", "wecom-bot", {"key_env": "K", "base_url": mockhooks.url}, {"K": KEY},
                               runtime=runtime), *messages)
    out = io.StringIO()
    dry = DryRunSender(stdout=out).stand_in("robot", "wecom-bot", WECOM_BOT.limits, tmp_path)
    dried = deliver(dry, *messages)
    assert [r.status for r in real] == ["failed"] * 6 + ["sent"]
    assert [(r.status, r.error) for r in dried] == [(r.status, r.error) for r in real]
    assert "uploads images from local files, not URLs" in real[0].error
    assert "line 1 must be an http(s) URL" in real[2].error and "line 2 must be its title" in real[3].error
    assert len(mockhooks.requests) == 1  # only the good image was posted
    assert out.getvalue().count("refused by robot (wecom-bot): ") == 6


def test_a_dry_run_of_a_groupmsg_send_without_an_owner_fails_like_the_real_one(mockhooks, runtime, make_message):
    mockhooks.add_wecom_corp(CORP_ID, SECRET)
    settings = {"corp_id_env": "WECOM_CORP_ID", "secret_env": "WECOM_CONTACT_SECRET", "base_url": mockhooks.url}
    ownerless = make_message(owner=None)
    long_title = make_message(kind="link", text="https://shop.example.cn/618\n" + "秒杀" * 22 + "\n今晚")  # 132 bytes
    mentioning = make_message(mentions=("zhangsan",))
    real = deliver(load_sender("qunfa", "wecom-groupmsg", settings, CORP_ENV, runtime=runtime),
                   ownerless, long_title, mentioning)
    from sopc.core.sender_specs import WECOM_GROUPMSG
    dry = DryRunSender(stdout=io.StringIO()).stand_in("qunfa", "wecom-groupmsg", WECOM_GROUPMSG.limits, None)
    dried = deliver(dry, ownerless, long_title, mentioning)
    assert [(r.status, r.error) for r in dried] == [(r.status, r.error) for r in real]
    assert "has no owner" in real[0].error
    assert "link title is 132 bytes (UTF-8), over the limit of 128" in real[1].error
    assert "cannot @mention a user id (`@zhangsan`)" in real[2].error
    assert mockhooks.requests == []  # not even a token: each was refused before any call


# ---- images are read from the project folder -----------------------------------------------------


def test_a_relative_image_path_is_read_from_the_project_folder(mockhooks, runtime, make_message, tmp_path,
                                                               monkeypatch):
    project = tmp_path / "project"
    (project / "images").mkdir(parents=True)
    (project / "images" / "poster.png").write_bytes(PNG)
    monkeypatch.chdir(tmp_path)  # `sopc run` started from elsewhere than the project
    mockhooks.add_wecom_bot(KEY)
    runtime = dataclasses.replace(runtime, extra={"project_dir": project})
    [result] = deliver(load_sender("robot", "wecom-bot", {"key_env": "K", "base_url": mockhooks.url}, {"K": KEY},
                                   runtime=runtime), make_message(kind="image", text="images/poster.png"))
    assert result.status == "sent", result.error
    assert mockhooks.bodies("wecom")[0]["msgtype"] == "image"


# ---- WeCom markdown mentions a member with <@userid> -------------------------------------------


def test_wecom_markdown_carries_the_member_it_used_to_refuse(send, mockhooks, make_message):
    mockhooks.add_wecom_bot(KEY)
    welcome = make_message(kind="markdown", text="## 欢迎新朋友\n群规见公告", member="m_xw", mentions=("m_xw",))
    [result] = send("wecom-bot", {"key_env": "K", "base_url": mockhooks.url}, {"K": KEY}, welcome)
    assert result.status == "sent", result.error
    assert mockhooks.bodies("wecom") == [{"msgtype": "markdown",
                                          "markdown": {"content": "## 欢迎新朋友\n群规见公告\n<@m_xw>"}}]


# ---- Slack counts characters ------------------------------------------------------------------


def test_slack_takes_a_long_chinese_message_it_can_show_whole(send, mockhooks, make_message):
    env = {"SLACK_URL": mockhooks.add_slack_hook()}
    settings = {"url_env": "SLACK_URL", "base_url": mockhooks.url}
    chinese = "福利" * 10_000          # 20,000 characters, 60,000 UTF-8 bytes
    too_long = "a" * 40_001
    fits, over = send("slack", settings, env, make_message(text=chinese), make_message(text=too_long))
    assert fits.status == "sent", fits.error
    assert mockhooks.bodies("slack") == [{"text": chinese}]
    assert over.status == "failed" and "40001 characters, over the limit of 40000" in over.error


def test_slack_counts_its_escapes_and_mentions_against_the_limit(send, mockhooks, make_message):
    env = {"SLACK_URL": mockhooks.add_slack_hook()}
    settings = {"url_env": "SLACK_URL", "base_url": mockhooks.url}
    [result] = send("slack", settings, env, make_message(text="&" * 39_000))  # escaped: 5 characters each
    assert result.status == "failed" and "over the limit of 40000" in result.error
    assert mockhooks.requests == []


# ---- 企业群发 keeps its token between runs ---------------------------------------------------------


@pytest.fixture
def state(tmp_path):
    store = SQLiteStore(tmp_path / "state.db")
    yield SenderState(store)
    store.close()


def groupmsg_run(mockhooks, runtime, state, make_message, count: int = 1):
    """One `sopc run --once`: a new sender (a new process), the same state file."""
    settings = {"corp_id_env": "WECOM_CORP_ID", "secret_env": "WECOM_CONTACT_SECRET", "base_url": mockhooks.url}
    runtime = dataclasses.replace(runtime, extra={"state": state})
    sender = load_sender("qunfa", "wecom-groupmsg", settings, CORP_ENV, runtime=runtime)
    return deliver(sender, *[make_message() for _ in range(count)])


def test_consecutive_runs_share_one_access_token(mockhooks, runtime, state, make_message, clock):
    mockhooks.add_wecom_corp(CORP_ID, SECRET, users=("xiaomei",))
    for _ in range(3):  # cron: `sopc run --once` every five minutes
        assert [r.status for r in groupmsg_run(mockhooks, runtime, state, make_message, count=2)] == ["sent"] * 2
        clock.advance(300)
    assert mockhooks.token_fetches == 1
    assert len([r for r in mockhooks.requests if r.path == GETTOKEN]) == 1


def test_the_kept_token_is_renewed_before_it_expires(mockhooks, runtime, state, make_message, clock):
    mockhooks.add_wecom_corp(CORP_ID, SECRET, users=("xiaomei",))
    groupmsg_run(mockhooks, runtime, state, make_message)
    clock.advance(7200 - 300 + 1)  # inside the last five minutes of its two hours
    assert groupmsg_run(mockhooks, runtime, state, make_message)[0].status == "sent"
    assert mockhooks.token_fetches == 2


def test_a_kept_token_wecom_refuses_is_fetched_again_and_replaced(mockhooks, runtime, state, make_message):
    mockhooks.add_wecom_corp(CORP_ID, SECRET, users=("xiaomei",))
    groupmsg_run(mockhooks, runtime, state, make_message)
    mockhooks.expire_tokens()  # WeCom ended it early
    assert groupmsg_run(mockhooks, runtime, state, make_message)[0].status == "sent"
    assert groupmsg_run(mockhooks, runtime, state, make_message)[0].status == "sent"
    assert mockhooks.token_fetches == 2  # once at first, once after the refusal; the third run reuses it


def test_the_state_holds_the_token_and_its_expiry_but_never_the_secret(mockhooks, runtime, state, make_message,
                                                                        tmp_path, clock):
    mockhooks.add_wecom_corp(CORP_ID, SECRET, users=("xiaomei",))
    groupmsg_run(mockhooks, runtime, state, make_message)
    store = SQLiteStore(tmp_path / "state.db")
    try:
        rows = store.db.execute("SELECT key, value FROM meta WHERE key LIKE 'sender:%'").fetchall()
    finally:
        store.close()
    [(key, value)] = rows
    kept = json.loads(value)
    assert set(kept) == {"access_token", "renew_at"} and kept["renew_at"] == pytest.approx(clock.time() + 6900)
    assert SECRET not in key + value and CORP_ID not in key
    assert "WECOM_CORP_ID" in key  # which corp, by the variable that names it
