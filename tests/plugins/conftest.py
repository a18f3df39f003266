"""Fixtures of the plugin tests: real servers on 127.0.0.1, each stopped when its test ends.

The servers themselves live in ``tests.servers``; running a plugin in ``running``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.http_app import TestServer
from tests.servers.loopback import serve
from tests.servers.pki import Certificates, Pki, server_context
from tests.servers.proxy import ProxyServer
from tests.servers.scripted import RawServer, ScriptedServer
from tests.servers.smtp import SmtpServer
from tests.servers.smtp_scripted import HostileSmtp


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The test CA of this session."""
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def certs(pki: Pki) -> Certificates:
    """Certificates made for this test session."""
    return Certificates(pki)


@pytest.fixture
def http_server(request: pytest.FixtureRequest) -> TestServer:
    """Plain HTTP test server, fresh for each test so its request log is the test's own."""
    server = TestServer()
    request.addfinalizer(serve(server))
    return server


@pytest.fixture
def second_http_server(request: pytest.FixtureRequest) -> TestServer:
    """Another plain HTTP server, to follow redirects from one server to another."""
    server = TestServer()
    request.addfinalizer(serve(server))
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
        request.addfinalizer(serve(server))
        return server

    return start


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Callable[..., RawServer]:
    """A factory: a misbehaving TCP server, stopped when the test ends."""

    def start(behaviour: str, tls: ssl.SSLContext | None = None) -> RawServer:
        server = RawServer(behaviour, tls)
        request.addfinalizer(server.stop)
        return server

    return start


@pytest.fixture
def scripted_server(request: pytest.FixtureRequest) -> Callable[..., ScriptedServer]:
    """A factory: a server that answers with the given bytes, stopped when the test ends."""

    def start(reply: bytes, hold: bool = False) -> ScriptedServer:
        server = ScriptedServer(reply, hold)
        request.addfinalizer(server.stop)
        return server

    return start


@pytest.fixture
def proxy_server(request: pytest.FixtureRequest) -> Callable[..., ProxyServer]:
    """A factory: an HTTP proxy on 127.0.0.1, optionally requiring basic credentials,
    speaking TLS to its clients, or knowing more host names than localhost."""

    def start(
        required_auth: str | None = None,
        tls: ssl.SSLContext | None = None,
        names: tuple[str, ...] = ("localhost",),
    ) -> ProxyServer:
        server = ProxyServer(required_auth, tls, names)
        request.addfinalizer(serve(server))
        return server

    return start


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, certs: Certificates) -> Callable[..., SmtpServer]:
    """A factory: aiosmtpd on loopback, with STARTTLS or implicit TLS presenting the named
    certificate, AUTH, a mailbox; stopped when the test ends."""

    def start(
        *,
        starttls: str | None = None,
        implicit: str | None = None,
        address: str = "127.0.0.1",
        auth: bool = False,
        auth_over_clear: bool = False,
        exclude_mechanisms: tuple[str, ...] = (),
    ) -> SmtpServer:
        server = SmtpServer(
            address=address,
            starttls=server_context(getattr(certs, starttls)) if starttls else None,
            implicit=server_context(getattr(certs, implicit)) if implicit else None,
            auth=auth,
            auth_over_clear=auth_over_clear,
            exclude_mechanisms=exclude_mechanisms,
        )
        request.addfinalizer(server.stop)
        return server

    return start


@pytest.fixture
def hostile_smtp(request: pytest.FixtureRequest) -> Callable[[str], HostileSmtp]:
    """A factory: a misbehaving mail server on 127.0.0.1, stopped when the test ends."""

    def start(behaviour: str) -> HostileSmtp:
        server = HostileSmtp(behaviour)
        request.addfinalizer(server.stop)
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
