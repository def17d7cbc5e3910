"""Talking HTTP to a vendor and reading the answer, with secrets masked.

:class:`HttpPoster` holds one ``aiohttp.ClientSession`` per sender (timeouts
set, keep-alive connections pooled) and turns transport trouble into values:
a timeout or a connection error is a ``retry`` result naming the masked URL,
never an exception carrying the key. :func:`transient_http` is the shared
judgement of HTTP 429 and 5xx; each vendor judges everything else from the
body.

Why aiohttp and not httpx: delivering a burst is mostly HTTP client work, and
on the delivery benchmark (bench/bench_run.py) aiohttp's client posts ~4,600
requests/s on one core where httpx's async client manages 300-900.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
from dataclasses import field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import certifi

from sopc import __version__
from sopc.core.records import dataclass
from sopc.senders.base import DeliveryResult, failed, retry
from sopc.senders.redact import Redactor, excerpt, host_of, mask_url

log = logging.getLogger("sopc.senders.http")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = f"sopc/{__version__}"
CONNECTIONS = 100  # per sender: enough for a burst, polite to one vendor host


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]  # names in lower case
    text: str
    # The sender's redactor: an excerpt is redacted before it is cut short.
    redact: Callable[[str], str | None] | None = field(default=None, repr=False, compare=False)

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
        """The start of the body for an error message, secrets masked."""
        return excerpt(self.text, self.redact, limit)


def encode_json(payload: Any) -> bytes:
    """UTF-8 JSON as the vendors count it (CJK kept as-is, not ``\\u`` escaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class HttpPoster:
    """One sender's HTTP client. The session is opened on first use, inside
    the event loop that uses it (aiohttp sessions belong to one loop)."""

    def __init__(self, *, timeout: float, redact: Redactor, hide_path: bool = False) -> None:
        self._timeout = timeout
        self._redact = redact
        self._hide_path = hide_path
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._env_proxies = getproxies()
        self._proxy_for: dict[tuple[str, str], str | None] = {}

    def masked(self, url: str) -> str:
        return mask_url(url, hide_path=self._hide_path)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpReply | DeliveryResult:
        """POST ``body``; a reply, or a result: ``retry`` for transport
        trouble, ``failed`` for a URL or certificate no retry can mend."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("POST %s (%d bytes)", self.masked(url), len(body))
        return await self.request("POST", url, body, {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}, "posting to")

    async def get(self, url: str) -> HttpReply | DeliveryResult:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("GET %s", self.masked(url))
        return await self.request("GET", url, None, {}, "calling")

    async def request(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str],
                      doing: str) -> HttpReply | DeliveryResult:
        try:
            proxy = self._proxy(url)
        except ValueError:  # urlsplit: "Invalid IPv6 URL", a bad port
            return self._unusable(url)
        try:
            async with self._client().request(method, url, data=body, headers=headers, allow_redirects=False,
                                              proxy=proxy) as response:
                raw = await response.read()
                reply_headers = {name.lower(): value for name, value in response.headers.items()}
                status = response.status
        except TimeoutError:
            return retry(f"timed out after {self._timeout:g}s {doing} {self.masked(url)}")
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError):
            return self._unusable(url)
        except aiohttp.ClientConnectorCertificateError as exc:  # trying again will not change the certificate
            return failed(self._redact(
                f"the TLS certificate of {self.masked(url)} is not trusted: {_why_untrusted(exc)}; "
                "if a company CA signs it, add that CA to the system's store or point SSL_CERT_FILE at it") or "")
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror or exc.os_error
            return retry(self._redact(f"cannot connect {doing} {self.masked(url)}: {reason}") or "")
        except (aiohttp.ClientError, OSError) as exc:
            return retry(self._redact(f"{type(exc).__name__} {doing} {self.masked(url)}: {exc}") or "")
        return HttpReply(status=status, headers=reply_headers, text=raw.decode("utf-8", errors="replace"),
                         redact=self._redact)

    def _unusable(self, url: str) -> DeliveryResult:
        return failed(f"not a usable URL: {self.masked(url)} (check the sender's url / base_url in sopc.toml)")

    def _proxy(self, url: str) -> str | None:
        """The proxy HTTP(S)_PROXY / NO_PROXY choose for this URL, as curl
        would; worked out once per host (aiohttp's ``trust_env`` would ask
        on every request, in a thread)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxy_for:
            proxy = self._env_proxies.get(parts.scheme)
            self._proxy_for[key] = None if proxy is None or proxy_bypass(parts.netloc) else proxy
        return self._proxy_for[key]

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            if self._session is not None and not self._session.closed:
                self._session.detach()  # its loop is gone; nothing left to close there
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                connector=aiohttp.TCPConnector(limit=CONNECTIONS, ssl=tls_context()),
                headers={"User-Agent": USER_AGENT},
            )
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None


def _why_untrusted(exc: aiohttp.ClientConnectorCertificateError) -> str:
    error = exc.certificate_error
    return getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs (a company's own
    included) and Mozilla's bundle (certifi), so a machine without a CA store,
    such as a python.org build on macOS, still reaches the vendors."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    return context


def transient_http(reply: HttpReply, url: str) -> DeliveryResult | None:
    """``retry`` for HTTP 429 and 5xx (honouring ``Retry-After``); None otherwise."""
    host = host_of(url)
    if reply.status == 429:
        return retry(f"HTTP 429 Too Many Requests from {host}: {reply.excerpt()}", reply.retry_after())
    if reply.status >= 500:
        return retry(f"HTTP {reply.status} from {host}: {reply.excerpt()}", reply.retry_after())
    return None
