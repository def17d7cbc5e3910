"""Shared values: rich content written with named fields, and the one text
it travels as.

Stage: core (stdlib only). A step may send *parts* besides (or instead of)
a text: ``link url="..." title="..." description="..." picurl="..."`` (a
news article; several make one news message), ``miniprogram appid=...
page=... title=... pic_media_id=...`` and ``image media_id=...`` (企业群发
attachments). Their fields are sent as written: they are checked once, at
compile time, where they are written (:func:`field_problems`).

A planned message carries its content in ``text`` (one column in the plan,
the store and every sender). A message with parts carries the canonical
JSON of :func:`encode` there, so the plan, the run and the sender read the
same value:

    {"parts":[{"kind":"link","title":"...","url":"..."}],"text":"..."}

with keys sorted and no spaces; ``text`` only when the step has a text.
:func:`decode` reads it back; :func:`articles` reads a ``link`` message in
either form (this one, or the older ``"URL\\nTITLE\\nDESCRIPTION"`` text).
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping

from sopc.core.i18n import N_, _
from sopc.core.records import dataclass

URL_PREFIXES = ("http://", "https://")
MAX_PARTS = 9            # the most any platform takes in one message (企业群发: 9 attachments)
MAX_FIELD_BYTES = 2048   # the longest field any platform takes (a link's url)


@dataclass(frozen=True, slots=True)
class FieldRule:
    required: bool = False
    url: bool = False              # must be an http(s) URL
    max_bytes: int = MAX_FIELD_BYTES


# kind -> field -> rule. `image` parts are 企业群发 attachments of pictures
# already uploaded to WeCom (a media_id, or the pic_url of 上传图片): one of the two.
PART_FIELDS: Mapping[str, Mapping[str, FieldRule]] = {
    "link": {"url": FieldRule(required=True, url=True), "title": FieldRule(required=True, max_bytes=128),
             "description": FieldRule(max_bytes=512), "picurl": FieldRule(url=True)},
    "miniprogram": {"appid": FieldRule(required=True, max_bytes=64), "page": FieldRule(required=True, max_bytes=1024),
                    "title": FieldRule(required=True, max_bytes=64),
                    "pic_media_id": FieldRule(required=True, max_bytes=256)},
    "image": {"media_id": FieldRule(max_bytes=256), "pic_url": FieldRule(url=True)},
}
ONE_OF = {"image": ("media_id", "pic_url")}
PART_WORDS = {"link": N_("a link"), "miniprogram": N_("a mini-program card"), "image": N_("an image attachment")}


@dataclass(frozen=True, slots=True)
class Part:
    kind: str                     # link | miniprogram | image
    fields: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str:
        return dict(self.fields).get(name, "")


@dataclass(frozen=True, slots=True)
class Rich:
    text: str | None
    parts: tuple[Part, ...]


def message_kind(has_text: bool, parts: Iterable[Part | str]) -> str:
    """The kind of a message with parts: ``link`` (articles alone: a news
    message), ``miniprogram`` (cards alone), else ``attachments`` (a text
    with attachments, or attachments of several kinds: 企业群发)."""
    kinds = {p if isinstance(p, str) else p.kind for p in parts}
    if not has_text and len(kinds) == 1 and kinds <= {"link", "miniprogram"}:
        return kinds.pop()
    return "attachments"


def encode(text: str | None, parts: Iterable[Part]) -> str:
    """The canonical text of a message with parts (see the module's doc)."""
    document: dict = {"parts": [{"kind": p.kind, **dict(p.fields)} for p in parts]}
    if text is not None:
        document["text"] = text
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> Rich | None:
    """The parts of a canonical text; None if ``text`` is not one."""
    if not text.startswith('{"parts":'):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    raw_parts = document.get("parts") if isinstance(document, dict) else None
    if not isinstance(raw_parts, list) or not all(isinstance(p, dict) and p.get("kind") in PART_FIELDS
                                                  for p in raw_parts):
        return None
    parts = tuple(Part(p["kind"], tuple((k, str(v)) for k, v in sorted(p.items()) if k != "kind"))
                  for p in raw_parts)
    body = document.get("text")
    return Rich(text=body if isinstance(body, str) else None, parts=parts)


def summary(kind: str, text: str) -> str | None:
    """How the plan shows a message with parts, one line per part:
    ``[link 618 秒杀 → https://...]``, or a planned image; None for other texts."""
    if kind == "image":
        from sopc.core.contract import image_summary  # contract reads this module: import it when needed
        return image_summary(text)
    rich = decode(text) if kind in ("link", "miniprogram", "attachments") else None
    if rich is None:
        return None
    lines = [rich.text] if rich.text is not None else []
    return "\n".join(lines + [part_summary(p) for p in rich.parts])


def shown_text(kind: str, text: str) -> str:
    """A message's text as people read it (the plan's table and files, the
    console): a picture, a link's articles and a text's attachments summed up
    one per line; any other text as it is."""
    shown = summary(kind, text) if text else None
    return text if shown is None else shown


def part_summary(part: Part) -> str:
    if part.kind == "link":
        picture = f" (picture {part.get('picurl')})" if part.get("picurl") else ""
        about = f": {part.get('description')}" if part.get("description") else ""
        return f"[link {part.get('title')} → {part.get('url')}{picture}]{about}"
    if part.kind == "miniprogram":
        return f"[miniprogram {part.get('title')} → {part.get('appid')} {part.get('page')} (cover {part.get('pic_media_id')})]"
    source = f"media_id {part.get('media_id')}" if part.get("media_id") else part.get("pic_url")
    return f"[image {source}]"


# ---- compile-time rules -----------------------------------------------------------------

def field_problems(kind: str, fields: Iterable[tuple[str, str]]) -> list[tuple[str, str | None, str]]:
    """What is wrong with one part's fields, each as (code, field or None for
    the part, message): E0420 an unknown or repeated field, E0421 a missing
    one, E0422 a value that cannot be sent."""
    rules = PART_FIELDS[kind]
    problems: list[tuple[str, str | None, str]] = []
    seen: set[str] = set()
    for name, value in fields:
        if name not in rules:
            problems.append(("E0420", name, _("{part} has no field `{name}`").format(part=_(PART_WORDS[kind]), name=name)))
        elif name in seen:
            problems.append(("E0420", name, _("`{name}` is given twice").format(name=name)))
        else:
            problem = value_problem(name, value, rules[name])
            if problem:
                problems.append(("E0422", name, problem))
        seen.add(name)
    missing = [name for name, rule in rules.items() if rule.required and name not in seen]
    if missing:
        problems.append(("E0421", None, _("{part} needs {fields}").format(
            part=_(PART_WORDS[kind]), fields=_(" and ").join(f"`{m}`" for m in missing))))
    choice = ONE_OF.get(kind)
    if choice and sum(name in seen for name in choice) != 1:
        problems.append(("E0421", None, _("{part} needs exactly one of {fields}").format(
            part=_(PART_WORDS[kind]), fields=_(" or ").join(f"`{c}`" for c in choice))))
    return problems


def value_problem(name: str, value: str, rule: FieldRule) -> str | None:
    if not value.strip():
        return _("`{name}` is empty").format(name=name)
    if "{{" in value or "{%" in value:
        return _("`{name}` is sent as written: templates (`{{{{ }}}}`) are not rendered in fields").format(name=name)
    if rule.url and not value.startswith(URL_PREFIXES):
        return _("`{name}` must be an http(s) URL, not `{value}`").format(name=name, value=_excerpt(value))
    size = len(value.encode("utf-8"))
    if size > rule.max_bytes:
        return _("`{name}` is {size} bytes (UTF-8), over the limit of {limit}").format(
            name=name, size=size, limit=rule.max_bytes)
    return None


def field_hint(kind: str) -> str:
    rules = PART_FIELDS[kind]
    fields = ", ".join(f"{name}{'' if rule.required else '?'}" for name, rule in rules.items())
    if kind in ONE_OF:
        return _("{kind} fields: {fields} (? optional); exactly one of {choice}").format(
            kind=kind, fields=fields, choice=_(" or ").join(ONE_OF[kind]))
    return _("{kind} fields: {fields} (? optional)").format(kind=kind, fields=fields)


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
