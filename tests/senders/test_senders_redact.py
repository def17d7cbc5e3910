"""Masking credentials in URLs and scrubbing secrets from any error text."""

from __future__ import annotations

import asyncio

import httpx
from mockhooks import Answer

from sopc.senders.base import SenderRuntime, load_sender
from sopc.senders.redact import Redactor, mask_url

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def test_mask_url_hides_every_credential_shape():
    assert mask_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}") == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    assert mask_url("https://open.feishu.cn/open-apis/bot/v2/hook/abc-token") == "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    assert mask_url("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1&sign=s") == (
        "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=***&sign=***"
    )
    assert mask_url("https://hooks.slack.com/services/T0/B0/XyZ") == "https://hooks.slack.com/services/***"
    assert mask_url("https://user:pw@crm.example.cn:8443/hooks/tok?x=1", hide_path=True) == "https://crm.example.cn:8443/***?x=***"


def test_redactor_removes_secrets_and_their_url_encodings():
    secret = "SEC+a/b=c"
    redact = Redactor([secret, None, ""])
    assert redact("sign failed for SEC+a/b=c and SEC%2Ba%2Fb%3Dc") == "sign failed for *** and ***"
    assert redact(None) is None


def test_redactor_masks_credentials_in_quoted_urls_but_keeps_vendor_help_links():
    redact = Redactor()
    text = (
        f"error posting to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}: 93000, "
        "more info at https://open.work.weixin.qq.com/devtool/query?e=93000"
    )
    assert redact(text) == (
        "error posting to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***: 93000, "
        "more info at https://open.work.weixin.qq.com/devtool/query?e=93000"
    )


def test_a_receiver_echoing_the_token_back_does_not_leak_it(send, mockhooks, make_message):
    token = "Bearer hk_live_5f1c0c3d9b0e4a7f"
    url = mockhooks.add_webhook("crm", Answer.text(401, f"invalid Authorization header: {token}"))
    [result] = send("webhook", {"url": url, "headers_env": {"Authorization": "HOOK_TOKEN"}}, {"HOOK_TOKEN": token}, make_message())
    assert result.status == "failed"
    assert result.error == "webhook HTTP 401: invalid Authorization header: ***"


def test_a_vendor_message_quoting_the_key_is_scrubbed(make_message, clock):
    key = "0f1e2d3c-aaaa-bbbb-cccc-echoedkey001"

    def echoing_vendor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errcode": 93000, "errmsg": f"invalid webhook url {request.url}, key {key}"})

    runtime = SenderRuntime(sleep=clock.sleep, transport=httpx.MockTransport(echoing_vendor))
    sender = load_sender("ops", "wecom-bot", {"key_env": "K"}, {"K": key}, runtime=runtime)
    result = asyncio.run(_deliver_and_close(sender, make_message()))
    assert result.status == "failed" and result.error.startswith("WeCom error 93000: invalid webhook url")
    assert key not in result.error
    assert "send?key=***" in result.error


async def _deliver_and_close(sender, message):
    try:
        return await sender.deliver(message)
    finally:
        await sender.aclose()
