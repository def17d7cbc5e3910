"""A small project on disk, for tests (a plain module: importable by name,
unlike conftest.py, of which pytest loads several under one name)."""

from __future__ import annotations

from pathlib import Path

NOW = "2026-11-23T09:00"

SOPC_TOML = '''timezone = "Asia/Shanghai"

[senders.console]
kind = "console"
'''

GROUPS_CSV = '''id,name,tags,store,city
hz_001,杭州西湖店福利群,福利群;city:杭州,西湖店,杭州
hz_002,杭州滨江店福利群,福利群;city:杭州,滨江店,杭州
sh_001,上海人民广场店福利群,福利群;city:上海,人民广场店,上海
flash_01,双十二快闪群,快闪群,线上,杭州
'''


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """A project folder with sopc.toml, groups.csv and ``files`` (path -> text or bytes)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in {"sopc.toml": SOPC_TOML, "groups.csv": GROUPS_CSV, **files}.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root
