"""`sopc serve`: the real HTTP server on 127.0.0.1, real httpx requests, a
real SQLite store file, a real project built by the pipeline."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sopc import pipeline
from sopc.core.clock import FixedClock
from sopc.run.serve import ServeError, build_server, run_server
from sopc.run.store import SQLiteStore

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
MAX_BODY = 4096

SOPC_TOML = 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n'
GROUPS_CSV = "id,name\ng1,一群\ng2,二群\n"
WELCOME_SOP = '''playbook welcome "新人欢迎"
  to all groups
  on member.joined
    +0  hello  "欢迎 {{ member.name }} 加入{{ group.name }}" @member
'''


def joined(member="m1", group="g1", **extra):
    return {"event": "member.joined", "group": group, "member": member, "name": "小王", **extra}


@pytest.fixture
def project_dir(tmp_path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "sopc.toml").write_text(SOPC_TOML, encoding="utf-8")
    (folder / "groups.csv").write_text(GROUPS_CSV, encoding="utf-8")
    (folder / "welcome.sop").write_text(WELCOME_SOP, encoding="utf-8")
    return folder


class Running:
    def __init__(self, server, state: Path, logs: list[str], woken: list[int], build):
        self.server, self.state, self.logs, self.woken, self.build = server, state, logs, woken, build
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def post(self, body=None, *, headers=AUTH, content=None, **kwargs) -> httpx.Response:
        if content is None:
            return self.client.post("/events", json=body, headers=headers, **kwargs)
        return self.client.post("/events", content=content, headers=headers, **kwargs)

    def events(self):
        """What a second process would read from the state file."""
        store = SQLiteStore(self.state)
        try:
            return store.events()
        finally:
            store.close()


@pytest.fixture
def start_server(project_dir, tmp_path):
    """Start a server with these build_server options (the limits); stopped at the end."""
    started = []

    def start(**options) -> Running:
        build = pipeline.build([project_dir])
        assert not build.failed, build.diagnostics
        state = tmp_path / f"state{len(started)}" / "state.db"
        store = SQLiteStore(state)
        logs: list[str] = []
        woken: list[int] = []
        server = build_server(store=store, zone=build.zone, roster_ids=build.project.roster.by_id, token=TOKEN,
                              host="127.0.0.1", port=0, clock=FixedClock(NOW), on_recorded=lambda: woken.append(1),
                              log=logs.append, **{"max_body": MAX_BODY, **options})
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running = Running(server, state, logs, woken, build)
        started.append((running, thread, store))
        return running

    yield start
    for running, thread, store in started:
        running.client.close()
        running.server.shutdown()
        thread.join(5)
        running.server.server_close()
        store.close()


@pytest.fixture
def served(start_server):
    return start_server()


# ---- success ------------------------------------------------------------------------------------

def test_healthz_needs_no_token(served):
    response = served.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_one_event_is_recorded_in_the_store_file_and_plans_the_welcome(served):
    response = served.post(joined(at="2026-11-24T10:30:00+08:00", data={"channel": "扫码"}))
    assert response.status_code == 202
    assert response.json() == {"recorded": 1, "ignored": []}
    [event] = served.events()
    assert (event.kind, event.group, event.member, event.name, event.data) == (
        "member.joined", "g1", "m1", "小王", {"channel": "扫码"})
    assert event.at == dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.timezone.utc)
    assert served.woken == [1]
    # the recorded event drives the real plan: the welcome goes out at the event's time
    messages = list(pipeline.plan(served.build, NOW, NOW + dt.timedelta(days=1), events=served.events()))
    assert [(m.group, m.text) for m in messages] == [("g1", "欢迎 小王 加入一群")]


def test_an_array_and_an_events_wrapper(served):
    assert served.post([joined("a"), joined("b", group="g2")]).json() == {"recorded": 2, "ignored": []}
    assert served.post({"events": [joined("c")]}).json() == {"recorded": 1, "ignored": []}
    assert served.post([]).json() == {"recorded": 0, "ignored": []}
    assert sorted(e.member for e in served.events()) == ["a", "b", "c"]
    assert served.woken == [1, 1]  # not woken for an empty request


def test_at_defaults_to_the_injected_clock(served):
    assert served.post(joined()).status_code == 202
    [event] = served.events()
    assert event.at == NOW and event.at.utcoffset() == dt.timedelta(hours=8)


def test_a_group_outside_the_roster_is_ignored_not_an_error(served):
    response = served.post([joined(group="g3"), joined(group="g2")])
    assert response.status_code == 202
    assert response.json() == {"recorded": 1, "ignored": [
        {"index": 0, "reason": "group `g3` is not in the roster; did you mean `g1`?"}]}
    assert [e.group for e in served.events()] == ["g2"]


def test_utf8_charset_and_a_bom_are_fine(served):
    body = "\ufeff" + json.dumps(joined(), ensure_ascii=False)
    response = served.post(content=body.encode("utf-8"),
                           headers={**AUTH, "Content-Type": "application/json; charset=UTF-8"})
    assert response.status_code == 202


def test_parallel_requests_are_all_recorded(served):
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: served.post(joined(f"m{i}")).status_code, range(40)))
    assert statuses == [202] * 40
    assert len(served.events()) == 40


# ---- refusals -----------------------------------------------------------------------------------

def test_401_without_or_with_a_wrong_token(served):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"}):
        response = served.post(joined(), headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json() and TOKEN not in response.text
    assert served.events() == [] and served.woken == []


def test_413_for_a_body_over_the_limit_and_nothing_recorded(served):
    events = [joined(f"m{i}", data={"note": "x" * 200}) for i in range(40)]
    body = json.dumps(events).encode()
    assert len(body) > MAX_BODY
    response = served.post(content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == f"the body is {len(body)} bytes; at most {MAX_BODY}"
    assert served.events() == []


def test_415_unless_json(served):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=gbk"):
        response = served.post(content=json.dumps(joined()).encode(), headers={**AUTH, "Content-Type": content_type})
        assert response.status_code == 415, content_type
        assert "error" in response.json()
    response = served.post(content=b"{}", headers=AUTH)  # no Content-Type at all
    assert response.status_code == 415


def test_411_without_content_length(served):
    def chunks():
        yield json.dumps(joined()).encode()

    response = served.post(content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 411
    assert served.events() == []


def test_400_malformed_json_with_its_position(served):
    response = served.post(content=b'{"event": }', headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not valid JSON", "detail": "line 1 column 11: Expecting value"}
    response = served.post(content=b'[\n  {"event": "member.joined",}\n]',
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.json()["detail"].startswith("line 2 column 29: Expecting property name")


def test_400_not_utf8_nan_and_wrong_shapes(served):
    headers = {**AUTH, "Content-Type": "application/json"}
    not_utf8 = served.post(content='{"name": "小王"}'.encode("gbk"), headers=headers)
    assert not_utf8.status_code == 400 and not_utf8.json()["error"] == "the body is not UTF-8"
    nan = served.post(content=b'{"event": "member.joined", "data": {"x": NaN}}', headers=headers)
    assert nan.status_code == 400 and "NaN" in nan.json()["detail"]
    for body in (b'"member.joined"', b"42", b'{"events": {}}', b'{"events": [], "token": 1}'):
        response = served.post(content=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["error"].startswith("the body must be a JSON object")
    assert served.events() == []


def test_422_names_each_rejected_event_and_records_nothing(served):
    response = served.post([joined("ok"), {"event": "member.join", "group": "g1", "member": "m2"},
                            joined(member=None)])
    assert response.status_code == 422
    assert response.json() == {
        "error": "2 of 3 events are invalid; nothing was recorded",
        "rejected": [
            {"index": 1, "message": "\"event\": unknown event `member.join`; did you mean `member.joined`?"},
            {"index": 2, "message": "\"member\" is missing: a member.joined event needs the member's id"},
        ]}
    assert served.events() == [] and served.woken == []


def test_404_and_405(served):
    assert served.client.get("/nope").status_code == 404
    assert served.client.post("/events/", json=joined(), headers=AUTH).status_code == 404
    for method, path, allowed in (("GET", "/events", "POST"), ("PUT", "/events", "POST"),
                                  ("POST", "/healthz", "GET"), ("DELETE", "/healthz", "GET")):
        response = served.client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allowed
        assert response.json()["error"]


def test_answers_are_utf8_json_with_chinese_unescaped(served):
    response = served.post(joined(group="一群"))
    assert response.status_code == 202
    assert "group `一群` is not in the roster" in response.content.decode("utf-8")


def test_expect_100_continue_is_refused_before_the_body(served):
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 20\r\nExpect: 100-continue\r\n\r\n")
        answer = conn.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 401 ")
    assert "100 Continue" not in answer


def test_one_log_line_per_request_without_the_token(served):
    served.client.get("/healthz")
    served.post([joined("a"), joined("b")])
    served.post(joined(), headers={"Authorization": "Bearer nope"})
    served.client.post(f"/events?token={TOKEN}", json=joined(), headers=AUTH)
    assert served.logs == ["GET /healthz 200 0", "POST /events 202 2", "POST /events 401 0", "POST /events 202 1"]
    assert all(TOKEN not in line and "nope" not in line for line in served.logs)


def test_build_server_refuses_an_empty_token(served):
    with pytest.raises(ValueError):
        build_server(store=None, zone=None, roster_ids=None, token=" ", port=0, clock=FixedClock(NOW),
                     on_recorded=None)


# ---- run_server ---------------------------------------------------------------------------------

def test_run_server_refuses_to_start_without_the_token(project_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("SOPC_SERVE_TOKEN", raising=False)
    with pytest.raises(ServeError, match="SOPC_SERVE_TOKEN"):
        run_server(project_dir, tmp_path / "state.db", "127.0.0.1", 0)
    monkeypatch.setenv("MY_TOKEN", "   ")
    with pytest.raises(ServeError, match="MY_TOKEN.*no default token"):
        run_server(project_dir, tmp_path / "state.db", "127.0.0.1", 0, token_env="MY_TOKEN")
    assert not (tmp_path / "state.db").exists()


def test_run_server_refuses_a_broken_project(project_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SOPC_SERVE_TOKEN", TOKEN)
    (project_dir / "welcome.sop").write_text(WELCOME_SOP + "  周八 10:00 x \"y\"\n", encoding="utf-8")
    with pytest.raises(ServeError, match=r"1 error .*周八.*sopc check"):
        run_server(project_dir, tmp_path / "state.db", "127.0.0.1", 0)


def test_run_server_serves_records_and_wakes_the_runner(project_dir, tmp_path, monkeypatch):
    import sopc.run.runlock
    import sopc.run.serve

    monkeypatch.setattr(sopc.run.serve, "KEEP_ALIVE", 1.0)
    monkeypatch.setenv("SOPC_SERVE_TOKEN", TOKEN)
    woken = []
    monkeypatch.setattr(sopc.run.runlock, "notify_runner", lambda state: woken.append(state) or True)
    state = tmp_path / ".sopc" / "state.db"
    logs: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=run_server, args=(project_dir, state, "127.0.0.1", 0),
                              kwargs={"log": logs.append, "stop": stop, "clock": FixedClock(NOW)}, daemon=True)
    thread.start()
    url = _wait_for_url(logs)
    with httpx.Client(base_url=url, timeout=10) as client:  # kept alive while the server stops
        response = client.post("/events", json=[joined(), joined(group="g7")], headers=AUTH)
        assert response.status_code == 202 and response.json()["recorded"] == 1
        started = time.monotonic()
        stop.set()
        thread.join(10)
        assert not thread.is_alive()
        assert time.monotonic() - started < 4  # an idle kept-alive connection does not hold the stop
    assert woken == [state]
    assert logs[-2:] == ["POST /events 202 1", "sopc serve: stopped"]
    store = SQLiteStore(state)
    assert [(e.member, e.at) for e in store.events()] == [("m1", NOW)]
    store.close()


def test_run_server_refuses_a_stage_the_project_does_not_declare(project_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SOPC_SERVE_TOKEN", TOKEN)
    logs: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=run_server, args=(project_dir, tmp_path / "state.db", "127.0.0.1", 0),
                              kwargs={"log": logs.append, "stop": stop}, daemon=True)
    thread.start()
    try:
        response = httpx.post(f"{_wait_for_url(logs)}/events", headers=AUTH, timeout=10,
                              json={"event": "group.stage", "group": "g1", "stage": "沉默期"})
    finally:
        stop.set()
        thread.join(10)
    assert response.status_code == 422
    assert "declares no stages" in response.json()["rejected"][0]["message"]


def test_sigterm_stops_run_server_gracefully(project_dir, tmp_path):
    script = ("import sys; from pathlib import Path; from sopc.run.serve import run_server; "
              "run_server(Path(sys.argv[1]), Path(sys.argv[2]), '127.0.0.1', 0, "
              "log=lambda line: print(line, flush=True))")
    env = {**os.environ, "SOPC_SERVE_TOKEN": TOKEN, "PYTHONIOENCODING": "utf-8"}
    process = subprocess.Popen([sys.executable, "-c", script, str(project_dir), str(tmp_path / "state.db")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = process.stdout.readline()
        url = re.search(r"http://[\d.]+:\d+", first).group(0)
        assert httpx.post(f"{url}/events", json=joined(), headers=AUTH, timeout=10).status_code == 202
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert out.splitlines()[-2:] == ["POST /events 202 1", "sopc serve: stopped"]
    assert TOKEN not in first + out + err


def _wait_for_url(logs: list[str]) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in logs:
            found = re.search(r"http://[\d.]+:\d+", line)
            if found:
                return found.group(0)
        time.sleep(0.02)
    raise AssertionError(f"the server did not start: {logs}")


def test_serve_forever_stops_on_keyboard_interrupt():
    """serve_forever as the CLI's simplest loop: Ctrl-C ends it and closes the server."""
    from sopc.run.serve import serve_forever

    class Interrupted:
        log = None

        def write_log(self, line):
            self.lines = [line]

        server_address = ("127.0.0.1", 1)
        stopping = False

        def serve_forever(self, poll_interval):
            raise KeyboardInterrupt

        def server_close(self):
            self.closed = True

    fake = Interrupted()
    serve_forever(fake, log=None)
    assert fake.closed and fake.stopping
    assert fake.lines == ["sopc serve: listening on http://127.0.0.1:1 (POST /events, GET /healthz)"]


# ---- sent again, recorded once: event ids and Idempotency-Key --------------------------------------

def _members(served) -> list[str]:
    return sorted(e.member for e in served.events())


def test_an_event_sent_again_with_its_id_is_recorded_once_and_answered_as_before(served):
    body = [joined("a", id="scrm-1"), joined("b", id="scrm-2"), joined("c", group="g9", id="scrm-3")]
    first = served.post(body)
    again = served.post(body)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert first.json()["recorded"] == 2 and [i["index"] for i in first.json()["ignored"]] == [2]
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert _members(served) == ["a", "b"]
    assert served.logs[-2:] == ["POST /events 202 2", "POST /events 202 0"]  # RECORDED: newly recorded
    assert served.woken == [1]                                               # nothing new: no wake


def test_a_retry_with_old_and_new_events_records_only_the_new_ones(served):
    assert served.post(joined("a", id="1")).status_code == 202
    response = served.post([joined("a", id="1"), joined("b", id="2"), joined("x")])  # an event without id: new
    assert response.json() == {"recorded": 3, "ignored": []}
    assert "idempotent-replayed" not in response.headers
    assert _members(served) == ["a", "b", "x"]
    assert served.logs[-1] == "POST /events 202 2"


def test_the_same_id_twice_in_one_request_is_recorded_once(served):
    response = served.post([joined("a", id="dup"), joined("a", id="dup")])
    assert response.json() == {"recorded": 2, "ignored": []}
    assert _members(served) == ["a"]


def test_an_id_reused_for_another_event_is_refused_and_nothing_of_that_request_recorded(served):
    assert served.post(joined("a", id="1")).status_code == 202
    response = served.post([joined("b", id="2"), joined("c", id="1")])
    assert response.status_code == 422
    assert response.json() == {
        "error": "1 of 2 events reuses an id recorded before with other content; nothing was recorded",
        "rejected": [{"index": 1, "message": '"id": `1` was recorded before with other content; a retry must '
                                             "send the same event again, a new event needs a new id"}]}
    assert _members(served) == ["a"]          # b neither: the request is all or nothing
    assert served.post(joined("b", id="2")).json()["recorded"] == 1
    assert _members(served) == ["a", "b"]


def test_a_retry_may_send_an_event_with_its_keys_in_another_order(served):
    event = joined("a", id="k1", data={"x": 1, "y": 2})
    assert served.post(event).status_code == 202
    reordered = json.dumps(dict(reversed(list(event.items()))), ensure_ascii=False, indent=2).encode()
    response = served.post(content=reordered, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 202 and response.headers["idempotent-replayed"] == "true"
    assert _members(served) == ["a"]


def test_an_id_is_text_of_at_most_256_characters(served):
    for bad, message in ((5, '"id" must be a string, not a number (5)'), ("", '"id" is empty'),
                         ("x" * 257, '"id" is 257 characters long; at most 256')):
        response = served.post(joined(id=bad))
        assert response.status_code == 422, bad
        assert [r["message"] for r in response.json()["rejected"]] == [message]
    assert served.events() == []
    assert served.post(joined(id="x" * 256)).status_code == 202


def test_an_idempotency_key_gets_its_first_answer_again_and_records_nothing_more(served):
    headers = {**AUTH, "Idempotency-Key": "req-7"}
    body = [joined("a"), joined("b", group="g9")]
    first = served.post(body, headers=headers)
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    again = served.post(body, headers={**AUTH, "Idempotency-Key": '"req-7"'})  # a structured-header string too
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _members(served) == ["a"]
    other = served.post([joined("c")], headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "this Idempotency-Key was used before for another body; nothing was recorded"
    assert _members(served) == ["a"]
    assert served.post([joined("c")], headers={**AUTH, "Idempotency-Key": "req-8"}).status_code == 202
    assert _members(served) == ["a", "c"]


def test_an_idempotency_key_is_one_short_printable_key(served):
    for key in ("k" * 257, "键".encode()):
        response = served.post(joined(), headers={**AUTH, "Idempotency-Key": key})
        assert response.status_code == 400, key
        assert response.json()["error"].startswith("the Idempotency-Key header must be one key of 1 to 256")
    assert served.events() == []
    assert served.post(joined(), headers={**AUTH, "Idempotency-Key": "k" * 256}).status_code == 202


def test_a_client_that_never_read_its_answer_sends_again_and_the_event_is_recorded_once(served):
    """The finding: the server recorded, the client timed out before the 202
    reached it, and its retry must not record the event a second time."""
    body = json.dumps([joined("a", id="scrm-1")]).encode()
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        _wait_until(lambda: len(served.events()) == 1)
    # the client hung up without reading the answer, and tries again
    again = served.post(content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert again.status_code == 202 and again.json() == {"recorded": 1, "ignored": []}
    assert _members(served) == ["a"]


def test_a_request_whose_client_hung_up_in_the_listen_queue_is_not_recorded(start_server):
    """A client that gave up while its connection waited in the listen
    queue will send again: its request is dropped, not recorded without
    anyone to answer."""
    served = start_server(max_connections=1)
    host, port = served.server.server_address[:2]
    body = json.dumps([joined("a", id="scrm-1")]).encode()
    held = socket.create_connection((host, port), timeout=5)  # the one place, taken
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert held.recv(4096).startswith(b"HTTP/1.1 200 ")
    with socket.create_connection((host, port), timeout=5) as conn:  # waits in the queue, sends, gives up
        conn.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    held.close()                                                 # now the server takes it
    _wait_until(lambda: "POST /events 499 0" in served.logs, message=lambda: f"{served.logs}")
    assert served.events() == []
    assert served.post(content=body, headers={**AUTH, "Content-Type": "application/json"}).status_code == 202
    assert _members(served) == ["a"]


def test_a_state_file_from_before_ids_gains_their_tables(tmp_path):
    from sopc.core.events import Event
    from sopc.run.store import Batch

    state = tmp_path / "state.db"
    old = SQLiteStore(state)
    old.add_event(Event(kind="member.joined", group="g1", member="old", at=NOW), NOW)
    old.db.executescript("DROP TABLE event_ids; DROP TABLE request_keys;")   # as sopc wrote it before
    old.close()
    store = SQLiteStore(state)
    event = Event(kind="member.joined", group="g1", member="new", at=NOW)
    results = store.add_batches([Batch([event], ids=["e1"], digests=["d"]), Batch([event], ids=["e1"], digests=["d"])],
                                NOW)
    assert [(r.added, r.repeated) for r in results] == [(1, 0), (0, 1)]
    assert sorted(e.member for e in store.events()) == ["new", "old"]
    store.close()


# ---- a request is one transaction ---------------------------------------------------------------------

def test_a_request_the_store_cannot_finish_records_nothing_and_asks_for_a_retry(served):
    db = sqlite3.connect(served.state)
    db.execute("CREATE TRIGGER full AFTER INSERT ON events WHEN NEW.member = 'boom' "
               "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    db.commit()
    body = [joined("a"), joined("boom"), joined("c")]
    response = served.post(body)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert served.events() == [] and served.woken == []      # a is not kept: all or nothing
    assert any("cannot record events" in line for line in served.logs)
    db.execute("DROP TRIGGER full")
    db.commit()
    db.close()
    assert served.post(body).json() == {"recorded": 3, "ignored": []}
    assert _members(served) == ["a", "boom", "c"]


def test_a_killed_server_keeps_each_request_whole(project_dir, tmp_path):
    """SIGKILL `sopc serve` while clients post batches of 300 events: each
    batch is in the state file whole or not at all, each answered one whole;
    sent again after a restart, the unanswered ones are recorded once."""
    state = tmp_path / "state.db"
    size, chance = 300, random.Random(11)
    sent: dict[str, list[dict]] = {}
    answered: set[str] = set()
    for round_ in range(3):
        with _ServeProcess(project_dir, state) as server:
            stop = threading.Event()

            def client(name: str) -> None:
                number = 0
                while not stop.is_set():
                    batch = f"r{round_}{name}b{number}"
                    number += 1
                    sent[batch] = [joined(f"{batch}:{i}", id=f"{batch}:{i}") for i in range(size)]
                    if server.post(sent[batch]) == 202:
                        answered.add(batch)
                    elif server.process.poll() is not None:
                        return

            threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in "xyz"]
            for thread in threads:
                thread.start()
            time.sleep(chance.uniform(0.6, 1.5))
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(10)
            stop.set()
            for thread in threads:
                thread.join(15)
    counts = _batch_counts(state)
    unanswered = set(sent) - answered
    assert unanswered, "no request was in flight when the server was killed: the test proved nothing"
    assert answered and all(counts.get(batch) == size for batch in answered)           # answered: all there
    assert all(counts.get(batch, 0) in (0, size) for batch in unanswered)             # in flight: all or none
    with _ServeProcess(project_dir, state) as server:
        for batch in sorted(unanswered):
            assert server.post(sent[batch]) == 202
    counts = _batch_counts(state)
    assert set(counts) == set(sent) and set(counts.values()) == {size}                 # each event once


class _ServeProcess:
    """`sopc serve` as a real process on a free port."""

    def __init__(self, project_dir: Path, state: Path):
        self.argv = [sys.executable, "-c", "from sopc.cli import main; main()", "serve", str(project_dir),
                     "--port", "0", "--state", str(state), "--max-body", "1000000"]

    def __enter__(self):
        env = {**os.environ, "SOPC_SERVE_TOKEN": TOKEN, "PYTHONIOENCODING": "utf-8"}
        self.process = subprocess.Popen(self.argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        first = self.process.stderr.readline()
        self.url = re.search(r"http://[\d.]+:\d+", first).group(0)
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep the pipe drained
        return self

    def post(self, body) -> int | None:
        try:
            return httpx.post(f"{self.url}/events", json=body, headers=AUTH, timeout=20).status_code
        except httpx.HTTPError:
            return None

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


def _batch_counts(state: Path) -> dict[str, int]:
    db = sqlite3.connect(state)
    try:
        return dict(db.execute("SELECT substr(member, 1, instr(member, ':') - 1), COUNT(*) FROM events "
                               "GROUP BY 1").fetchall())
    finally:
        db.close()


def _wait_until(condition, timeout: float = 10, message=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting {message()}"
        time.sleep(0.02)


# ---- load: many at once, clients that give up and retry ------------------------------------------

def test_500_concurrent_posts_retried_after_timeouts_are_each_recorded_once(start_server):
    served = start_server(max_connections=100)
    stats = asyncio.run(_post_concurrently(served.url, 500, first_timeout=0.05))
    assert stats["answered"] == 500
    assert stats["timeouts"] + stats["busy"] > 0, "no client had to retry: the test proved nothing"
    members = [e.member for e in served.events()]
    assert len(members) == 500 and len(set(members)) == 500      # 0 lost, 0 recorded twice


async def _post_concurrently(url: str, count: int, first_timeout: float) -> dict[str, int]:
    """``count`` posts at once, each on its own connection, each sent again
    (the same event) after a time-out, a 503 or a refused connection, until a 202."""
    import aiohttp

    stats = {"answered": 0, "timeouts": 0, "busy": 0, "errors": 0}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True),
                                     headers=AUTH) as session:
        async def post(number: int) -> None:
            body = [joined(f"m{number}", id=f"evt-{number}")]
            for attempt in range(30):
                timeout = aiohttp.ClientTimeout(total=min(first_timeout * 2 ** attempt, 5))
                try:
                    async with session.post(f"{url}/events", json=body, timeout=timeout) as response:
                        await response.read()
                        if response.status == 202:
                            stats["answered"] += 1
                            return
                        stats["busy"] += 1
                except asyncio.TimeoutError:
                    stats["timeouts"] += 1
                except aiohttp.ClientError:
                    stats["errors"] += 1
                await asyncio.sleep(0.02)

        await asyncio.gather(*(post(n) for n in range(count)))
    return stats


# ---- limits: slow clients, idle connections, the connection cap, bad HTTP -------------------------------

def _drip(conn: socket.socket, data: bytes, interval: float, limit: float = 10) -> tuple[bytes, float]:
    """Send ``data`` a byte at a time every ``interval`` s until the server
    answers or closes: (what it answered, seconds from the first byte)."""
    started = time.monotonic()
    conn.settimeout(interval)
    for byte in data:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            break
        try:
            answer = conn.recv(65536)
        except socket.timeout:
            assert time.monotonic() - started < limit, "the server kept waiting"
            continue
        except OSError:
            answer = b""
        return answer, time.monotonic() - started
    raise AssertionError("the server read it all without answering")


def test_a_client_dripping_its_headers_is_cut_off_at_the_request_timeout(start_server):
    served = start_server(request_timeout=1.0)
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        answer, elapsed = _drip(conn, b"POST /events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100, 0.2)
    assert answer.startswith(b"HTTP/1.1 408 ") and b"within 1s" in answer
    assert 1.0 <= elapsed < 3.0  # the timeout, plus a sweep (0.25 s) and a busy machine
    assert served.logs[-1] == "- - 408 0"


def test_a_client_dripping_its_body_is_cut_off_at_the_request_timeout_and_nothing_recorded(start_server):
    served = start_server(request_timeout=1.0)
    host, port = served.server.server_address[:2]
    body = json.dumps(joined()).encode()
    head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    with socket.create_connection((host, port), timeout=5) as conn:
        started = time.monotonic()
        conn.sendall(head)
        answer, _ = _drip(conn, body, 0.05)
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ") and b"the request did not arrive within 1s" in answer
    assert 1.0 <= elapsed < 3.0  # the timeout from the first byte, and a busy machine
    assert served.events() == []
    assert served.logs[-1] == "POST /events 408 0"


def test_a_slow_request_within_the_request_timeout_is_answered(start_server):
    """Slower than the keep-alive, not than the request timeout: answered,
    not cut (the time of a request counts from its first byte)."""
    served = start_server(keep_alive=0.3, request_timeout=5.0)
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        answer, elapsed = _drip(conn, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: abcdefghij\r\n\r\n", 0.05)
    assert answer.startswith(b"HTTP/1.1 200 ") and elapsed > 2.0


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive(start_server):
    served = start_server(keep_alive=0.5)
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert conn.recv(4096) == b""                      # closed by the server...
        assert 0.4 <= time.monotonic() - started < 2.5     # ...after the keep-alive


def test_a_connection_over_the_cap_waits_until_one_closes(start_server):
    served = start_server(max_connections=2)
    host, port = served.server.server_address[:2]
    held = [socket.create_connection((host, port), timeout=5) for _ in range(2)]
    for conn in held:  # both are in: each got an answer, and stays open
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200 ")
    with socket.create_connection((host, port), timeout=5) as extra:  # the kernel queues it
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        extra.settimeout(0.5)
        with pytest.raises(socket.timeout):
            extra.recv(4096)                                # not taken while two are open
        assert len(served.server.connections) == 2
        held.pop().close()
        extra.settimeout(5)
        assert extra.recv(4096).startswith(b"HTTP/1.1 200 ")  # taken once one closed
    assert any("connections open, the most allowed (--max-connections): new ones wait" in line
               for line in served.logs)
    held.pop().close()


def test_not_http_is_answered_as_json_without_a_traceback(served):
    host, port = served.server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"\x16\x03\x01 hello\r\n\r\n")
        answer = conn.recv(4096)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.1 400 ", b"HTTP/1.0 400 ")) and b"application/json" in head
    assert json.loads(body)["error"] == "the request is not valid HTTP"
    assert served.logs[-1] == "- - 400 0"


def test_a_number_of_too_many_digits_is_a_400_not_a_dead_request(start_server):
    served = start_server(max_body=64 * 1024)
    body = b'{"event": "member.joined", "group": "g1", "member": "m1", "data": {"n": ' + b"9" * 5000 + b"}}"
    response = served.post(content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not valid JSON", "detail": "a number has too many digits"}
