"""The sender registry: kinds, entry points, settings errors, and the
message rules every sender shares (link text, console, file outbox)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json

import pytest

from sopc.core import plugins as plugin_registry
from sopc.core.senders import UNLIMITED, SenderSpec
from sopc.senders import base
from sopc.senders.base import (
    DeliveryResult,
    SenderConfigError,
    SenderLimits,
    SenderRuntime,
    known_kinds,
    limits_for,
    load_sender,
    parse_link,
    sender_class,
)

BUILTINS = {"console", "file", "wecom-bot", "feishu", "dingtalk", "slack", "webhook", "wecom-groupmsg", "remind"}


class PigeonSender:
    """A plugin sender, as a third-party distribution would ship it."""

    kind = "pigeon"
    limits = SenderLimits(
        text_bytes=80,
        markdown_bytes=None,
        kinds=frozenset({"text"}),
        mentions_in=frozenset(),
        per_minute=1,
        per_second=None,
        external_groups=True,
    )

    def __init__(self, name: str, loft: str) -> None:
        self.name, self.loft = name, loft

    @classmethod
    def from_settings(cls, name, settings, env, runtime):
        return cls(name, settings["loft"])

    async def deliver(self, message) -> DeliveryResult:
        return base.sent(remote_id=f"{self.loft}:{message.id}")

    async def aclose(self) -> None:
        return None


# What the plugin's entry point names: the limits for `sopc check`, and where
# the class is, imported only to deliver.
PIGEON = SenderSpec(kind="pigeon", summary="carrier pigeons from a loft", limits=PigeonSender.limits,
                    factory=f"{__name__}:PigeonSender")


class NoFactorySender:
    """A plugin class that forgot ``from_settings``."""

    limits = UNLIMITED


class FakeEntryPoint:
    def __init__(self, name: str, target: object) -> None:
        self.name, self.target, self.loaded = name, target, 0

    def load(self) -> object:
        self.loaded += 1
        return self.target


class FakeDistributions:
    """Entry points as installed distributions would declare them: sopc's own
    (really installed) and the fake plugins appended."""

    def __init__(self, installed: list) -> None:
        self.installed: list = list(installed)
        self.groups_asked: list[str] = []

    def append(self, entry_point: FakeEntryPoint) -> None:
        self.installed.append(entry_point)

    def entry_points(self, group: str) -> list[FakeEntryPoint]:
        self.groups_asked.append(group)
        return list(self.installed) if group == "sopc.senders" else []


@pytest.fixture
def plugins(monkeypatch) -> FakeDistributions:
    distributions = FakeDistributions(plugin_registry.entry_points("sopc.senders"))
    monkeypatch.setattr(plugin_registry, "entry_points", distributions.entry_points)
    return distributions


def test_every_builtin_kind_is_known_and_declares_limits():
    assert BUILTINS <= set(known_kinds())
    for kind in BUILTINS:
        assert isinstance(limits_for(kind), SenderLimits)


def test_vendor_limits_are_the_documented_ones():
    wecom = limits_for("wecom-bot")
    assert (wecom.text_bytes, wecom.markdown_bytes, wecom.per_minute) == (2048, 4096, 20)
    assert wecom.external_groups is False
    assert wecom.mentions_in == {"text", "markdown"}
    assert wecom.mention_forms["markdown"] == {"user"}  # <@userid> only: no @all, no mobile numbers
    feishu = limits_for("feishu")
    assert (feishu.per_second, feishu.per_minute) == (5, 100)
    assert limits_for("dingtalk").per_minute == 20
    assert limits_for("slack").per_second == 1
    groupmsg = limits_for("wecom-groupmsg")
    assert (groupmsg.text_bytes, groupmsg.kinds, groupmsg.mentions_in) == (
        4000, {"text", "link", "miniprogram", "attachments"}, frozenset())
    assert (groupmsg.attachments, groupmsg.link_articles, limits_for("wecom-bot").link_articles) == (9, 9, 8)


def test_unknown_kind_suggests_the_closest():
    with pytest.raises(SenderConfigError, match=r"unknown sender kind `wecom_bot`; did you mean `wecom-bot`\?"):
        load_sender("ops", "wecom_bot", {}, {})
    with pytest.raises(SenderConfigError, match="did you mean `feishu`"):
        limits_for("fieshu")


def test_unknown_kind_far_from_all_lists_the_known_ones():
    with pytest.raises(SenderConfigError) as caught:
        load_sender("ops", "carrier-owl", {}, {})
    assert "did you mean" not in str(caught.value)
    assert "console" in str(caught.value) and "wecom-bot" in str(caught.value)


def test_a_kind_whose_implementation_cannot_be_imported_is_a_clear_error(plugins):
    spec = SenderSpec(kind="carrier-pigeon", summary="birds that carry the post", limits=UNLIMITED,
                      factory="no_such_loft_module:CarrierPigeon")
    plugins.append(FakeEntryPoint("carrier-pigeon", spec))
    assert limits_for("carrier-pigeon") == UNLIMITED  # checking needs the spec only
    with pytest.raises(SenderConfigError, match=r"sender kind `carrier-pigeon`: cannot import its implementation "
                                                r"`no_such_loft_module:CarrierPigeon` \(ModuleNotFoundError"):
        load_sender("ops", "carrier-pigeon", {}, {})


def test_every_builtin_kind_is_implemented():
    for kind in BUILTINS:
        assert callable(getattr(sender_class(kind), "from_settings", None)), kind
    assert {"wecom-groupmsg", "remind"} <= set(known_kinds())
    assert limits_for("wecom-groupmsg").external_groups is True
    assert limits_for("remind").external_groups is True


def test_missing_environment_variable_is_named_but_no_value_is_shown():
    with pytest.raises(SenderConfigError) as caught:
        load_sender("ops", "wecom-bot", {"key_env": "WECOM_KEY_MAIN"}, {"OTHER": "secret-value-123"})
    assert "WECOM_KEY_MAIN" in str(caught.value)
    assert "secret-value-123" not in str(caught.value)


def test_a_setting_holding_a_secret_instead_of_a_variable_name_is_refused_without_echoing_it():
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    with pytest.raises(SenderConfigError) as caught:
        load_sender("ops", "wecom-bot", {"key_env": key}, {})
    assert key not in str(caught.value)
    assert "must name an environment variable" in str(caught.value)


def test_entry_points_are_consulted_for_new_kinds(plugins):
    plugins.append(FakeEntryPoint("pigeon", PIGEON))
    sender = load_sender("coop", "pigeon", {"loft": "north"}, {})
    assert isinstance(sender, PigeonSender) and sender.loft == "north"
    assert limits_for("pigeon").text_bytes == 80
    assert "pigeon" in known_kinds()
    assert plugins.groups_asked and set(plugins.groups_asked) == {"sopc.senders"}


def test_an_entry_point_overrides_a_builtin_of_the_same_kind(plugins):
    plugins.append(FakeEntryPoint("console", dataclasses.replace(PIGEON, kind="console")))
    assert isinstance(load_sender("ops", "console", {"loft": "south"}, {}), PigeonSender)
    assert limits_for("console").text_bytes == 80


def test_did_you_mean_includes_plugin_kinds(plugins):
    plugins.append(FakeEntryPoint("pigeon", PIGEON))
    with pytest.raises(SenderConfigError, match="did you mean `pigeon`"):
        load_sender("coop", "pidgeon", {}, {})


def test_a_plugin_without_limits_or_factory_is_rejected(plugins):
    plugins.append(FakeEntryPoint("broken", object()))
    with pytest.raises(SenderConfigError, match="sender entry point `broken` names a value of type `object`, not a SenderSpec"):
        limits_for("broken")
    with pytest.raises(SenderConfigError, match="not a SenderSpec"):
        load_sender("x", "broken", {}, {})
    plugins.append(FakeEntryPoint("bare", SenderSpec(kind="bare", summary="no factory method", limits=UNLIMITED,
                                                     factory=f"{__name__}:NoFactorySender")))
    with pytest.raises(SenderConfigError, match="from_settings"):
        load_sender("x", "bare", {}, {})


def test_link_text_rule():
    card = parse_link("https://shop.example.cn/sale\n618 秒杀\n今晚 8 点开抢\n限量 100 件")
    assert card is not None
    assert (card.url, card.title, card.description) == ("https://shop.example.cn/sale", "618 秒杀", "今晚 8 点开抢\n限量 100 件")
    assert parse_link("https://x.cn\n标题").description == ""
    assert parse_link("shop.example.cn\n标题") is None
    assert parse_link("https://x.cn") is None


def test_console_prints_one_readable_line(make_message):
    out = io.StringIO()
    sender = load_sender("screen", "console", {}, {}, runtime=SenderRuntime(stdout=out))
    message = make_message(mentions=("all",), text="第一行\n第二行")
    assert asyncio.run(sender.deliver(message)).status == "sent"
    assert out.getvalue() == "2024-05-01 10:00+08:00 welcome/greet -> VIP 福利群 1 (vip-1) [text @all]: 第一行\n    第二行\n"


def test_file_outbox_appends_one_json_line_per_message(tmp_path, make_message):
    outbox = tmp_path / "out" / "outbox.jsonl"
    sender = load_sender("outbox", "file", {"path": str(outbox), "fsync": True}, {})
    first, second = make_message(), make_message(kind="link", text="https://x.cn\n标题\n说明")
    results = asyncio.run(_deliver_all(sender, first, second))
    assert [r.status for r in results] == ["sent", "sent"]
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [first.id, second.id]
    record = json.loads(lines[0])
    assert record["text"] == first.text and record["at"] == "2024-05-01T10:00:00+08:00" and record["sender"] == "outbox"
    assert "大家好" in lines[0]  # UTF-8, not \u escapes


def test_file_sender_needs_a_path_and_reports_unwritable_ones(tmp_path, make_message):
    with pytest.raises(SenderConfigError, match="needs `path`"):
        load_sender("outbox", "file", {}, {})
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    sender = load_sender("outbox", "file", {"path": str(blocker / "outbox.jsonl")}, {})
    result = asyncio.run(sender.deliver(make_message()))
    assert result.status == "failed" and "cannot append" in result.error


async def _deliver_all(sender, *messages):
    return [await sender.deliver(m) for m in messages]


def test_a_secret_pasted_where_a_variable_name_belongs_is_not_echoed():
    from sopc.senders.base import SenderConfigError, require_env

    secret = "Xk9aPqL2mZ7tR4vB8nC1dE6fG3hJ5kL0"
    with pytest.raises(SenderConfigError) as info:
        require_env(secret, {}, purpose="setting `secret_env`")
    assert secret not in str(info.value) and "is it the secret itself" in str(info.value)
    with pytest.raises(SenderConfigError, match="environment variable WECOM_BOT_KEY is not set"):
        require_env("WECOM_BOT_KEY", {}, purpose="setting `key_env`")
