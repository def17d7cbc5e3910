"""What every HTTP sender shares: the proxy from the environment, the
User-Agent, transport failures as values."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sopc import __version__


class RecordingProxy:
    """A forward HTTP proxy on 127.0.0.1 that answers every request itself
    (as a WeCom-style OK) and remembers the absolute URLs it was asked for."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests.append((self.path, self.headers.get("User-Agent", ""), json.loads(body)))
                reply = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy():
    recording = RecordingProxy()
    yield recording
    recording.close()


def test_posts_go_through_the_proxy_the_environment_names(send, proxy, monkeypatch, make_message):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    message = make_message()
    [result] = send("webhook", {"url": "http://crm.example.invalid/hooks/sop"}, {}, message)
    assert result.status == "sent"
    [(target, agent, body)] = proxy.requests
    assert target == "http://crm.example.invalid/hooks/sop"
    assert agent == f"sopc/{__version__}"
    assert body["id"] == message.id


def test_no_proxy_hosts_are_reached_directly(send, mockhooks, proxy, monkeypatch, make_message):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    [result] = send("webhook", {"url": mockhooks.add_webhook("crm")}, {}, make_message())
    assert result.status == "sent"
    assert proxy.requests == []
    assert len(mockhooks.accepted["webhook"]) == 1


@pytest.mark.parametrize("base_url", ["http://[::1", "qyapi.weixin.qq.com", "ftp://qyapi.weixin.qq.com"])
def test_an_unusable_url_fails_at_once_and_says_where_to_fix_it(send, make_message, base_url):
    settings = {"key_env": "WECOM_KEY", "base_url": base_url, "max_attempts": 3}
    [result] = send("wecom-bot", settings, {"WECOM_KEY": "k-123"}, make_message())
    assert result.status == "failed"
    assert "not a usable URL" in result.error and "sopc.toml" in result.error
