"""Real servers on 127.0.0.1 for the plugin tests, and a way to run the real plugins.

Everything here is real: HTTP and HTTPS servers from the standard library serving a small
test application, certificates made with the openssl command line, an HTTP proxy that
forwards and tunnels, and raw-socket servers that misbehave on purpose. Every server binds
127.0.0.1 on a free port and is stopped by its fixture's finalizer.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import http.server
import json
import os
import re
import select
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

BIN = Path(sys.executable).parent
CHECK_HTTP = BIN / "check_vigie_http"
LOOPBACK = "127.0.0.1"
HOME_PAGE = b"<html><body><h1>Welcome to the Vigie test server</h1></body></html>\n"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
BASIC_USER, BASIC_PASSWORD = "monitor", "s3cret:with-colon"
BEARER_TOKEN = "vigie-t0ken.Secret_42"
# Longest a test server ever waits on purpose (slow endpoint, relays): keeps loops bounded.
MAX_WAIT = 5.0


# --- running a plugin -----------------------------------------------------------------


class PluginRun:
    """A finished plugin run: exit code, stdout, stderr, and the first line taken apart."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = proc.stdout.splitlines()
        self.first = self.lines[0] if self.lines else ""
        self.text, _, perf = self.first.partition(" | ")
        self.perfdata = parse_perfdata(perf)

    def __repr__(self) -> str:
        return f"PluginRun(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


PERF_ITEM = re.compile(r"^([a-z_]+)=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;[^;\s]*){0,4})$")


def parse_perfdata(text: str) -> dict[str, tuple[float, str, list[str]]]:
    """``label=12.5s;W;C;0`` items as {label: (value, unit, [warn, crit, min, max])}.

    Fails on anything that is not plain decimal notation (``1e-05`` included).
    """
    items: dict[str, tuple[float, str, list[str]]] = {}
    for item in text.split():
        match = PERF_ITEM.match(item)
        assert match, f"malformed perfdata item {item!r} in {text!r}"
        fields = match.group(4).split(";")[1:]
        items[match.group(1)] = (float(match.group(2)), match.group(3), fields)
    return items


def plugin_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without proxies or credentials, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith("VIGIE_")
    }
    env.update(extra or {})
    return env


def run_command(
    argv: list[str], env: dict[str, str] | None = None, timeout: float = 30
) -> PluginRun:
    """Run a plugin as Icinga would (argv, environment) and collect its output."""
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=plugin_env(env),
        check=False,
    )
    return PluginRun(proc)


def check_http(*args: str, env: dict[str, str] | None = None) -> PluginRun:
    """Run the installed check_vigie_http console script with ``args``."""
    return run_command([str(CHECK_HTTP), *args], env=env)


# --- certificates ---------------------------------------------------------------------

CA_CONFIG = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $ENV::SAN
"""


class Pki:
    """A test CA and the certificates the tests need, made with the openssl CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "index.txt").write_text("")
        (root / "serial").write_text("01\n")
        (root / "ca.cnf").write_text(CA_CONFIG.format(dir=root))
        self.ca = root / "ca.pem"
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(root / "ca.key"), "-out", str(self.ca), "-subj", "/CN=Vigie Test CA",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip

    def _openssl(self, *args: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            ["openssl", *args],
            check=True,
            capture_output=True,
            timeout=30,
            env={**os.environ, **(env or {})},
        )

    def issue(
        self, name: str, san: str, not_before: datetime.datetime, not_after: datetime.datetime
    ) -> tuple[Path, Path]:
        """A certificate signed by the test CA: (cert.pem, key.pem)."""
        key, csr, cert = (self.root / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        self._openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}",
        )  # fmt: skip
        self._openssl(
            "ca", "-batch", "-notext", "-config", str(self.root / "ca.cnf"),
            "-cert", str(self.ca), "-keyfile", str(self.root / "ca.key"),
            "-in", str(csr), "-out", str(cert), "-extensions", "leaf",
            "-startdate", not_before.strftime("%Y%m%d%H%M%SZ"),
            "-enddate", not_after.strftime("%Y%m%d%H%M%SZ"),
            env={"SAN": san},
        )  # fmt: skip
        return cert, key

    def self_signed(self, name: str, san: str) -> tuple[Path, Path]:
        """A self-signed certificate that no CA vouches for."""
        key, cert = self.root / f"{name}.key", self.root / f"{name}.pem"
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}", "-days", "90",
            "-addext", f"subjectAltName={san}",
        )  # fmt: skip
        return cert, key


class Certificates:
    """The certificate set: valid, expiring in 4 days, expired 10 days ago, wrong host, ..."""

    def __init__(self, pki: Pki) -> None:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        day = datetime.timedelta(days=1)
        local = "DNS:localhost,IP:127.0.0.1"
        self.ca = pki.ca
        self.valid = pki.issue("localhost", local + ",DNS:*.vigie.test", now - day, now + 90 * day)
        self.expiring_at = now + 4 * day
        self.expiring = pki.issue("expiring", local, now - 30 * day, self.expiring_at)
        self.expired_at = now - 10 * day
        self.expired = pki.issue("expired", local, now - 100 * day, self.expired_at)
        self.wrong_host = pki.issue("wrong", "DNS:wrong.example", now - day, now + 90 * day)
        self.self_signed = pki.self_signed("selfsigned", local)
        self.client = pki.issue("vigie-client", "DNS:vigie-client", now - day, now + 90 * day)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The test CA of this session."""
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def certs(pki: Pki) -> Certificates:
    """Certificates made for this test session."""
    return Certificates(pki)


# --- the HTTP test application --------------------------------------------------------


class Recorded:
    """One request as the server received it."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class TestApp(http.server.BaseHTTPRequestHandler):
    """The application every test server runs; every request is recorded on the server.

    /                   a small home page with Last-Modified
    /echo...            the request itself as JSON (any method)
    /status/NNN         that status
    /slow?delay=S       answers after S seconds (at most MAX_WAIT)
    /redirect/N         a chain of N 302 redirects ending in 200
    /redirect-to?url=U&code=C   one redirect to U
    /big?size=N         N bytes, starting with BEGIN and ending with THE-END
    /chunked            a chunked body
    /modified?age=S     Last-Modified S seconds before Date; none=1 without; bad=1 garbage
    /auth               basic auth required
    /bearer             ``Authorization: Bearer BEARER_TOKEN`` required
    /headers            an extra X-Vigie-Probe response header
    /odd-reason         a reason phrase with a pipe in it
    /truncated          announces 1000 bytes, sends 10, closes
    anything else       404; methods other than GET/HEAD/POST outside /echo get 405
    """

    protocol_version = "HTTP/1.1"
    server_version = "VigieTest/1.0"
    __test__ = False  # not a pytest test class

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler dispatches on do_<METHOD>: accept every token.
        if name.startswith("do_"):
            return self.route
        raise AttributeError(name)

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        self.send_response(status, reason)
        merged = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        merged.update(headers or {})
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.requests.append(Recorded(self.command, self.path, headers, body))  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path.startswith("/echo"):
            return self.echo(body, headers)
        if self.command not in ("GET", "HEAD", "POST"):
            return self.reply(405, b"method not allowed\n", {"Allow": "GET, HEAD, POST"})
        if path == "/":
            return self.reply(200, HOME_PAGE, {"Last-Modified": LAST_MODIFIED})
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self.reply(code, f"status {code}\n".encode())
        if path == "/slow":
            time.sleep(min(float(query.get("delay", "1")), MAX_WAIT))
            return self.reply(200, b"slow answer\n")
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left == 0:
                return self.reply(200, b"end of the chain\n")
            return self.reply(302, b"", {"Location": f"/redirect/{left - 1}"})
        if path == "/redirect-to":
            return self.reply(int(query.get("code", "302")), b"", {"Location": query["url"]})
        if path == "/big":
            return self.big(int(query.get("size", "1000000")))
        if path == "/chunked":
            return self.chunked()
        if path == "/modified":
            return self.modified(query)
        if path == "/auth":
            expected = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
            if headers.get("authorization") == f"Basic {expected}":
                return self.reply(200, b"authenticated\n")
            return self.reply(401, b"who are you?\n", {"WWW-Authenticate": 'Basic realm="t"'})
        if path == "/bearer":
            if headers.get("authorization") == f"Bearer {BEARER_TOKEN}":
                return self.reply(200, b"token accepted\n")
            return self.reply(401, b"token?\n", {"WWW-Authenticate": 'Bearer realm="t"'})
        if path == "/headers":
            return self.reply(200, b"see the headers\n", {"X-Vigie-Probe": "ready"})
        if path == "/odd-reason":
            return self.reply(200, b"odd\n", reason="OK | not perfdata")
        if path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return None
        return self.reply(404, b"not found\n")

    def echo(self, body: bytes, headers: dict[str, str]) -> None:
        client_cert = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert()
            if peer:
                subject = cast("tuple[tuple[tuple[str, str], ...], ...]", peer["subject"])
                client_cert = dict(rdn[0] for rdn in subject)["commonName"]
        document = {
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "client_cert": client_cert,
        }
        self.reply(200, json.dumps(document).encode(), {"Content-Type": "application/json"})

    def big(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        head, tail = b"BEGIN", b"THE-END"
        filler = size - len(head) - len(tail)
        self.wfile.write(head)
        block = b"x" * 65536
        while filler > 0:
            self.wfile.write(block[: min(filler, len(block))])
            filler -= len(block)
        self.wfile.write(tail)

    def chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (b"first piece, ", b"second piece, ", b"last piece\n"):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def modified(self, query: dict[str, str]) -> None:
        now = time.time()
        headers = {"Date": self.date_time_string(int(now))}
        if "bad" in query:
            headers["Last-Modified"] = "last tuesday, probably"
        elif "age" in query:
            headers["Last-Modified"] = self.date_time_string(int(now - float(query["age"])))
        self.reply(200, b"dated document\n", headers)


class TestServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that records requests (and SNI names, over TLS)."""

    daemon_threads = True
    block_on_close = False
    __test__ = False

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((LOOPBACK, 0), TestApp)
        self.tls = tls
        self.requests: list[Recorded] = []
        self.server_names: list[str | None] = []
        self.handshake_errors: list[str] = []
        if tls is not None:
            tls.sni_callback = self._record_sni

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def _record_sni(self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if self.tls is None:
            return super().finish_request(request, client_address)
        # The TLS handshake happens in the handler thread, so a stuck client blocks no one.
        request.settimeout(MAX_WAIT)
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.handshake_errors.append(str(exc))
            return None
        try:
            self.RequestHandlerClass(tls_sock, client_address, self)  # type: ignore[arg-type]
        except (ssl.SSLError, OSError) as exc:
            self.handshake_errors.append(str(exc))
        finally:
            tls_sock.close()
        return None

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are part of the tests


def serve(server: socketserver.BaseServer, request: pytest.FixtureRequest) -> None:
    """Run ``server`` in a thread until the test (or the session) ends."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=MAX_WAIT)

    request.addfinalizer(stop)


def server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context presenting ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    return context


@pytest.fixture
def http_server(request: pytest.FixtureRequest) -> TestServer:
    """Plain HTTP test server, fresh for each test so its request log is the test's own."""
    server = TestServer()
    serve(server, request)
    return server


@pytest.fixture
def second_http_server(request: pytest.FixtureRequest) -> TestServer:
    """Another plain HTTP server, to follow redirects from one server to another."""
    server = TestServer()
    serve(server, request)
    return server


@pytest.fixture
def tls_server(request: pytest.FixtureRequest, certs: Certificates) -> Callable[..., TestServer]:
    """A factory: an HTTPS test server with the named certificate and TLS options."""

    def start(
        cert: str = "valid",
        max_version: ssl.TLSVersion | None = None,
        require_client_cert: bool = False,
    ) -> TestServer:
        context = server_context(getattr(certs, cert))
        if max_version is not None:
            context.maximum_version = max_version
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=certs.ca)
        server = TestServer(context)
        serve(server, request)
        return server

    return start


# --- hostile servers ------------------------------------------------------------------


class LoopbackListener:
    """A TCP listener on 127.0.0.1 whose thread hands each connection to ``_handle``;
    ``stop`` ends the thread and closes the listener and every connection held open."""

    def __init__(self, backlog: int) -> None:
        self.listener = socket.socket()
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(backlog)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=MAX_WAIT)
        self.listener.close()
        for conn in self.held:
            conn.close()


class RawServer(LoopbackListener):
    """A TCP server on 127.0.0.1 that misbehaves on purpose, one behaviour per server.

    garbage        answers a banner that is not HTTP
    mid-headers    sends a status line and half a header, then closes
    hang-up        reads the request, then closes the connection without a word
    silent         accepts and never answers (until the test ends)
    drip           answers a status line, then one header byte every 0.1 s
    tls-hang-up    completes a TLS handshake, then closes (needs ``tls``)
    """

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        super().__init__(backlog=16)

    def _handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._behave, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket | ssl.SSLSocket) -> None:
        conn.settimeout(MAX_WAIT)
        data = b""
        deadline = time.monotonic() + MAX_WAIT
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk

    def _behave(self, conn: socket.socket) -> None:
        try:
            if self.behaviour == "silent":
                self.held.append(conn)  # closed when the test ends
                return
            if self.behaviour == "tls-hang-up":
                assert self.tls is not None
                conn.settimeout(MAX_WAIT)
                with self.tls.wrap_socket(conn, server_side=True) as tls_conn:
                    self._read_request(tls_conn)
                return
            self._read_request(conn)
            if self.behaviour == "garbage":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\r\n")
            elif self.behaviour == "mid-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\nServer: half\r\nContent-Type: text/pl")
            elif self.behaviour == "drip":
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                # Each byte arrives well within any socket timeout; the whole never does.
                for _ in range(int(MAX_WAIT / 0.1)):
                    if self.stopping.wait(0.1):
                        break
                    conn.sendall(b"z")
            conn.close()
        except OSError:
            conn.close()


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Callable[..., RawServer]:
    """A factory: a misbehaving TCP server, stopped when the test ends."""

    def start(behaviour: str, tls: ssl.SSLContext | None = None) -> RawServer:
        server = RawServer(behaviour, tls)
        request.addfinalizer(server.stop)
        return server

    return start


class ScriptedServer(LoopbackListener):
    """Answers every connection on 127.0.0.1 with ``reply``, then closes (or holds) it.

    Records each request as received: the head up to the blank line, and as many bytes
    of body as its Content-Length announces.
    """

    def __init__(self, reply: bytes, hold: bool = False) -> None:
        self.reply = reply
        self.hold = hold
        self.requests: list[bytes] = []
        super().__init__(backlog=8)

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.requests.append(self._read_request(conn))
            conn.sendall(self.reply)
        except OSError:
            pass
        if self.hold:
            self.held.append(conn)
        else:
            conn.close()

    def _read_request(self, conn: socket.socket) -> bytes:
        conn.settimeout(MAX_WAIT)
        data = b""
        deadline = time.monotonic() + MAX_WAIT
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body


@pytest.fixture
def scripted_server(request: pytest.FixtureRequest) -> Callable[..., ScriptedServer]:
    """A factory: a server that answers with the given bytes, stopped when the test ends."""

    def start(reply: bytes, hold: bool = False) -> ScriptedServer:
        server = ScriptedServer(reply, hold)
        request.addfinalizer(server.stop)
        return server

    return start


# --- an HTTP proxy --------------------------------------------------------------------


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Forwards absolute-form requests and tunnels CONNECT, to 127.0.0.1 only."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _authorized(self) -> bool:
        proxy: ProxyServer = self.server  # type: ignore[assignment]
        proxy.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        if proxy.required_auth and self.headers.get("Proxy-Authorization") != proxy.required_auth:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_CONNECT(self) -> None:
        if not self._authorized():
            return
        host, _, port = self.path.rpartition(":")
        if host != LOOPBACK and host != "localhost":
            self.send_error(403)
            return
        upstream = socket.create_connection((LOOPBACK, int(port)), timeout=MAX_WAIT)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        deadline = time.monotonic() + MAX_WAIT
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select(sockets, [], [], 0.1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)

    def forward(self) -> None:
        if not self._authorized():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.hostname not in (LOOPBACK, "localhost"):
            self.send_error(403)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(LOOPBACK, url.port or 80, timeout=MAX_WAIT)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-authorization"}
        upstream.request(self.command, url.path + (f"?{url.query}" if url.query else ""),
                         body, headers)  # fmt: skip
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Via", "1.1 vigie-test-proxy")
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()


class ProxyServer(http.server.ThreadingHTTPServer):
    """The test proxy; ``seen`` lists (method, target, Proxy-Authorization) per request."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, required_auth: str | None = None) -> None:
        super().__init__((LOOPBACK, 0), ProxyHandler)
        self.required_auth = required_auth
        self.seen: list[tuple[str, str, str | None]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def proxy_server(request: pytest.FixtureRequest) -> Callable[..., ProxyServer]:
    """A factory: an HTTP proxy on 127.0.0.1, optionally requiring basic credentials."""

    def start(required_auth: str | None = None) -> ProxyServer:
        server = ProxyServer(required_auth)
        serve(server, request)
        return server

    return start


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """A factory: a file holding a secret, readable by its owner only."""

    def write(content: str) -> Path:
        path = tmp_path / "secret"
        path.write_text(content)
        path.chmod(0o600)
        return path

    yield write
