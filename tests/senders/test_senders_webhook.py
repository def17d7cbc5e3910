"""The generic webhook sender against scripted mock hooks."""

from __future__ import annotations

import pytest
from mockhooks import Answer

from sopc.senders.base import SenderConfigError, load_sender

TOKEN = "Bearer hk_live_5f1c0c3d9b0e4a7f"


def test_posts_the_whole_message_with_idempotency_key_and_env_headers(send, mockhooks, make_message):
    url = mockhooks.add_webhook("scrm")
    settings = {"url": url, "headers": {"X-Tenant": "acme"}, "headers_env": {"Authorization": "HOOK_TOKEN"}}
    message = make_message(member="u-42", mentions=("u-42",), address="chat-77")
    [result] = send("webhook", settings, {"HOOK_TOKEN": TOKEN}, message)
    assert (result.status, result.remote_id) == ("sent", "r-1")
    [received] = mockhooks.accepted["webhook"]
    assert received.headers["idempotency-key"] == message.id
    assert received.headers["authorization"] == TOKEN and received.headers["x-tenant"] == "acme"
    assert received.headers["content-type"] == "application/json; charset=utf-8"
    assert received.body == {
        "id": message.id,
        "at": "2024-05-01T10:00:00+08:00",
        "playbook": "welcome",
        "step": "greet",
        "group": "vip-1",
        "group_name": "VIP 福利群 1",
        "member": "u-42",
        "kind": "text",
        "mentions": ["u-42"],
        "text": message.text,
        "address": "chat-77",
        "owner": "xiaomei",
    }


def test_client_errors_are_permanent_and_keep_secrets_out(send, mockhooks, make_message):
    url = mockhooks.add_webhook("crm", Answer.json({"error": "bad group"}, status=422))
    [result] = send("webhook", {"url": url, "headers_env": {"Authorization": "HOOK_TOKEN"}}, {"HOOK_TOKEN": TOKEN}, make_message())
    assert result.status == "failed"
    assert result.error == 'webhook HTTP 422: {"error": "bad group"}'
    assert len(mockhooks.requests) == 1


def test_5xx_and_429_are_retried_honouring_retry_after(send, mockhooks, make_message, clock):
    url = mockhooks.add_webhook(
        "crm",
        Answer.text(503, "busy"),
        Answer.text(429, "slow down", **{"Retry-After": "9"}),
        Answer.json({"id": "remote-7"}, status=201),
    )
    [result] = send("webhook", {"url": url, "max_attempts": 3}, {}, make_message())
    assert (result.status, result.remote_id) == ("sent", "remote-7")
    assert clock.sleeps == [1.0, 9.0]
    assert len({r.headers["idempotency-key"] for r in mockhooks.requests}) == 1  # same key on every retry


def test_url_from_env_is_masked_in_errors(send, mockhooks, make_message):
    secret_url = mockhooks.add_webhook("secret-path-token-abc123")
    mockhooks.hang_next(1)
    [result] = send("webhook", {"url_env": "HOOK_URL", "timeout": 0.2, "max_attempts": 1}, {"HOOK_URL": secret_url}, make_message())
    assert result.status == "retry"
    assert "secret-path-token-abc123" not in result.error and "/***" in result.error


def test_settings_errors_name_variables_not_values(runtime):
    with pytest.raises(SenderConfigError, match="HOOK_TOKEN"):
        load_sender("w", "webhook", {"url": "https://crm.example.cn/hook", "headers_env": {"Authorization": "HOOK_TOKEN"}}, {}, runtime=runtime)
    with pytest.raises(SenderConfigError, match="HOOK_URL"):
        load_sender("w", "webhook", {"url_env": "HOOK_URL"}, {}, runtime=runtime)
    with pytest.raises(SenderConfigError, match="needs `url`"):
        load_sender("w", "webhook", {}, {}, runtime=runtime)
