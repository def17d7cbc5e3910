"""What every HTTP sender shares: the proxy from the environment, the
User-Agent, certificate checks, transport failures as values."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sopc import __version__
from sopc.senders.http import tls_context


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


@pytest.fixture
def tls_hook(tmp_path):
    """An HTTPS webhook on 127.0.0.1 with a self-signed certificate (made
    by openssl), and the certificate's path."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    hook = RecordingProxy()  # answers every POST itself: as a webhook here
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    hook.server.socket = context.wrap_socket(hook.server.socket, server_side=True)
    yield f"https://127.0.0.1:{hook.server.server_address[1]}/hooks/sop", cert, hook
    hook.close()
    tls_context.cache_clear()


def test_a_certificate_nobody_vouches_for_is_refused(send, tls_hook, make_message):
    url, _, hook = tls_hook
    tls_context.cache_clear()
    [result] = send("webhook", {"url": url, "max_attempts": 3}, {}, make_message())
    assert result.status == "failed"  # at once: a retry would meet the same certificate
    assert "TLS certificate of https://127.0.0.1:" in result.error and "not trusted" in result.error
    assert "SSL_CERT_FILE" in result.error
    assert hook.requests == []


def test_a_company_ca_in_the_system_store_is_trusted(send, tls_hook, monkeypatch, make_message):
    url, cert, hook = tls_hook
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what installing a CA into the system store amounts to
    tls_context.cache_clear()
    [result] = send("webhook", {"url": url}, {}, make_message())
    assert result.status == "sent"
    assert [path for path, _, _ in hook.requests] == ["/hooks/sop"]
