"""check_vigie_http and the names it is given: international names, several addresses,
proxies reached over TLS and asked for a tunnel by name.

Names resolve through the test's own /etc/hosts (``check_http_resolving``), to servers on
loopback addresses; nothing here asks DNS.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.plugins.running import check_http, check_http_resolving
from tests.servers.blackhole import Blackhole
from tests.servers.http_app import TestServer
from tests.servers.loopback import LOOPBACK
from tests.servers.pki import Certificates, server_context
from tests.servers.proxy import ProxyServer

TLSServer = Callable[..., TestServer]
Proxy = Callable[..., ProxyServer]
BUECHER, BUECHER_ACE = "bücher.example", "xn--bcher-kva.example"
TATOEBA, TATOEBA_ACE = "例え.jp", "xn--r8jz45g.jp"


# --- international names --------------------------------------------------------------


@pytest.mark.parametrize(("name", "ace"), [(BUECHER, BUECHER_ACE), (TATOEBA, TATOEBA_ACE)])
def test_an_international_name_is_resolved_and_sent_in_its_idna_form(
    http_server: TestServer, name: str, ace: str
) -> None:
    port = str(http_server.port)
    run = check_http_resolving([(LOOPBACK, ace)], "-H", name, "-p", port, "-u", "/echo")
    assert run.code == 0, run
    assert http_server.requests[-1].headers["host"] == f"{ace}:{port}"


def test_an_international_name_with_a_port_keeps_it_in_the_host_header(
    http_server: TestServer,
) -> None:
    port = str(http_server.port)
    run = check_http("-H", f"{BUECHER}:8080", "-I", LOOPBACK, "-p", port)
    assert run.code == 0, run
    assert http_server.requests[-1].headers["host"] == f"{BUECHER_ACE}:8080"


def test_an_international_name_goes_in_sni_and_is_checked_against_the_certificate(
    tls_server: TLSServer, certs: Certificates
) -> None:
    server = tls_server("idn")
    run = check_http_resolving(
        [(LOOPBACK, TATOEBA_ACE)],
        *("-H", TATOEBA, "-p", str(server.port), "-S", "--ca-file", str(certs.ca), "-C", "30"),
    )
    assert run.code == 0, run
    assert server.server_names == [TATOEBA_ACE]
    assert server.requests[-1].headers["host"] == f"{TATOEBA_ACE}:{server.port}"


def test_sni_given_as_an_international_name_is_sent_in_its_idna_form(
    tls_server: TLSServer, certs: Certificates
) -> None:
    server = tls_server("idn")
    ca = ("--ca-file", str(certs.ca))
    run = check_http("-I", LOOPBACK, "-p", str(server.port), "--sni", BUECHER, *ca)
    assert run.code == 0, run
    assert server.server_names == [BUECHER_ACE]


def test_a_name_idna_cannot_encode_is_a_bad_argument() -> None:
    run = check_http("-H", "ü" + "x" * 70 + ".example")
    assert run.code == 3, run
    assert run.first.startswith("HTTP UNKNOWN - bad arguments: -H/--hostname: ")
    assert "is not a valid international domain name" in run.first


def test_a_redirect_to_an_international_name_follows_its_idna_form(
    http_server: TestServer, second_http_server: TestServer
) -> None:
    port, other = str(http_server.port), second_http_server.port
    to = f"/redirect-to?url=http://{BUECHER}:{other}/echo/there"
    run = check_http_resolving(
        [(LOOPBACK, BUECHER_ACE)], "-H", LOOPBACK, "-p", port, "-u", to, "-f"
    )
    assert run.code == 0, run
    assert second_http_server.requests[-1].headers["host"] == f"{BUECHER_ACE}:{other}"


# --- several addresses ----------------------------------------------------------------


def test_an_address_that_never_answers_does_not_use_up_the_deadline(
    http_server: TestServer,
) -> None:
    # ::1 sorts before 127.0.0.1 and never answers; the check must still reach the second
    # address within -t, and say at -vv what the first one did.
    blackhole = Blackhole("::1", http_server.port)
    try:
        run = check_http_resolving(
            [("::1", "twice.test"), (LOOPBACK, "twice.test")],
            *("-H", "twice.test", "-p", str(http_server.port), "-t", "4", "-vv"),
        )
    finally:
        blackhole.stop()
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK"), run
    assert "twice.test resolves to ::1, 127.0.0.1" in run.stdout
    assert "connecting to ::1 port" in run.stdout and "failed: no answer in" in run.stdout
    assert http_server.requests, "the second address was never tried"


def blackholes_on_one_port(request: pytest.FixtureRequest, *addresses: str) -> int:
    """A port where each of ``addresses`` never answers, until the test ends.

    The port comes from the first address; on another, something may hold it already,
    so a few ports are tried.
    """
    for _ in range(20):
        holes = [Blackhole(addresses[0])]
        try:
            holes += [Blackhole(address, holes[0].port) for address in addresses[1:]]
        except OSError:
            for hole in holes:
                hole.stop()
            continue
        for hole in holes:
            request.addfinalizer(hole.stop)
        return holes[0].port
    raise AssertionError(f"no port free on all of {addresses}")


def test_when_no_address_answers_each_is_named(request: pytest.FixtureRequest) -> None:
    port = blackholes_on_one_port(request, "::1", LOOPBACK)
    run = check_http_resolving(
        [("::1", "nowhere.test"), (LOOPBACK, "nowhere.test")],
        *("-H", "nowhere.test", "-p", str(port), "-t", "2"),
    )
    assert run.code == 2, run
    assert run.text.startswith(
        f"HTTP CRITICAL - no address of nowhere.test answered on port {port}: ::1 no answer in "
    ), run
    assert "; 127.0.0.1 no answer in" in run.text


# --- proxies --------------------------------------------------------------------------


def test_a_tunnel_is_asked_for_by_host_name(
    tls_server: TLSServer, certs: Certificates, proxy_server: Proxy
) -> None:
    # -I says where to connect without a proxy; through one, the proxy resolves the name.
    server, proxy = tls_server("valid"), proxy_server()
    run = check_http(
        *("-H", "localhost", "-I", LOOPBACK, "-p", str(server.port), "-S"),
        *("--ca-file", str(certs.ca), "--proxy", f"{LOOPBACK}:{proxy.port}"),
    )
    assert run.code == 0, run
    assert proxy.seen == [("CONNECT", f"localhost:{server.port}", None)]


def test_a_tunnel_to_an_international_name_asks_for_its_idna_form(
    tls_server: TLSServer, certs: Certificates, proxy_server: Proxy
) -> None:
    # Only the proxy knows the name: the plugin never resolves it.
    server, proxy = tls_server("idn"), proxy_server(names=(BUECHER_ACE,))
    run = check_http(
        *("-H", BUECHER, "-p", str(server.port), "-S", "--ca-file", str(certs.ca)),
        *("--proxy", f"http://{LOOPBACK}:{proxy.port}"),
    )
    assert run.code == 0, run
    assert proxy.seen == [("CONNECT", f"{BUECHER_ACE}:{server.port}", None)]
    assert server.server_names == [BUECHER_ACE]


def test_an_https_proxy_carries_a_plain_request_over_tls(
    http_server: TestServer, certs: Certificates, proxy_server: Proxy
) -> None:
    proxy = proxy_server(tls=server_context(certs.valid))
    run = check_http(
        *("-H", LOOPBACK, "-p", str(http_server.port), "-u", "/echo/over-tls"),
        *("--proxy", f"https://localhost:{proxy.port}", "--ca-file", str(certs.ca)),
        *("-d", "Via: 1.1 vigie-test-proxy"),
    )
    assert run.code == 0, run
    assert proxy.seen[-1][:2] == ("GET", f"http://{LOOPBACK}:{http_server.port}/echo/over-tls")
    assert "time_tls" not in run.perfdata  # the proxy's handshake is not the server's


def test_an_https_proxy_tunnels_tls_inside_tls(
    tls_server: TLSServer, certs: Certificates, proxy_server: Proxy
) -> None:
    server = tls_server("expiring")
    proxy = proxy_server(tls=server_context(certs.valid))
    run = check_http(
        *("-H", "localhost", "-p", str(server.port), "-S", "--ca-file", str(certs.ca)),
        *("--proxy", f"https://{LOOPBACK}:{proxy.port}", "-C", "30,2", "-u", "/echo/in"),
    )
    # The certificate judged is the server's (4 days left), not the proxy's (90 days).
    assert run.code == 1, run
    assert run.text.startswith("HTTP WARNING - certificate of localhost expires in 4.0 days")
    assert proxy.seen == [("CONNECT", f"localhost:{server.port}", None)]
    assert server.requests[-1].path == "/echo/in"
    assert run.perfdata["cert_days_left"][0] < 5


def test_an_https_proxy_with_an_untrusted_certificate_is_critical(
    http_server: TestServer, certs: Certificates, proxy_server: Proxy
) -> None:
    proxy = proxy_server(tls=server_context(certs.self_signed))
    run = check_http(
        *("-H", LOOPBACK, "-p", str(http_server.port)),
        *("--proxy", f"https://{LOOPBACK}:{proxy.port}", "--ca-file", str(certs.ca)),
    )
    assert run.code == 2, run
    assert run.text.startswith(f"HTTP CRITICAL - TLS certificate of {LOOPBACK} not accepted")
    assert not http_server.requests
