"""Posting JSON to a webhook and reading the answer, with secrets masked.

:class:`HttpPoster` wraps one ``httpx.AsyncClient`` per sender (timeouts set)
and turns transport trouble into values: a timeout or a connection error is a
``retry`` result naming the masked URL, never an exception carrying the key.
:func:`transient_http` is the shared judgement of HTTP 429 and 5xx; each
vendor judges everything else from the body.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

import httpx

from sopc.senders.base import DeliveryResult, retry
from sopc.senders.redact import Redactor, mask_url

log = logging.getLogger("sopc.senders.http")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]
    text: str

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None if it is not one."""
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def retry_after(self) -> float | None:
        """The ``Retry-After`` header in seconds (the date form is not used by these vendors)."""
        try:
            return max(0.0, float(self.headers.get("retry-after", "")))
        except ValueError:
            return None

    def excerpt(self, limit: int = 200) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[:limit] + "..."


def encode_json(payload: Any) -> bytes:
    """UTF-8 JSON as the vendors count it (CJK kept as-is, not ``\\u`` escaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class HttpPoster:
    def __init__(self, *, timeout: float, transport: Any, redact: Redactor, hide_path: bool = False) -> None:
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False)
        self._timeout = timeout
        self._redact = redact
        self._hide_path = hide_path

    def masked(self, url: str) -> str:
        return mask_url(url, hide_path=self._hide_path)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpReply | DeliveryResult:
        """POST ``body``; a reply, or a ``retry`` result for transport failures."""
        log.debug("POST %s (%d bytes)", self.masked(url), len(body))
        try:
            response = await self._client.post(url, content=body, headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})})
        except httpx.TimeoutException:
            return retry(f"timed out after {self._timeout:g}s posting to {self.masked(url)}")
        except httpx.TransportError as exc:
            return retry(self._redact(f"{type(exc).__name__} posting to {self.masked(url)}: {exc}") or "")
        return HttpReply(status=response.status_code, headers=response.headers, text=response.text)

    async def aclose(self) -> None:
        await self._client.aclose()


def transient_http(reply: HttpReply, url: str) -> DeliveryResult | None:
    """``retry`` for HTTP 429 and 5xx (honouring ``Retry-After``); None otherwise."""
    host = urlsplit(url).netloc
    if reply.status == 429:
        return retry(f"HTTP 429 Too Many Requests from {host}: {reply.excerpt()}", reply.retry_after())
    if reply.status >= 500:
        return retry(f"HTTP {reply.status} from {host}: {reply.excerpt()}", reply.retry_after())
    return None
