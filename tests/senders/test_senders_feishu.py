"""The Feishu custom-bot sender against the mock Feishu API."""

from __future__ import annotations

import pytest

from sopc.senders.feishu import FeishuSender, feishu_sign
from sopc.senders.http import HttpReply

TOKEN = "0b7c1e3a-5f2d-4c8e-9a61-feishutoken01"
SECRET = "qPyf8Qh1sTsecretFS"
ENV = {"FEISHU_TOKEN": TOKEN, "FEISHU_SECRET": SECRET}


@pytest.fixture
def settings(mockhooks):
    mockhooks.add_feishu_bot(TOKEN, secret=SECRET)
    return {"token_env": "FEISHU_TOKEN", "secret_env": "FEISHU_SECRET", "base_url": mockhooks.url}


def without_signature(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("timestamp", "sign")}


def test_signature_matches_an_independent_implementation():
    # Value computed with node:crypto by another project (key = "timestamp\nsecret", message empty).
    assert feishu_sign("1756800000", "orbit-test-secret") == "sN+9ZKa5w6BQmKyxCaxNA1DWEgtEnZaOcfEOCqZ26fg="


def test_text_with_at_all_is_signed_in_the_body(send, settings, mockhooks, make_message, clock):
    message = make_message(mentions=("all", "ou_7d8a6e6df7621556ce0d21922b676706"))
    [result] = send("feishu", settings, ENV, message)
    assert result.status == "sent"  # the mock verified the signature
    [body] = mockhooks.bodies("feishu")
    assert body["timestamp"] == str(int(clock.time()))
    assert body["sign"] == feishu_sign(body["timestamp"], SECRET)
    assert without_signature(body) == {
        "msg_type": "text",
        "content": {"text": message.text + '\n<at user_id="all">所有人</at> <at user_id="ou_7d8a6e6df7621556ce0d21922b676706"></at>'},
    }
    assert mockhooks.accepted["feishu"][0].path == f"/open-apis/bot/v2/hook/{TOKEN}"


def test_unsigned_bot_gets_no_signature_fields(send, mockhooks, make_message):
    mockhooks.add_feishu_bot("plain-token-1234")
    [result] = send("feishu", {"token_env": "T", "base_url": mockhooks.url}, {"T": "plain-token-1234"}, make_message())
    assert result.status == "sent"
    assert set(mockhooks.bodies("feishu")[0]) == {"msg_type", "content"}


def test_markdown_is_an_interactive_card_with_header(send, settings, mockhooks, make_message):
    message = make_message(kind="markdown", text="# 618 秒杀\n**今晚 8 点**开抢", mentions=("all",))
    [result] = send("feishu", settings, ENV, message)
    assert result.status == "sent"
    assert without_signature(mockhooks.bodies("feishu")[0]) == {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": "618 秒杀"}},
            "elements": [{"tag": "markdown", "content": "**今晚 8 点**开抢\n<at id=all></at>"}],
        },
    }


def test_link_is_a_post_with_an_a_tag(send, settings, mockhooks, make_message):
    [result] = send("feishu", settings, ENV, make_message(kind="link", text="https://shop.example.cn/618\n618 秒杀\n今晚 8 点"))
    assert result.status == "sent"
    assert without_signature(mockhooks.bodies("feishu")[0]) == {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "618 秒杀",
                    "content": [[{"tag": "text", "text": "今晚 8 点"}], [{"tag": "a", "text": "查看详情", "href": "https://shop.example.cn/618"}]],
                }
            }
        },
    }


def test_wrong_secret_fails_at_once_with_feishus_message(send, settings, mockhooks, make_message, clock):
    [result] = send("feishu", settings, {**ENV, "FEISHU_SECRET": "not-the-secret"}, make_message())
    assert result.status == "failed"
    assert result.error == "Feishu error 19021: sign match fail or timestamp is not within one hour from current time"
    assert len(mockhooks.requests) == 1 and clock.sleeps == []


def test_unknown_token_fails_and_the_token_never_shows(send, settings, mockhooks, make_message):
    [result] = send("feishu", settings, {**ENV, "FEISHU_TOKEN": "ffff-unknown-token"}, make_message())
    assert result.status == "failed" and result.error.startswith("Feishu error 19001")
    assert "ffff-unknown-token" not in result.error


def test_frequency_limit_is_retried_then_sent(send, settings, mockhooks, make_message, clock):
    unpaced = {**settings, "per_second": 0, "per_minute": 0}
    results = send("feishu", unpaced, ENV, *[make_message() for _ in range(6)])
    assert [r.status for r in results] == ["sent"] * 6
    refused = [r for r in mockhooks.requests if '"code": 11232' in r.answer_body]
    assert len(refused) == 1 and "frequency limited" in refused[0].answer_body
    assert clock.sleeps == [1.0]


def test_pacing_keeps_five_a_second(send, settings, mockhooks, make_message, clock):
    results = send("feishu", settings, ENV, *[make_message() for _ in range(11)])
    assert [r.status for r in results] == ["sent"] * 11
    assert all('"code": 0' in r.answer_body for r in mockhooks.requests)
    assert sum(clock.sleeps) == pytest.approx(2.0)


def test_sends_steer_off_the_half_hour(mockhooks, make_message, clock, send):
    clock.advance(1800 - 800 + 3)  # the fake wall clock starts at HH:13:20; go to HH:30:03
    mockhooks.add_feishu_bot(TOKEN)
    [result] = send("feishu", {"token_env": "T", "base_url": mockhooks.url}, {"T": TOKEN}, make_message())
    assert result.status == "sent"
    assert clock.sleeps == [pytest.approx(12.0 + 2.5)]


def test_oversized_text_fails_before_sending(send, settings, mockhooks, make_message):
    [result] = send("feishu", settings, ENV, make_message(text="福" * 6001))
    assert result.status == "failed" and "18003 bytes (UTF-8), over the limit of 18000" in result.error
    assert mockhooks.requests == []


def judge(status: int, body: str):
    sender = object.__new__(FeishuSender)
    return FeishuSender.judge(sender, HttpReply(status=status, headers={}, text=body))


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"code":0,"msg":"success","data":{}}', "sent"),
        ('{"Extra":null,"StatusCode":0,"StatusMessage":"success"}', "sent"),
        ('{"code":19021,"StatusCode":0}', "failed"),
        ('{"code":9499,"msg":"Bad Request","data":{}}', "failed"),
        ('{"code":9499,"msg":"too many request"}', "retry"),
        ('{"code":11232,"data":{},"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"}', "retry"),
        ("<html>gateway</html>", "failed"),
    ],
)
def test_success_is_judged_from_the_body(body, status):
    assert judge(200, body).status == status
