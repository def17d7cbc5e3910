"""Shared values: what a sender accepts, read from its declared limits.

Stage: core (stdlib only). A sender kind's contract is its
:class:`~sopc.core.senders.SenderLimits`; :func:`refusal` reads it and says,
in one sentence, why a message cannot go out that way (or None when it
can). The same function answers ``sopc check`` (over the rendered plan),
``sopc run --dry-run`` (which records ``failed`` with that sentence) and the
senders themselves before they build a request. So a message the check
passes is one the sender takes, and a dry run fails what a real send would
fail, in the same words.

The message text rules (one for every sender): ``text`` / ``markdown`` are
the text; ``image`` is the picture read when the playbook was compiled
(``{"image":{"bytes","md5","source","type"}}``, :func:`planned_image`), or
a bare file path or URL from elsewhere; ``link`` is the canonical JSON of
named-field articles (:mod:`sopc.core.content`) or
``"URL\\nTITLE\\nDESCRIPTION..."`` (see :func:`parse_link`);
``miniprogram`` / ``attachments`` are that canonical JSON. Mentions are
``"all"``, user ids, and mainland mobile numbers (eleven digits from ``1``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable, Mapping

from sopc.core import content
from sopc.core.i18n import N_, _, ngettext
from sopc.core.records import dataclass
from sopc.core.senders import MENTION_FORMS, SenderLimits

MOBILE = re.compile(r"^1\d{10}$")
URL_PREFIXES = ("http://", "https://")
LINK_RULE = N_("link text is 'URL\\nTITLE\\nDESCRIPTION'")
FORM_WORDS = {"all": N_("everyone"), "user": N_("a user id"), "mobile": N_("a mobile number")}
IMAGE_MAGIC = {"jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkCard:
    url: str
    title: str
    description: str
    picurl: str = ""


def parse_link(text: str) -> LinkCard | None:
    """Read the ``link`` text rule; None unless line 1 is an http(s) URL and
    line 2 a non-empty title."""
    url, title, description = _link_lines(text)
    if not url.startswith(URL_PREFIXES) or not title:
        return None
    return LinkCard(url=url, title=title, description=description)


def link_cards(text: str) -> list[LinkCard] | None:
    """The articles of a ``link`` message: its named-field articles, or the
    one card of the ``URL\nTITLE\nDESCRIPTION`` text; None if neither."""
    rich = content.decode(text)
    if rich is None:
        card = parse_link(text)
        return [card] if card is not None else None
    cards = [LinkCard(url=p.get("url"), title=p.get("title"), description=p.get("description"), picurl=p.get("picurl"))
             for p in rich.parts if p.kind == "link"]
    return cards or None


def _link_lines(text: str) -> tuple[str, str, str]:
    lines = text.split("\n")
    title = lines[1].strip() if len(lines) > 1 else ""
    return lines[0].strip(), title, "\n".join(lines[2:]).strip()


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


# ---- mentions ---------------------------------------------------------------------------

def mention_form(mention: str) -> str:
    """``"all"``, ``"mobile"`` (a mainland mobile number) or ``"user"`` (a user id)."""
    if mention == "all":
        return "all"
    return "mobile" if MOBILE.match(mention) else "user"


def carried_forms(limits: SenderLimits, kind: str) -> frozenset[str]:
    """The mentions a message of ``kind`` can carry through a sender with ``limits``."""
    if kind not in limits.mentions_in:
        return frozenset()
    return frozenset(limits.mention_forms.get(kind, MENTION_FORMS))


def carries(limits: SenderLimits, kind: str, mention: str) -> bool:
    return mention_form(mention) in carried_forms(limits, kind)


def kinds_carrying(limits: SenderLimits, form: str) -> list[str]:
    """The message kinds in which a sender carries mentions of ``form``, sorted."""
    return sorted(kind for kind in limits.mentions_in if form in carried_forms(limits, kind))


# ---- the rules ----------------------------------------------------------------------------

def refusal(sender: str, limits: SenderLimits, *, kind: str, text: str, mentions: Iterable[str] = (),
            fields: Mapping[str, str | None] | None = None, group: str = "",
            base_dir: Path | None = None, private: bool = False) -> str | None:
    """Why ``sender`` (a label: its kind, or ``sender `name``` in a check)
    cannot send this message, or None. ``fields`` are the group's roster
    values the sender may need (``owner``); None when not known here.
    ``base_dir`` is what a relative image path is read from."""
    return ((private_refusal(sender, limits) if private else None)
            or kind_refusal(sender, limits, kind)
            or mentions_refusal(sender, limits, kind, mentions)
            or (fields_refusal(sender, limits, fields, group) if fields is not None else None)
            or content_refusal(sender, limits, kind, text, base_dir))


def private_refusal(sender: str, limits: SenderLimits) -> str | None:
    """A private (1:1) message through a sender that posts only in groups."""
    if limits.private:
        return None
    return _("{sender} cannot send a private (1:1) message to a member: it posts only in the group").format(sender=sender)


def kind_refusal(sender: str, limits: SenderLimits, kind: str) -> str | None:
    if kind not in limits.kinds:
        return _("{sender} cannot send {kind} messages (it sends: {kinds})").format(
            sender=sender, kind=kind, kinds=", ".join(sorted(limits.kinds)))
    return None


def mentions_refusal(sender: str, limits: SenderLimits, kind: str, mentions: Iterable[str]) -> str | None:
    """The first mention a ``kind`` message cannot carry through this sender."""
    for mention in mentions:
        problem = form_refusal(sender, limits, kind, mention_form(mention), f"@{mention}")
        if problem:
            return problem
    return None


def form_refusal(sender: str, limits: SenderLimits, kind: str, form: str, written: str) -> str | None:
    """Why a mention of ``form`` (written ``written``) cannot go in a ``kind`` message."""
    if form in carried_forms(limits, kind):
        return None
    return _("{sender} cannot @mention {form} (`{written}`) in {kind} messages; {where}").format(
        sender=sender, form=_(FORM_WORDS[form]), written=written, kind=kind, where=carried_where(limits, form))


def carried_where(limits: SenderLimits, form: str) -> str:
    """``it carries a user id in: markdown, text`` (or ``in no message kind``)."""
    where = kinds_carrying(limits, form)
    if where:
        return _("it carries {form} in: {kinds}").format(form=_(FORM_WORDS[form]), kinds=", ".join(where))
    return _("it carries {form} in no message kind").format(form=_(FORM_WORDS[form]))


def fields_refusal(sender: str, limits: SenderLimits, fields: Mapping[str, str | None], group: str) -> str | None:
    for column, why in limits.needs.items():
        if not fields.get(column):
            return _("group `{group}` has no {column}: {why}").format(group=group, column=column, why=_(why))
    return None


def content_refusal(sender: str, limits: SenderLimits, kind: str, text: str,
                    base_dir: Path | None = None) -> str | None:
    """Sizes of text and markdown, the form of an image or a link."""
    if kind in ("text", "markdown"):
        return size_refusal(sender, limits, kind, text)
    if kind == "image":
        return image_refusal(sender, limits, text, base_dir)
    if kind == "link":
        rich = content.decode(text)
        return articles_refusal(sender, limits, rich) if rich is not None else link_refusal(sender, limits, text)
    if kind in ("miniprogram", "attachments"):
        return attachments_refusal(sender, limits, kind, text)
    return None


def size_refusal(sender: str, limits: SenderLimits, kind: str, text: str) -> str | None:
    most_bytes, most_chars = (limits.markdown_bytes, limits.markdown_chars) if kind == "markdown" else \
        (limits.text_bytes, limits.text_chars)
    if (most_chars is None or len(text) <= most_chars) and (most_bytes is None or utf8_len(text) <= most_bytes):
        return None  # nearly every text: no refusal to word
    label = _("{sender} {kind}").format(sender=sender, kind=kind)
    return over_bytes(label, text, most_bytes) or over_chars(label, text, most_chars)


def over_bytes(label: str, text: str, limit: int | None) -> str | None:
    if limit is None:
        return None
    size = utf8_len(text)
    if size <= limit:
        return None
    return _("{label} is {size} bytes (UTF-8), over the limit of {limit}").format(label=label, size=size, limit=limit)


def over_chars(label: str, text: str, limit: int | None) -> str | None:
    if limit is not None and len(text) > limit:
        return _("{label} is {size} characters, over the limit of {limit}").format(label=label, size=len(text), limit=limit)
    return None


def image_refusal(sender: str, limits: SenderLimits, text: str, base_dir: Path | None = None) -> str | None:
    planned = planned_image(text)
    if planned is not None:
        return planned_image_refusal(sender, limits, planned)
    source = text.strip()
    if not source:  # an image that could not be read when compiled: reported there (E0425), with its line
        return None
    is_url = source.startswith(URL_PREFIXES)
    if limits.image_from == "file" and is_url:
        return _("{sender} uploads images from local files, not URLs (`{source}`): save the picture in the "
                 "project and give its path").format(sender=sender, source=source)
    if limits.image_from == "url" and not is_url:
        return _("{sender} sends images by http(s) URL, not local files (`{source}`)").format(sender=sender, source=source)
    if limits.image_from == "file":
        return image_file_refusal(image_path(source, base_dir), limits)
    return None


@dataclass(frozen=True, slots=True)
class PlannedImage:
    """An image as read when the playbook was compiled (sopc.compile.media.image_text)."""

    source: str
    size: int
    type: str
    md5: str

    @property
    def is_url(self) -> bool:
        return self.source.startswith(URL_PREFIXES)


def planned_image(text: str) -> PlannedImage | None:
    """The image of a planned image message; None for a bare path or URL."""
    if not text.startswith('{"image":'):
        return None
    try:
        found = json.loads(text)["image"]
        return PlannedImage(source=str(found["source"]), size=int(found["bytes"]), type=str(found["type"]),
                            md5=str(found["md5"]))
    except (ValueError, KeyError, TypeError):
        return None


def planned_image_refusal(sender: str, limits: SenderLimits, image: PlannedImage) -> str | None:
    """The picture sopc read (or fetched) against what the sender takes. A
    sender that uploads bytes takes a fetched URL too: sopc hands it the bytes."""
    if limits.image_from == "url" and not image.is_url:
        return _("{sender} sends images by http(s) URL, not local files (`{source}`)").format(
            sender=sender, source=image.source)
    if limits.image_bytes is not None and image.size > limits.image_bytes:
        return _("image {image} is {size} bytes, over the limit of {limit}").format(
            image=image.source, size=image.size, limit=limits.image_bytes)
    if limits.image_types and image.type not in limits.image_types:
        return _("image {image} is not a {types} file").format(
            image=image.source, types=_(" or ").join(sorted(t.upper() for t in limits.image_types)))
    return None


def image_summary(text: str) -> str | None:
    """``[image images/poster.png 84 KB png md5 1a2b3c4d…]``, as the plan shows it."""
    image = planned_image(text)
    if image is None:
        return None
    size = f"{image.size / (1024 * 1024):.1f} MB" if image.size >= 1024 * 1024 else f"{max(1, round(image.size / 1024))} KB"
    return f"[image {image.source} {size} {image.type} md5 {image.md5[:8]}…]"


def image_path(source: str, base_dir: Path | None) -> Path:
    """A relative image path is read from the project folder, not the folder sopc runs in."""
    path = Path(source).expanduser()
    return base_dir / path if base_dir is not None and not path.is_absolute() else path


def image_file_refusal(path: Path, limits: SenderLimits) -> str | None:
    """What is wrong with the image file a sender would upload."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return _("cannot read image {image}: {error}").format(image=path, error=exc.strerror or exc)
    if limits.image_bytes is not None and size > limits.image_bytes:
        return _("image {image} is {size} bytes, over the limit of {limit}").format(
            image=path, size=size, limit=limits.image_bytes)
    if limits.image_types and not any(head.startswith(magic) for t in limits.image_types
                                      for magic in IMAGE_MAGIC.get(t, ())):
        return _("image {image} is not a {types} file").format(
            image=path, types=_(" or ").join(sorted(t.upper() for t in limits.image_types)))
    return None


def link_refusal(sender: str, limits: SenderLimits, text: str) -> str | None:
    url, title, description = _link_lines(text)
    if "url" in limits.link_needs and not url.startswith(URL_PREFIXES):
        return _("{sender} link: line 1 must be an http(s) URL, not `{url}` ({rule})").format(
            sender=sender, url=_excerpt(url), rule=_(LINK_RULE))
    if "title" in limits.link_needs and not title:
        return _("{sender} link: line 2 must be its title ({rule})").format(sender=sender, rule=_(LINK_RULE))
    parts = {"url": url, "title": title, "description": description}
    for part, limit in limits.link_bytes.items():
        problem = over_bytes(_("{sender} link {part}").format(sender=sender, part=part), parts.get(part, ""), limit)
        if problem:
            return problem
    return None


def articles_refusal(sender: str, limits: SenderLimits, rich: content.Rich) -> str | None:
    """A link message of named-field articles (a news message)."""
    articles = [part for part in rich.parts if part.kind == "link"]
    if limits.link_articles is not None and len(articles) > limits.link_articles:
        return ngettext("{sender} sends at most {limit} article in one link message, not {count}",
                        "{sender} sends at most {limit} articles in one link message, not {count}",
                        limits.link_articles).format(sender=sender, limit=limits.link_articles, count=len(articles))
    for number, article in enumerate(articles, 1):
        problem = article_refusal(sender, limits, article, number if len(articles) > 1 else None)
        if problem:
            return problem
        if len(articles) > 1 and "picurl" in limits.feed_needs and not article.get("picurl"):
            return _("{sender} link: with several articles each needs a `picurl` (article {number} has none)").format(
                sender=sender, number=number)
    return None


def article_refusal(sender: str, limits: SenderLimits, article: content.Part, number: int | None) -> str | None:
    parts = {"url": article.get("url"), "title": article.get("title"), "description": article.get("description")}
    for part, limit in limits.link_bytes.items():
        if number:
            label = _("{sender} link (article {number}) {part}").format(sender=sender, number=number, part=part)
        else:
            label = _("{sender} link {part}").format(sender=sender, part=part)
        problem = over_bytes(label, parts.get(part, ""), limit)
        if problem:
            return problem
    return None


def attachments_refusal(sender: str, limits: SenderLimits, kind: str, text: str) -> str | None:
    """A text with attachments, or mini-program cards (企业群发)."""
    rich = content.decode(text)
    if rich is None:
        return _("{sender} {kind}: not the content sopc plans for it (re-plan from the playbook)").format(
            sender=sender, kind=kind)
    if rich.text is not None:
        problem = size_refusal(sender, limits, "text", rich.text)
        if problem:
            return problem
    for part in rich.parts:
        if part.kind not in limits.attachment_kinds:
            return _("{sender} cannot send {part} as an attachment").format(
                sender=sender, part=_(content.PART_WORDS[part.kind]))
    if limits.attachments is not None and len(rich.parts) > limits.attachments:
        return _("{sender} sends at most {limit} attachments with a message, not {count}").format(
            sender=sender, limit=limits.attachments, count=len(rich.parts))
    links = [part for part in rich.parts if part.kind == "link"]
    for number, link in enumerate(links, 1):
        problem = article_refusal(sender, limits, link, number if len(links) > 1 else None)
        if problem:
            return problem
    return None


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
