"""Keeping secrets out of errors and logs.

Two layers: :func:`mask_url` shows a webhook URL with its credentials replaced
by ``***`` (query values, the Feishu hook token, the Slack services path), and
:class:`Redactor` replaces every known secret in any text, as the last guard
on whatever a vendor or a library put into an error string.

What the redactor treats as a secret:

- each value it is given, and for a value that is a URL (a Slack or generic
  webhook URL is itself the secret) each secret-bearing part of it instead
  of the whole: the path, the query and each query value, the userinfo (and
  the ``Basic`` credential HTTP clients make of it), never the scheme and
  host, which errors may name;
- any run of :data:`SLICE` or more characters of such a secret, so a key
  cut short by a truncation, or echoed in part, is masked too;
- those, written in the escapes a receiver may echo them in: JSON and
  JavaScript ``\\uXXXX`` / ``\\xXX`` / ``\\/``, percent-encoding, HTML
  entities, up to three layers deep (``%5Cu002d``).

Matching is case-sensitive (the escapes' hex digits are decoded, not
compared): keys are mixed-case, and folding case would mask words such as
``DingTalk`` wherever a test key happens to spell them.

Redact before truncating: :func:`excerpt` is the one way to shorten text
that may hold a secret.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Callable, Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

MASK = "***"
# Path prefixes after which every segment is a credential.
SECRET_PATH_PREFIXES = ("/open-apis/bot/v2/hook/", "/open-apis/bot/hook/", "/services/")
# Query parameters that carry credentials in the vendors' URLs.
SECRET_QUERY_KEYS = frozenset({"key", "access_token", "token", "sign", "secret", "signature"})
SLICE = 8          # this many characters of a secret, in a row, count as the secret
SHORTEST = 4       # shorter values are not masked (they would mask ordinary words)
ESCAPE_LAYERS = 3  # "%5Cu002d": percent-encoding over a JSON escape over "-"
EXCERPT_CHARS = 200


def mask_url(url: str, *, hide_path: bool = False, all_query: bool = True) -> str:
    """``url`` with credentials masked: every query value (or, with
    ``all_query=False``, only the known credential keys) and secret paths;
    ``hide_path`` masks the whole path (a generic webhook's path may be a token)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "Invalid IPv6 URL", a port out of range: nothing safe to show but the scheme
        return url.partition(":")[0] + "://" + MASK if "://" in url else MASK
    path = _mask_path(parts.path, hide_path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{key}={MASK if all_query or key.lower() in SECRET_QUERY_KEYS else value}" for key, value in pairs)
    return urlunsplit((parts.scheme, host_of(url), path, query, ""))


def host_of(url: str) -> str:
    """``host[:port]`` of ``url``, never its userinfo (``netloc`` would hold it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def _mask_path(path: str, hide_path: bool) -> str:
    if hide_path and path not in ("", "/"):
        return "/" + MASK
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            return prefix + MASK
    return path


def secret_parts(secret: str) -> list[str]:
    """What of ``secret`` must not be shown: the value itself, or for a URL
    its path, query, query values and userinfo (with the ``Basic`` form of
    the userinfo), plus their URL-encoded forms."""
    parts = _url_parts(secret) if "://" in secret else [secret]
    encoded = [form for part in parts for form in (quote(part, safe=""), quote_plus(part, safe=""))]
    return list(dict.fromkeys(part for part in parts + encoded if len(part) >= SHORTEST))


def _url_parts(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable: all of it is the secret
        return [url]
    path = next((parts.path[len(p):] for p in SECRET_PATH_PREFIXES if parts.path.startswith(p)), parts.path)
    found = [path if path not in ("", "/") else "", parts.query, parts.fragment]
    found += [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        found += [userinfo, userinfo.partition(":")[2], base64.b64encode(userinfo.encode("utf-8")).decode("ascii")]
    return [part for part in found if part]


class Redactor:
    """Replaces known secrets, their slices and their escaped forms with ``***``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._short: set[str] = set()  # secrets too short to slice: matched whole
        self._slices: set[str] = set()  # every SLICE-long run of every longer secret
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if not secret or len(secret) < SHORTEST:
                continue
            for part in secret_parts(secret):
                if len(part) < SLICE:
                    self._short.add(part)
                else:
                    self._slices.update(part[i:i + SLICE] for i in range(len(part) - SLICE + 1))

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        if self._slices or self._short:
            text = _masked(text, self._secret_spans(text))
        return _mask_embedded_urls(text)

    def _secret_spans(self, text: str) -> list[tuple[int, int]]:
        """Where secrets are in ``text``, read as written and with its escapes
        decoded (each decoded character maps back to the text it came from)."""
        spans = self._spans_in(text)
        view, starts, ends = text, None, None
        for _ in range(ESCAPE_LAYERS):
            if not _MAY_ESCAPE.search(view):
                break
            decoded, decoded_starts, decoded_ends = _decode_escapes(view)
            if decoded == view:
                break
            if starts is None:
                starts, ends = decoded_starts, decoded_ends
            else:
                starts = [starts[s] for s in decoded_starts]
                ends = [ends[e - 1] for e in decoded_ends]
            view = decoded
            spans += [(starts[a], ends[b - 1]) for a, b in self._spans_in(view)]
        return spans

    def _spans_in(self, view: str) -> list[tuple[int, int]]:
        spans = []
        for secret in self._short:
            start = view.find(secret)
            while start >= 0:
                spans.append((start, start + len(secret)))
                start = view.find(secret, start + 1)
        if self._slices:
            slices = self._slices
            spans += [(i, i + SLICE) for i in range(len(view) - SLICE + 1) if view[i:i + SLICE] in slices]
        return spans


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each run of overlapping or touching spans replaced by one ``***``."""
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in _merged(spans):
        pieces += [text[position:start], MASK]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# ---- escapes ----------------------------------------------------------------------------

_MAY_ESCAPE = re.compile(r"[\\%&]")
_ESCAPE = re.compile(
    r"\\u\{(?P<braced>[0-9a-fA-F]{1,6})\}"     # JavaScript \u{2d}
    r"|\\u(?P<u4>[0-9a-fA-F]{4})"              # JSON \u002d
    r"|\\x(?P<x2>[0-9a-fA-F]{2})"              # \x2d (Python and JavaScript)
    r"|\\(?P<punct>[^0-9A-Za-z\s])"            # \/ \- \\ \"
    r"|(?P<percent>(?:%[0-9a-fA-F]{2})+)"      # %2D, and UTF-8 runs %E4%B8%AD
    r"|&\#[xX](?P<hexref>[0-9a-fA-F]{1,6});?"  # &#x2d;
    r"|&\#(?P<decref>[0-9]{1,7});?"            # &#45;
    r"|&(?P<named>[A-Za-z][A-Za-z0-9]{1,31});" # &hyphen; &amp;
)


def _decode_escapes(text: str) -> tuple[str, list[int], list[int]]:
    """``text`` with one layer of escapes decoded, and for each decoded
    character the start and end of what it was written as in ``text``."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def keep_as_written(start: int, end: int) -> None:
        pieces.append(text[start:end])
        starts.extend(range(start, end))
        ends.extend(range(start + 1, end + 1))

    def keep(value: str, start: int, end: int) -> None:
        pieces.append(value)
        starts.extend([start] * len(value))
        ends.extend([end] * len(value))

    position = 0
    for match in _ESCAPE.finditer(text):
        keep_as_written(position, match.start())
        if match.group("percent"):
            for value, start, end in _percent_run(match.group("percent"), match.start()):
                keep(value, start, end)
        else:
            keep(_unescaped(match), match.start(), match.end())
        position = match.end()
    keep_as_written(position, len(text))
    return "".join(pieces), starts, ends


def _unescaped(match: re.Match) -> str:
    code = match.group("braced") or match.group("u4") or match.group("x2") or match.group("hexref")
    if code is not None:
        return _character(int(code, 16)) or match.group(0)
    if match.group("decref") is not None:
        return _character(int(match.group("decref"))) or match.group(0)
    if match.group("punct") is not None:
        return match.group("punct")
    return html.unescape(match.group(0))  # a name html does not know stays as written


def _character(code: int) -> str | None:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return None


def _percent_run(run: str, offset: int) -> list[tuple[str, int, int]]:
    """The characters of a run of ``%XX`` bytes: UTF-8 where it decodes,
    byte by byte (as Latin-1) where it does not."""
    data = bytes(int(run[i + 1:i + 3], 16) for i in range(0, len(run), 3))
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return [(chr(byte), offset + 3 * i, offset + 3 * i + 3) for i, byte in enumerate(data)]
    found, index = [], 0
    for char in decoded:
        width = len(char.encode("utf-8"))
        found.append((char, offset + 3 * index, offset + 3 * (index + width)))
        index += width
    return found


# ---- shortening, and URLs quoted in text ---------------------------------------------------

def excerpt(text: str, redact: Callable[[str], str | None] | None = None, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text``, whitespace collapsed, at most ``limit``
    characters: redacted first, then cut, so a cut never splits a secret
    out of the redactor's sight. Only a bounded start of a huge text is read."""
    text = " ".join(text[: limit * 64].split())
    if redact is not None:
        text = redact(text) or ""
    return text if len(text) <= limit else text[:limit] + "..."


URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+")


def _mask_embedded_urls(text: str) -> str:
    """Mask credentials in any URL quoted inside a message (library errors
    sometimes quote the request URL)."""
    return URL_IN_TEXT.sub(lambda match: _mask_if_credentialed(match.group(0)), text)


def _mask_if_credentialed(found: str) -> str:
    url = found.rstrip(".,;:)]}")
    return _masked_credentials(url) + found[len(url):]


def _masked_credentials(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_url(url)
    if parts.query or parts.path.startswith(SECRET_PATH_PREFIXES) or "@" in parts.netloc:
        return mask_url(url, all_query=False)
    return url
