"""A loopback mock of the group-bot webhook APIs, for sender tests.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, a free port, in a
thread) that answers like the vendors do:

- WeCom robot   ``POST /cgi-bin/webhook/send?key=KEY``
- WeCom API     ``GET /cgi-bin/gettoken?corpid=&corpsecret=``,
                ``POST /cgi-bin/externalcontact/add_msg_template?access_token=``,
                ``POST /cgi-bin/externalcontact/get_groupmsg_send_result?access_token=``
                (企业群发: tokens that expire, created tasks in ``groupmsgs``,
                owners' confirmations set with ``mark_groupmsg``; group sends
                to ``chat_id_list``, and sends to customers, ``chat_type``
                single to ``external_userid``, with ``unreachable`` customers
                answered in ``fail_list``)
- Feishu bot    ``POST /open-apis/bot/v2/hook/TOKEN`` (signature in the body)
- DingTalk bot  ``POST /robot/send?access_token=T&timestamp=&sign=`` (signature in the URL)
- Slack hook    ``POST /services/T/B/X``
- generic hook  ``POST /hooks/NAME`` (scripted answers, headers recorded)

It checks keys, tokens and signatures, message shapes and byte limits, and
the per-bot rate limits, answering with the vendors' own error bodies (HTTP
200 + errcode/code for WeCom, DingTalk and Feishu; HTTP status + one word for
Slack). Over 20 a minute DingTalk also blocks the robot for ten minutes.
Accepted messages are recorded per vendor; every request in ``requests``.
``fail_next`` and ``hang_next`` inject 5xx answers and hangs (timeouts);
``queue_answers(path, ...)`` scripts the next answers on one path.

``hostile = MODE`` makes every request an error that echoes what it was sent
(see :func:`hostile_answer` and :data:`HOSTILE_MODES`): the URL in an HTML
page, in a JSON body with ``\\uXXXX`` escapes, as HTML entities or
percent-encoded, Express's "Cannot POST /path", a malformed status line,
and a long page cut mid-URL by a 200-character excerpt; the secrets in URLs
and headers must not come back out of sopc.

Time comes from a clock object (``monotonic()`` and ``time()``), so tests can
share a :class:`FakeClock` with the senders: a sender "sleeping" 60 s moves
the mock's rate windows on too, and no test waits for real.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import html
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VENDOR_WINDOWS = {
    "wecom": ((20, 60.0),),
    "dingtalk": ((20, 60.0),),
    "feishu": ((5, 1.0), (100, 60.0)),
    "slack": ((1, 1.0),),
    "webhook": (),
    "wecom-api": (),
}
SIGNATURE_WINDOW = 3600.0


class FakeClock:
    """Monotonic and wall time that only move when told (or slept on)."""

    def __init__(self, wall: float = 1_700_000_000.0) -> None:
        self._lock = threading.Lock()
        self._elapsed = 0.0
        self._wall0 = wall
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return 1000.0 + self._elapsed

    def time(self) -> float:
        with self._lock:
            return self._wall0 + self._elapsed

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


class RealClock:
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


@dataclass
class Received:
    vendor: str
    bot: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    size: int = 0
    answer: int = 0
    answer_body: str = ""
    method: str = "POST"
    target: str = ""  # the request line's target as sent: path and query


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # written to the socket as is, instead of a well-formed answer

    @classmethod
    def json(cls, value: dict[str, Any], status: int = 200) -> "Answer":
        return cls(status, json.dumps(value, ensure_ascii=False), {"Content-Type": "application/json; charset=utf-8"})

    @classmethod
    def text(cls, status: int, body: str, **headers: str) -> "Answer":
        return cls(status, body, {"Content-Type": "text/html", **headers})


@dataclass
class MockBot:
    secret: str | None = None
    sent_at: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


@dataclass
class MockCorp:
    secret: str
    users: frozenset[str] = frozenset()  # empty: every sender userid is accepted


@dataclass
class MockGroupMsg:
    """One 企业群发 task as add_msg_template created it."""

    msgid: str
    corp: str
    sender: str
    body: dict[str, Any]
    chats: list[str]
    results: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # chat_id -> (status, send_time)
    customers: list[str] = field(default_factory=list)  # chat_type single: external_userids (results keyed by them)


# ---- vendor error bodies --------------------------------------------------------------------

def wecom_error(code: int, text: str) -> Answer:
    hint = f"{text}, hint: [1700000000{code:06d}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
    return Answer.json({"errcode": code, "errmsg": hint})


WECOM_OK = Answer.json({"errcode": 0, "errmsg": "ok"})
FEISHU_OK = Answer.json({"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"})
DINGTALK_OK = Answer.json({"errcode": 0, "errmsg": "ok"})


def feishu_error(code: int, msg: str) -> Answer:
    return Answer.json({"code": code, "data": {}, "msg": msg})


def dingtalk_error(code: int, msg: str) -> Answer:
    return Answer.json({"errcode": code, "errmsg": msg})


class MockHooks:
    """The mock server. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, clock: Any = None) -> None:
        self.clock = clock or RealClock()
        self.windows = {vendor: tuple(windows) for vendor, windows in VENDOR_WINDOWS.items()}
        self.dingtalk_block_seconds = 600.0
        self.requests: list[Received] = []
        self.accepted: dict[str, list[Received]] = {vendor: [] for vendor in VENDOR_WINDOWS}
        self._bots: dict[tuple[str, str], MockBot] = {}
        self._scripts: dict[str, list[Answer]] = {}
        self._fail: list[Answer] = []
        self._hang: list[float] = []
        self._queued: dict[str, list[Answer]] = {}
        self._corps: dict[str, MockCorp] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (corp id, expires at)
        self.token_lifetime = 7200
        self.token_fetches = 0
        self.groupmsg_page_max = 1000
        self.groupmsgs: list[MockGroupMsg] = []
        self.unreachable: set[str] = set()  # external_userids a single send lists in fail_list
        self.media: dict[str, tuple[bytes, str]] = {}  # GET /media/NAME -> (bytes, content type): pictures to fetch
        self.hostile: str | None = None  # one of HOSTILE_MODES: every request gets that error,
        self.hostile_spared: set[str] = set()  # except requests to these paths
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> "MockHooks":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="mockhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "MockHooks":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the mock first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- setup --------------------------------------------------------------------------

    def add_wecom_bot(self, key: str) -> None:
        self._bots[("wecom", key)] = MockBot()

    def add_feishu_bot(self, token: str, secret: str | None = None) -> None:
        self._bots[("feishu", token)] = MockBot(secret=secret)

    def add_dingtalk_bot(self, token: str, secret: str | None = None) -> None:
        self._bots[("dingtalk", token)] = MockBot(secret=secret)

    def add_slack_hook(self, path: str = "/services/T000/B000/XXXXSECRET") -> str:
        self._bots[("slack", path)] = MockBot()
        return f"https://hooks.slack.com{path}"

    def add_webhook(self, name: str, *answers: Answer) -> str:
        self._bots[("webhook", name)] = MockBot()
        self._scripts[name] = list(answers)
        return f"{self.url}/hooks/{name}"

    def fail_next(self, count: int, status: int = 500, body: str = "Internal Server Error") -> None:
        self._fail.extend([Answer.text(status, body)] * count)

    def hang_next(self, count: int, seconds: float = 5.0) -> None:
        self._hang.extend([seconds] * count)

    def queue_answers(self, path: str, *answers: Answer) -> None:
        """The next requests to ``path`` get these answers, in order."""
        with self._lock:
            self._queued.setdefault(path, []).extend(answers)

    def bodies(self, vendor: str) -> list[Any]:
        return [received.body for received in self.accepted[vendor]]

    # ---- WeCom API (企业群发) -------------------------------------------------------------

    def add_wecom_corp(self, corp_id: str, secret: str, users: tuple[str, ...] = ()) -> None:
        self._corps[corp_id] = MockCorp(secret=secret, users=frozenset(users))

    def expire_tokens(self) -> None:
        """Every token issued so far answers 42001 from now on (WeCom may end tokens early)."""
        with self._lock:
            self._tokens = {token: (corp, float("-inf")) for token, (corp, _) in self._tokens.items()}

    def groupmsg(self, msgid: str) -> MockGroupMsg | None:
        return next((task for task in self.groupmsgs if task.msgid == msgid), None)

    def mark_groupmsg(self, msgid: str, status: int, *, chat_id: str | None = None, send_time: int | None = None) -> None:
        """What the owner did: 0 not sent, 1 sent, 2 / 3 failed; for one chat,
        or every chat of the task."""
        with self._lock:
            task = self.groupmsg(msgid)
            assert task is not None, f"no task {msgid}"
            when = send_time if send_time is not None else int(self.clock.time()) if status == 1 else None
            for chat in [chat_id] if chat_id else task.customers or task.chats or [MOCK_CHAT]:
                task.results[chat] = (status, when)

    def token_corp(self, token: str) -> str | Answer:
        """The corp a token belongs to, or WeCom's error for it."""
        if not token:
            return wecom_error(41001, "access_token missing")
        corp, expires = self._tokens.get(token, ("", None))
        if expires is None:
            return wecom_error(40014, "invalid access_token")
        if self.clock.monotonic() >= expires:
            return wecom_error(42001, "access_token expired")
        return corp

    # ---- answering ----------------------------------------------------------------------

    def answer(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            hang = self._hang.pop(0) if self._hang else None
            injected = self._fail.pop(0) if self._fail else None
            queued = self._queued.get(received.path)
            injected = injected or (queued.pop(0) if queued else None)
        if hang is not None:
            self._release.wait(hang)
            return Answer.text(504, "hung")
        if injected is not None:
            return injected
        if self.hostile is not None and received.path not in self.hostile_spared:
            return hostile_answer(self.hostile, received)
        route = ROUTES.get(received.vendor)
        with self._lock:
            answer = route(self, received) if route else Answer.text(404, "Not Found")
            if answer.status == 200 and _is_success(answer) and received.vendor in BOT_VENDORS:
                self._record(received)
        return answer

    def _record(self, received: Received) -> None:
        self.accepted[received.vendor].append(received)
        self._bots[(received.vendor, received.bot)].sent_at.append(self.clock.monotonic())

    def over_limit(self, vendor: str, bot: MockBot) -> bool:
        now = self.clock.monotonic()
        return any(sum(1 for t in bot.sent_at if now - t < seconds) >= limit for limit, seconds in self.windows[vendor])

    def bot(self, vendor: str, name: str) -> MockBot | None:
        return self._bots.get((vendor, name))


def _is_success(answer: Answer) -> bool:
    if answer.body == "ok":
        return True
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("errcode", body.get("code")) == 0


def _utf8(text: Any) -> int:
    return len(str(text).encode("utf-8"))


# ---- WeCom ----------------------------------------------------------------------------------

def wecom_route(mock: MockHooks, r: Received) -> Answer:
    if r.path != "/cgi-bin/webhook/send":
        return Answer.text(404, "Not Found")
    bot = mock.bot("wecom", r.bot)
    if not r.bot:
        return wecom_error(40058, "invalid param 'key'")
    if bot is None:
        return wecom_error(93000, "invalid webhook url")
    if not isinstance(r.body, dict):
        return wecom_error(40035, "invalid parameter")
    if mock.over_limit("wecom", bot):
        return wecom_error(45009, "api freq out of limit")
    return wecom_message(r.body)


def wecom_message(body: dict[str, Any]) -> Answer:
    kind = body.get("msgtype")
    part = body.get(kind) if isinstance(kind, str) else None
    if kind not in {"text", "markdown", "image", "news"} or not isinstance(part, dict):
        return wecom_error(40008, "invalid message type")
    if kind in {"text", "markdown"}:
        limit = 2048 if kind == "text" else 4096
        if "content" not in part:
            return wecom_error(41009, f"missing {kind}.content")
        if _utf8(part["content"]) > limit:
            return wecom_error(40058, f"{kind}.content exceed max length {limit}. Invalid input invalid Request Parameter")
    if kind == "image":
        return wecom_image(part)
    if kind == "news":
        articles = part.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8 or not all("title" in a and "url" in a for a in articles):
            return wecom_error(40058, "news.articles invalid. Invalid input invalid Request Parameter")
    return WECOM_OK


def wecom_image(part: dict[str, Any]) -> Answer:
    try:
        data = base64.b64decode(part.get("base64", ""), validate=True)
    except (binascii.Error, ValueError):
        return wecom_error(40058, "image.base64 invalid. Invalid input invalid Request Parameter")
    if len(data) > 2 * 1024 * 1024:
        return wecom_error(40009, "invalid image size")
    if hashlib.md5(data).hexdigest() != part.get("md5"):
        return wecom_error(301019, "media md5 not match")
    return WECOM_OK


# ---- WeCom API: token, 企业群发 ----------------------------------------------------------------

MOCK_CHAT = "wrMockChat0000000000000000AAAA"


def wecom_api_route(mock: MockHooks, r: Received) -> Answer:
    handler = WECOM_API.get(r.path)
    if handler is None:
        return Answer.text(404, "Not Found")
    wanted = "GET" if r.path == "/cgi-bin/gettoken" else "POST"
    if r.method != wanted:
        return wecom_error(43001 if wanted == "GET" else 43002, f"require {wanted} method")
    if r.path == "/cgi-bin/gettoken":
        return wecom_gettoken(mock, r.query)
    corp = mock.token_corp(r.query.get("access_token", ""))
    if isinstance(corp, Answer):
        return corp
    if not isinstance(r.body, dict):
        return wecom_error(47001, "data format error")
    return handler(mock, corp, r.body)


def wecom_gettoken(mock: MockHooks, query: dict[str, str]) -> Answer:
    corp_id, secret = query.get("corpid", ""), query.get("corpsecret", "")
    if not corp_id:
        return wecom_error(41002, "corpid missing")
    corp = mock._corps.get(corp_id)
    if corp is None:
        return wecom_error(40013, "invalid corpid")
    if not secret:
        return wecom_error(41004, "corpsecret missing")
    if secret != corp.secret:
        return wecom_error(40001, "invalid credential")
    mock.token_fetches += 1
    token = hashlib.sha256(f"{corp_id}:{mock.token_fetches}".encode()).hexdigest()
    mock._tokens[token] = (corp_id, mock.clock.monotonic() + mock.token_lifetime)
    return Answer.json({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": mock.token_lifetime})


def wecom_add_msg_template(mock: MockHooks, corp: str, body: dict[str, Any]) -> Answer:
    chat_type = body.get("chat_type", "single")
    if chat_type == "single":
        return wecom_single_template(mock, corp, body)
    if chat_type != "group":
        return wecom_error(40035, "invalid chat_type")
    sender, users = body.get("sender"), mock._corps[corp].users
    if not isinstance(sender, str) or not sender or (users and sender not in users):
        return wecom_error(40003, "invalid userid")
    chats = body.get("chat_id_list", [])
    if not isinstance(chats, list) or len(chats) > 2000 or not all(isinstance(c, str) and c for c in chats):
        return wecom_error(40035, "invalid chat_id_list")
    problem = wecom_template_content(body)
    if problem:
        return problem
    msgid = f"msgGCAAAXtWyujaWJHDDGi0m{len(mock.groupmsgs) + 1:06d}"
    mock.groupmsgs.append(MockGroupMsg(msgid=msgid, corp=corp, sender=sender, body=body, chats=list(chats)))
    return Answer.json({"errcode": 0, "errmsg": "ok", "fail_list": [], "msgid": msgid})


def wecom_single_template(mock: MockHooks, corp: str, body: dict[str, Any]) -> Answer:
    """A send to customers (chat_type single): ``external_userid`` (at most
    10,000), ``sender`` optional (the mock requires it when it lists users);
    customers it cannot reach come back in ``fail_list``."""
    customers = body.get("external_userid")
    if not isinstance(customers, list) or not customers or len(customers) > 10000 \
            or not all(isinstance(c, str) and c for c in customers):
        return wecom_error(40035, "invalid external_userid")
    if "chat_id_list" in body:
        return wecom_error(40035, "chat_id_list is for group sends")
    sender, users = body.get("sender"), mock._corps[corp].users
    if sender is not None and (not isinstance(sender, str) or not sender or (users and sender not in users)):
        return wecom_error(40003, "invalid userid")
    problem = wecom_template_content(body)
    if problem:
        return problem
    failed = [c for c in customers if c in mock.unreachable]
    reached = [c for c in customers if c not in mock.unreachable]
    if not reached:
        return Answer.json({"errcode": 0, "errmsg": "ok", "fail_list": failed, "msgid": ""})
    msgid = f"msgGCAAAXtWyujaWJHDDGi0m{len(mock.groupmsgs) + 1:06d}"
    task = MockGroupMsg(msgid=msgid, corp=corp, sender=sender or "", body=body, chats=[], customers=reached)
    task.results.update({c: (0, None) for c in reached})  # customer sends list every record, unsent ones too
    mock.groupmsgs.append(task)
    return Answer.json({"errcode": 0, "errmsg": "ok", "fail_list": failed, "msgid": msgid})


def wecom_template_content(body: dict[str, Any]) -> Answer | None:
    text, attachments = body.get("text") or {}, body.get("attachments") or []
    content = text.get("content", "") if isinstance(text, dict) else None
    if content is None or not isinstance(attachments, list):
        return wecom_error(40035, "invalid parameter")
    if not content and not attachments:
        return wecom_error(41086, "text and attachments are both empty")
    if _utf8(content) > 4000:
        return wecom_error(40058, "text.content exceed max length 4000. Invalid input invalid Request Parameter")
    if len(attachments) > 9:
        return wecom_error(40035, "too many attachments (at most 9)")
    for item in attachments:
        problem = wecom_attachment(item)
        if problem is not None:
            return problem
    return None


ATTACHMENT_FIELDS = {"link": ("title", "url"), "miniprogram": ("title", "pic_media_id", "appid", "page"), "image": ()}


def wecom_attachment(item: Any) -> Answer | None:
    """One add_msg_template attachment: a link (title, url; 128/2048/512 bytes),
    a mini-program (title at most 64 bytes, pic_media_id, appid, page) or an
    image (media_id or pic_url)."""
    kind = item.get("msgtype") if isinstance(item, dict) else None
    part = item.get(kind) if kind in ATTACHMENT_FIELDS else None
    if not isinstance(part, dict) or not all(part.get(key) for key in ATTACHMENT_FIELDS[kind]):
        return wecom_error(40035, "invalid attachment")
    if kind == "link" and (not str(part["url"]).startswith("http") or _utf8(part["title"]) > 128
                           or _utf8(part["url"]) > 2048 or _utf8(part.get("desc", "")) > 512):
        return wecom_error(40058, "link field exceed max length. Invalid input invalid Request Parameter")
    if kind == "miniprogram" and _utf8(part["title"]) > 64:
        return wecom_error(40058, "miniprogram.title exceed max length 64")
    if kind == "image" and not (part.get("media_id") or part.get("pic_url")):
        return wecom_error(40035, "image needs media_id or pic_url")
    return None


def wecom_groupmsg_result(mock: MockHooks, corp: str, body: dict[str, Any]) -> Answer:
    msgid, userid = body.get("msgid"), body.get("userid")
    if not msgid or not userid:
        return wecom_error(40035, "msgid and userid are required")
    task = mock.groupmsg(str(msgid))
    if task is None or task.corp != corp:
        return wecom_error(40035, "invalid msgid")
    limit = body.get("limit", 500)
    limit = limit if isinstance(limit, int) and 1 <= limit <= 1000 else 500  # WeCom: default above the max
    limit = min(limit, mock.groupmsg_page_max)
    cursor = str(body.get("cursor") or "0")
    if not cursor.isdigit():
        return wecom_error(40035, "invalid cursor")
    offset = int(cursor)
    # For group sends WeCom lists only the records that were sent (or failed);
    # for sends to customers every record, by external_userid.
    key = "external_userid" if task.customers else "chat_id"
    rows = [{key: chat, "userid": task.sender, "status": status, **({"send_time": when} if status == 1 else {})}
            for chat, (status, when) in task.results.items()
            if (status != 0 or task.customers) and task.sender == userid]
    following = str(offset + limit) if offset + limit < len(rows) else ""
    return Answer.json({"errcode": 0, "errmsg": "ok", "next_cursor": following, "send_list": rows[offset:offset + limit]})


WECOM_API = {
    "/cgi-bin/gettoken": wecom_gettoken,
    "/cgi-bin/externalcontact/add_msg_template": wecom_add_msg_template,
    "/cgi-bin/externalcontact/get_groupmsg_send_result": wecom_groupmsg_result,
}


# ---- Feishu ---------------------------------------------------------------------------------

def feishu_route(mock: MockHooks, r: Received) -> Answer:
    bot = mock.bot("feishu", r.bot)
    if bot is None:
        return feishu_error(19001, "param invalid: incoming webhook access token invalid")
    if not isinstance(r.body, dict) or r.size > 20 * 1024:
        return feishu_error(9499, "Bad Request")
    if bot.secret and not feishu_signature_ok(r.body, bot.secret, mock.clock.time()):
        return feishu_error(19021, "sign match fail or timestamp is not within one hour from current time")
    if mock.over_limit("feishu", bot):
        return feishu_error(11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]")
    return feishu_message(r.body)


def feishu_signature_ok(body: dict[str, Any], secret: str, now: float) -> bool:
    timestamp, sign = str(body.get("timestamp", "")), body.get("sign")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, str(sign))


def feishu_message(body: dict[str, Any]) -> Answer:
    kind, content = body.get("msg_type"), body.get("content")
    shapes_ok = {
        "text": isinstance(content, dict) and isinstance(content.get("text"), str),
        "post": isinstance(content, dict) and isinstance(content.get("post"), dict),
        "interactive": isinstance(body.get("card"), dict),
    }
    if not shapes_ok.get(str(kind), False):
        return feishu_error(9499, "Bad Request")
    return FEISHU_OK


# ---- DingTalk -------------------------------------------------------------------------------

def dingtalk_route(mock: MockHooks, r: Received) -> Answer:
    if r.path != "/robot/send":
        return Answer.text(404, "Not Found")
    if not r.bot:
        return dingtalk_error(40035, "缺少参数 access_token")
    bot = mock.bot("dingtalk", r.bot)
    if bot is None:
        return dingtalk_error(300005, "token is not exist")
    if bot.secret:
        problem = dingtalk_signature_problem(r.query, bot.secret, mock.clock.time())
        if problem:
            return dingtalk_error(310000, problem)
    return dingtalk_paced(mock, bot) or dingtalk_message(r.body)


def dingtalk_signature_problem(query: dict[str, str], secret: str, now: float) -> str | None:
    timestamp = query.get("timestamp", "")
    if not timestamp.isdigit() or abs(now * 1000 - int(timestamp)) > SIGNATURE_WINDOW * 1000:
        return "invalid timestamp"
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode(), query.get("sign", "")):
        return "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
    return None


def dingtalk_paced(mock: MockHooks, bot: MockBot) -> Answer | None:
    now = mock.clock.monotonic()
    if now < bot.blocked_until or mock.over_limit("dingtalk", bot):
        bot.blocked_until = max(bot.blocked_until, now + mock.dingtalk_block_seconds)
        return dingtalk_error(130101, "send too fast, exceed 20 times per minute")
    return None


def dingtalk_message(body: Any) -> Answer:
    if not isinstance(body, dict):
        return dingtalk_error(40035, "缺少参数 json")
    kind = body.get("msgtype")
    required = {"text": ("content",), "markdown": ("title", "text"), "link": ("title", "text", "messageUrl"),
                "feedCard": ("links",)}
    if kind not in required:
        return dingtalk_error(400105, "不支持的消息类型")
    part = body.get(kind)
    if kind == "feedCard" and isinstance(part, dict) and not (
            isinstance(part.get("links"), list) and part["links"]
            and all(isinstance(x, dict) and x.get("title") and x.get("messageURL") and x.get("picURL")
                    for x in part["links"])):
        return dingtalk_error(40035, "缺少参数 feedCard.links")
    if not isinstance(part, dict) or not all(part.get(key) for key in required[kind]):
        return dingtalk_error(40035, f"缺少参数 {kind}")
    return DINGTALK_OK


# ---- Slack and generic hooks ----------------------------------------------------------------

def slack_route(mock: MockHooks, r: Received) -> Answer:
    bot = mock.bot("slack", r.path)
    if bot is None:
        return Answer.text(404, "no_service")
    if not isinstance(r.body, dict):
        return Answer.text(400, "invalid_payload")
    if not r.body.get("text") and not r.body.get("blocks"):
        return Answer.text(400, "no_text")
    if mock.over_limit("slack", bot):
        return Answer.text(429, "rate_limited", **{"Retry-After": "1"})
    return Answer.text(200, "ok")


def webhook_route(mock: MockHooks, r: Received) -> Answer:
    script = mock._scripts.get(r.bot)
    if script is None:
        return Answer.text(404, "Not Found")
    answer = script.pop(0) if script else Answer.json({"id": f"r-{len(mock.accepted['webhook']) + 1}"})
    if 200 <= answer.status < 300:
        mock.accepted["webhook"].append(r)
    return answer


def media_route(mock: MockHooks, r: Received) -> Answer:
    """A picture on a CDN (``mock.media``), with its content type: what
    sopc fetches for ``image "https://..."``."""
    found = mock.media.get(r.path)
    if found is None or r.method != "GET":
        return Answer.text(404, "Not Found")
    data, content_type = found
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    return Answer(200, "", raw=head.encode("ascii") + data)


ROUTES = {"wecom": wecom_route, "feishu": feishu_route, "dingtalk": dingtalk_route, "slack": slack_route,
          "webhook": webhook_route, "wecom-api": wecom_api_route, "media": media_route}
BOT_VENDORS = frozenset({"wecom", "feishu", "dingtalk", "slack"})  # accepted posts count against the bot's rate


# ---- hostile receivers: errors that echo the request ----------------------------------------

HOSTILE_MODES = ("echo", "json-escaped", "html-entities", "percent", "express", "bad-status", "long")
EXCERPT_CUT = 200  # where sopc cuts a reply body short in its error messages


def hostile_answer(mode: str, r: Received) -> Answer:
    """An error answer that quotes the request's URL (and its Authorization
    header, as debugging receivers do), in the way ``mode`` names."""
    url = f"http://{r.headers.get('host', '')}{r.target}"
    echoed = url + (f" with Authorization: {r.headers['authorization']}" if "authorization" in r.headers else "")
    if mode == "echo":
        return Answer.text(400, f"<html><body><h1>400 Bad Request</h1><p>No route for {echoed}</p></body></html>")
    if mode == "json-escaped":  # every other character a JSON \uXXXX escape, so no plain run of 2 is left
        escaped = "".join(f"\\u{ord(c):04x}" if i % 2 or not c.isalnum() else c for i, c in enumerate(echoed))
        body = '{"error":"not_found","url":"' + escaped + '"}'
        return Answer(404, body, {"Content-Type": "application/json; charset=utf-8"})
    if mode == "html-entities":
        entities = "".join(f"&#x{ord(c):x};" if i % 2 else f"&#{ord(c)};" for i, c in enumerate(echoed))
        return Answer.text(400, f"<p>Bad request: {entities}</p>")
    if mode == "percent":
        return Answer.text(400, "bad request: " + "".join(f"%{byte:02X}" for byte in echoed.encode("utf-8")))
    if mode == "express":  # Express's finalhandler: the method and the original URL, HTML-escaped
        page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
                f"</head>\n<body>\n<pre>Cannot {r.method} {html.escape(r.target)}</pre>\n</body>\n</html>\n")
        return Answer.text(404, page)
    if mode == "bad-status":
        return Answer(0, "", raw=f"HTTP/1.1 4O4 Cannot {r.method} {r.target}\r\nContent-Length: 0\r\n\r\n".encode())
    if mode == "long":  # the excerpt's cut falls in the middle of the longest path segment or query value
        head = "<html><body><h1>404 Not Found</h1><p>"
        longest = max([*r.target.partition("?")[0].split("/"), *r.query.values()], key=len)
        middle = len(url) - len(r.target) + r.target.find(longest) + len(longest) // 2
        lead = max(0, EXCERPT_CUT - len(head) - middle)
        return Answer.text(404, head + "." * lead + f"{echoed}</p>" + "<!-- padding -->" * 40 + "</body></html>")
    raise ValueError(f"unknown hostile mode {mode!r}; one of {HOSTILE_MODES}")


# ---- HTTP plumbing --------------------------------------------------------------------------

def classify(path: str, query: dict[str, str]) -> tuple[str, str]:
    """(vendor, bot name) for a request path."""
    if path.startswith("/cgi-bin/webhook/"):
        return "wecom", query.get("key", "")
    if path.startswith("/cgi-bin/"):
        return "wecom-api", query.get("corpid", "")
    if path.startswith("/open-apis/bot/v2/hook/"):
        return "feishu", path.rsplit("/", 1)[-1]
    if path.startswith("/robot/"):
        return "dingtalk", query.get("access_token", "")
    if path.startswith("/services/"):
        return "slack", path
    if path.startswith("/hooks/"):
        return "webhook", path.rsplit("/", 1)[-1]
    if path.startswith("/media/"):
        return "media", path
    return "unknown", ""


def _handler_for(mock: MockHooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self._answer("POST")

        def do_GET(self) -> None:  # noqa: N802
            self._answer("GET")

        def _answer(self, method: str) -> None:
            received = self._received()
            received.method = method
            answer = mock.answer(received)
            received.answer, received.answer_body = answer.status, answer.body
            self._send(answer)

        def _received(self) -> Received:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            try:
                body: Any = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = raw.decode("utf-8", "replace")
            vendor, bot = classify(parts.path, query)
            headers = {key.lower(): value for key, value in self.headers.items()}
            return Received(vendor=vendor, bot=bot, path=parts.path, query=query, headers=headers, body=body,
                            size=len(raw), target=self.path)

        def _send(self, answer: Answer) -> None:
            if answer.raw is not None:
                self.close_connection = True
                try:
                    self.wfile.write(answer.raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            data = answer.body.encode("utf-8")
            try:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out while we hung

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
