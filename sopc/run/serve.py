"""``sopc serve``: a small HTTP endpoint where an SCRM reports lifecycle events.

::

    POST /events     Authorization: Bearer <token>, Content-Type: application/json
                     body: one event object, an array of them, or {"events": [...]}
                     optional: an "id" in each event, an Idempotency-Key header
    GET  /healthz    {"ok": true}, no token needed

Answers (always JSON, UTF-8, Chinese unescaped):

- 202 ``{"recorded": n, "ignored": [{"index": i, "reason": "..."}]}``
- 400 malformed JSON or body (``{"error", "detail"}``, the detail with its position),
  401 missing or wrong token (``WWW-Authenticate: Bearer``), 404 unknown path,
  405 wrong method (``Allow``), 408 request too slow, 411 no Content-Length,
  413 body over the limit (not read), 415 not application/json,
- 422 ``{"error", "rejected": [{"index", "message"}]}``: some event is invalid,
  and nothing of that request was recorded (all or nothing),
- 503 the store failed (``Retry-After``): send again.

Sent again, nothing is recorded twice: an event with an ``id`` is recorded
once (a repeat answers as if it were recorded, and must say the same), and a
request with an ``Idempotency-Key`` gets the answer it got the first time
(``Idempotent-Replayed: true``). A request is one transaction: its events are
recorded all or none, also when the process is killed half-way.

Limits: a request must arrive whole (headers and body) within
``REQUEST_TIMEOUT`` of its first byte, a kept-alive connection may be quiet
for ``KEEP_ALIVE`` between requests, and at most ``max_connections`` are open
at once (the next ones wait in the kernel's listen queue until one closes).

It runs on aiohttp's low-level server in one thread with an asyncio loop; a
second thread writes to the store, gathering the requests that wait into one
transaction, so a slow disk never blocks the loop. It binds 127.0.0.1 unless
told otherwise (put a TLS-terminating proxy in front to expose it), never logs
or echoes the token and logs one line per request: ``METHOD PATH STATUS
RECORDED`` (RECORDED: events newly recorded; STATUS 499: the client hung up
before its answer, nothing recorded). After events are recorded it wakes a
running ``sopc run`` (``notify_runner``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import queue
import signal
import socket
import threading
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

from aiohttp import web

from sopc.core.clock import Clock, SystemClock
from sopc.core.i18n import _, ngettext
from sopc.events.intake import parse_records
from sopc.run.store import Batch, BatchResult

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY = 64 * 1024
TOKEN_ENV = "SOPC_SERVE_TOKEN"
SHORT_TOKEN = 16            # a token shorter than this gets a warning
REQUEST_TIMEOUT = 15.0      # seconds from a request's first byte to its last (headers and body)
KEEP_ALIVE = 5.0            # seconds an idle kept-alive connection waits for its next request
MAX_CONNECTIONS = 1000      # open at once; the next ones wait in the kernel's queue until one closes
BACKLOG = 4096              # connections the kernel queues for us (it caps this at net.core.somaxconn)
MAX_KEY = 256               # characters of an Idempotency-Key
GROUP_EVENTS = 5000         # the writer records at most about this many events in one transaction
LINGER = 1.0                # seconds a closing connection may still send what we will not read
SWEEP = 0.25                # seconds between two looks for connections out of time
BODY_SHAPE = 'the body must be a JSON object (one event), an array of events, or {"events": [...]}'
JSON = "application/json; charset=utf-8"
ROUTES = {"/events": ("POST",), "/healthz": ("GET",)}

Log = Callable[[str], None]


class ServeError(RuntimeError):
    """``sopc serve`` cannot start: the message says why, for the user."""


class EventServer:
    """The bound server: its socket, store, roster, zone and token.

    ``serve_forever`` runs the asyncio loop in the calling thread until
    ``shutdown()`` (from another thread); a stop lets the requests in flight
    finish (each bounded by ``request_timeout`` to arrive) and closes idle
    kept-alive connections at once."""

    def __init__(self, sock: socket.socket, *, store, zone, roster_ids, stages, token: str, max_body: int,
                 clock: Clock, on_recorded: Callable[[], Any] | None, log: Log | None,
                 request_timeout: float, keep_alive: float, max_connections: int):
        self.socket = sock
        self.server_address = sock.getsockname()
        self.store = store
        self.zone = zone
        self.roster_ids = roster_ids
        self.stages = stages
        self.token = token.encode("utf-8")
        self.max_body = max_body
        self.clock = clock
        self.on_recorded = on_recorded
        self.log = log
        self.request_timeout = request_timeout
        self.keep_alive = keep_alive
        self.max_connections = max_connections
        self.connections: dict[asyncio.BaseTransport, _Connection] = {}
        self.stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._serving = threading.Event()
        self._done = threading.Event()
        self._last_full_note = float("-inf")

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve in this thread until ``shutdown()`` is called from another."""
        self._done.clear()
        try:
            asyncio.run(self._serve(poll_interval))
        finally:
            self._serving.clear()
            self._done.set()

    def shutdown(self) -> None:
        """Stop ``serve_forever`` and wait until it has ended (the requests
        in flight answered)."""
        self.stopping = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has just ended
                pass
        if self._serving.is_set():
            self._done.wait()

    def server_close(self) -> None:
        self.socket.close()

    def write_log(self, line: str) -> None:
        if self.log is not None:
            try:
                self.log(line)
            except Exception:  # a broken log must not break a request
                pass

    async def _serve(self, poll_interval: float) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._loop = loop
        writer = self.writer = _Writer(self, loop)
        self.http = web.Server(self._handle, loop=loop)  # keeps the connections, for a graceful stop
        self._room = asyncio.Semaphore(self.max_connections)
        self.socket.setblocking(False)
        listener = asyncio.create_task(self._accept())
        sweep = asyncio.create_task(self._sweep())
        self._serving.set()
        try:
            while not self.stopping:
                try:
                    await asyncio.wait_for(self._wake.wait(), poll_interval)
                except TimeoutError:
                    pass
        finally:
            self.stopping = True
            sweep.cancel()
            listener.cancel()                                 # no new connections
            for protocol in self.http.connections:
                protocol.close()                              # idle ones at once, busy ones after their answer
            await self.http.shutdown(self.request_timeout)    # the requests in flight finish
            for connection in list(self.connections.values()):
                connection.close()
            writer.stop()                                     # every batch handed to it is written
            self._loop = None

    async def _sweep(self) -> None:
        """Every SWEEP seconds, close the connections that ran out of time."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP)
            now = loop.time()
            for connection in list(self.connections.values()):
                connection.check(now)

    async def _accept(self) -> None:
        """Take connections while fewer than max_connections are open; above
        that the next ones wait in the kernel's queue (a client sees a slow
        answer, not an error to retry, which under a burst would only add
        load). A slot frees when a connection closes."""
        loop = asyncio.get_running_loop()
        while True:
            if self._room.locked():
                self._note_full(loop.time())
            await self._room.acquire()
            try:
                conn, _address = await loop.sock_accept(self.socket)
            except OSError as exc:  # out of file descriptors, say: wait, then try again
                self._room.release()
                self.write_log(f"sopc serve: cannot accept a connection: {exc.strerror or exc}")
                await asyncio.sleep(0.5)
                continue
            try:
                await loop.connect_accepted_socket(lambda: _Connection(self), conn)
            except OSError:  # the client left at once
                conn.close()
                self._room.release()

    # ---- one request ------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        connection = self.connections.get(request.transport)
        deadline = connection.begin() if connection else asyncio.get_running_loop().time() + self.request_timeout
        exchange = _Exchange(request, deadline)
        try:
            answer = await self._answer(exchange)
        except _Answer as given:
            answer = given
        except Exception as exc:  # a bug: answer it, never a traceback to the client
            self.write_log(f"sopc serve: internal error: {type(exc).__name__}: {exc}")
            answer = _Answer(500, {"error": "internal error; nothing of this request was recorded"}, close=True)
        finally:
            if connection is not None:
                connection.end()
        self._log_line(request.method, request.path, answer.status, exchange.recorded)
        return _response(answer, self.stopping)

    async def _answer(self, exchange: _Exchange) -> _Answer:
        request = exchange.request
        _route(request)
        if request.method == "GET":
            return _Answer(200, {"ok": True}, close=_unread_body(request))
        return await self._events(exchange)

    async def _events(self, exchange: _Exchange) -> _Answer:
        request = exchange.request
        self._authorize(request)
        _content_type(request)
        length = self._content_length(request)
        key = _idempotency_key(request)
        records = _decode(await self._read(exchange, length))
        result = parse_records(records, zone=self.zone, now=self.clock.now(), roster_ids=self.roster_ids,
                               stages=self.stages)
        if result.rejected:
            bad = len({r.index for r in result.rejected})
            raise _Answer(422, {"error": f"{bad} of {len(records)} event{'s' * (len(records) != 1)} "
                                         f"{'is' if bad == 1 else 'are'} invalid; nothing was recorded",
                                "rejected": [{"index": r.index, "message": r.message} for r in result.rejected]})
        answer = {"recorded": len(result.recorded),
                  "ignored": [{"index": i, "reason": reason} for i, reason in result.ignored]}
        if not result.recorded:
            return _Answer(202, answer)
        indexes = _recorded_indexes(records, result)
        ids = [records[i].get("id") for i in indexes]
        batch = Batch(events=result.recorded, ids=ids,
                      digests=[_digest(records[i]) if ids[n] is not None else "" for n, i in enumerate(indexes)],
                      key=key, key_digest=_digest(records) if key is not None else "",
                      answer=json.dumps(answer, ensure_ascii=False) if key is not None else "")
        done = await self.writer.record(batch, request.transport)
        if done is GONE:  # no one to answer: 499 in the log only, as for a body that never came
            raise _Answer(499, {"error": "the client hung up before its events were recorded"}, close=True)
        if isinstance(done, Exception):  # the store (disk full, locked too long): the SCRM should retry
            raise _Answer(503, {"error": "could not record the events; try again"}, {"Retry-After": "5"})
        return _settled(done, answer, batch, indexes, len(records), exchange)

    def _authorize(self, request: web.BaseRequest) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise _Answer(401, {"error": "missing `Authorization: Bearer <token>` header"},
                          {"WWW-Authenticate": 'Bearer realm="sopc"'}, close=_unread_body(request))
        scheme, _space, given = header.strip().partition(" ")
        given_bytes = given.strip().encode("utf-8", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given_bytes, self.token):
            raise _Answer(401, {"error": "wrong token in the `Authorization: Bearer <token>` header"},
                          {"WWW-Authenticate": 'Bearer realm="sopc", error="invalid_token"'},
                          close=_unread_body(request))

    def _content_length(self, request: web.BaseRequest) -> int:
        values = request.headers.getall("Content-Length", [])
        if request.headers.get("Transfer-Encoding"):
            raise _Answer(411, {"error": "a Content-Length header is required",
                                "detail": "Transfer-Encoding bodies are not accepted"}, close=True)
        if not values:
            raise _Answer(411, {"error": "a Content-Length header is required"}, close=True)
        if len(set(v.strip() for v in values)) > 1 or not values[0].strip().isdigit():
            raise _Answer(400, {"error": "the Content-Length header is not a number"}, close=True)
        length = int(values[0].strip())
        if length > self.max_body:
            raise _Answer(413, {"error": f"the body is {length} bytes; at most {self.max_body}",
                                "detail": "send fewer events per request"}, close=True)
        return length

    async def _read(self, exchange: _Exchange, length: int) -> bytes:
        """The body, by the request's deadline; ``Expect: 100-continue`` is
        answered only now, after every check that needs no body."""
        request = exchange.request
        if request.headers.get("Expect", "").lower() == "100-continue" and request.version >= (1, 1):
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            if request.content.is_eof():  # all of it is in already (the usual case): no timer needed
                body = request.content.read_nowait()
                if len(body) < length:
                    raise asyncio.IncompleteReadError(body, length)
                return body
            async with asyncio.timeout_at(exchange.deadline):
                return await request.content.readexactly(length)
        except TimeoutError:
            raise _Answer(408, {"error": f"the request did not arrive within {self.request_timeout:g}s"},
                          close=True) from None
        except asyncio.IncompleteReadError:
            raise _Answer(400, {"error": "the body is shorter than its Content-Length"}, close=True) from None
        except ConnectionError:  # the client closed the connection: no one to answer; 499 in the log only
            raise _Answer(499, {"error": "the connection closed before the body arrived"}, close=True) from None

    def _log_line(self, method: str, path: str, status: int, recorded: int) -> None:
        self.write_log(f"{_printable(method or '-', 16)} {_printable(path or '-', 200)} {status} {recorded}")

    # ---- the connection cap ------------------------------------------------------------

    def _note_full(self, now: float) -> None:
        """One log line per 10 s while the connections are at the cap, not one per connection."""
        if now - self._last_full_note >= 10:
            self._last_full_note = now
            self.write_log(f"sopc serve: {len(self.connections)} connections open, the most allowed "
                           f"(--max-connections): new ones wait")

    def wake_runner(self) -> None:
        if self.on_recorded is None:
            return
        try:
            self.on_recorded()
        except Exception as exc:  # waking the runner is best effort
            self.write_log(f"sopc serve: could not wake the runner: {type(exc).__name__}")


def build_server(*, store, zone, roster_ids: Mapping | Collection[str] | None, token: str,
                 host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, max_body: int = DEFAULT_MAX_BODY,
                 clock: Clock | None = None, on_recorded: Callable[[], Any] | None = None,
                 log: Log | None = None, stages: Collection[str] | None = None,
                 request_timeout: float = REQUEST_TIMEOUT, keep_alive: float = KEEP_ALIVE,
                 max_connections: int = MAX_CONNECTIONS) -> EventServer:
    """A bound (not yet serving) server; ``port=0`` picks a free port
    (``server.server_address[1]``). ``on_recorded`` runs after each
    transaction that recorded at least one event, before its requests are
    answered. ``stages``: the project's stage names (None: any). Raises
    ValueError for an empty token and OSError when the address cannot be
    bound."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError("sopc serve needs a non-empty token")
    if max_body <= 0:
        raise ValueError("max_body must be positive")
    if max_connections <= 0:
        raise ValueError("max_connections must be positive")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    return EventServer(sock, store=store, zone=zone, roster_ids=roster_ids, stages=stages, token=token.strip(),
                       max_body=max_body, clock=clock or SystemClock(), on_recorded=on_recorded, log=log,
                       request_timeout=request_timeout, keep_alive=keep_alive, max_connections=max_connections)


def serve_forever(server: EventServer, log: Log | None = print) -> None:
    """Serve in this thread until KeyboardInterrupt (or ``server.shutdown()``
    from another thread), then close the server."""
    if log is not None:
        server.log = log
    server.write_log(_("sopc serve: listening on {url} (POST /events, GET /healthz)").format(url=url_of(server)))
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping = True
        server.server_close()


def url_of(server: EventServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"


def run_server(project_dir: Path, state: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               token_env: str = TOKEN_ENV, max_body: int = DEFAULT_MAX_BODY, log: Log = print, *,
               max_connections: int = MAX_CONNECTIONS, clock: Clock | None = None,
               stop: threading.Event | None = None) -> None:
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
        raise ServeError(ngettext("the project in {folder} has {count} error (first: {first}); "
                                  "run `sopc check {folder}` and fix them first",
                                  "the project in {folder} has {count} errors (first: {first}); "
                                  "run `sopc check {folder}` and fix them first", len(errors)).format(
            folder=project_dir, count=len(errors), first=f"{where}{first.message}"))
    if len(token) < SHORT_TOKEN:
        log(_("sopc serve: warning: the token in {variable} is shorter than {count} characters; "
              "use a long random one").format(variable=token_env, count=SHORT_TOKEN))
    state = Path(state)
    store = SQLiteStore(state)

    def wake() -> None:
        notify_runner(state)

    try:
        try:
            server = build_server(store=store, zone=result.zone, roster_ids=frozenset(result.project.roster.by_id),
                                  stages=_stage_names(result.program), token=token, host=host, port=port,
                                  max_body=max_body, clock=clock, on_recorded=wake, log=log,
                                  max_connections=max_connections)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        _serve_until_stopped(server, stop or threading.Event())
    finally:
        store.close()


def _stage_names(program) -> tuple[str, ...]:
    """The stages the project's `stages` block declares (a group.stage event must name one)."""
    return tuple(rule.name.value for rule in program.stages.rules) if program.stages else ()


def _serve_until_stopped(server: EventServer, stop: threading.Event) -> None:
    """serve_forever in a worker thread, the waiting here: a signal handler
    may only set a flag, and it runs in the main thread."""
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5},
                              name="sopc-serve", daemon=True)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_signal: stop.set())
    server.write_log(_("sopc serve: listening on {url} (POST /events, GET /healthz)").format(url=url_of(server)))
    worker.start()
    try:
        while not stop.wait(0.5) and worker.is_alive():
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.shutdown()           # the loop in the worker ends, the requests in flight answered
        worker.join()
        server.server_close()
        server.write_log(_("sopc serve: stopped"))


# ---- the connection: the cap and the clocks --------------------------------------------------

class _Protocol(web.RequestHandler):
    """aiohttp's HTTP protocol, answering its own refusals (a bad request
    line, headers too long) as JSON, with our log line and no traceback."""

    def __init__(self, server: EventServer):
        # keepalive_timeout: a backstop only. aiohttp counts it from the connection's
        # start or last answer and cuts a request whose headers are still coming,
        # without a word; _Connection gives each request its full time from its
        # first byte, and closes a quiet connection itself.
        # auto_decompress off: a gzip bomb stays the size its Content-Length says.
        super().__init__(server.http, loop=asyncio.get_running_loop(), access_log=None, auto_decompress=False,
                         keepalive_timeout=server.keep_alive + server.request_timeout + 1, lingering_time=LINGER)
        self.sopc = server

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:  # an answer is already on its way: nothing to add
            raise ConnectionError("the answer was sent already")
        text = "the request is not valid HTTP" if status == 400 else "the request could not be handled"
        detail = {"detail": _printable(str(message), 200)} if message and status == 400 else {}
        self.sopc._log_line("-", "-", status, 0)
        return _response(_Answer(status, {"error": text, **detail}, close=True), True)


class _Connection(asyncio.Protocol):
    """One client connection, in front of aiohttp's protocol. It holds each
    request to its time, which aiohttp does not bound: ``request_timeout``
    from the first byte of a request to its last (headers and body),
    ``keep_alive`` of quiet between requests, and frees its place under the
    connection cap when it closes. The handler tells it when a request starts
    (``begin``: from then on the handler keeps the deadline and can answer
    408) and ends (``end``); the server's sweep (``check``, every
    ``SWEEP`` seconds) enforces the rest, so a request costs no timer."""

    def __init__(self, server: EventServer):
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.http: _Protocol | None = None   # set in connection_made
        self.transport: asyncio.Transport | None = None
        self.deadline: float | None = None    # loop time by which the request being received must be in
        self.quiet_until = 0.0                # loop time by which an idle connection must start a request
        self.busy = False                      # a handler runs: it keeps the deadline

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.server.connections[transport] = self
        self.http = _Protocol(self.server)
        self.http.connection_made(transport)
        self.quiet_until = self.loop.time() + self.server.keep_alive

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and not self.busy:  # the first byte of a request
            self.deadline = self.loop.time() + self.server.request_timeout
        self.http.data_received(data)

    def eof_received(self):
        return self.http.eof_received()

    def connection_lost(self, exc) -> None:
        if self.server.connections.pop(self.transport, None) is not None:
            self.server._room.release()
        self.http.connection_lost(exc)

    def pause_writing(self) -> None:
        self.http.pause_writing()

    def resume_writing(self) -> None:
        self.http.resume_writing()

    def begin(self) -> float:
        """A handler starts: the deadline of its request (its body must be in by then)."""
        self.busy = True
        if self.deadline is None:
            self.deadline = self.loop.time() + self.server.request_timeout
        return self.deadline

    def end(self) -> None:
        self.busy = False
        self.deadline = None
        self.quiet_until = self.loop.time() + self.server.keep_alive

    def check(self, now: float) -> None:
        """Close what ran out of time: a quiet connection after keep_alive, a
        request whose headers are late (408)."""
        if self.busy:
            return
        elif self.deadline is None:
            if now >= self.quiet_until:
                self.close()
        elif now >= self.deadline:
            self.server._log_line("-", "-", 408, 0)
            self.transport.write(_raw_answer(408, "Request Timeout", {
                "error": f"the request did not arrive within {self.server.request_timeout:g}s"}))
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _raw_answer(status: int, reason: str, body: dict, headers: Mapping[str, str] | None = None) -> bytes:
    """An answer written straight to the socket, outside any request."""
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {JSON}", f"Content-Length: {len(payload)}",
             "Cache-Control: no-store", "Connection: close", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


# ---- the writer: one thread, one transaction for the requests that wait --------------------

class _Writer:
    """The one thread that writes to the store. A request hands it its
    batch and awaits the outcome without blocking the loop. The batches of
    a turn of the loop go over together (one hand-over between the threads,
    not one per request), and the thread records every batch waiting when
    it is free in one transaction (each batch still all or nothing), then
    answers them together after the commit: under load one commit and two
    thread switches serve many requests.

    The hand-over waits one more turn of the loop, which reads any end of
    connection that came with a request: a batch whose client has hung up
    already (it gave up waiting, say, while the connection sat in the
    listen queue) is dropped, not recorded (GONE), so a burst does no work
    for clients that will send again anyway, and fewer events are recorded
    without their answer arriving."""

    def __init__(self, server: EventServer, loop: asyncio.AbstractEventLoop):
        self.server, self.loop = server, loop
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.waiting: list[tuple[Batch, asyncio.Future, Any]] = []   # batch, outcome, transport: not handed over
        self.thread = threading.Thread(target=self._run, name="sopc-serve-writer", daemon=True)
        self.thread.start()

    async def record(self, batch: Batch, transport) -> BatchResult | Exception | object:
        """The outcome: a BatchResult, the store's exception, or GONE."""
        future = self.loop.create_future()
        if not self.waiting:
            self.loop.call_soon(self.loop.call_soon, self._hand_over)  # after the next turn's reads
        self.waiting.append((batch, future, transport))
        return await future

    def _hand_over(self) -> None:
        waiting, self.waiting = self.waiting, []
        group = []
        for batch, future, transport in waiting:
            if transport is None or transport.is_closing():
                _resolve([future], [GONE])
            else:
                group.append((batch, future))
        if group:
            self.queue.put(group)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group = self.queue.get()
            if group is None:
                return
            size = sum(len(batch.events) for batch, _ in group)
            while size < GROUP_EVENTS:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group += more
                size += sum(len(batch.events) for batch, _ in more)
            self._write(group)

    def _write(self, group: list) -> None:
        batches = [batch for batch, _ in group]
        try:
            results = self.server.store.add_batches(batches, self.server.clock.now())
        except Exception as exc:
            # one transaction for all failed: try each batch alone, so only a failing one fails
            results = [self._alone(batch) for batch in batches] if len(batches) > 1 else [self._failed(exc)]
        if any(isinstance(result, BatchResult) and result.added for result in results):
            self.server.wake_runner()
        self.loop.call_soon_threadsafe(_resolve, [future for _item, future in group], results)

    def _alone(self, batch: Batch) -> BatchResult | Exception:
        try:
            return self.server.store.add_batches([batch], self.server.clock.now())[0]
        except Exception as exc:
            return self._failed(exc)

    def _failed(self, exc: Exception) -> Exception:
        self.server.write_log(f"sopc serve: cannot record events: {type(exc).__name__}: {exc}")
        return exc


GONE = object()  # the outcome of a batch whose client hung up before it was recorded


def _resolve(futures: list[asyncio.Future], results: list) -> None:
    for future, result in zip(futures, results):
        if not future.done():
            future.set_result(result)


# ---- the pieces of a request --------------------------------------------------------------

class _Answer(Exception):
    """Stop handling the request and answer this (``text``: a body kept as it was sent before)."""

    def __init__(self, status: int, body: dict | None, headers: dict[str, str] | None = None, *,
                 close: bool = False, text: str | None = None):
        super().__init__(status)
        self.status, self.body, self.headers, self.close, self.text = status, body, headers or {}, close, text


class _Exchange:
    """One request on its way: its deadline and how many events it recorded."""

    def __init__(self, request: web.BaseRequest, deadline: float):
        self.request = request
        self.deadline = deadline
        self.recorded = 0


def _response(answer: _Answer, closing: bool) -> web.Response:
    payload = (answer.text if answer.text is not None
               else json.dumps(answer.body, ensure_ascii=False)).encode("utf-8")
    response = web.Response(status=answer.status, body=payload,
                            headers={"Content-Type": JSON, "Cache-Control": "no-store", "Server": "sopc-serve",
                                     **answer.headers})
    if answer.close or closing:
        response.force_close()
    return response


def _route(request: web.BaseRequest) -> None:
    allowed = ROUTES.get(request.path)
    if allowed is None:
        raise _Answer(404, {"error": "no such path; send events to POST /events"}, close=_unread_body(request))
    if request.method not in allowed:
        raise _Answer(405, {"error": f"{_printable(request.method, 16)} is not allowed here; use {', '.join(allowed)}"},
                      {"Allow": ", ".join(allowed)}, close=_unread_body(request))


def _unread_body(request: web.BaseRequest) -> bool:
    """True when the request has a body we are not going to read: the
    connection then closes (after a moment to let the client send it)."""
    length = (request.headers.get("Content-Length") or "").strip()
    return bool(request.headers.get("Transfer-Encoding")) or (length not in ("", "0"))


def _content_type(request: web.BaseRequest) -> None:
    header = request.headers.get("Content-Type") or ""
    if header in ("application/json", JSON):  # the usual ones, without parsing
        return
    media, *params = [p.strip() for p in header.split(";")]
    charset = next((value.strip().strip('"').lower() for name, sep, value in (p.partition("=") for p in params)
                    if sep and name.strip().lower() == "charset"), "utf-8")
    if media.lower() != "application/json":
        raise _Answer(415, {"error": "Content-Type must be application/json",
                            "detail": f"got {header[:100]!r}" if header else "no Content-Type header"},
                      close=_unread_body(request))
    if charset not in ("utf-8", "utf8"):
        raise _Answer(415, {"error": "the body must be UTF-8 (Content-Type: application/json; charset=utf-8)",
                            "detail": f"got charset {charset[:40]!r}"}, close=_unread_body(request))


def _idempotency_key(request: web.BaseRequest) -> str | None:
    """The ``Idempotency-Key`` header (bare or a quoted string), or None."""
    values = request.headers.getall("Idempotency-Key", [])
    if not values:
        return None
    key = values[0].strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if len(values) > 1 or not 0 < len(key) <= MAX_KEY or not all(" " <= c <= "~" for c in key):
        raise _Answer(400, {"error": f"the Idempotency-Key header must be one key of 1 to {MAX_KEY} printable "
                                     "ASCII characters"}, close=_unread_body(request))
    return key


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
    except ValueError:  # an integer of more digits than Python converts
        raise _Answer(400, {"error": "the body is not valid JSON",
                            "detail": "a number has too many digits"}) from None
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


def _recorded_indexes(records: list, result) -> list[int]:
    """The index in ``records`` of each of ``result.recorded``: parse_records
    keeps their order and leaves out only the ignored ones (nothing was
    rejected)."""
    ignored = {index for index, _ in result.ignored}
    indexes = [index for index in range(len(records)) if index not in ignored]
    if len(indexes) != len(result.recorded):
        raise RuntimeError(f"{len(result.recorded)} events to record, {len(indexes)} records left")
    return indexes


def _digest(value: Any) -> str:
    """What a record (or a whole body) says, whatever its key order or spacing."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _settled(done: BatchResult, answer: dict, batch: Batch, indexes: list[int], count: int,
             exchange: _Exchange) -> _Answer:
    """The answer once the writer has recorded (or refused) the batch."""
    if done.answer is not None:
        return _Answer(202, None, {"Idempotent-Replayed": "true"}, text=done.answer)
    if done.key_conflict:
        raise _Answer(422, {"error": "this Idempotency-Key was used before for another body; nothing was recorded",
                            "detail": "a retry must send the same events again; new events need a new key"})
    if done.conflicts:
        bad = len(done.conflicts)
        raise _Answer(422, {
            "error": f"{bad} of {count} event{'s' * (count != 1)} {'reuses' if bad == 1 else 'reuse'} an id "
                     "recorded before with other content; nothing was recorded",
            "rejected": [{"index": indexes[i],
                          "message": f"\"id\": `{batch.ids[i]}` was recorded before with other content; "
                                     "a retry must send the same event again, a new event needs a new id"}
                         for i in done.conflicts]})
    exchange.recorded = done.added
    replayed = {"Idempotent-Replayed": "true"} if not done.added else {}
    return _Answer(202, answer, replayed)


class _BadConstant(ValueError):
    pass


def _no_constant(name: str):
    raise _BadConstant(name)


def _printable(text: str, limit: int) -> str:
    if len(text) <= limit and text.isascii() and text.isprintable() and " " not in text:
        return text  # the usual case, without a look at each character
    clean = "".join(c if c.isprintable() and not c.isspace() else "?" for c in text)
    return clean[:limit] + ("..." if len(clean) > limit else "")
