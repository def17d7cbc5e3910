"""Keeping secrets out of errors and logs.

Two layers: :func:`mask_url` shows a webhook URL with its credentials replaced
by ``***`` (query values, the Feishu hook token, the Slack services path), and
:class:`Redactor` replaces every known secret value in any text, as a last
guard on whatever a vendor or a library put into an error string.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

MASK = "***"
# Path prefixes after which every segment is a credential.
SECRET_PATH_PREFIXES = ("/open-apis/bot/v2/hook/", "/open-apis/bot/hook/", "/services/")
# Query parameters that carry credentials in the vendors' URLs.
SECRET_QUERY_KEYS = frozenset({"key", "access_token", "token", "sign", "secret", "signature"})


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
    netloc = parts.hostname or ""
    if port:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _mask_path(path: str, hide_path: bool) -> str:
    if hide_path and path not in ("", "/"):
        return "/" + MASK
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            return prefix + MASK
    return path


class Redactor:
    """Replaces known secret values (and their URL-encoded forms) with ``***``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= 4:
                self._secrets |= {secret, quote(secret, safe=""), quote_plus(secret)}

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return _mask_embedded_urls(text)


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
    if parts.query or parts.path.startswith(SECRET_PATH_PREFIXES):
        return mask_url(url, all_query=False)
    return url
