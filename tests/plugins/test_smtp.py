"""check_vigie_smtp against a real SMTP server (aiosmtpd) on loopback, flag by flag.

Plain, STARTTLS with AUTH, implicit TLS, certificates the tests make (expiring soon,
expired, untrusted, naming another host), a server refusing a recipient.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from plugins.smtp_options import this_host_name
from tests.plugins.running import CHECK_SMTP, PluginRun, check_smtp, run_command
from tests.servers.pki import Certificates
from tests.servers.smtp import PASSWORD, REFUSED, USER, SmtpServer

Start = Callable[..., SmtpServer]
WITH_PASSWORD = {"VIGIE_SMTP_PASSWORD": PASSWORD}


def run_on(server: SmtpServer, *args: str, env: dict[str, str] | None = None) -> PluginRun:
    """check_vigie_smtp on ``server``: -H localhost (the certificates' name), its port."""
    host = "localhost" if server.address == "127.0.0.1" else server.address
    return check_smtp("-H", host, "-p", str(server.port), *args, env=env)


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# --- banner, EHLO, address ------------------------------------------------------------


def test_a_plain_server_is_ok_with_its_banner_and_times(smtp_server: Start) -> None:
    server = smtp_server()
    run = run_on(server)
    assert run.code == 0, run
    assert re.fullmatch(r"SMTP OK - 220 mx\.vigie\.test ESMTP Vigie test, 0\.\d{3} s", run.text)
    assert list(run.perfdata) == ["time", "time_connect", "time_banner"]
    assert all(unit == "s" for _, unit, _ in run.perfdata.values())
    assert len(run.lines) == 1
    # A clean QUIT, and EHLO with this host's name by default.
    assert server.mailbox.hellos == [this_host_name()]


def test_fqdn_is_the_ehlo_name(smtp_server: Start) -> None:
    server = smtp_server()
    run = run_on(server, "-F", "probe.vigie.example")
    assert run.code == 0, run
    assert server.mailbox.hellos == ["probe.vigie.example"]


def test_expect_names_the_banner_code(smtp_server: Start) -> None:
    server = smtp_server()
    assert run_on(server, "-e", "220").code == 0
    run = run_on(server, "-e", "250")
    assert run.code == 2, run
    assert run.text == (
        f"SMTP CRITICAL - localhost port {server.port} greeted with "
        "220 mx.vigie.test ESMTP Vigie test, expected 250"
    )


def test_ip_connects_there_and_the_name_stays_for_messages(smtp_server: Start) -> None:
    server = smtp_server()
    run = check_smtp("-H", "mx.unresolvable.invalid", "-I", "127.0.0.1", "-p", str(server.port))
    assert run.code == 0, run
    run = check_smtp("-I", "127.0.0.1", "-p", str(server.port), "-e", "221")
    assert run.text.startswith(f"SMTP CRITICAL - 127.0.0.1 port {server.port} greeted with 220")


@pytest.mark.parametrize(("flags", "port"), [((), 25), (("--tls",), 465)])
def test_the_default_ports(flags: tuple[str, ...], port: int) -> None:
    # Nothing listens on 127.0.0.3: the message names the port that was tried.
    run = check_smtp("-H", "127.0.0.3", *flags)
    assert run.code == 2, run
    assert run.text == f"SMTP CRITICAL - connection refused by 127.0.0.3 port {port}"


def test_ipv4_only_and_ipv6_only(smtp_server: Start) -> None:
    server = smtp_server()
    assert run_on(server, "-4").code == 0
    run = check_smtp("-H", "127.0.0.1", "-p", str(server.port), "-6")
    assert run.code == 2, run
    assert run.text.startswith("SMTP CRITICAL - cannot resolve 127.0.0.1 to an IPv6 address")


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
def test_a_server_on_ipv6_loopback(smtp_server: Start) -> None:
    server = smtp_server(address="::1")
    run = run_on(server, "-6", "-vv")
    assert run.code == 0, run
    assert "connected to ::1" in run.stdout
    run = run_on(server, "-4")
    assert run.code == 2 and "to an IPv4 address" in run.text, run


@pytest.mark.parametrize(("flag", "level", "state"), [("-w", 1, "WARNING"), ("-c", 2, "CRITICAL")])
def test_time_thresholds(smtp_server: Start, flag: str, level: int, state: str) -> None:
    server = smtp_server()
    assert run_on(server, flag, "10").code == 0
    run = run_on(server, flag, "0.000001")
    assert run.code == level, run
    assert re.match(
        rf"SMTP {state} - session took 0\.\d{{3}} s, above the \w+ threshold of 0\.000001 s; "
        r"220 mx\.vigie\.test",
        run.text,
    ), run.text
    assert run.perfdata["time"][2][level - 1] == "0.000001"


def test_verbose_shows_the_extensions_and_the_dialogue(smtp_server: Start) -> None:
    server = smtp_server()
    run = run_on(server, "-v")
    assert run.lines[1] == "extensions: SIZE 8BITMIME SMTPUTF8 HELP"
    run = run_on(server, "-vv")
    assert "C: QUIT" in run.lines and "S: 221 Bye" in run.lines


# --- TLS ------------------------------------------------------------------------------


def test_starttls_with_a_trusted_certificate(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(starttls="valid")
    run = run_on(server, "-S", "--ca-file", str(certs.ca))
    assert run.code == 0, run
    assert re.fullmatch(
        r"SMTP OK - 220 mx\.vigie\.test ESMTP Vigie test, STARTTLS \(TLSv1\.3\), "
        r"certificate (89|90) days, 0\.\d{3} s",
        run.text,
    ), run.text
    assert list(run.perfdata) == [
        "time", "time_connect", "time_banner", "time_tls", "cert_days_left",
    ]  # fmt: skip
    assert run.perfdata["cert_days_left"][1] == "d"
    # EHLO again after TLS, as RFC 3207 asks.
    assert len(server.mailbox.hellos) == 2


def test_starttls_missing_is_critical(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server()
    run = run_on(server, "-S", "--ca-file", str(certs.ca))
    assert run.code == 2, run
    assert run.text == (
        f"SMTP CRITICAL - localhost port {server.port} does not offer STARTTLS "
        "(EHLO lists SIZE 8BITMIME SMTPUTF8 HELP)"
    )


def test_implicit_tls(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(implicit="valid")
    run = run_on(server, "--tls", "--ca-file", str(certs.ca))
    assert run.code == 0, run
    assert ", TLS (TLSv1.3), certificate " in run.text
    # The same server without TLS: no banner can be read from a TLS port.
    assert run_on(server, "-t", "2").code == 2


def test_an_untrusted_certificate_is_critical_unless_insecure(
    smtp_server: Start, certs: Certificates
) -> None:
    server = smtp_server(starttls="self_signed")
    run = run_on(server, "-S", "--ca-file", str(certs.ca))
    assert run.code == 2, run
    assert run.text.startswith("SMTP CRITICAL - TLS certificate of localhost not accepted: ")
    # Its lifetime is still read, without verification.
    assert 89 < run.perfdata["cert_days_left"][0] <= 90
    assert run_on(server, "-S", "--insecure").code == 0


def test_sni_names_the_certificate(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(implicit="wrong_host")
    run = run_on(server, "--tls", "--ca-file", str(certs.ca))
    assert run.code == 2, run
    assert "TLS certificate of localhost not accepted: Hostname mismatch" in run.text
    run = run_on(server, "--tls", "--ca-file", str(certs.ca), "--sni", "wrong.example")
    assert run.code == 0, run


def test_an_international_name_is_checked_in_its_idna_form(
    smtp_server: Start, certs: Certificates
) -> None:
    # The certificate names xn--bcher-kva.example; the admin writes bücher.example.
    server = smtp_server(implicit="idn")
    ca = ("--tls", "--ca-file", str(certs.ca), "-I", "127.0.0.1", "-p", str(server.port))
    run = check_smtp("-H", "bücher.example", *ca)
    assert run.code == 0, run
    run = check_smtp("-H", "127.0.0.1", "--sni", "bücher.example", *ca)
    assert run.code == 0, run
    run = check_smtp("-H", "ü" + "x" * 70 + ".example", *ca)
    assert run.code == 3 and "not a valid international domain name" in run.text, run


def test_certificate_days_warn_then_crit(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(starttls="expiring")
    ca = ("-S", "--ca-file", str(certs.ca))
    assert run_on(server, *ca, "-C", "3").code == 0
    run = run_on(server, *ca, "-C", "30")
    assert run.code == 1, run
    assert re.match(r"SMTP WARNING - certificate of localhost expires in [34]\.\d days ", run.text)
    assert "under the warning threshold of 30 days" in run.text
    run = run_on(server, *ca, "-C", "30,5")
    assert run.code == 2, run
    assert "under the critical threshold of 5 days" in run.text
    assert run.perfdata["cert_days_left"][2][:2] == ["30:", "5:"]


@pytest.mark.parametrize("mode", ["-S", "--tls"])
def test_an_expired_certificate_is_reported_with_its_age(
    smtp_server: Start, certs: Certificates, mode: str
) -> None:
    server = smtp_server(**{"starttls" if mode == "-S" else "implicit": "expired"})
    run = run_on(server, mode, "--ca-file", str(certs.ca), "-C", "14,7")
    assert run.code == 2, run
    assert "TLS certificate of localhost not accepted: certificate has expired" in run.text
    assert "certificate of localhost expired 10.0 days ago" in run.text
    assert -10.1 < run.perfdata["cert_days_left"][0] < -9.9


def test_a_ca_file_that_cannot_be_read_is_unknown(smtp_server: Start, tmp_path: Path) -> None:
    run = run_on(smtp_server(), "-S", "--ca-file", str(tmp_path / "missing.pem"))
    assert run.code == 3, run
    assert run.text.startswith("SMTP UNKNOWN - cannot load --ca-file ")


@pytest.mark.parametrize("flag", ["--sni=x.example", "--ca-file=ca.pem", "--insecure", "-C=30"])
def test_tls_flags_need_tls(flag: str) -> None:
    run = check_smtp("-H", "127.0.0.1", flag)
    assert run.code == 3, run
    assert "needs TLS: add -S/--starttls or --tls" in run.text


# --- AUTH -----------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_each_auth_mechanism(smtp_server: Start, certs: Certificates, mechanism: str) -> None:
    server = smtp_server(starttls="valid", auth=True)
    run = run_on(
        server, "-S", "--ca-file", str(certs.ca), "--auth-user", USER,
        "--auth-mechanism", mechanism.lower(), env=WITH_PASSWORD,
    )  # fmt: skip
    assert run.code == 0, run
    assert f"authenticated as {USER} ({mechanism})" in run.text
    assert "time_auth" in run.perfdata
    assert server.mailbox.mechanisms == [mechanism]


def test_the_best_mechanism_offered_is_chosen(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(implicit="valid", auth=True, exclude_mechanisms=("CRAM-MD5",))
    args = ("--tls", "--ca-file", str(certs.ca), "--auth-user", USER)
    run = run_on(server, *args, env=WITH_PASSWORD)
    assert run.code == 0, run
    assert server.mailbox.mechanisms == ["PLAIN"]
    run = run_on(server, *args, "--auth-mechanism", "CRAM-MD5", env=WITH_PASSWORD)
    assert run.code == 2, run
    assert run.text.endswith("offers AUTH LOGIN PLAIN, not CRAM-MD5")


def test_a_refused_password_is_critical_and_never_shown(
    smtp_server: Start, certs: Certificates
) -> None:
    server = smtp_server(starttls="valid", auth=True)
    for mechanism in ("PLAIN", "LOGIN", "CRAM-MD5"):
        run = run_on(
            server, "-S", "--ca-file", str(certs.ca), "--auth-user", USER, "-vvv",
            "--auth-mechanism", mechanism, env={"VIGIE_SMTP_PASSWORD": "wrong-Pa55"},
        )  # fmt: skip
        assert run.code == 2, run
        assert run.first.startswith(
            f"SMTP CRITICAL - localhost port {server.port} refused authentication as {USER} "
            f"({mechanism}): 535 5.7.8 Authentication credentials invalid"
        ), run.first
        assert "wrong-Pa55" not in run.stdout + run.stderr
        assert "(AUTH data)" in run.stdout
    assert server.mailbox.mechanisms == []


def test_the_password_file(
    smtp_server: Start, certs: Certificates, secret_file: Callable[[str], Path]
) -> None:
    server = smtp_server(starttls="valid", auth=True)
    path = secret_file(PASSWORD + "\n")
    run = run_on(
        server, "-S", "--ca-file", str(certs.ca), "--auth-user", USER,
        "--password-file", str(path), env={"VIGIE_SMTP_PASSWORD": "the file wins"},
    )  # fmt: skip
    assert run.code == 0, run
    run = run_on(server, "-S", "--auth-user", USER, "--password-file", str(path) + ".missing")
    assert run.code == 3, run
    assert run.text.startswith("SMTP UNKNOWN - cannot read the password from ")


def test_auth_needs_a_password(smtp_server: Start) -> None:
    run = run_on(smtp_server(), "-S", "--auth-user", USER)
    assert run.code == 3, run
    assert run.text == (
        "SMTP UNKNOWN - --auth-user needs a password: set $VIGIE_SMTP_PASSWORD or give "
        "--password-file"
    )


def test_no_auth_in_clear_unless_allowed(smtp_server: Start) -> None:
    server = smtp_server(auth=True, auth_over_clear=True)
    run = run_on(server, "--auth-user", USER, env=WITH_PASSWORD)
    assert run.code == 3, run
    assert "would send the password in clear" in run.text
    assert server.mailbox.hellos == [], "refused before any network"
    run = run_on(server, "--auth-user", USER, "--allow-plaintext-auth", env=WITH_PASSWORD)
    assert run.code == 0, run
    assert f"authenticated as {USER} (CRAM-MD5)" in run.text


def test_a_server_offering_no_auth_is_critical(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(starttls="valid")
    run = run_on(server, "-S", "--ca-file", str(certs.ca), "--auth-user", USER, env=WITH_PASSWORD)
    assert run.code == 2, run
    assert run.text == f"SMTP CRITICAL - localhost port {server.port} does not offer AUTH over TLS"


@pytest.mark.parametrize(
    "flags", [("--password-file", "x"), ("--auth-mechanism", "PLAIN"), ("--allow-plaintext-auth",)]
)
def test_auth_flags_need_a_user(flags: tuple[str, ...]) -> None:
    run = check_smtp("-H", "127.0.0.1", *flags)
    assert run.code == 3, run
    assert "needs --auth-user" in run.text


# --- the envelope ---------------------------------------------------------------------


def test_the_envelope_is_accepted_then_reset(smtp_server: Start) -> None:
    server = smtp_server()
    run = run_on(
        server, "--mail-from", "noc@vigie.example", "--rcpt-to", "a@acme.example",
        "--rcpt-to", "b@acme.example",
    )  # fmt: skip
    assert run.code == 0, run
    assert ", 2 recipients accepted, " in run.text
    assert server.mailbox.resets == 1 and server.mailbox.messages == []
    run = run_on(server, "--mail-from", "<>")
    assert run.code == 0 and ", sender accepted, " in run.text, run


def test_a_refused_recipient_is_critical_with_the_reply(smtp_server: Start) -> None:
    server = smtp_server()
    run = run_on(
        server, "--mail-from", "noc@vigie.example", "--rcpt-to", "a@acme.example",
        "--rcpt-to", REFUSED,
    )  # fmt: skip
    assert run.code == 2, run
    assert run.text == (
        f"SMTP CRITICAL - localhost port {server.port} refused the recipient <{REFUSED}>: "
        f"550 5.1.1 <{REFUSED}>: Recipient address rejected: User unknown"
    )


def test_send_delivers_a_message_with_its_token(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(starttls="valid", auth=True)
    run = run_on(
        server, "-S", "--ca-file", str(certs.ca), "--auth-user", USER, "--send",
        "--mail-from", "noc@vigie.example", "--rcpt-to", "postmaster@acme.example",
        env=WITH_PASSWORD,
    )  # fmt: skip
    assert run.code == 0, run
    match = re.search(
        r"test message ([0-9a-f]{16}) sent: 250 2\.0\.0 Ok: queued as VIGIE42", run.text
    )
    assert match, run.text
    [(sender, recipients, content)] = server.mailbox.messages
    assert (sender, recipients) == ("noc@vigie.example", ["postmaster@acme.example"])
    assert f"\r\nSubject: Vigie SMTP check {match.group(1)}\r\n".encode() in content


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (("--rcpt-to", "a@b.example"), "--rcpt-to needs --mail-from"),
        (("--send", "--mail-from", "a@b.example"), "--send needs --mail-from and at least one"),
        (("--mail-from", "a b@c.example"), "invalid address 'a b@c.example'"),
        (("--rcpt-to", "nobody"), "expected local-part@domain"),
        (("-e", "22"), "invalid reply code '22'"),
        (("-F", "two words"), "invalid EHLO name"),
        (("-p", "70000"), "invalid port '70000'"),
        (("-S", "--tls"), "not allowed with argument"),
        (("-C", "5,10"), "CRIT above WARN"),
    ],
)
def test_bad_arguments_are_one_unknown_line(flags: tuple[str, ...], problem: str) -> None:
    run = check_smtp("-H", "127.0.0.1", *flags)
    assert run.code == 3, run
    assert run.first.startswith("SMTP UNKNOWN - ") and problem in run.first, run.first


def test_a_host_is_required() -> None:
    run = check_smtp("-p", "25")
    assert run.code == 3 and "-H/--hostname or -I/--ip is required" in run.first, run


def test_help_lists_every_flag_and_exits_unknown() -> None:
    run = check_smtp("--help")
    assert run.code == 3, run
    for flag in (
        "--hostname", "--ip", "--port", "--expect", "--fqdn", "--starttls", "--tls", "--sni",
        "--ca-file", "--insecure", "--certificate", "--auth-user", "--password-file",
        "--auth-mechanism", "--allow-plaintext-auth", "--mail-from", "--rcpt-to", "--send",
        "--warning", "--critical", "--timeout", "--timeout-result", "$VIGIE_SMTP_PASSWORD",
    ):  # fmt: skip
        assert flag in run.stdout, flag


# --- start-up -------------------------------------------------------------------------

HEAVY = {"smtplib", "email", "http.client", "urllib.request", "requests", "idna"}


def imported_modules(*args: str, env: dict[str, str] | None = None) -> tuple[PluginRun, set[str]]:
    """Run check_vigie_smtp under ``python -X importtime``: its run and every module loaded."""
    run = run_command([sys.executable, "-X", "importtime", str(CHECK_SMTP), *args], env=env)
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", run.stderr, re.M))
    assert "plugins.smtp" in modules, run
    return run, modules


def test_a_plain_session_loads_no_tls_and_no_auth_modules(smtp_server: Start) -> None:
    server = smtp_server()
    args = ("--mail-from", "a@vigie.example", "--rcpt-to", "b@acme.example", "--send")
    run, modules = imported_modules("-H", "127.0.0.1", "-p", str(server.port), *args)
    assert run.code == 0, run
    assert modules & (HEAVY | {"ssl", "_ssl", "base64", "hmac"}) == set()


def test_tls_and_auth_load_ssl_and_base64_only(smtp_server: Start, certs: Certificates) -> None:
    server = smtp_server(starttls="valid", auth=True)
    run, modules = imported_modules(
        "-H", "localhost", "-p", str(server.port), "-S", "--ca-file", str(certs.ca),
        "--auth-user", USER, "--auth-mechanism", "LOGIN", env=WITH_PASSWORD,
    )  # fmt: skip
    assert run.code == 0, run
    assert {"ssl", "base64"} <= modules
    assert modules & (HEAVY | {"hmac"}) == set()
