"""Plugins through entry points: sopc's own senders and checks are registered
the way a third-party package registers its own, a package installed beside
sopc (a real dist-info folder on sys.path) is found by `sopc check` and
`sopc senders`, a broken one is a clear error, and checking or planning
never imports a sender's code (nor aiohttp, which the HTTP senders use)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from projects import write_project
from sopc.cli import cli
from sopc.core import plugins
from sopc.core.senders import read_registry, sender_spec, sender_specs, SenderKindError
from sopc.senders.base import load_sender, sender_class

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00"
BUILTIN_SENDERS = {"console", "file", "wecom-bot", "feishu", "dingtalk", "slack", "webhook", "wecom-groupmsg", "remind"}
BUILTIN_CHECKS = {"quiet-hours", "local-times", "timelines", "launches", "calendar", "template-variables",
                  "mentions", "senders", "sender-kinds", "cadence", "posts-and-peaks", "playtests"}

PIGEON_SPECS = '''
from sopc.core.senders import SenderLimits, SenderSpec

PIGEON = SenderSpec(
    kind="pigeon",
    summary="carrier pigeons from the loft named by `loft`",
    limits=SenderLimits(text_bytes=80, markdown_bytes=None, kinds=frozenset({"text"}), mentions_in=frozenset(),
                        per_minute=1, per_second=None, external_groups=True),
    factory="pigeon_post_impl:PigeonSender",
)
'''

PIGEON_IMPL = '''
from pigeon_post_specs import PIGEON


class PigeonSender:
    kind = "pigeon"
    limits = PIGEON.limits

    def __init__(self, name, loft):
        self.name, self.loft = name, loft

    @classmethod
    def from_settings(cls, name, settings, env, runtime):
        return cls(name, settings["loft"])

    async def deliver(self, message):
        from sopc.senders.base import sent
        return sent(remote_id=f"{self.loft}:{message.id}")

    async def aclose(self):
        return None
'''

HAWK_SPECS = '''
class HawkSender:
    """Registered the old way: the class itself instead of a SenderSpec."""
'''

PLAYBOOK = '''playbook welfare "门店福利群"
  to groups tagged 福利群
  sender coop
  周一 10:00 coupon "本周福利来啦"
'''

PLAYBOOK_AT_ALL = PLAYBOOK + '  周三 11:30 member_day "会员日:第二杯半价" @all\n'


def sender_toml(kind: str) -> str:
    return f'timezone = "Asia/Shanghai"\n\n[senders.coop]\nkind = "{kind}"\nloft = "north"\n'


def install(site: Path, name: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """What `pip install` leaves in site-packages: the modules and a dist-info
    folder whose entry_points.txt registers them."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[sopc.senders]", *(f"{kind} = {target}" for kind, target in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source, encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site-packages folder on sys.path; the modules imported from it are
    forgotten afterwards."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", "") and sys.modules[name].__file__.startswith(str(folder)):
            del sys.modules[name]


@pytest.fixture
def pigeon_post(site):
    install(site, "pigeon-post", "1.2", {"pigeon": "pigeon_post_specs:PIGEON"},
            {"pigeon_post_specs": PIGEON_SPECS, "pigeon_post_impl": PIGEON_IMPL})
    return site


@pytest.fixture
def hawk_post(site):
    install(site, "hawk-post", "0.3", {"hawk": "hawk_post_specs:HawkSender", "owl": "no_such_owl_module:OWL"},
            {"hawk_post_specs": HAWK_SPECS})
    return site


def sopc(*args: str, cwd: Path):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), prog_name="sopc", catch_exceptions=False,
                                  env={"SOPC_NOW": None, "SOPC_DEBUG": None, "NO_COLOR": "1"})
    finally:
        os.chdir(previous)


# ---- sopc's own plugins ----------------------------------------------------------------

def test_sopc_registers_its_own_senders_and_checks_as_entry_points():
    senders = importlib.metadata.entry_points(group="sopc.senders")
    assert {entry.name for entry in senders} == BUILTIN_SENDERS
    for entry in senders:
        assert entry.dist.name == "sopc"
        assert entry.value.startswith("sopc.core.sender_specs:"), entry  # light: no sender code
    assert {entry.name for entry in importlib.metadata.entry_points(group="sopc.checks")} == BUILTIN_CHECKS


def entry_point_rows(entries) -> list[tuple]:
    return sorted((entry.name, entry.value, entry.group, entry.dist.name, entry.dist.version) for entry in entries)


@pytest.mark.parametrize("group", ["sopc.senders", "sopc.checks", "console_scripts"])
def test_sopc_reads_the_entry_points_importlib_metadata_reads(group, pigeon_post, hawk_post):
    # sopc.core.plugins reads dist-info folders itself (importing
    # importlib.metadata is a tenth of a check's start); it must find the same
    assert entry_point_rows(plugins.entry_points(group)) == \
        entry_point_rows(importlib.metadata.entry_points(group=group))


def test_a_plugin_installed_after_a_first_read_is_found(site):
    assert "pigeon" not in {entry.name for entry in plugins.entry_points("sopc.senders")}
    install(site, "pigeon-post", "1.2", {"pigeon": "pigeon_post_specs:PIGEON"},
            {"pigeon_post_specs": PIGEON_SPECS, "pigeon_post_impl": PIGEON_IMPL})
    found = {entry.name: entry for entry in plugins.entry_points("sopc.senders")}
    assert found["pigeon"].dist.name == "pigeon-post" and found["pigeon"].load().kind == "pigeon"


def test_each_builtin_class_carries_the_limits_of_its_spec():
    specs = sender_specs()
    assert set(specs) == BUILTIN_SENDERS
    for kind, spec in specs.items():
        implementation = sender_class(kind)
        assert f"{implementation.__module__}:{implementation.__qualname__}" == spec.factory
        assert implementation.kind == kind
        assert implementation.limits == spec.limits, kind
        assert getattr(implementation, "DEFAULT_DAILY_CAP", None) == spec.daily_cap, kind
    assert specs["wecom-groupmsg"].daily_cap == 1


def test_an_unknown_kind_is_a_clear_error_with_a_suggestion():
    with pytest.raises(SenderKindError, match=r"unknown sender kind `dingtlak`; did you mean `dingtalk`\?"):
        sender_spec("dingtlak")


# ---- a package installed beside sopc -------------------------------------------------------

def test_an_installed_package_is_found_with_where_it_comes_from(pigeon_post):
    assert sender_specs()["pigeon"].limits.text_bytes == 80
    installed = read_registry().installed["pigeon"]
    assert (installed.distribution, installed.version, installed.entry_point) == \
        ("pigeon-post", "1.2", "pigeon_post_specs:PIGEON")
    assert BUILTIN_SENDERS <= set(sender_specs())


def test_check_accepts_a_plugin_kind_without_importing_its_code(pigeon_post, tmp_path):
    folder = write_project(tmp_path / "proj", {"sopc.toml": sender_toml("pigeon"), "main.sop": PLAYBOOK})
    result = sopc("check", ".", "--now", NOW, cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "E0501" not in result.stderr
    assert "pigeon_post_impl" not in sys.modules


def test_check_holds_a_plugin_kind_to_its_limits(pigeon_post, tmp_path):
    folder = write_project(tmp_path / "proj", {"sopc.toml": sender_toml("pigeon"), "main.sop": PLAYBOOK_AT_ALL})
    result = sopc("check", ".", "--now", NOW, cwd=folder)
    assert result.exit_code == 1
    assert "error[E0503]: `@all` cannot be sent in a `text` message by sender `coop`" in result.stderr
    assert "pigeon_post_impl" not in sys.modules


def test_the_plugin_code_is_imported_to_deliver(pigeon_post):
    sender = load_sender("coop", "pigeon", {"loft": "north"}, {})
    assert type(sender).__module__ == "pigeon_post_impl" and sender.loft == "north"


def test_a_broken_plugin_is_left_out_with_a_clear_reason(hawk_post):
    registry = read_registry()
    assert "hawk" not in sender_specs() and "owl" not in sender_specs()
    assert registry.problems["hawk"] == (
        "sender entry point `hawk` (hawk-post, hawk_post_specs:HawkSender) names the class "
        "`hawk_post_specs.HawkSender`, not a SenderSpec: register `SenderSpec(kind=..., summary=..., limits=..., "
        "factory=\"module:Class\")` (from sopc.core.senders)")
    assert registry.problems["owl"].startswith(
        "sender entry point `owl` (hawk-post, no_such_owl_module:OWL) cannot be loaded: ModuleNotFoundError")
    assert BUILTIN_SENDERS <= set(sender_specs())  # the others still work


def test_check_names_a_broken_plugin_kind_without_a_traceback(hawk_post, tmp_path):
    folder = write_project(tmp_path / "proj", {"sopc.toml": sender_toml("hawk"), "main.sop": PLAYBOOK})
    result = sopc("check", ".", "--now", NOW, cwd=folder)
    assert result.exit_code == 1
    assert "sopc.toml:4:1: error[E0501]: sender `coop`: sender entry point `hawk` (hawk-post, " \
           "hawk_post_specs:HawkSender) names the class" in result.stderr
    assert "help: fix or reinstall the package that registers it" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_spec_for_another_kind_is_refused(site):
    install(site, "mixup", "1.0", {"crow": "pigeon_post_specs:PIGEON"}, {"pigeon_post_specs": PIGEON_SPECS})
    assert read_registry().problems["crow"] == (
        "sender entry point `crow` (mixup, pigeon_post_specs:PIGEON) names the spec of kind `pigeon`: "
        "the entry point's name must be its kind")


def test_two_packages_claiming_one_kind_are_both_refused(pigeon_post):
    install(pigeon_post, "pigeon-fork", "9.9", {"pigeon": "pigeon_post_specs:PIGEON"}, {})
    registry = read_registry()
    assert "pigeon" not in registry.installed
    assert registry.problems["pigeon"] == ("sender kind `pigeon` is registered by several distributions "
                                           "(pigeon-fork, pigeon-post): uninstall all but one")


# ---- sopc senders ---------------------------------------------------------------------------

def test_senders_lists_every_kind_with_its_limits_and_origin(tmp_path):
    result = sopc("senders", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KIND", "TEXT", "MARKDOWN", "SENDS", "@ALL", "IN", "@USER", "IN", "RATE", "EXTERNAL",
                                "GROUPS"]
    rows = {line.split()[0]: line.split() for line in lines[1:10]}
    assert set(rows) == BUILTIN_SENDERS
    assert rows["wecom-bot"] == ["wecom-bot", "2048", "4096", "text", "markdown", "image", "link", "text",
                                 "text", "markdown", "20/min", "no"]
    assert rows["feishu"][-3:] == ["100/min,", "5/s", "yes"]
    assert rows["slack"][1:5] == ["40000", "chars", "40000", "chars"]
    assert rows["wecom-groupmsg"] == ["wecom-groupmsg", "4000", "-", "text", "link", "miniprogram", "attachments",
                                      "none", "none", "1/day", "per", "group", "yes"]
    assert rows["console"] == ["console", "no", "limit", "no", "limit", "any", "any", "any", "no", "limit", "yes"]
    assert "from sopc 0.1.0 (sopc.senders.wecom_bot:WecomBotSender)" in result.stdout
    assert "企业微信 group robot" in result.stdout


def test_senders_as_json(tmp_path):
    result = sopc("senders", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["problems"] == []
    by_kind = {entry["kind"]: entry for entry in listing["senders"]}
    assert set(by_kind) == BUILTIN_SENDERS
    slack = by_kind["slack"]
    assert (slack["distribution"], slack["factory"], slack["entry_point"]) == \
        ("sopc", "sopc.senders.slack:SlackSender", "sopc.core.sender_specs:SLACK")
    assert slack["limits"] == {"text_bytes": None, "markdown_bytes": None, "kinds": ["link", "markdown", "text"],
                               "mentions_in": ["link", "markdown", "text"], "per_minute": None, "per_second": 1,
                               "external_groups": True, "text_chars": 40000, "markdown_chars": 40000,
                               "mentions": {"all": ["link", "markdown", "text"], "user": ["link", "markdown", "text"],
                                            "mobile": []},
                               "image_from": None, "link_needs": ["title", "url"], "link_articles": None,
                               "attachments": None, "needs": [], "private": False}
    assert by_kind["wecom-groupmsg"]["daily_cap"] == 1 and slack["daily_cap"] is None
    assert {kind for kind, entry in by_kind.items() if entry["limits"]["private"]} == \
        {"console", "file", "webhook", "wecom-groupmsg", "remind"}  # who can send `to member`
    assert (by_kind["wecom-groupmsg"]["limits"]["attachments"], by_kind["wecom-bot"]["limits"]["link_articles"]) == (9, 8)


def test_senders_shows_plugins_and_broken_ones(pigeon_post, tmp_path):
    install(pigeon_post, "hawk-post", "0.3", {"hawk": "hawk_post_specs:HawkSender"}, {"hawk_post_specs": HAWK_SPECS})
    result = sopc("senders", cwd=tmp_path)
    assert result.exit_code == 1  # a broken plugin is a problem found
    assert "from pigeon-post 1.2 (pigeon_post_impl:PigeonSender)" in result.stdout
    assert "carrier pigeons from the loft named by `loft`" in result.stdout
    assert "not usable:\n  hawk: sender entry point `hawk` (hawk-post, hawk_post_specs:HawkSender) names the class" \
        in result.stdout
    assert "pigeon_post_impl" not in sys.modules
    listing = json.loads(sopc("senders", "--format", "json", cwd=tmp_path).stdout)
    assert [problem["kind"] for problem in listing["problems"]] == ["hawk"]
    assert any(entry["kind"] == "pigeon" and entry["distribution"] == "pigeon-post" for entry in listing["senders"])


# ---- checking and planning load no sender code ----------------------------------------------

# Runs one sopc command in a fresh interpreter, then reports which sender and
# HTTP modules it loaded, and (the control) which building the project's
# sender classes for delivery loads.
PROBE = '''
import json, sys
from sopc.cli import main

def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] == "aiohttp" or m.startswith("sopc.senders"))

sys.argv = ["sopc", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    status = exit.code
after_command = loaded()
from sopc.senders.base import sender_class
sender_class("wecom-bot")
print(json.dumps({"status": status, "after_command": after_command, "to_deliver": loaded()}), file=sys.stderr)
'''


def probe(*args: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("SOPC_NOW", "SOPC_DEBUG")}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env={**env, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("command", [
    ("check", "examples/burger", "--now", NOW),
    ("plan", "examples/burger", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW),
    ("senders",),
])
def test_checking_and_planning_import_no_sender_code(command):
    report = probe(*command)
    assert report["status"] == 0
    assert report["after_command"] == []
    assert "aiohttp" in report["to_deliver"] and "sopc.senders.wecom_bot" in report["to_deliver"]
