"""`sopc serve`: the real HTTP server on 127.0.0.1, real httpx requests, a
real SQLite store file, a real project built by the pipeline."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
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
def served(project_dir, tmp_path):
    build = pipeline.build([project_dir])
    assert not build.failed, build.diagnostics
    state = tmp_path / "state" / "state.db"
    store = SQLiteStore(state)
    logs: list[str] = []
    woken: list[int] = []
    server = build_server(store=store, zone=build.zone, roster_ids=build.project.roster.by_id, token=TOKEN,
                          host="127.0.0.1", port=0, max_body=MAX_BODY, clock=FixedClock(NOW),
                          on_recorded=lambda: woken.append(1), log=logs.append)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    running = Running(server, state, logs, woken, build)
    yield running
    running.client.close()
    server.shutdown()
    thread.join(5)
    server.server_close()
    store.close()


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
