"""Masking credentials in URLs and scrubbing secrets from any error text."""

from __future__ import annotations

from mockhooks import Answer

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


def test_a_vendor_message_quoting_the_key_is_scrubbed(send, mockhooks, make_message):
    key = "0f1e2d3c-aaaa-bbbb-cccc-echoedkey001"
    url = f"{mockhooks.url}/cgi-bin/webhook/send?key={key}"
    mockhooks.add_wecom_bot(key)
    mockhooks.queue_answers("/cgi-bin/webhook/send", Answer.json({"errcode": 93000, "errmsg": f"invalid webhook url {url}, key {key}"}))
    [result] = send("wecom-bot", {"key_env": "K", "base_url": mockhooks.url}, {"K": key}, make_message())
    assert result.status == "failed" and result.error.startswith("WeCom error 93000: invalid webhook url")
    assert key not in result.error
    assert "send?key=***" in result.error


def test_a_url_too_broken_to_parse_is_masked_not_raised():
    assert mask_url("http://[::1/cgi-bin/webhook/send?key=" + KEY) == "http://***"
    assert Redactor()("posting to http://[::1/send?key=abc failed") == "posting to http://*** failed"
