"""check_vigie_http against real servers on 127.0.0.1, flag by flag.

Each test runs the installed console script as Icinga would and checks the exit code, the
first line and the perfdata; where a flag changes the request, the server's own record of
what it received is checked too. Every flag has a test that fails if the flag did nothing.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.plugins.running import CHECK_HTTP, PluginRun, check_http, run_command
from tests.servers.http_app import BASIC_PASSWORD, BASIC_USER, BEARER_TOKEN, HOME_PAGE, TestServer
from tests.servers.pki import Certificates, server_context
from tests.servers.proxy import ProxyServer
from tests.servers.scripted import RawServer, ScriptedServer

HTTP_PERFDATA = ["time", "size", "time_connect", "time_headers", "time_firstbyte", "time_transfer"]
HTTPS_PERFDATA = [
    "time",
    "size",
    "time_connect",
    "time_tls",
    "time_headers",
    "time_firstbyte",
    "time_transfer",
    "cert_days_left",
]
TLSServer = Callable[..., TestServer]


def local(
    server: TestServer | RawServer | ScriptedServer, *args: str, **kwargs: dict[str, str]
) -> PluginRun:
    """check_vigie_http against a plain server on 127.0.0.1."""
    return check_http("-H", "127.0.0.1", "-p", str(server.port), *args, **kwargs)


def secure(
    server: TestServer | RawServer,
    certs: Certificates,
    *args: str,
    env: dict[str, str] | None = None,
) -> PluginRun:
    """check_vigie_http over TLS to localhost, trusting the test CA."""
    return check_http(
        "-H", "localhost", "-p", str(server.port), "-S", "--ca-file", str(certs.ca), *args, env=env
    )


# --- the basics -----------------------------------------------------------------------


def test_ok_line_and_perfdata(http_server: TestServer) -> None:
    run = local(http_server)
    assert run.code == 0, run
    match = re.fullmatch(r"HTTP OK - 200 OK, (\d+) bytes in (\d+\.\d{3}) s", run.text)
    assert match, run.first
    assert int(match.group(1)) == len(HOME_PAGE)
    assert list(run.perfdata) == HTTP_PERFDATA
    assert run.perfdata["size"] == (len(HOME_PAGE), "B", ["", "", "0"])
    value, unit, fields = run.perfdata["time"]
    assert unit == "s" and fields == ["", "", "0"]
    assert re.search(r"\btime=\d+\.\d{6}s;;;0 ", run.first)
    assert abs(value - float(match.group(2))) < 0.001
    for name in HTTP_PERFDATA[2:]:
        assert run.perfdata[name][0] <= value
    assert len(run.lines) == 1
    assert http_server.requests[-1].headers["host"] == f"127.0.0.1:{http_server.port}"


def test_https_adds_tls_time_and_certificate_days(
    tls_server: TLSServer, certs: Certificates
) -> None:
    server = tls_server("valid")
    run = secure(server, certs)
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK, ")
    assert list(run.perfdata) == HTTPS_PERFDATA
    assert 89 < run.perfdata["cert_days_left"][0] <= 90
    assert server.requests[-1].headers["host"] == f"localhost:{server.port}"


def test_connection_refused_is_critical(http_server: TestServer) -> None:
    port = http_server.port
    http_server.shutdown()
    http_server.server_close()
    run = check_http("-H", "127.0.0.1", "-p", str(port))
    assert run.code == 2
    assert run.text == f"HTTP CRITICAL - connection refused by 127.0.0.1 port {port}"
    assert list(run.perfdata) == ["time", "time_connect"] or list(run.perfdata) == ["time"]


# --- target ---------------------------------------------------------------------------


def test_hostname_with_port_goes_into_the_host_header(http_server: TestServer) -> None:
    run = check_http("-H", "vhost.example:8080", "-I", "127.0.0.1", "-p", str(http_server.port))
    assert run.code == 0, run
    assert http_server.requests[-1].headers["host"] == "vhost.example:8080"


def test_ip_is_where_to_connect_and_hostname_what_to_ask(http_server: TestServer) -> None:
    # vhost.example does not resolve: the request only arrives through -I.
    run = check_http("-H", "vhost.example", "-I", "127.0.0.1", "-p", str(http_server.port))
    assert run.code == 0, run
    assert http_server.requests[-1].headers["host"] == f"vhost.example:{http_server.port}"
    without_ip = check_http("-H", "vhost.example", "-p", str(http_server.port))
    assert without_ip.code == 2
    assert without_ip.text.startswith("HTTP CRITICAL - cannot resolve vhost.example")


def test_ip_alone_is_enough(http_server: TestServer) -> None:
    run = check_http("-I", "127.0.0.1", "-p", str(http_server.port))
    assert run.code == 0, run


def test_ip_alone_over_tls_checks_the_address_in_the_certificate(
    tls_server: TLSServer, certs: Certificates
) -> None:
    good, wrong = tls_server("valid"), tls_server("wrong_host")
    ca = ("-S", "--ca-file", str(certs.ca))
    assert check_http("-I", "127.0.0.1", "-p", str(good.port), *ca).code == 0
    assert good.server_names[-1] is None  # no SNI for an address
    run = check_http("-I", "127.0.0.1", "-p", str(wrong.port), *ca)
    assert run.code == 2, run
    assert "certificate is not valid for '127.0.0.1'" in run.text


def test_port_selects_the_server(http_server: TestServer, second_http_server: TestServer) -> None:
    local(http_server)
    local(second_http_server)
    assert len(http_server.requests) == len(second_http_server.requests) == 1


def test_uri_is_sent_with_its_query(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/echo/path?x=1&y=two")
    assert run.code == 0, run
    assert http_server.requests[-1].path == "/echo/path?x=1&y=two"
    assert local(http_server, "-u", "/status/404").code == 1


def ipv6_available() -> bool:
    """True when this machine can open IPv6 sockets (the -4/-6 tests need it)."""
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 sockets on this machine")
def test_ipv4_only(http_server: TestServer) -> None:
    # An IPv4-mapped IPv6 address reaches the IPv4 server either way: -4 picks the family.
    both = check_http("-I", "::ffff:127.0.0.1", "-p", str(http_server.port), "-vv")
    v4 = check_http("-I", "::ffff:127.0.0.1", "-p", str(http_server.port), "-vv", "-4")
    assert both.code == v4.code == 0, (both, v4)
    assert f"port {http_server.port} (IPv6)" in both.stdout
    assert f"connected to 127.0.0.1 port {http_server.port} (IPv4)" in v4.stdout


def test_ipv6_only(http_server: TestServer) -> None:
    # The servers listen on 127.0.0.1 only: forced to IPv6, "localhost" cannot reach them.
    assert check_http("-H", "localhost", "-p", str(http_server.port)).code == 0
    run = check_http("-H", "localhost", "-p", str(http_server.port), "-6")
    assert run.code == 2, run
    assert "IPv6" in run.text or "::1" in run.text


def test_family_contradicting_the_address_is_a_usage_error() -> None:
    run = check_http("-I", "::1", "-4")
    assert run.code == 3
    assert run.first == "HTTP UNKNOWN - bad arguments: -4 contradicts --ip ::1"


# --- TLS and certificates -------------------------------------------------------------


def test_untrusted_ca_is_critical_until_ca_file(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("valid")
    run = check_http("-H", "localhost", "-p", str(server.port), "-S")
    assert run.code == 2, run
    assert run.text == (
        "HTTP CRITICAL - TLS certificate of localhost not accepted: "
        "unable to get local issuer certificate"
    )
    assert secure(server, certs).code == 0


def test_self_signed_is_critical_unless_insecure(
    tls_server: TLSServer, certs: Certificates
) -> None:
    server = tls_server("self_signed")
    run = secure(server, certs)
    assert run.code == 2, run
    assert run.text.startswith("HTTP CRITICAL - TLS certificate of localhost not accepted: ")
    assert "self-signed certificate" in run.text
    insecure = check_http("-H", "localhost", "-p", str(server.port), "-S", "--insecure")
    assert insecure.code == 0, insecure
    assert "cert_days_left" in insecure.perfdata


def test_expired_certificate_says_so_and_still_reports_its_days(
    tls_server: TLSServer, certs: Certificates
) -> None:
    run = secure(tls_server("expired"), certs)
    assert run.code == 2, run
    assert run.text.startswith(
        "HTTP CRITICAL - TLS certificate of localhost not accepted: certificate has expired"
    )
    assert -10.1 < run.perfdata["cert_days_left"][0] < -9.9


def test_wrong_host_name_is_critical(tls_server: TLSServer, certs: Certificates) -> None:
    run = secure(tls_server("wrong_host"), certs)
    assert run.code == 2, run
    assert "Hostname mismatch, certificate is not valid for 'localhost'" in run.text


def test_sni_is_the_host_name_by_default(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("valid")
    assert secure(server, certs).code == 0
    assert server.server_names[-1] == "localhost"


def test_sni_sends_and_verifies_another_name(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("wrong_host")
    run = secure(server, certs, "--sni", "wrong.example")
    assert run.code == 0, run
    assert server.server_names[-1] == "wrong.example"


def test_no_sni_sends_none_and_still_checks_the_name(
    tls_server: TLSServer, certs: Certificates
) -> None:
    good = tls_server("valid")
    run = secure(good, certs, "--no-sni")
    assert run.code == 0, run
    assert good.server_names[-1] is None
    bad = secure(tls_server("wrong_host"), certs, "--no-sni")
    assert bad.code == 2, bad
    assert bad.text.startswith("HTTP CRITICAL - TLS certificate of localhost port")
    assert bad.text.endswith("does not name localhost")


def test_tls_min_version(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("valid", max_version=ssl.TLSVersion.TLSv1_2)
    assert secure(server, certs).code == 0
    run = secure(server, certs, "--tls-min-version", "1.3")
    assert run.code == 2, run
    assert run.text.startswith(f"HTTP CRITICAL - TLS handshake with localhost port {server.port}")


def test_client_certificate(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("valid", require_client_cert=True)
    refused = secure(server, certs, "-u", "/echo")
    assert refused.code == 2, refused
    # TLS 1.3 reports the refusal after the handshake, as an alert or as an abrupt end.
    assert "client certificate" in refused.text
    cert, key = certs.client
    with_cert = ("--client-cert", str(cert), "--client-key", str(key))
    run = secure(server, certs, "-u", "/echo", "-s", '"client_cert": "vigie-client"', *with_cert)
    assert run.code == 0, run
    assert server.requests[-1].path == "/echo"


def test_client_certificate_file_problems_are_unknown(certs: Certificates, tmp_path: Path) -> None:
    run = check_http("-H", "localhost", "--client-cert", str(tmp_path / "none.pem"))
    assert run.code == 3
    assert run.first.startswith(f"HTTP UNKNOWN - cannot load --client-cert {tmp_path}/none.pem")
    assert check_http("-H", "localhost", "--client-key", "k.pem").code == 3


def test_ca_file_that_cannot_be_read_is_unknown(tmp_path: Path) -> None:
    run = check_http("-H", "localhost", "-S", "--ca-file", str(tmp_path / "no-ca.pem"))
    assert run.code == 3
    assert run.first.startswith(f"HTTP UNKNOWN - cannot load --ca-file {tmp_path}/no-ca.pem")


@pytest.mark.parametrize(
    ("spec", "code", "words"),
    [
        ("30,14", 2, "certificate of localhost expires in 4.0 days"),
        ("5,2", 1, "under the warning threshold of 5 days"),
        ("3,1", 0, "certificate valid for 4 more days"),
    ],
)
def test_certificate_days(
    tls_server: TLSServer, certs: Certificates, spec: str, code: int, words: str
) -> None:
    run = secure(tls_server("expiring"), certs, "-C", spec)
    assert run.code == code, run
    assert words in run.text
    warn, crit = spec.split(",")
    days, unit, fields = run.perfdata["cert_days_left"]
    assert 3.9 < days < 4.01 and unit == ""
    assert fields[:2] == [f"{warn}:", f"{crit}:"]


def test_certificate_days_at_the_bounds(tls_server: TLSServer, certs: Certificates) -> None:
    # str() of these floats is 1e-05 and 36500.0; the thresholds must still be ranges.
    server = tls_server("expiring")
    tiny = secure(server, certs, "-C", "0.00001")
    assert tiny.code == 0, tiny
    assert tiny.perfdata["cert_days_left"][2][:2] == ["0.00001:", "0:"]
    century = secure(server, certs, "-C", "36500,1")
    assert century.code == 1, century
    assert "under the warning threshold of 36500 days" in century.text


def test_certificate_implies_tls(tls_server: TLSServer, certs: Certificates) -> None:
    server = tls_server("valid")
    run = check_http(
        "-H", "localhost", "-p", str(server.port), "--ca-file", str(certs.ca), "-C", "30"
    )
    assert run.code == 0, run
    assert "time_tls" in run.perfdata


def test_certificate_is_checked_even_when_http_fails(
    raw_server: Callable[..., RawServer], certs: Certificates
) -> None:
    server = raw_server("tls-hang-up", server_context(certs.expiring))
    run = secure(server, certs, "-C", "30,2")
    assert run.code == 2, run
    assert "closed the connection without answering" in run.text
    assert "certificate of localhost expires in 4.0 days" in run.text
    assert 3.9 < run.perfdata["cert_days_left"][0] < 4.01


def test_plain_server_on_a_tls_check_is_critical(http_server: TestServer) -> None:
    run = check_http("-H", "localhost", "-p", str(http_server.port), "-S")
    assert run.code == 2
    assert run.text.startswith(
        f"HTTP CRITICAL - TLS handshake with localhost port {http_server.port}"
    )


# --- status and redirects -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "state", "exit_code"),
    [(200, "OK", 0), (204, "OK", 0), (302, "OK", 0), (404, "WARNING", 1), (503, "CRITICAL", 2)],
)
def test_default_status_classes(
    http_server: TestServer, code: int, state: str, exit_code: int
) -> None:
    run = local(http_server, "-u", f"/status/{code}")
    assert run.code == exit_code, run
    assert run.text.startswith(f"HTTP {state} - {code} ")


def test_expect_lists_codes_and_ranges(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/status/404", "-e", "404").code == 0
    assert local(http_server, "-u", "/status/302", "-e", "200,301-302").code == 0
    run = local(http_server, "-u", "/status/200", "-e", "201,204-206")
    assert run.code == 2, run
    assert run.text.startswith("HTTP CRITICAL - status 200 is not one of -e 201,204-206; 200 OK, ")


def test_follow_a_redirect_chain(http_server: TestServer) -> None:
    unfollowed = local(http_server, "-u", "/redirect/3")
    assert unfollowed.code == 0 and unfollowed.text.startswith("HTTP OK - 302 Found, ")
    assert len(http_server.requests) == 1
    run = local(http_server, "-u", "/redirect/3", "-f")
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK after 3 redirects, 17 bytes in ")
    assert [r.path for r in http_server.requests[1:]] == [f"/redirect/{n}" for n in (3, 2, 1, 0)]


def test_expect_is_judged_on_the_final_response(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/redirect/1", "-f", "-e", "200").code == 0
    assert local(http_server, "-u", "/redirect/1", "-e", "200").code == 2


def test_follow_keeps_the_query_string(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/redirect-to?url=/echo/next%3Fa%3D1%26b%3Dtwo", "-f")
    assert run.code == 0, run
    assert http_server.requests[-1].path == "/echo/next?a=1&b=two"


def test_follow_to_another_server(http_server: TestServer, second_http_server: TestServer) -> None:
    target = f"http://127.0.0.1:{second_http_server.port}/echo/elsewhere?k=v"
    run = local(http_server, "-u", f"/redirect-to?url={target}", "-f")
    assert run.code == 0, run
    assert second_http_server.requests[-1].path == "/echo/elsewhere?k=v"
    assert second_http_server.requests[-1].headers["host"] == f"127.0.0.1:{second_http_server.port}"


def test_max_redirects(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/redirect/5", "-f", "--max-redirects", "2")
    assert run.code == 2, run
    assert run.text == (
        "HTTP CRITICAL - more than 2 redirects (--max-redirects), the last to /redirect/2"
    )
    assert local(http_server, "-u", "/redirect/5", "-f").code == 0


def test_see_other_after_post_becomes_get_and_307_keeps_post(http_server: TestServer) -> None:
    local(http_server, "-u", "/redirect-to?url=/echo/a&code=303", "-f", "-P", "x=1")
    assert (http_server.requests[-1].method, http_server.requests[-1].body) == ("GET", b"")
    local(http_server, "-u", "/redirect-to?url=/echo/b&code=307", "-f", "-P", "x=1")
    assert (http_server.requests[-1].method, http_server.requests[-1].body) == ("POST", b"x=1")


def test_redirect_to_an_unsupported_scheme_is_critical(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/redirect-to?url=ftp://127.0.0.1/file", "-f")
    assert run.code == 2
    assert run.text == "HTTP CRITICAL - redirect to an unsupported URL: ftp://127.0.0.1/file"


# --- content --------------------------------------------------------------------------


def test_string(http_server: TestServer) -> None:
    assert local(http_server, "-s", "Vigie test server").code == 0
    run = local(http_server, "-s", "Nagios")
    assert run.code == 2
    assert run.text.startswith("HTTP CRITICAL - string 'Nagios' not found in the body; 200 OK, ")


def test_regex_and_its_case_insensitive_form(http_server: TestServer) -> None:
    assert local(http_server, "-r", r"Welcome to the \w+ test").code == 0
    assert local(http_server, "-r", "WELCOME").code == 2
    assert local(http_server, "-R", "WELCOME").code == 0
    run = local(http_server, "-R", "goodbye")
    assert run.code == 2
    assert "pattern 'goodbye' not found in the body" in run.text


def test_invert_regex(http_server: TestServer) -> None:
    run = local(http_server, "-r", "Welcome", "--invert-regex")
    assert run.code == 2
    assert "pattern 'Welcome' found in the body (--invert-regex)" in run.text
    assert local(http_server, "-r", "Error", "--invert-regex").code == 0


def test_header_string(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/headers", "-d", "X-Vigie-Probe: ready").code == 0
    run = local(http_server, "-u", "/headers", "-d", "X-Vigie-Probe: broken")
    assert run.code == 2
    assert "header string 'X-Vigie-Probe: broken' not found" in run.text


def test_size_range(http_server: TestServer) -> None:
    size = len(HOME_PAGE)
    assert local(http_server, "-m", f"{size}:{size}").code == 0
    small = local(http_server, "-m", f"{size + 1}")
    assert small.code == 1
    assert f"size {size} bytes is outside -m {size + 1}:" in small.text
    assert small.perfdata["size"][2][0] == f"{size + 1}:"
    assert local(http_server, "-m", f"1:{size - 1}").code == 1


def test_max_age(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/modified?age=600", "-M", "1h").code == 0
    run = local(http_server, "-u", "/modified?age=7200", "-M", "1h")
    assert run.code == 2
    assert run.text.startswith("HTTP CRITICAL - document is 2 h 0 min old, more than -M 1h; ")
    assert local(http_server, "-u", "/modified?age=7200", "-M", "2d").code == 0
    assert local(http_server, "-u", "/modified?age=90", "-M", "60").code == 2
    undated = local(http_server, "-u", "/modified", "-M", "1d")
    assert undated.code == 2
    assert "no Last-Modified header in the response (-M)" in undated.text
    garbage = local(http_server, "-u", "/modified?bad=1", "-M", "1d")
    assert "Last-Modified header is not a date" in garbage.text


def test_large_body_is_counted_exactly(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/big?size=5000000", "-s", "BEGIN")
    assert run.code == 0, run
    assert run.perfdata["size"][0] == 5_000_000
    assert run.text.startswith("HTTP OK - 200 OK, 5000000 bytes in ")


def test_chunked_body(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/chunked", "-s", "last piece")
    assert run.code == 0, run
    assert run.perfdata["size"][0] == len(b"first piece, second piece, last piece\n")


# --- request --------------------------------------------------------------------------


def test_method_any_token(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/echo", "-j", "BREW").code == 0
    assert http_server.requests[-1].method == "BREW"
    refused = local(http_server, "-j", "DELETE")
    assert refused.code == 1
    assert refused.text.startswith("HTTP WARNING - 405 Method Not Allowed")
    assert local(http_server, "-j", "GE T").code == 3


def test_head(http_server: TestServer) -> None:
    run = local(http_server, "-j", "HEAD")
    assert run.code == 0
    assert run.perfdata["size"][0] == 0
    assert http_server.requests[-1].method == "HEAD"


def test_data_implies_post_and_content_type(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/echo", "-P", "a=1&b=2").code == 0
    posted = http_server.requests[-1]
    assert (posted.method, posted.body) == ("POST", b"a=1&b=2")
    assert posted.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        local(http_server, "-u", "/echo", "-P", "{}", "-j", "PUT", "-T", "application/json").code
        == 0
    )
    put = http_server.requests[-1]
    assert (put.method, put.body, put.headers["content-type"]) == ("PUT", b"{}", "application/json")


def test_headers_are_repeatable_and_override_defaults(http_server: TestServer) -> None:
    run = local(
        http_server, "-u", "/echo", "-k", "X-One: 1", "-k", "X-Two: two", "-k", "Accept: text/plain"
    )
    assert run.code == 0, run
    headers = http_server.requests[-1].headers
    assert (headers["x-one"], headers["x-two"], headers["accept"]) == ("1", "two", "text/plain")
    assert local(http_server, "-k", "no colon here").code == 3


def test_command_line_bytes_reach_the_server_as_given(http_server: TestServer) -> None:
    # A body that is not UTF-8 (argv byte 0xff) once ended as an internal error; a path
    # with non-ASCII characters as a CRITICAL "invalid request target".
    run = local(http_server, "-u", "/echo/caf\u00e9", "-P", "\udcff\u00e9")
    assert run.code == 0, run
    received = http_server.requests[-1]
    assert (received.path, received.body) == ("/echo/caf%C3%A9", b"\xff\xc3\xa9")


def test_user_agent(http_server: TestServer) -> None:
    local(http_server, "-u", "/echo")
    assert http_server.requests[-1].headers["user-agent"].startswith("check_vigie_http/")
    local(http_server, "-u", "/echo", "-A", "Icinga probe")
    assert http_server.requests[-1].headers["user-agent"] == "Icinga probe"


def test_basic_auth_from_the_environment(http_server: TestServer) -> None:
    assert local(http_server, "-u", "/auth").code == 1  # 401
    run = local(
        http_server, "-u", "/auth", env={"VIGIE_HTTP_AUTH": f"{BASIC_USER}:{BASIC_PASSWORD}"}
    )
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK")


def test_basic_auth_from_a_file(
    http_server: TestServer, secret_file: Callable[[str], Path]
) -> None:
    path = secret_file(f"{BASIC_USER}:{BASIC_PASSWORD}\n")
    run = local(http_server, "-u", "/auth", "--auth-file", str(path), "-vvv")
    assert run.code == 0, run
    # The secret is neither on the command line nor in the verbose output.
    assert BASIC_PASSWORD not in run.stdout
    assert "('Authorization', '***')" in run.stdout
    wrong = local(http_server, "-u", "/auth", "--auth-file", str(secret_file("monitor:wrong")))
    assert wrong.code == 1


def test_auth_file_problems_are_unknown(secret_file: Callable[[str], Path], tmp_path: Path) -> None:
    missing = check_http("-H", "localhost", "--auth-file", str(tmp_path / "nope"))
    assert missing.code == 3
    assert missing.first == (
        f"HTTP UNKNOWN - cannot read basic auth credentials from {tmp_path}/nope: "
        "No such file or directory"
    )
    no_colon = check_http("-H", "localhost", "--auth-file", str(secret_file("justauser")))
    assert no_colon.code == 3
    assert "must be user:password" in no_colon.first


def test_credentials_are_not_sent_to_another_host(
    http_server: TestServer, second_http_server: TestServer
) -> None:
    target = f"http://localhost:{second_http_server.port}/echo"
    env = {"VIGIE_HTTP_AUTH": f"{BASIC_USER}:{BASIC_PASSWORD}"}
    local(http_server, "-u", f"/redirect-to?url={target}", "-f", env=env)
    assert "authorization" in http_server.requests[-1].headers
    assert "authorization" not in second_http_server.requests[-1].headers


HEADER_FILE = f"""\
# secrets for the shop's API: read by Icinga's user only

Authorization: Bearer {BEARER_TOKEN}
Cookie: session=abc123; theme=dark
X-Tenant:   acme-private\r
"""


def test_secret_headers_from_a_file(
    http_server: TestServer, secret_file: Callable[[str], Path]
) -> None:
    assert local(http_server, "-u", "/bearer").code == 1  # 401 without the token
    args = ["-u", "/bearer", "--header-file", str(secret_file(HEADER_FILE)), "-vvv"]
    args += ["-k", "X-Tenant: public"]
    run = local(http_server, *args)
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK")
    seen = http_server.requests[-1].headers
    assert seen["authorization"] == f"Bearer {BEARER_TOKEN}"
    assert seen["cookie"] == "session=abc123; theme=dark"
    assert seen["x-tenant"] == "acme-private"  # the file's value replaces -k's
    # Neither on the command line nor in the verbose output.
    assert not any(BEARER_TOKEN in arg or "abc123" in arg for arg in args)
    assert BEARER_TOKEN not in run.stdout and "abc123" not in run.stdout
    assert "acme-private" not in run.stdout
    for name in ("Authorization", "Cookie", "X-Tenant"):
        assert f"('{name}', '***')" in run.stdout


def test_secret_headers_from_the_environment(
    http_server: TestServer, secret_file: Callable[[str], Path]
) -> None:
    env = {"VIGIE_HTTP_HEADERS": f"Authorization: Bearer {BEARER_TOKEN}\n\n# a comment\nX-A: 1"}
    run = local(http_server, "-u", "/bearer", env=env)
    assert run.code == 0, run
    assert http_server.requests[-1].headers["x-a"] == "1"
    # An empty variable is no header at all: that is what Icinga passes for an unset var.
    assert local(http_server, "-u", "/bearer", env={"VIGIE_HTTP_HEADERS": ""}).code == 1
    # The file, when given, wins over the variable.
    other = secret_file("Authorization: Bearer another-token\n")
    assert local(http_server, "-u", "/bearer", "--header-file", str(other), env=env).code == 1
    assert http_server.requests[-1].headers["authorization"] == "Bearer another-token"
    assert "x-a" not in http_server.requests[-1].headers


def test_secret_headers_are_sent_to_the_checked_origin_only(
    http_server: TestServer, second_http_server: TestServer
) -> None:
    env = {"VIGIE_HTTP_HEADERS": f"Authorization: Bearer {BEARER_TOKEN}\nCookie: s=1"}
    elsewhere = f"http://localhost:{second_http_server.port}/echo"
    run = local(http_server, "-u", "/redirect-to?url=/bearer", "-f", env=env)
    assert run.code == 0, run  # a redirect on the same server keeps them
    local(http_server, "-u", f"/redirect-to?url={elsewhere}", "-f", env=env)
    assert "authorization" in http_server.requests[-1].headers
    assert "authorization" not in second_http_server.requests[-1].headers
    assert "cookie" not in second_http_server.requests[-1].headers


@pytest.mark.parametrize(
    "header", ["Authorization: Bearer xyz-secret", "proxy-authorization: Basic xyz-secret",
               "COOKIE: sid=xyz-secret"]
)  # fmt: skip
def test_secret_headers_are_refused_on_the_command_line(header: str) -> None:
    run = check_http("-H", "localhost", "-k", "X-Ok: 1", "-k", header)
    assert run.code == 3, run
    name = header.partition(":")[0]
    assert run.first == (
        f"HTTP UNKNOWN - bad arguments: argument -k/--header: {name} must not be on the command "
        "line, which Icinga logs: put it in --header-file or $VIGIE_HTTP_HEADERS "
        "(basic auth: $VIGIE_HTTP_AUTH or --auth-file)"
    )
    assert run.lines[1].startswith("usage: check_vigie_http ")
    assert "xyz-secret" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("X-Ok: 1\nBearer abc\n", "line 2: expected 'Name: value', found no colon"),
        ("# c\n\n  Authorization: Bearer abc\n", "line 3: the header name before the colon"),
        ("Bad Name: abc\n", "line 1: the header name before the colon is not an HTTP token"),
        ("X-A: a\x07bc\n", "line 1: control characters in the value"),
        ("X-A: \u20acabc\n", "line 1: the value has characters outside ISO-8859-1"),
    ],
)
def test_malformed_header_file_is_one_unknown_line(
    secret_file: Callable[[str], Path], content: str, problem: str
) -> None:
    path = secret_file(content)
    run = check_http("-H", "localhost", "--header-file", str(path))
    assert run.code == 3, run
    assert run.lines[0].startswith(f"HTTP UNKNOWN - header file {path} {problem}")
    assert len(run.lines) == 1 and "abc" not in run.stdout
    env = {"VIGIE_HTTP_HEADERS": content}
    from_env = check_http("-H", "localhost", env=env)
    assert from_env.code == 3, from_env
    assert from_env.lines == [from_env.first]
    assert from_env.first.startswith(f"HTTP UNKNOWN - $VIGIE_HTTP_HEADERS {problem}")


def test_header_file_problems_are_unknown(
    secret_file: Callable[[str], Path], tmp_path: Path
) -> None:
    missing = check_http("-H", "localhost", "--header-file", str(tmp_path / "nope"))
    assert (missing.code, missing.lines) == (
        3,
        [f"HTTP UNKNOWN - cannot read headers from {tmp_path}/nope: No such file or directory"],
    )
    path = secret_file("Authorization: Bearer abc\n")
    path.write_bytes(b"X-A: \xff\n")
    binary = check_http("-H", "localhost", "--header-file", str(path))
    assert binary.first == f"HTTP UNKNOWN - cannot read headers from {path}: not UTF-8 text"
    empty = check_http("-H", "localhost", "--header-file", str(secret_file("# nothing\n\n")))
    assert empty.first == f"HTTP UNKNOWN - header file {path} has no 'Name: value' line"
    both = check_http(
        "-H", "localhost", "--header-file", str(secret_file("Authorization: Bearer abc\n")),
        env={"VIGIE_HTTP_AUTH": "user:password"},
    )  # fmt: skip
    assert both.code == 3
    assert both.first == (
        f"HTTP UNKNOWN - Authorization comes from both basic auth credentials and {path}: keep one"
    )


def test_proxy_option(http_server: TestServer, proxy_server: Callable[..., ProxyServer]) -> None:
    proxy = proxy_server()
    proxied = ("--proxy", f"http://127.0.0.1:{proxy.port}", "-d", "Via: 1.1 vigie-test-proxy")
    run = local(http_server, "-u", "/echo/via", *proxied)
    assert run.code == 0, run
    assert proxy.seen[-1][:2] == ("GET", f"http://127.0.0.1:{http_server.port}/echo/via")
    assert http_server.requests[-1].path == "/echo/via"


def test_proxy_tunnels_tls(
    tls_server: TLSServer, certs: Certificates, proxy_server: Callable[..., ProxyServer]
) -> None:
    server, proxy = tls_server("valid"), proxy_server()
    run = secure(server, certs, "--proxy", f"127.0.0.1:{proxy.port}", "-C", "30")
    assert run.code == 0, run
    assert proxy.seen[-1][:2] == ("CONNECT", f"localhost:{server.port}")
    assert server.server_names[-1] == "localhost"


def test_proxy_from_the_environment_with_credentials(
    http_server: TestServer, proxy_server: Callable[..., ProxyServer]
) -> None:
    auth = "Basic " + base64.b64encode(b"proxyuser:proxy pass").decode()
    proxy = proxy_server(required_auth=auth)
    env = {"http_proxy": f"http://proxyuser:proxy%20pass@127.0.0.1:{proxy.port}"}
    run = local(http_server, "-u", "/echo/env", env=env)
    assert run.code == 0, run
    assert proxy.seen[-1] == ("GET", f"http://127.0.0.1:{http_server.port}/echo/env", auth)
    bypassed = local(
        http_server, "-u", "/echo/direct", env={**env, "no_proxy": "localhost,127.0.0.1"}
    )
    assert bypassed.code == 0
    assert len(proxy.seen) == 1
    assert http_server.requests[-1].path == "/echo/direct"


@pytest.mark.parametrize("variable", ["https_proxy", "HTTPS_PROXY"])
def test_https_proxy_from_the_environment_tunnels_tls(
    tls_server: TLSServer,
    certs: Certificates,
    proxy_server: Callable[..., ProxyServer],
    http_server: TestServer,
    variable: str,
) -> None:
    server = tls_server("valid")
    auth = "Basic " + base64.b64encode(b"proxyuser:proxy pass").decode()
    proxy = proxy_server(required_auth=auth)
    # http_proxy leads nowhere: an HTTPS target must take https_proxy, not it.
    env = {
        variable: f"http://proxyuser:proxy%20pass@127.0.0.1:{proxy.port}",
        "http_proxy": "http://127.0.0.1:9",
    }
    run = secure(server, certs, "-u", "/echo/tunnelled", "-C", "30", env=env)
    assert run.code == 0, run
    assert proxy.seen == [("CONNECT", f"localhost:{server.port}", auth)]
    assert server.requests[-1].path == "/echo/tunnelled"
    assert server.server_names[-1] == "localhost"
    assert "cert_days_left" in run.perfdata
    # no_proxy exempts the HTTPS target: straight to the server.
    bypassed = secure(server, certs, "-u", "/echo/direct", env={**env, "no_proxy": "localhost"})
    assert bypassed.code == 0, bypassed
    assert len(proxy.seen) == 1
    assert server.requests[-1].path == "/echo/direct"
    # A no_proxy entry with another port does not exempt it.
    other_port = {**env, "no_proxy": f"localhost:{server.port + 1}"}
    assert secure(server, certs, "-u", "/echo/port", env=other_port).code == 0
    assert proxy.seen[-1] == ("CONNECT", f"localhost:{server.port}", auth)
    assert len(proxy.seen) == 2
    # https_proxy is for HTTPS only: a plain target goes direct (http_proxy is unset here).
    plain = local(http_server, "-u", "/echo/plain", env={variable: env[variable]})
    assert plain.code == 0, plain
    assert len(proxy.seen) == 2
    assert http_server.requests[-1].path == "/echo/plain"


def test_proxy_credentials_on_the_command_line_are_refused() -> None:
    run = check_http("-H", "localhost", "--proxy", "http://user:pw@127.0.0.1:3128")
    assert run.code == 3
    assert run.first.startswith("HTTP UNKNOWN - bad arguments: --proxy must not carry credentials")
    assert "pw" not in run.stdout.replace("proxy", "")


@pytest.mark.parametrize(
    "args",
    [
        ["-k", "X-Api-Key: s3cr3t-value\r\nX-Injected: 1"],
        ["-k", "X-Api-Key: s3cr3t-value\u20ac"],
        ["-k", "X-Api-Key s3cr3t-value"],
        ["--proxy", "http://user:s3cr3t-value@[::1"],
        ["--proxy", "http://user:s3cr3t-value@proxy:port"],
        ["--proxy", "user:s3cr3t-value@proxy\n:3128"],
    ],
)
def test_bad_arguments_never_echo_a_secret(args: list[str]) -> None:
    run = check_http("-H", "localhost", *args)
    assert run.code == 3, run
    assert run.first.startswith("HTTP UNKNOWN - bad arguments: "), run
    assert run.lines[1].startswith("usage: check_vigie_http ")
    assert "s3cr3t" not in run.stdout + run.stderr


def test_a_bad_proxy_variable_is_unknown_and_masks_its_credentials() -> None:
    # The environment is where proxy credentials belong; a typo there must not print them.
    env = {"http_proxy": "http://user:s3cr3t-value@proxy:port"}
    run = check_http("-H", "127.0.0.1", "-p", "9", env=env)
    assert (run.code, run.lines) == (
        3,
        ["HTTP UNKNOWN - http_proxy: invalid proxy 'http://***@proxy:port'"],
    ), run
    assert "s3cr3t" not in run.stdout + run.stderr


def test_proxy_refusing_the_tunnel_is_critical(
    tls_server: TLSServer, certs: Certificates, proxy_server: Callable[..., ProxyServer]
) -> None:
    server, proxy = tls_server("valid"), proxy_server(required_auth="Basic bm9ib2R5Og==")
    run = secure(server, certs, "--proxy", f"127.0.0.1:{proxy.port}")
    assert run.code == 2, run
    assert run.text.startswith(
        f"HTTP CRITICAL - proxy 127.0.0.1 port {proxy.port} refused the tunnel"
    )
    assert "407" in run.text


# --- time -----------------------------------------------------------------------------


def test_warning_and_critical_on_the_total_time(http_server: TestServer) -> None:
    slow = "/slow?delay=0.6"
    assert local(http_server, "-u", slow, "-w", "10", "-c", "20").code == 0
    warned = local(http_server, "-u", slow, "-w", "0.1", "-c", "20")
    assert warned.code == 1, warned
    assert "is above the warning threshold of 0.1 s" in warned.text
    assert warned.perfdata["time"][2][:2] == ["0.1", "20"]
    critical = local(http_server, "-u", slow, "-w", "0.1", "-c", "0.2")
    assert critical.code == 2, critical
    assert "is above the critical threshold of 0.2 s" in critical.text


def test_an_inverted_time_range_says_inside(http_server: TestServer) -> None:
    # @0:10 alerts when the response time is between 0 and 10 s, as this one is.
    warned = local(http_server, "-w", "@0:10")
    assert warned.code == 1, warned
    assert re.fullmatch(
        r"HTTP WARNING - response time \d\.\d{3} s is inside the warning range @0:10; 200 OK, .*",
        warned.text,
    ), warned.text
    assert warned.perfdata["time"][2][0] == "@10"
    critical = local(http_server, "-c", "@0.000001:10")
    assert critical.code == 2, critical
    assert "is inside the critical range @0.000001:10;" in critical.text
    assert local(http_server, "-w", "@10:20", "-c", "@20:30").code == 0
    # A plain range keeps its words.
    slow = local(http_server, "-u", "/slow?delay=0.3", "-w", "5:10")
    assert slow.code == 1, slow
    assert "is outside the warning range 5:10;" in slow.text


@pytest.mark.parametrize("timeout", ["0.0001", "1e-300"])
def test_a_deadline_shorter_than_the_start_up_is_one_unknown_line(
    http_server: TestServer, timeout: str
) -> None:
    # The alarm fires before the watchdog thread has started: once a traceback, exit 1.
    run = local(http_server, "-t", timeout)
    assert run.code == 3, run
    assert len(run.lines) == 1, run
    assert run.first.startswith(
        f"HTTP UNKNOWN - plugin timeout: no result after {timeout} s (-t), still "
    ), run
    assert "Traceback" not in run.stderr


def test_the_longest_timeout_is_accepted(http_server: TestServer) -> None:
    run = local(http_server, "-t", "86400")
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK")


def test_a_server_that_never_answers_is_a_network_timeout(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server("silent")
    run = local(server, "-t", "2")
    assert run.code == 2, run
    assert re.fullmatch(
        rf"HTTP CRITICAL - network timeout after [01]\.\d s waiting for the response from "
        rf"127\.0\.0\.1 port {server.port}",
        run.text,
    ), run.first


def test_a_server_dripping_its_headers_is_a_network_timeout(
    raw_server: Callable[..., RawServer],
) -> None:
    # Every byte comes in time for a socket timeout: only the network deadline stops it.
    server = raw_server("drip")
    run = local(server, "-t", "2")
    assert run.code == 2, run
    assert run.text.startswith("HTTP CRITICAL - network timeout after 1.")
    assert run.text.endswith(f"waiting for the response from 127.0.0.1 port {server.port}")


def test_a_slow_answer_past_the_timeout_is_a_network_timeout(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/slow?delay=4", "-t", "1.5")
    assert run.code == 2, run
    assert run.text.startswith("HTTP CRITICAL - network timeout after ")
    assert run.text.endswith(f"waiting for the response from 127.0.0.1 port {http_server.port}")


# --- hostile servers ------------------------------------------------------------------


def test_garbage_instead_of_a_status_line(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server("garbage")
    run = local(server)
    assert run.code == 2, run
    assert run.text == (
        f"HTTP CRITICAL - 127.0.0.1 port {server.port} did not answer with HTTP: "
        "'SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n'"
    )


def test_connection_closed_in_the_middle_of_the_headers(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server("mid-headers")
    run = local(server)
    assert run.code == 2, run
    assert run.text == (
        f"HTTP CRITICAL - 127.0.0.1 port {server.port} closed the connection "
        "in the middle of the response headers"
    )


def test_connection_closed_without_an_answer(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server("hang-up")
    run = local(server)
    assert run.code == 2, run
    assert "closed the connection without answering" in run.text


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (
            b"HTTP/1.1 200 OK\r\n" + b"X-Flood: 1\r\n" * 101 + b"\r\n",
            "invalid HTTP response from 127.0.0.1 port {port}: more than 100 header fields",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 70000 + b"\r\n\r\n",
            "invalid HTTP response from 127.0.0.1 port {port}: "
            "a header field line longer than 65536 bytes",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n",
            "invalid HTTP response from 127.0.0.1 port {port}: invalid chunk size 'not-hex\\r\\n'",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",
            "127.0.0.1 port {port} closed the connection after 3 bytes of the body, "
            "2 more were announced",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nabcdef",
            "invalid HTTP response from 127.0.0.1 port {port}: invalid Content-Length '5, 6'",
        ),
        (
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "invalid HTTP response from 127.0.0.1 port {port}: "
            "malformed header field line 'no colon here'",
        ),
    ],
)
def test_hostile_framing_is_one_critical_line(
    scripted_server: Callable[..., ScriptedServer], reply: bytes, why: str
) -> None:
    server = scripted_server(reply)
    run = local(server)
    assert run.code == 2, run
    assert run.text == f"HTTP CRITICAL - {why.format(port=server.port)}"
    assert len(run.lines) == 1
    # The times taken before the failure are kept; no size for a failed exchange.
    assert list(run.perfdata)[:2] == ["time", "time_connect"]
    assert "size" not in run.perfdata and "time_transfer" not in run.perfdata


def test_chunked_trailers_and_interim_responses(
    scripted_server: Callable[..., ScriptedServer],
) -> None:
    server = scripted_server(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"6;ext=1\r\nhello \r\n5\r\nworld\r\n0\r\nX-Digest: sha-256=abc\r\n\r\n"
    )
    run = local(server, "-s", "hello world", "-vvv")
    assert run.code == 0, run
    assert run.text.startswith("HTTP OK - 200 OK, 11 bytes in ")
    assert "response trailers: [('X-Digest', 'sha-256=abc')]" in run.stdout


def test_body_shorter_than_announced(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/truncated")
    assert run.code == 2, run
    assert run.text == (
        f"HTTP CRITICAL - 127.0.0.1 port {http_server.port} closed the connection after "
        "10 bytes of the body, 990 more were announced"
    )


def test_a_pipe_in_the_reason_cannot_forge_perfdata(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/odd-reason")
    assert run.code == 0
    assert run.first.count("|") == 1
    assert run.text.startswith("HTTP OK - 200 OK / not perfdata, ")


# --- verbosity and arguments ----------------------------------------------------------


def test_verbosity_levels_add_detail(http_server: TestServer) -> None:
    quiet = local(http_server, "-u", "/redirect/1", "-f")
    v1 = local(http_server, "-u", "/redirect/1", "-f", "-v")
    v2 = local(http_server, "-u", "/redirect/1", "-f", "-vv")
    v3 = local(http_server, "-u", "/redirect/1", "-f", "-vvv")
    assert len(quiet.lines) == 1
    hop = f"GET http://127.0.0.1:{http_server.port}/redirect/1 -> 302 Found, Location: /redirect/0"
    assert hop in v1.lines
    assert f"connected to 127.0.0.1 port {http_server.port} (IPv4)" not in v1.stdout
    assert f"connected to 127.0.0.1 port {http_server.port} (IPv4)" in v2.stdout
    assert "response headers:" not in v2.stdout
    assert "response headers:" in v3.stdout and "request headers:" in v3.stdout
    for run in (v1, v2, v3):
        assert run.first.startswith("HTTP OK - 200 OK after 1 redirect, ")
        assert "time=" in run.first


NOT_SECONDS = "argument -t/--timeout: must be a positive number of seconds"
NOT_A_COUNT = "argument --max-redirects: invalid count"


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ([], "-H/--hostname or -I/--ip is required"),
        (["-H", "h", "-e", "2xx"], "argument -e/--expect: invalid status list '2xx'"),
        (["-H", "h", "-m", "big"], "argument -m/--size: invalid size 'big'"),
        (["-H", "h", "-M", "old"], "argument -M/--max-age: invalid age 'old'"),
        (["-H", "h", "-C", "soon"], "argument -C/--certificate: invalid certificate days"),
        (["-H", "h", "-C", "5,10"], "argument -C/--certificate: invalid certificate days '5,10'"),
        (["-H", "h", "-u", "no-slash"], "argument -u/--uri: invalid URI 'no-slash'"),
        (["-H", "h", "-p", "70000"], "argument -p/--port: invalid port '70000'"),
        (["-H", "h", "-r", "("], "argument -r/--regex: invalid regular expression '('"),
        (["-H", "h", "--invert-regex"], "--invert-regex needs -r or -R"),
        (["-H", "h", "--sni", "a", "--no-sni"], "--sni and --no-sni contradict each other"),
        (["-H", "h", "-4", "-6"], "argument -6: not allowed with argument -4"),
        (["-H", "h", "--tls-min-version", "1.4"], "argument --tls-min-version: invalid choice"),
        # -4 and -6 exist, so argparse alone would read -1 as an option and say "expected
        # one argument"; a value is a value, as getopt has it.
        (["-H", "h", "-t", "-1"], f"{NOT_SECONDS}, got -1"),
        (["-H", "h", "--timeout", "0"], f"{NOT_SECONDS}, got 0"),
        (["-H", "h", "-t", "-0.5"], f"{NOT_SECONDS}, got -0.5"),
        (["-H", "h", "--max-redirects", "-1"], f"{NOT_A_COUNT} '-1': expected 0 to 100"),
        (["-H", "h", "-p", "-6"], "argument -p/--port: invalid port '-6'"),
        # Numbers out of any sensible range: once a traceback, an internal error, or a run.
        (["-H", "h", "-t", "99999999999"], "argument -t/--timeout: must be at most 86400 seconds"),
        (["-H", "h", "-C", "99999999999999999999"],
         "argument -C/--certificate: invalid certificate days '99999999999999999999': at most "
         "36500 (a century)"),
        (["-H", "h", "-C", "36501"], "argument -C/--certificate: invalid certificate days"),
        (["-H", "h", "--max-redirects", "99999999999999999999"], NOT_A_COUNT),
        (["-H", "h", "--max-redirects", "101"], f"{NOT_A_COUNT} '101': expected 0 to 100"),
        (["-H", "h", "--max-redirects", "1e3"], f"{NOT_A_COUNT} '1e3'"),
        (["-H", "h", "--max-redirects", "\u0665"], NOT_A_COUNT),
        (["-H", "h", "-m", "1000000000001"],
         "argument -m/--size: invalid size '1000000000001': at most 1000000000000 bytes"),
        (["-H", "h", "-m", "1:" + "9" * 400], "argument -m/--size: invalid size '1:999"),
        (["-H", "h", "-M", "9" * 400], "argument -M/--max-age: invalid age '999"),
        (["-H", "h", "-M", "1000000d"],
         "argument -M/--max-age: invalid age '1000000d': at most 999999d"),
        (["-H", "h", "-w", "1" + "0" * 400], "argument -w/--warning: invalid range '1000"),
        (["-H", "h", "-w", "nan"], "argument -w/--warning: invalid range 'nan'"),
        (["-H", "h", "-c", "1.e400"], "argument -c/--critical: invalid range '1.e400'"),
        (["-H", "h", "-c", "~:inf"], "argument -c/--critical: invalid range '~:inf'"),
        (["-H", "h", "-p", "\u0663"], "argument -p/--port: invalid port '\u0663'"),
        (["-H", "h", "-e", "\u0662\u0660\u0660"], "argument -e/--expect: invalid status list"),
        # Values that would break the request or go to the wrong place: bad arguments,
        # not a CRITICAL about a server that was never asked.
        (["-H", "h\r\nX-Injected: 1"],
         "argument -H/--hostname: invalid host 'h\\r\\nX-Injected: 1': spaces or control "
         "characters"),
        (["-H", "https://h/"],
         "argument -H/--hostname: invalid host 'https://h/': a URL, not a name"),
        (["-H", "h", "-I", "127.0.0.1 "], "argument -I/--ip: invalid address '127.0.0.1 '"),
        (["-H", "h", "-I", "[::1]"], "argument -I/--ip: invalid address '[::1]': brackets"),
        (["-H", "h", "--sni", "a\nb"], "argument --sni: invalid server name 'a\\nb'"),
        (["-H", "h", "-A", "probe\r\nX-Injected: 1"],
         "argument -A/--user-agent: control characters in the value"),
        (["-H", "h", "-A", "\u20ac"],
         "argument -A/--user-agent: the value has characters outside ISO-8859-1"),
        (["-H", "h", "-T", "text/plain\nX-Injected: 1"],
         "argument -T/--content-type: control characters in the value"),
        (["-H", "h", "-k", "X-A: 1\r\nX-Injected: 1"],
         "argument -k/--header: invalid header X-A: control characters in the value"),
        (["-H", "h", "-k", "X-A: \u20ac"],
         "argument -k/--header: invalid header X-A: the value has characters outside ISO-8859-1"),
        (["-H", "h", "--proxy", "garbage"], "--proxy: no port in 'garbage': expected http://HOST:PORT"),
        (["-H", "h", "--proxy", "http://proxy/"], "--proxy: no port in 'http://proxy/'"),
        (["-H", "h", "--proxy", "http://[::1"], "--proxy: invalid proxy 'http://[::1'"),
        (["-H", "h", "--proxy", "proxy:0"], "--proxy: invalid proxy 'proxy:0'"),
        (["-H", "h", "--proxy", "proxy:99999"], "--proxy: invalid proxy 'proxy:99999'"),
        (["-H", "h", "--proxy", "ftp://proxy:21"], "--proxy: only http:// proxies are supported"),
        (["-H", "h", "--proxy", "proxy\r\n:3128"],
         "--proxy: invalid proxy 'proxy\\r\\n:3128': spaces or control characters"),
        # ... but an option of the plugin is still an option.
        (["-H", "-v"], "argument -H/--hostname: expected one argument"),
        (["-H", "h", "-s", "--follow"], "argument -s/--string: expected one argument"),
    ],
)  # fmt: skip
def test_bad_arguments_are_unknown_with_usage(args: list[str], why: str) -> None:
    run = check_http(*args)
    assert run.code == 3, run
    assert run.first.startswith(f"HTTP UNKNOWN - bad arguments: {why}"), run.first
    assert run.lines[1].startswith("usage: check_vigie_http ")


def test_values_starting_with_a_dash_reach_their_option(http_server: TestServer) -> None:
    # What Icinga passes for vigie_http_string = "-ERR" or vigie_http_warning = "-1:5".
    run = local(http_server, "-s", "-ERR", "-w", "-1:5")
    assert run.code == 2, run
    assert run.text.startswith("HTTP CRITICAL - string '-ERR' not found in the body")
    assert run.perfdata["time"][2][0] == "-1:5"
    assert local(http_server, "--string=-ERR").code == 2


def test_help_documents_every_flag() -> None:
    run = check_http("--help")
    assert run.code == 3
    flags = [
        "-H", "--hostname", "-I", "--ip", "-p", "--port", "-u", "--uri", "-4", "-6", "-S",
        "--ssl", "--sni", "--no-sni", "--tls-min-version", "--client-cert", "--client-key",
        "--ca-file", "--insecure", "-C", "--certificate", "-e", "--expect", "-f", "--follow",
        "--max-redirects", "-s", "--string", "-r", "--regex", "-R", "--eregi", "--invert-regex",
        "-d", "--header-string", "-m", "--size", "-M", "--max-age", "-j", "--method", "-P",
        "--data", "-T", "--content-type", "-k", "--header", "-A", "--user-agent",
        "--auth-file", "--header-file", "--proxy", "-w", "--warning", "-c", "--critical", "-t",
        "--timeout", "--timeout-result", "-v", "--verbose", "-V", "--version", "-h", "--help",
    ]  # fmt: skip
    options = set(re.findall(r"(?<![\w-])(--?[\w-]+)", run.stdout))
    assert [flag for flag in flags if flag not in options] == []
    assert "VIGIE_HTTP_AUTH" in run.stdout
    assert "VIGIE_HTTP_HEADERS" in run.stdout


def test_version() -> None:
    run = check_http("-V")
    assert run.code == 3
    assert run.first.startswith("check_vigie_http 0.1.0 (vigie; nagiosplugin ")


def test_echo_document_shape(http_server: TestServer) -> None:
    # Guards the test application itself: /echo answers JSON describing the request.
    run = local(http_server, "-u", "/echo/shape", "-s", '"path": "/echo/shape"')
    assert run.code == 0, run


# --- start-up -------------------------------------------------------------------------


def imported_modules(*args: str, env: dict[str, str] | None = None) -> tuple[PluginRun, set[str]]:
    """Run check_vigie_http under ``python -X importtime``: its run and every module loaded."""
    run = run_command([sys.executable, "-X", "importtime", str(CHECK_HTTP), *args], env=env)
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", run.stderr, re.M))
    assert "plugins.http" in modules, run
    return run, modules


HEAVY = {"http.client", "email", "email.utils", "email.parser", "urllib.request", "requests"}
TLS_MODULES = {"ssl", "_ssl"}


def test_plain_http_loads_neither_ssl_nor_http_client_nor_email(
    http_server: TestServer, proxy_server: Callable[..., ProxyServer]
) -> None:
    # The richest plain path: redirects, content and age checks, credentials, a proxy.
    port = str(http_server.port)
    proxy = proxy_server()
    env = {"VIGIE_HTTP_AUTH": "a:b", "http_proxy": f"http://127.0.0.1:{proxy.port}"}
    args = ["-H", "127.0.0.1", "-p", port, "-u", "/redirect-to?url=/", "-f", "-M", "99999d"]
    run, modules = imported_modules(*args, "-s", "Welcome", env=env)
    assert run.code == 0, run
    assert proxy.seen, "the run did not go through the proxy"
    assert modules & (HEAVY | TLS_MODULES) == set()
    for other in (["--help"], ["-H", "h", "-p", "0"]):
        run, modules = imported_modules(*other)
        assert run.code == 3, run
        assert modules & (HEAVY | TLS_MODULES) == set()


def test_https_loads_ssl_but_neither_http_client_nor_email(
    tls_server: TLSServer, certs: Certificates
) -> None:
    server = tls_server("valid")
    args = ("-H", "localhost", "-p", str(server.port), "-S", "--ca-file", str(certs.ca), "-C", "1")
    run, modules = imported_modules(*args)
    assert run.code == 0, run
    assert modules >= TLS_MODULES
    assert modules & HEAVY == set()
