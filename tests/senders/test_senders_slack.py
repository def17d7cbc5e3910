"""The Slack incoming-webhook sender against the mock Slack endpoint."""

from __future__ import annotations

import pytest

HOOK_PATH = "/services/T024BE7LD/B01ABCDEF/SlAcKsEcReTpAtH0123"


@pytest.fixture
def env(mockhooks):
    return {"SLACK_URL": mockhooks.add_slack_hook(HOOK_PATH)}


@pytest.fixture
def settings(mockhooks):
    return {"url_env": "SLACK_URL", "base_url": mockhooks.url}


def test_text_is_escaped_and_at_all_is_channel(send, settings, env, mockhooks, make_message):
    [result] = send("slack", settings, env, make_message(text="Q&A <today>", mentions=("all", "U0123ABC")))
    assert result.status == "sent"
    assert mockhooks.bodies("slack") == [{"text": "<!channel> <@U0123ABC> Q&amp;A &lt;today&gt;"}]
    assert mockhooks.accepted["slack"][0].path == HOOK_PATH  # base_url replaced only the host


def test_markdown_is_sent_as_written_and_links_are_slack_links(send, settings, env, mockhooks, make_message, clock):
    results = send(
        "slack",
        settings,
        env,
        make_message(kind="markdown", text="*Flash sale* <https://x.cn|now>"),
        make_message(kind="link", text="https://shop.example.cn/618\n618 <sale>\n8pm"),
    )
    assert [r.status for r in results] == ["sent", "sent"]
    assert mockhooks.bodies("slack") == [
        {"text": "*Flash sale* <https://x.cn|now>"},
        {"text": "<https://shop.example.cn/618|618 &lt;sale&gt;>\n8pm"},
    ]
    assert clock.sleeps == [pytest.approx(1.0)]  # one a second


def test_429_with_retry_after_is_retried(send, settings, env, mockhooks, make_message, clock):
    results = send("slack", {**settings, "per_second": 0}, env, make_message(), make_message())
    assert [r.status for r in results] == ["sent", "sent"]
    assert [r.answer for r in mockhooks.requests] == [200, 429, 200]
    assert clock.sleeps == [1.0]


def test_unknown_hook_fails_with_slacks_word_and_no_secret(send, settings, mockhooks, make_message):
    env = {"SLACK_URL": "https://hooks.slack.com/services/T0/B0/NoSuchHookSecret"}
    [result] = send("slack", settings, env, make_message())
    assert (result.status, result.error) == ("failed", "Slack HTTP 404: no_service")


def test_transport_errors_mask_the_hook_path(send, mockhooks, make_message):
    env = {"SLACK_URL": mockhooks.add_slack_hook(HOOK_PATH)}
    mockhooks.hang_next(1)
    [result] = send("slack", {"url_env": "SLACK_URL", "base_url": mockhooks.url, "timeout": 0.2, "max_attempts": 1}, env, make_message())
    assert result.status == "retry"
    assert "/services/***" in result.error and "SlAcKsEcReTpAtH0123" not in result.error
