"""Sender ``wecom-groupmsg``: WeCom 企业群发 to external customer groups.

The assisted route (a group robot cannot join a customer group that has
WeChat users): the message becomes a 企业群发 task created for the group's
owner (群主), who confirms the send in the WeCom app. ``sent`` therefore means
"created for the owner", with the task's ``msgid`` as ``remote_id``;
:meth:`WecomGroupMsgSender.confirmations` tells later whether the owner sent it.

The API, as WeCom documents it:

- ``GET {base_url}/cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` answers
  ``{errcode, errmsg, access_token, expires_in}`` (normally 7200 s). WeCom asks
  callers to cache the token (fetching it often is rate-limited) and to fetch
  it again when it stops working, since it may end a token early ("不能频繁
  调用gettoken接口，否则会受到频率拦截", document 91039). So: fetched on first
  use, one fetch at a time, kept until ``TOKEN_MARGIN`` seconds before it
  expires, and fetched again once when a call answers 40014 (invalid
  access_token), 42001 (expired) or 41001 (missing). The token and when to
  renew it are kept in the run's state store too (``runtime.extra["state"]``,
  keyed by the corp, the secret's fingerprint and the API origin), so
  ``sopc run --once`` from cron every few minutes reuses it instead of
  fetching one per run. The state file then holds a token that works for
  at most two hours: keep it as private as the project's secrets.
- ``POST {base_url}/cgi-bin/externalcontact/add_msg_template?access_token=T``
  with ``chat_type: "group"``, ``sender`` (the owner's userid; required for
  groups), ``chat_id_list`` (the groups to send to, so the owner need not pick
  them; WeCom clients 4.1.10+), ``text.content`` (at most 4000 bytes) and
  ``attachments`` (at most 9; a link is ``{msgtype: "link", link: {title (at
  most 128 bytes), url (2048), desc (512)}}``; images need a ``media_id`` or
  ``pic_url`` from a media upload first). Answer: ``{errcode, errmsg,
  fail_list, msgid}``.
- ``POST {base_url}/cgi-bin/externalcontact/get_groupmsg_send_result?access_token=T``
  with ``msgid``, ``userid`` (the sender), ``limit`` (at most 1000) and
  ``cursor``; answers ``send_list`` (``chat_id`` or, for a send to
  customers, ``external_userid``; ``userid``, ``status``,
  ``send_time``) and ``next_cursor`` (empty on the last page). Status 0 not
  sent, 1 sent (``send_time`` given), 2 failed: not a contact, 3 failed: the
  receiver already got another 企业群发. For group sends WeCom lists only
  sent records, so a chat missing from the list is still waiting.

The cap: a customer group takes only so many 企业群发 messages, and WeCom has
changed the number over the years (4 a natural month; 1 a day; now as many a
month as the month has days, which an admin can set to 7 a week or 1 a day).
Over it, WeCom reports status 3. ``sopc check`` holds a plan to ``daily_cap``
sends per group per day (E0506); the default, 1, is the strictest rule an
admin can choose and the monthly budget's daily average.

Rate: the only documented limit for these calls is WeCom's general one (10,000
calls a minute per corp per API), so no pacing unless ``per_minute`` is set.

Settings:

- ``corp_id_env``, ``secret_env`` (required): the variables holding the corp
  id and a secret allowed to call customer-contact APIs (the 客户联系 secret,
  or an app's listed under 「可调用接口的应用」).
- ``daily_cap`` (default 1): 企业群发 sends one customer group may get per day.
- ``base_url`` (default ``https://qyapi.weixin.qq.com``), ``timeout`` (10 s),
  ``max_attempts``, ``retry_base_delay``, ``retry_max_delay``,
  ``per_minute`` / ``per_second``, ``max_pacing_wait``: as for the bots
  (:mod:`sopc.senders.bot`).

A private message (`to member`: 1:1 to the member an event is about, for
recall and moderation) is the same API with ``chat_type: "single"``,
``external_userid: [member id]`` and ``sender`` (the group's owner: the
member must be the owner's customer, else WeCom reports status 2). It
counts against WeCom's cap for that customer, not the group's, so the
group's ``daily_cap`` does not count it; ``fail_list`` naming the member
fails it at once.

A message needs ``owner`` (roster ``owner`` / 群主: the owner's WeCom userid);
its ``address`` (roster) is the group's chat id and targets that group. Kinds:
text and link (images would need a media upload first: not done). 群发 carries
no @mentions.

Errors: -1 (system busy), 45009 (api freq out of limit), 45033 (too many
concurrent calls), HTTP 429 and 5xx, timeouts and connection errors are
retried; any other errcode fails with WeCom's own errmsg. Success is read from
``errcode``, never from the HTTP status. The secret and the tokens are masked
in every error and log line. WeCom takes no idempotency key: a create whose
answer was lost and is retried may create the task twice.

Sources (WeCom developer docs, developer.work.weixin.qq.com/document/path/...):
91039 获取access_token; 92135 创建企业群发 (request example, the monthly cap
and the 7-a-week / 1-a-day rules); 96355 and 93338 获取企业群发成员执行结果;
90455 全局错误码; 90454 访问频率限制. The field limits (text.content 4000
bytes, link title 128 / url 2048 / desc 512, chat_id_list up to 2000 groups,
limit ≤ 1000, status 0-3, "only sent records for group sends") are quoted
from that documentation in the comments of SDKs (WxJava ``WxCpMsgTemplate``,
PHP ``getGroupmsgSendResult``); the cap's history from SDK docs (4 a month)
and SCRM help pages (weibanzhushou.com: 1 a day, then days-of-month).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from typing import Any, Callable, ClassVar, Mapping, Sequence
from urllib.parse import quote

from sopc.core.records import dataclass
from sopc.core.sender_specs import WECOM_GROUPMSG
from sopc.senders.base import (
    Confirmation,
    DeliveryResult,
    OutgoingMessage,
    SenderConfigError,
    SenderRuntime,
    env_setting,
    failed,
    number_setting,
    LinkCard,
    Part,
    decode_parts,
    link_cards,
    refused,
    retry,
    sent,
)
from sopc.senders.bot import int_field, limits_with_overrides, reported
from sopc.senders.http import HttpPoster, HttpReply, encode_json, transient_http
from sopc.senders.ratelimit import RateLimiter, WaitTooLong
from sopc.senders.redact import Redactor, excerpt
from sopc.senders.retry import RetryPolicy, with_retries

log = logging.getLogger("sopc.senders")

TOKEN_PATH = "/cgi-bin/gettoken"
CREATE_PATH = "/cgi-bin/externalcontact/add_msg_template"
RESULT_PATH = "/cgi-bin/externalcontact/get_groupmsg_send_result"

SYSTEM_BUSY, RATE_LIMITED, TOO_CONCURRENT = -1, 45009, 45033
RETRY_CODES: dict[int, float | None] = {RATE_LIMITED: 60.0, TOO_CONCURRENT: None, SYSTEM_BUSY: None}
TOKEN_CODES = frozenset({40014, 42001, 41001})  # invalid, expired, missing access_token
TOKEN_LIFETIME = 7200.0
TOKEN_MARGIN = 300.0  # fetch a new token this long before the old one expires

RESULT_PAGE = 1000  # get_groupmsg_send_result's largest `limit`
MAX_PAGES = 100

WAITING = "群主未确认 (the owner has not confirmed the send yet)"
CONFIRMED = "群主已发送 (sent by the owner)"
STATUS_FAILURES = {
    2: "因客户不是好友导致发送失败 (failed: the receiver is not a contact of the owner)",
    3: "因客户已经收到其他群发消息导致发送失败 (failed: the group already got another 企业群发 -- over the platform's cap)",
}


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: float  # runtime.wallclock() after which a fresh token is fetched (it outlives the process)


class WecomGroupMsgSender:
    kind = "wecom-groupmsg"
    limits = WECOM_GROUPMSG.limits
    DEFAULT_DAILY_CAP: ClassVar[int] = WECOM_GROUPMSG.daily_cap
    default_base_url: ClassVar[str] = "https://qyapi.weixin.qq.com"

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        self.name = name
        self.limits = limits_with_overrides(type(self).limits, settings)
        self.base_url = str(settings.get("base_url", self.default_base_url)).rstrip("/")
        self.runtime = runtime
        self.redact = Redactor()
        self._corp_id = env_setting(settings, "corp_id_env", env, required=True) or ""
        self._secret = env_setting(settings, "secret_env", env, required=True) or ""
        self.redact.add(self._secret)
        self.corp_label = str(settings["corp_id_env"])
        self.daily_cap = daily_cap_setting(settings, self.DEFAULT_DAILY_CAP)
        self.policy = RetryPolicy.from_settings(settings)
        self.max_pacing_wait = number_setting(settings, "max_pacing_wait", 120.0)
        self.limiter = RateLimiter.for_limits(self.limits, runtime)
        self.http = HttpPoster(timeout=number_setting(settings, "timeout", 10.0), redact=self.redact)
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()
        self._token_key = token_key(self.corp_label, self._corp_id, self._secret, self.base_url)

    @classmethod
    def from_settings(cls, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> "WecomGroupMsgSender":
        return cls(name=name, settings=settings, env=env, runtime=runtime)

    # ---- delivering --------------------------------------------------------------------

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        return reported(self.name, message, await self._deliver(message), self.redact)

    async def _deliver(self, message: OutgoingMessage) -> DeliveryResult:
        problem = refused(message, self.kind, self.limits)  # kinds, no mentions, an owner, sizes
        if problem is not None:
            return problem
        payload = self.payload(message)
        if isinstance(payload, DeliveryResult):
            return payload
        created = await self._call(CREATE_PATH, payload)
        if isinstance(created, DeliveryResult):
            return created
        return created_result(created, message)

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        """The add_msg_template body: a group send by the owner, to the
        roster's chat id when there is one; a private message (`to member`)
        a send by the owner to that one customer."""
        if message.private:
            target: dict[str, Any] = {"chat_type": "single", "external_userid": [message.member],
                                      "sender": message.owner}
        else:
            target = {"chat_type": "group", "sender": message.owner}
            if message.address:
                target["chat_id_list"] = [message.address]
        content = text_content(message) if message.kind == "text" else \
            link_attachment(message) if message.kind == "link" else attachments_content(message)
        return content if isinstance(content, DeliveryResult) else {**target, **content}

    # ---- confirmations ---------------------------------------------------------------

    async def confirmations(self, pending: Sequence[tuple[str, str | None, str | None]]) -> dict[str, Confirmation]:
        """Per ``msgid``: has the owner sent it? ``pending`` holds
        ``(msgid, owner userid, chat id)`` (for a private message the
        member's external userid in place of the chat id). Never raises: trouble asking
        WeCom leaves a send ``waiting`` with the reason in ``detail``."""
        answers: dict[str, Confirmation] = {}
        for msgid, owner, chat_id in pending:
            try:
                answers[msgid] = await self._confirmation(msgid, owner, chat_id)
            except Exception as exc:  # a bug or a surprise must not hide the other answers
                answers[msgid] = Confirmation(state="waiting", detail=self.redact(f"{type(exc).__name__}: {exc}"))
        return answers

    async def _confirmation(self, msgid: str, owner: str | None, chat_id: str | None) -> Confirmation:
        if not owner:
            return Confirmation(state="waiting", detail="no owner userid to ask WeCom with (get_groupmsg_send_result needs it)")
        records = await self._send_list(msgid, owner)
        if isinstance(records, DeliveryResult):
            return Confirmation(state="waiting", detail=self.redact(records.error))
        return confirmation_from(records, chat_id)

    async def _send_list(self, msgid: str, owner: str) -> list[dict[str, Any]] | DeliveryResult:
        records: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(MAX_PAGES):
            query = {"msgid": msgid, "userid": owner, "limit": RESULT_PAGE, **({"cursor": cursor} if cursor else {})}
            page = await self._call(RESULT_PATH, query)
            if isinstance(page, DeliveryResult):
                return page
            records.extend(item for item in page.get("send_list") or () if isinstance(item, dict))
            following = page.get("next_cursor")
            if not isinstance(following, str) or not following or following == cursor:
                break
            cursor = following
        return records

    # ---- calling the API -------------------------------------------------------------

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | DeliveryResult:
        """The body of an errcode-0 answer, retrying transient trouble; or
        the failure (``failed``, or ``retry`` for the runner)."""
        answer: dict[str, dict[str, Any]] = {}

        async def attempt() -> DeliveryResult:
            body = await self._api(path, payload)
            if isinstance(body, DeliveryResult):
                return body
            answer["body"] = body
            return sent()

        result = await with_retries(attempt, policy=self.policy, sleep=self.runtime.sleep, random=self.runtime.random)
        return answer["body"] if result.status == "sent" else result

    async def _api(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | DeliveryResult:
        """One call; a token WeCom calls invalid or expired is fetched again, once."""
        token = await self._access_token()
        if isinstance(token, DeliveryResult):
            return token
        body = await self._post(path, token, payload)
        if isinstance(body, dict) and int_field(body, "errcode") in TOKEN_CODES:
            token = await self._access_token(stale=token)
            if isinstance(token, DeliveryResult):
                return token
            body = await self._post(path, token, payload)
        return body if isinstance(body, DeliveryResult) else checked(body, "WeCom", self.redact)

    async def _post(self, path: str, token: str, payload: dict[str, Any]) -> dict[str, Any] | DeliveryResult:
        url = f"{self.base_url}{path}?access_token={quote(token, safe='')}"
        try:
            async with self.limiter.slot(self.corp_label, max_wait=self.max_pacing_wait):
                reply = await self.http.post(url, encode_json(payload))
        except WaitTooLong as wait:
            return retry(f"{self.kind} corp {self.corp_label}: {wait}", wait.delay)
        if isinstance(reply, DeliveryResult):
            return reply
        return transient_http(reply, url) or json_body(reply)

    async def _access_token(self, *, stale: str | None = None) -> str | DeliveryResult:
        """The cached token, or a fresh one: when there is none, it is about to
        expire, or it is ``stale`` (WeCom refused it). One fetch at a time;
        callers that waited find the new token cached."""
        async with self._token_lock:
            for cached in (self._token, self._kept_token()):
                if cached and cached.value != stale and self.runtime.wallclock() < cached.renew_at:
                    self._token = cached
                    return cached.value
            fetched = await self._fetch_token()
            if isinstance(fetched, DeliveryResult):
                return fetched
            self._token = fetched
            self._keep_token(fetched)
            return fetched.value

    def _kept_token(self) -> _Token | None:
        """The token an earlier run kept in the state store, if there is one."""
        state = self.runtime.extra.get("state")
        if state is None:
            return None
        try:
            kept = json.loads(state.get(self._token_key) or "null")
            token = _Token(value=str(kept["access_token"]), renew_at=float(kept["renew_at"]))
        except Exception:  # nothing kept, or not readable: fetch a new one
            return None
        self.redact.add(token.value)
        return token

    def _keep_token(self, token: _Token) -> None:
        state = self.runtime.extra.get("state")
        if state is None:
            return
        try:
            state.set(self._token_key, json.dumps({"access_token": token.value, "renew_at": token.renew_at}))
        except Exception as exc:  # keeping it saves a fetch next run; losing it costs only that
            log.warning("%s: could not keep the access token in the state store: %s", self.name, exc)

    async def _fetch_token(self) -> _Token | DeliveryResult:
        url = f"{self.base_url}{TOKEN_PATH}?corpid={quote(self._corp_id, safe='')}&corpsecret={quote(self._secret, safe='')}"
        reply = await self.http.get(url)
        if isinstance(reply, DeliveryResult):
            return reply
        body = transient_http(reply, url) or json_body(reply)
        if isinstance(body, DeliveryResult):
            return body
        if int_field(body, "errcode") is not None:  # WeCom's old answers left errcode out on success
            body = checked(body, "WeCom gettoken", self.redact)
            if isinstance(body, DeliveryResult):
                return body
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            return failed(f"WeCom gettoken: no access_token in the answer (HTTP {reply.status})")
        self.redact.add(value)
        return _Token(value=value, renew_at=self.runtime.wallclock() + renewal_delay(body.get("expires_in")))

    # ---- results ---------------------------------------------------------------------

    async def aclose(self) -> None:
        await self.http.aclose()


# ---- message shapes ---------------------------------------------------------------------

def text_content(message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
    """``text.content`` (the contract holds it to 4000 bytes)."""
    return {"text": {"content": message.text}}


def link_attachment(message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
    """One link attachment (the contract holds title, url and desc to 128,
    2048 and 512 bytes)."""
    cards = link_cards(message.text)
    if cards is None:
        return failed("link text must be 'URL\\nTITLE\\nDESCRIPTION' with an http(s) URL and a title")
    return {"attachments": [{"msgtype": "link", "link": link_fields(card)} for card in cards]}


def link_fields(card: LinkCard) -> dict[str, str]:
    return {"title": card.title, "url": card.url, **({"desc": card.description} if card.description else {}),
            **({"picurl": card.picurl} if card.picurl else {})}


def attachments_content(message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
    """A text and its attachments (links, mini-program cards, images by
    media_id or pic_url), in the order written."""
    rich = decode_parts(message.text)
    if rich is None:
        return failed(f"{message.kind}: not the content sopc plans for it")
    body: dict[str, Any] = {"text": {"content": rich.text}} if rich.text is not None else {}
    body["attachments"] = [attachment(part) for part in rich.parts]
    return body


def attachment(part: Part) -> dict[str, Any]:
    if part.kind == "link":
        card = LinkCard(url=part.get("url"), title=part.get("title"), description=part.get("description"),
                        picurl=part.get("picurl"))
        return {"msgtype": "link", "link": link_fields(card)}
    return {"msgtype": part.kind, part.kind: dict(part.fields)}


# ---- reading answers --------------------------------------------------------------------

def json_body(reply: HttpReply) -> dict[str, Any] | DeliveryResult:
    body = reply.json_object()
    if body is None:
        return failed(f"WeCom: unexpected reply (HTTP {reply.status}): {reply.excerpt()}")
    return body


def checked(body: dict[str, Any], vendor: str,
            redact: Callable[[str], str | None] | None = None) -> dict[str, Any] | DeliveryResult:
    """``body`` if its errcode is 0; ``retry`` for busy and rate-limit codes;
    ``failed`` with WeCom's own message otherwise (an odd body is quoted
    redacted, then cut short)."""
    code = int_field(body, "errcode")
    if code == 0:
        return body
    if code is None:
        return failed(f"{vendor}: unexpected reply without errcode: {excerpt(str(body), redact)}")
    error = f"{vendor} error {code}: {body.get('errmsg', '')}"
    return retry(error, RETRY_CODES[code]) if code in RETRY_CODES else failed(error)


def created_result(body: dict[str, Any], message: OutgoingMessage) -> DeliveryResult:
    refused = body.get("fail_list") or ()
    if message.private and message.member in refused:
        return failed(f"WeCom created no 企业群发 for member `{message.member}` of group `{message.group}` "
                      "(it is in fail_list: not a customer of the owner, or not reachable)")
    if not message.private and message.address and message.address in refused:
        return failed(f"WeCom created no 企业群发 for chat `{message.address}` of group `{message.group}` (it is in fail_list)")
    msgid = body.get("msgid")
    return sent(remote_id=msgid if isinstance(msgid, str) and msgid else None)


def token_key(corp_label: str, corp_id: str, secret: str, base_url: str) -> str:
    """Where a token is kept: per corp and app (each secret has its own
    token), never the secret itself."""
    fingerprint = hashlib.sha256(f"{corp_id}\n{secret}\n{base_url}".encode("utf-8")).hexdigest()[:16]
    return f"wecom-groupmsg access_token {corp_label} {fingerprint}"


def renewal_delay(expires_in: Any) -> float:
    """Seconds to keep a token: its lifetime less the margin (at least half of it)."""
    valid = isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0
    lifetime = float(expires_in) if valid else TOKEN_LIFETIME
    return max(lifetime - TOKEN_MARGIN, lifetime / 2)


def confirmation_from(records: list[dict[str, Any]], chat_id: str | None) -> Confirmation:
    """The owner's send for ``chat_id`` (any chat of the task when None), or
    to the customer of that external userid (a private send's records name
    ``external_userid``, a group send's ``chat_id``; WeCom's ids of the two
    never look alike)."""
    mine = [record for record in records
            if chat_id is None or record.get("chat_id") == chat_id or record.get("external_userid") == chat_id]
    statuses = [record.get("status") for record in mine]
    for record in mine:
        if record.get("status") == 1:
            return Confirmation(state="confirmed", detail=CONFIRMED, at=send_time(record.get("send_time")))
    for status in statuses:
        if status in STATUS_FAILURES:
            return Confirmation(state="failed", detail=STATUS_FAILURES[status])
    unknown = [status for status in statuses if status not in (0, None)]
    return Confirmation(state="waiting", detail=f"{WAITING}; WeCom status {unknown[0]}" if unknown else WAITING)


def send_time(value: Any) -> dt.datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    return None


def daily_cap_setting(settings: Mapping, default: int) -> int:
    value = settings.get("daily_cap", default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SenderConfigError("setting `daily_cap` must be a whole number of at least 1 (企业群发 sends per customer group per day)")
    return value
