"""Stage 4, compile: the pictures a playbook sends, read when it is compiled.

``image "images/poster.png"`` names a file in the project; ``image
"https://cdn.example.com/p.png"`` a picture on the web. Either is read (or
fetched) once per build, bounded, and checked here, where it is written:
it must be a JPG or PNG of at most 2 MiB (the WeCom robot's limit, the
strictest sender that uploads bytes), a path must stay inside the project,
and a fetch must answer within :data:`FETCH_SECONDS` with an image type.
The plan then carries what was read (:func:`image_text`: the source, its
size, type and md5), so ``sopc plan`` shows it and the sender sends exactly
those bytes: it reads the file again (or the fetched copy kept in the user's
cache folder) and refuses bytes whose md5 differs from what was planned.

Why at compile time, and so in ``sopc check``: a broken URL, a missing
file or an oversized picture is found before the day it is due, at its
line. A check without network access (offline CI) reports an image URL it
cannot fetch as an error: keep such pictures in the project.

Stdlib only (urllib): checking and planning load no HTTP client.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from sopc.core.i18n import _
from sopc.core.limits import MAX_IMAGE_BYTES, size_text
from sopc.core.records import dataclass
from sopc.lang.parser import cache_dir

FETCH_SECONDS = 10.0
IMAGE_MAGIC = {"jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}
CONTENT_TYPES = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png"}
URL_PREFIXES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Image:
    source: str      # as written: a path relative to the project, or a URL
    size: int
    type: str        # jpg | png
    md5: str
    data: bytes


class ImageProblem(Exception):
    """Why a picture cannot be sent, in one sentence (naming a URL without its secrets)."""


def image_text(image: Image) -> str:
    """The planned text of an image message: what was read, not the bytes."""
    return json.dumps({"image": {"bytes": image.size, "md5": image.md5, "source": image.source, "type": image.type}},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_image(source: str, project_dir: Path, fetch: Callable[[str], bytes] | None = None) -> Image:
    """The picture ``source`` names; :class:`ImageProblem` says why not."""
    if not source.strip():
        raise ImageProblem(_("an image needs a path in the project or an http(s) URL"))
    if source.startswith(URL_PREFIXES):
        data = (fetch or fetch_url)(source)
        image = checked(source, data, shown_url(source))
        keep_fetched(image)
        return image
    return checked(source, read_project_file(source, project_dir), source)


def read_project_file(source: str, project_dir: Path) -> bytes:
    if "\0" in source:  # no file system takes it; pathlib would raise ValueError, not OSError
        shown = source.replace("\0", "\\0")
        raise ImageProblem(f"image `{shown}` holds a NUL character, which no file name has")
    root = project_dir.resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root):
        raise ImageProblem(_("image `{image}` is outside the project folder: sopc sends only pictures kept in the "
                             "project (copy it in, or give an http(s) URL)").format(image=source))
    try:
        if path.exists() and not path.is_file():  # a folder, a FIFO, a device: nothing to send, never opened
            raise ImageProblem(_("image `{image}` is not a file").format(image=source))
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ImageProblem(too_big(source, size))
        with path.open("rb") as handle:
            return handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise ImageProblem(_("cannot read image `{image}`: {error}").format(image=source, error=exc.strerror or exc)) from None


def checked(source: str, data: bytes, shown: str) -> Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageProblem(too_big(shown, len(data)))
    kind = image_type(data)
    if kind is None:
        raise ImageProblem(_("image `{image}` is not a JPG or PNG picture").format(image=shown))
    return Image(source=source, size=len(data), type=kind, md5=hashlib.md5(data).hexdigest(), data=data)


def image_type(data: bytes) -> str | None:
    return next((kind for kind, magics in IMAGE_MAGIC.items() if any(data.startswith(m) for m in magics)), None)


def too_big(shown: str, size: int) -> str:
    return _("image `{image}` is {size} ({bytes} bytes), over the limit of {limit}").format(
        image=shown, size=size_words(size), bytes=size, limit=size_text(MAX_IMAGE_BYTES))


def size_words(size: int) -> str:
    """``84 KB``, ``1.5 MB``: a picture's size as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


# ---- fetching ------------------------------------------------------------------------------

def fetch_url(url: str, timeout: float | None = None) -> bytes:
    """The body of ``url``: HTTP 200, an image content type, at most
    :data:`MAX_IMAGE_BYTES`, within ``timeout`` seconds per read. Goes through
    the proxy HTTPS_PROXY / HTTP_PROXY name, as the senders do."""
    import urllib.error    # here, not at the top: urllib.request loads http.client, ssl and
    import urllib.request  # email (~20 ms), and only a picture on the web needs them
    shown = shown_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "sopc (image check)", "Accept": "image/png, image/jpeg"})
    try:
        with urllib.request.urlopen(request, timeout=timeout or FETCH_SECONDS) as reply:  # noqa: S310 (http(s) only: checked above)
            kind = reply.headers.get_content_type()
            if kind not in CONTENT_TYPES:
                raise ImageProblem(_("image `{image}` is served as `{kind}`, not a JPG or PNG picture").format(
                    image=shown, kind=kind))
            length = reply.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_IMAGE_BYTES:
                raise ImageProblem(too_big(shown, int(length)))
            return reply.read(MAX_IMAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ImageProblem(_("cannot fetch image `{image}`: {error}").format(image=shown, error=f"HTTP {exc.code}")) from None
    except TimeoutError:
        raise ImageProblem(_("cannot fetch image `{image}`: no answer within {seconds} s").format(
            image=shown, seconds=f"{timeout or FETCH_SECONDS:g}")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        reason = getattr(reason, "strerror", None) or reason  # "Connection refused", not "[Errno 111] ..."
        raise ImageProblem(_("cannot fetch image `{image}`: {error}").format(image=shown, error=reason)) from None


def shown_url(url: str) -> str:
    """The URL without what may be a secret: its user and password, its query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "") if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def fetched_path(md5: str, kind: str) -> Path | None:
    """Where a fetched picture is kept for the sender (the user's cache folder)."""
    folder = cache_dir()
    return folder / "media" / f"{md5}.{kind}" if folder is not None else None


def keep_fetched(image: Image) -> None:
    """Keep the fetched bytes, so the run sends what the plan showed without
    fetching again. Only saves time: a failure to write is no error."""
    path = fetched_path(image.md5, image.type)
    if path is None or path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(image.data)
        partial.replace(path)
    except OSError:
        pass
