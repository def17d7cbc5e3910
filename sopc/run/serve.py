"""``sopc serve``: a small HTTP endpoint where an SCRM reports lifecycle events.

::

    POST /events     Authorization: Bearer <token>, Content-Type: application/json
                     body: one event object, an array of them, or {"events": [...]}
    GET  /healthz    {"ok": true}, no token needed

Answers (always JSON, UTF-8, Chinese unescaped):

- 202 ``{"recorded": n, "ignored": [{"index": i, "reason": "..."}]}``
- 400 malformed JSON or body (``{"error", "detail"}``, the detail with its position),
  401 missing or wrong token (``WWW-Authenticate: Bearer``), 404 unknown path,
  405 wrong method (``Allow``), 408 body too slow, 411 no Content-Length,
  413 body over the limit (not read), 415 not application/json,
- 422 ``{"error", "rejected": [{"index", "message"}]}``: some event is invalid,
  and nothing of that request was recorded (all or nothing).

It is stdlib only (``http.server``), binds 127.0.0.1 unless told otherwise (put
a TLS-terminating proxy in front to expose it), never logs or echoes the token
and logs one line per request: ``METHOD PATH STATUS RECORDED``. After events
are recorded it wakes a running ``sopc run`` (``notify_runner``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Collection, Mapping
from urllib.parse import urlsplit

from sopc.core.clock import Clock, SystemClock
from sopc.events.intake import IntakeResult, parse_records, record

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY = 64 * 1024
TOKEN_ENV = "SOPC_SERVE_TOKEN"
SHORT_TOKEN = 16            # a token shorter than this gets a warning
REQUEST_TIMEOUT = 15.0      # seconds a client may take to send its request
KEEP_ALIVE = 5.0            # seconds an idle kept-alive connection waits for its next request
BODY_SHAPE = 'the body must be a JSON object (one event), an array of events, or {"events": [...]}'

Log = Callable[[str], None]


class ServeError(RuntimeError):
    """``sopc serve`` cannot start: the message says why, for the user."""


class EventServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its store, roster, zone and token.

    Request threads are not daemons and ``server_close`` waits for them, so a
    stop lets the requests in flight finish (each is bounded by REQUEST_TIMEOUT;
    an idle kept-alive connection by KEEP_ALIVE, and none is kept after a stop).
    """

    daemon_threads = False
    block_on_close = True
    stages = None  # the project's stage names, once run_server sets them: a group.stage event names one

    def __init__(self, address, *, store, zone, roster_ids, token: str, max_body: int, clock: Clock,
                 on_recorded: Callable[[], Any] | None, log: Log | None):
        self.store = store
        self.zone = zone
        self.roster_ids = roster_ids
        self.token = token.encode("utf-8")
        self.max_body = max_body
        self.clock = clock
        self.on_recorded = on_recorded
        self.log = log
        self.store_lock = threading.Lock()  # one sqlite3 connection, shared by the request threads
        self.stopping = False
        super().__init__(address, EventHandler)

    def shutdown(self) -> None:
        self.stopping = True  # connections close after their current request
        super().shutdown()

    def write_log(self, line: str) -> None:
        if self.log is not None:
            try:
                self.log(line)
            except Exception:  # a broken log must not break a request
                pass


def build_server(*, store, zone, roster_ids: Mapping | Collection[str] | None, token: str,
                 host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, max_body: int = DEFAULT_MAX_BODY,
                 clock: Clock | None = None, on_recorded: Callable[[], Any] | None = None,
                 log: Log | None = None) -> EventServer:
    """A bound (not yet serving) server; ``port=0`` picks a free port
    (``server.server_address[1]``). ``on_recorded`` runs after each request
    that recorded at least one event. Raises ValueError for an empty token and
    OSError when the address cannot be bound."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError("sopc serve needs a non-empty token")
    if max_body <= 0:
        raise ValueError("max_body must be positive")
    return EventServer((host, port), store=store, zone=zone, roster_ids=roster_ids, token=token.strip(),
                       max_body=max_body, clock=clock or SystemClock(), on_recorded=on_recorded, log=log)


def serve_forever(server: EventServer, log: Log | None = print) -> None:
    """Serve in this thread until KeyboardInterrupt (or ``server.shutdown()``
    from another thread), then close the server."""
    if log is not None:
        server.log = log
    server.write_log(f"sopc serve: listening on {url_of(server)} (POST /events, GET /healthz)")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping = True      # kept-alive connections close instead of waiting
        server.server_close()       # the requests in flight finish


def url_of(server: EventServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"


def run_server(project_dir: Path, state: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               token_env: str = TOKEN_ENV, max_body: int = DEFAULT_MAX_BODY, log: Log = print, *,
               clock: Clock | None = None, stop: threading.Event | None = None) -> None:
    """What ``sopc serve`` does: load the project, read the token from
    ``token_env``, open the state store, serve until SIGTERM / Ctrl-C (or
    ``stop`` is set), waking the runner after each recorded request.

    Raises ServeError (a message for the user) when the token is missing,
    the project has errors, or the address cannot be bound."""
    from sopc.pipeline import build
    from sopc.run.runlock import notify_runner
    from sopc.run.store import SQLiteStore

    token = os.environ.get(token_env, "").strip()
    if not token:
        raise ServeError(f"the environment variable {token_env} is not set (or empty): set it to the token the "
                         f"SCRM must send as `Authorization: Bearer <token>`, e.g. "
                         f"`export {token_env}=$(openssl rand -hex 32)`; sopc serve has no default token")
    project_dir = Path(project_dir)
    if not project_dir.exists():
        raise ServeError(f"no project at {project_dir}: give the folder that holds sopc.toml")
    result = build([project_dir])
    if result.failed:
        errors = [d for d in result.diagnostics if d.is_error]
        first = errors[0]
        where = f"{first.span.path}:{first.span.line}: " if getattr(first, "span", None) else ""
        raise ServeError(f"the project in {project_dir} has {len(errors)} error{'s' * (len(errors) != 1)} "
                         f"(first: {where}{first.message}); run `sopc check {project_dir}` and fix them first")
    if len(token) < SHORT_TOKEN:
        log(f"sopc serve: warning: the token in {token_env} is shorter than {SHORT_TOKEN} characters; "
            "use a long random one")
    state = Path(state)
    store = SQLiteStore(state)

    def wake() -> None:
        notify_runner(state)

    try:
        try:
            server = build_server(store=store, zone=result.zone, roster_ids=frozenset(result.project.roster.by_id),
                                  token=token, host=host, port=port, max_body=max_body, clock=clock,
                                  on_recorded=wake, log=log)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        stages = result.program.stages
        server.stages = tuple(rule.name.value for rule in stages.rules) if stages else ()
        _serve_until_stopped(server, stop or threading.Event())
    finally:
        store.close()


def _serve_until_stopped(server: EventServer, stop: threading.Event) -> None:
    """serve_forever in a worker thread, the waiting here: ``shutdown()`` must
    not be called from the thread running serve_forever (it would wait for
    itself), and a signal handler may only set a flag."""
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5},
                              name="sopc-serve", daemon=True)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    server.write_log(f"sopc serve: listening on {url_of(server)} (POST /events, GET /healthz)")
    worker.start()
    try:
        while not stop.wait(0.5) and worker.is_alive():
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.shutdown()           # the loop in the worker ends...
        worker.join()
        server.server_close()       # ...and the requests in flight finish
        server.write_log("sopc serve: stopped")


# ---- one request ------------------------------------------------------------------------------

class _Answer(Exception):
    """Stop handling the request and answer this."""

    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None, *, close: bool = False):
        super().__init__(status)
        self.status, self.body, self.headers, self.close = status, body, headers or {}, close


class EventHandler(BaseHTTPRequestHandler):
    server: EventServer
    protocol_version = "HTTP/1.1"
    server_version = "sopc-serve"
    sys_version = ""
    timeout = REQUEST_TIMEOUT
    routes = {"/events": ("POST",), "/healthz": ("GET",)}

    recorded = 0

    def handle(self) -> None:
        """http.server's keep-alive loop, with a shorter wait between requests
        and none once the server is stopping."""
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection and not self.server.stopping:
            self.connection.settimeout(KEEP_ALIVE)
            self.handle_one_request()

    def parse_request(self) -> bool:
        self.connection.settimeout(self.timeout)  # the request line is in: the rest gets the full time
        self.recorded = 0
        return super().parse_request()

    # every method lands in _dispatch
    def do_GET(self): self._dispatch()
    def do_POST(self): self._dispatch()
    def do_PUT(self): self._dispatch()
    def do_PATCH(self): self._dispatch()
    def do_DELETE(self): self._dispatch()
    def do_HEAD(self): self._dispatch()
    def do_OPTIONS(self): self._dispatch()

    def _dispatch(self) -> None:
        try:
            self._route()
            if self.command == "GET":
                raise _Answer(200, {"ok": True}, close=self._unread_body())
            self._events()
        except _Answer as answer:
            self._answer(answer)

    def _route(self) -> None:
        path = self._path()
        allowed = self.routes.get(path)
        if allowed is None:
            raise _Answer(404, {"error": "no such path; send events to POST /events"}, close=self._unread_body())
        if self.command not in allowed:
            raise _Answer(405, {"error": f"{self.command} is not allowed here; use {', '.join(allowed)}"},
                          {"Allow": ", ".join(allowed)}, close=self._unread_body())

    def handle_expect_100(self) -> bool:
        """``Expect: 100-continue``: refuse before the client sends the body."""
        try:
            self._route()
            if self._path() == "/events":
                self._before_body()
        except _Answer as answer:
            answer.close = True
            self._answer(answer)
            return False
        return super().handle_expect_100()

    # ---- POST /events ----------------------------------------------------------------

    def _before_body(self) -> int:
        """Auth, Content-Type, Content-Length: everything checked before reading a byte of the body."""
        self._authorize()
        self._content_type()
        return self._content_length()

    def _authorize(self) -> None:
        header = self.headers.get("Authorization")
        challenge = {"WWW-Authenticate": 'Bearer realm="sopc"'}
        if not header:
            raise _Answer(401, {"error": "missing `Authorization: Bearer <token>` header"}, challenge,
                          close=self._unread_body())
        scheme, _, given = header.strip().partition(" ")
        given_bytes = given.strip().encode("latin-1", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given_bytes, self.server.token):
            raise _Answer(401, {"error": "wrong token in the `Authorization: Bearer <token>` header"},
                          {"WWW-Authenticate": 'Bearer realm="sopc", error="invalid_token"'},
                          close=self._unread_body())

    def _content_type(self) -> None:
        header = self.headers.get("Content-Type") or ""
        media, *params = [p.strip() for p in header.split(";")]
        charset = next((value.strip().strip('"').lower() for name, sep, value in (p.partition("=") for p in params)
                        if sep and name.strip().lower() == "charset"), "utf-8")
        if media.lower() != "application/json":
            raise _Answer(415, {"error": "Content-Type must be application/json",
                                "detail": f"got {header[:100]!r}" if header else "no Content-Type header"},
                          close=self._unread_body())
        if charset not in ("utf-8", "utf8"):
            raise _Answer(415, {"error": "the body must be UTF-8 (Content-Type: application/json; charset=utf-8)",
                                "detail": f"got charset {charset[:40]!r}"}, close=self._unread_body())

    def _content_length(self) -> int:
        values = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding"):
            raise _Answer(411, {"error": "a Content-Length header is required",
                                "detail": "Transfer-Encoding bodies are not accepted"}, close=True)
        if not values:
            raise _Answer(411, {"error": "a Content-Length header is required"}, close=True)
        if len(set(v.strip() for v in values)) > 1 or not values[0].strip().isdigit():
            raise _Answer(400, {"error": "the Content-Length header is not a number"}, close=True)
        length = int(values[0].strip())
        if length > self.server.max_body:
            raise _Answer(413, {"error": f"the body is {length} bytes; at most {self.server.max_body}",
                                "detail": "send fewer events per request"}, close=True)
        return length

    def _events(self) -> None:
        length = self._before_body()
        body = self._read(length)
        records = self._decode(body)
        now = self.server.clock.now()
        result = parse_records(records, zone=self.server.zone, now=now, roster_ids=self.server.roster_ids,
                               stages=self.server.stages)
        if result.rejected:
            bad = len({r.index for r in result.rejected})
            raise _Answer(422, {"error": f"{bad} of {len(records)} event{'s' * (len(records) != 1)} "
                                         f"{'is' if bad == 1 else 'are'} invalid; nothing was recorded",
                                "rejected": [{"index": r.index, "message": r.message} for r in result.rejected]})
        self._record(result, now)
        raise _Answer(202, {"recorded": len(result.recorded),
                            "ignored": [{"index": i, "reason": reason} for i, reason in result.ignored]})

    def _read(self, length: int) -> bytes:
        try:
            body = self.rfile.read(length)
        except (TimeoutError, socket.timeout):
            raise _Answer(408, {"error": f"the body did not arrive within {REQUEST_TIMEOUT:g}s"}, close=True) from None
        if len(body) < length:
            raise _Answer(400, {"error": "the body is shorter than its Content-Length"}, close=True)
        return body

    @staticmethod
    def _decode(body: bytes) -> list:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Answer(400, {"error": "the body is not UTF-8",
                                "detail": f"byte {exc.object[exc.start]:#04x} at offset {exc.start}: {exc.reason}"}
                          ) from None
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise _Answer(400, {"error": "the body is not valid JSON",
                                "detail": f"line {exc.lineno} column {exc.colno}: {exc.msg}"}) from None
        except _BadConstant as exc:
            raise _Answer(400, {"error": "the body is not valid JSON",
                                "detail": f"`{exc.args[0]}` is not a JSON value (use a number or null)"}) from None
        except RecursionError:
            raise _Answer(400, {"error": "the body is not valid JSON", "detail": "nested too deeply"}) from None
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and "events" in value:
            extra = sorted(k for k in value if k != "events")
            if extra:
                raise _Answer(400, {"error": BODY_SHAPE, "detail": f"unexpected key {extra[0]!r} beside \"events\""})
            if not isinstance(value["events"], list):
                raise _Answer(400, {"error": BODY_SHAPE, "detail": "\"events\" must be an array"})
            return value["events"]
        if isinstance(value, dict):
            return [value]
        raise _Answer(400, {"error": BODY_SHAPE, "detail": f"got a JSON {type(value).__name__}"})

    def _record(self, result: IntakeResult, now: dt.datetime) -> None:
        if not result.recorded:
            return
        try:
            with self.server.store_lock:
                record(self.server.store, result, now)
        except Exception as exc:  # the store (disk full, locked too long): the SCRM should retry
            self.server.write_log(f"sopc serve: cannot record events: {type(exc).__name__}: {exc}")
            raise _Answer(503, {"error": "could not record the events; try again"},
                          {"Retry-After": "5"}) from None
        self.recorded = len(result.recorded)
        if self.server.on_recorded is not None:
            try:
                self.server.on_recorded()
            except Exception as exc:  # waking the runner is best effort
                self.server.write_log(f"sopc serve: could not wake the runner: {type(exc).__name__}")

    # ---- answering --------------------------------------------------------------------

    def _path(self) -> str:
        return urlsplit(getattr(self, "path", None) or "").path

    def _unread_body(self) -> bool:
        """True when the request has a body we are not going to read: the
        connection must then close (its bytes are not a next request)."""
        length = (self.headers.get("Content-Length") or "").strip()
        return bool(self.headers.get("Transfer-Encoding")) or (length not in ("", "0"))

    def _answer(self, answer: _Answer) -> None:
        payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        if answer.close or self.server.stopping:
            self.close_connection = True
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self._log_line(answer.status)  # before the answer leaves: a client that has it sees the line logged
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()
        if answer.close:
            self._linger()

    def _linger(self) -> None:
        """Half-close and discard what the client still sends for a moment, so
        it reads our answer instead of a connection reset. Bounded in time and
        bytes; nothing is kept."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(1.0)
            budget = 4 * self.server.max_body + 65536
            while budget > 0:
                chunk = self.connection.recv(min(65536, budget))
                if not chunk:
                    break
                budget -= len(chunk)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a bad request line, headers too long,
        unknown methods) as JSON too."""
        self.close_connection = True
        status, headers = code, {}
        if code == 501:  # a method http.server has no do_ for
            allowed = self.routes.get(self._path())
            status = 405 if allowed else 404
            headers = {"Allow": ", ".join(allowed)} if allowed else {}
            message = f"{self.command} is not allowed here; use {', '.join(allowed)}" if allowed else "no such path"
        try:
            self._answer(_Answer(status, {"error": message or self.responses.get(code, ("error",))[0]}, headers))
        except OSError:
            pass

    def _log_line(self, status: int) -> None:
        method = _printable(getattr(self, "command", None) or "-", 16)
        path = _printable(self._path() or "-", 200)  # never the query string
        self.server.write_log(f"{method} {path} {status} {self.recorded}")

    # http.server's own stderr logging: replaced by _log_line
    def log_request(self, code="-", size="-") -> None:
        pass

    def log_message(self, format: str, *args) -> None:
        pass


class _BadConstant(ValueError):
    pass


def _no_constant(name: str):
    raise _BadConstant(name)


def _printable(text: str, limit: int) -> str:
    clean = "".join(c if c.isprintable() and not c.isspace() else "?" for c in text)
    return clean[:limit] + ("..." if len(clean) > limit else "")
