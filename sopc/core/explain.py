"""`sopc explain CODE`: the long explanation of a diagnostic code, with an
example that shows it and the same example fixed (as `rustc --explain` does).

The texts live in ``explanations.toml`` beside this module, one table per code:
the prose in English (``en``) and Chinese (``zh``), a one-line Chinese summary
(``summary_zh``; the English one is the catalogue's), and the example as a
whole project: ``example`` and ``fixed`` are a playbook file, ``files`` extra
project files (sopc.toml, the roster, templates), ``args`` options for `sopc
check`. tests/test_explain.py runs every example through `sopc check`: the
example must report its code and the fixed one must not, so the explanations
cannot drift from what sopc does. Loaded only by `sopc explain`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from sopc.core.codes import CATALOGUE, FAMILIES

EXPLANATIONS_FILE = Path(__file__).with_name("explanations.toml")
PLAYBOOK_FILE = "playbooks/example.sop"

# The project an example runs in unless its `files` say otherwise: one console
# sender (any kind posts to a group), two 福利群 and a flash group.
DEFAULT_FILES: Mapping[str, str] = {
    "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
    "groups.csv": "id,name,tags,owner,created\n"
                  "g1,福利一群,福利群,zhang,2026-11-01\n"
                  "g2,福利二群,福利群,li,2026-11-01\n"
                  "flash_01,快闪一群,快闪群,wang,2026-11-01\n",
}
EXAMPLE_NOW = "2026-11-23T09:00"

_CODE = re.compile(r"^[EW]\d{4}$")


@dataclass(frozen=True, slots=True)
class Explanation:
    code: str
    summary: Mapping[str, str]          # language -> one line
    prose: Mapping[str, str]            # language -> paragraphs
    example: str | None = None          # a playbook file that reports `code`
    fixed: str | None = None            # the same, fixed: it does not
    files: Mapping[str, str] = field(default_factory=dict)
    fixed_files: Mapping[str, str] = field(default_factory=dict)   # the fixed project's, over `files`
    pictures: Mapping[str, bytes] = field(default_factory=dict)    # binary files (written base64 in the TOML)
    args: tuple[str, ...] = ()
    fixed_args: tuple[str, ...] | None = None                     # default: `args`

    def project_files(self, which: str) -> dict[str, str | bytes]:
        """The example project's files (``which`` is "example" or "fixed")."""
        text = self.example if which == "example" else self.fixed
        files: dict[str, str | bytes] = {**DEFAULT_FILES, **self.files, **self.pictures}
        if which == "fixed":  # an empty text: the fixed project has no such file
            files.update(self.fixed_files)
            files = {path: text for path, text in files.items() if text != ""}
        if text is not None:
            files[PLAYBOOK_FILE] = text
        return files

    def check_args(self, which: str) -> tuple[str, ...]:
        return self.fixed_args if which == "fixed" and self.fixed_args is not None else self.args


class UnknownCode(LookupError):
    pass


def normalise_code(text: str) -> str:
    """``e304``, ``E304``, ``0304`` -> ``E0304`` when the catalogue has one such code."""
    word = text.strip().upper()
    if _CODE.match(word):
        return word
    digits = word.lstrip("EW")
    if digits.isdigit() and len(digits) <= 4:
        for letter in "EW":
            candidate = f"{letter}{int(digits):04d}"
            if candidate in CATALOGUE:
                return candidate
    return word


def load_explanations(path: Path = EXPLANATIONS_FILE) -> dict[str, Explanation]:
    import tomllib

    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    return {code: _explanation(code, table) for code, table in tables.items()}


def _explanation(code: str, table: Mapping) -> Explanation:
    entry = CATALOGUE[code]
    return Explanation(
        code=code,
        summary={"en": entry.summary, "zh": table.get("summary_zh", entry.summary)},
        prose={"en": table["en"].strip(), "zh": table["zh"].strip()},
        example=table.get("example"),
        fixed=table.get("fixed"),
        files=dict(table.get("files", {})),
        fixed_files=dict(table.get("fixed_files", {})),
        pictures={path: base64.b64decode(data) for path, data in table.get("pictures", {}).items()},
        args=tuple(table.get("args", ())),
        fixed_args=tuple(table["fixed_args"]) if "fixed_args" in table else None,
    )


_WORDS = {
    "en": {"header": "{code} ({severity}): {summary}", "error": "error", "warning": "warning", "example": "Example",
           "reports": "`sopc check` reports {code} here:", "fixed": "Fixed:",
           "in": "in {path}:", "family": "Family: {family}",
           "removed": "(no such file: delete or rename it)"},
    "zh": {"header": "{code}（{severity}）：{summary}", "error": "错误", "warning": "警告", "example": "示例",
           "reports": "`sopc check` 在这里报告 {code}：", "fixed": "改正后：",
           "in": "{path}:", "family": "类别：{family}",
           "removed": "（没有这个文件：删除或改名）"},
}

_FAMILIES_ZH = {
    "00": "读取 .sop 文件", "01": "剧本里写的值", "02": "名称与定义",
    "03": "时间（免打扰时段、每日上限、间隔、时间线、日历）", "04": "模板与 @提醒",
    "05": "发送器", "06": "项目文件（sopc.toml、花名册、日历）", "07": "事件文件", "09": "sopc 自身",
}


def render_explanation(explanation: Explanation, language: str) -> str:
    """The text `sopc explain CODE` prints."""
    words = _WORDS[language]
    entry = CATALOGUE[explanation.code]
    severity = words[entry.severity.value]
    family = FAMILIES[entry.family] if language == "en" else _FAMILIES_ZH[entry.family]
    lines = [words["header"].format(code=explanation.code, severity=severity, summary=explanation.summary[language]),
             words["family"].format(family=family), "", explanation.prose[language], ""]
    if explanation.example is not None:
        lines += [words["reports"].format(code=explanation.code), ""]
        lines += _project_listing(explanation, "example", words)
        if explanation.fixed is not None:
            lines += ["", words["fixed"], ""]
            for path, text in explanation.fixed_files.items():
                body = _indent(text) if text else ["    " + words["removed"]]
                lines += [words["in"].format(path=path), *body, ""]
            if explanation.fixed_files:
                lines.append(words["in"].format(path=PLAYBOOK_FILE))
            lines += _indent(explanation.fixed)
    return "\n".join(lines).rstrip() + "\n"


def _project_listing(explanation: Explanation, which: str, words: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for path, text in explanation.files.items():
        lines += [words["in"].format(path=path), *_indent(text), ""]
    if explanation.files:
        lines.append(words["in"].format(path=PLAYBOOK_FILE))
    text = explanation.example if which == "example" else explanation.fixed
    return lines + _indent(text or "")


def _indent(text: str) -> list[str]:
    return ["    " + line if line else "" for line in text.rstrip("\n").splitlines()]


def render_index(explanations: Mapping[str, Explanation], language: str) -> str:
    """`sopc explain` with no code: every code and its summary, by family."""
    lines: list[str] = []
    for family, title in FAMILIES.items():
        lines += ["", title if language == "en" else _FAMILIES_ZH[family]]
        for code, entry in CATALOGUE.items():
            if entry.family == family:
                summary = explanations[code].summary[language] if code in explanations else entry.summary
                lines.append(f"  {code}  {summary}")
    return "\n".join(lines).lstrip("\n") + "\n"
