"""check_vigie_ipcheck against real nameservers (NSD) on loopback, flag by flag.

The test zones hold what a provider meets in the field: a server with A and AAAA records,
forward-confirmed PTRs and broken ones, a name without address, a zone that fails to load
(SERVFAIL), blocklists with listed and clean addresses and TXT reasons, a list that refuses
queries (127.255.255.254), one that lists everything, one that lists 127.0.0.1, a second
nameserver that disagrees on one name, and a nameserver that never answers.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plugins import rbl
from tests.servers.dns_zones import SPAM_REASON, zones
from tests.servers.http_app import TestServer
from tests.servers.nsd import NSD, NsdServer, SilentServer, ipv6_loopback

from .running import BIN, PluginRun, run_command

CHECK_IPCHECK = BIN / "check_vigie_ipcheck"
pytestmark = pytest.mark.skipif(not Path(NSD).exists(), reason="nsd is not installed")


@pytest.fixture(scope="module")
def ns1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    server = NsdServer(tmp_path_factory.mktemp("ns1"), zones("192.0.2.80")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ns2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    """A second nameserver: the same zones, but another address for split.example.test."""
    server = NsdServer(tmp_path_factory.mktemp("ns2"), zones("192.0.2.81")).start()
    yield server
    server.stop()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


def ipcheck(*args: str, env: dict[str, str] | None = None) -> PluginRun:
    """Run the installed check_vigie_ipcheck with ``args``."""
    return run_command([str(CHECK_IPCHECK), *args], env=env)


def ask(server: NsdServer, *args: str) -> PluginRun:
    """check_vigie_ipcheck asking ``server`` only."""
    return ipcheck("--nameserver", server.spec(), *args)


def assert_state(run: PluginRun, code: int, *phrases: str) -> None:
    """Exit code, one first line starting IPCHECK, and each phrase in it."""
    word = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[code]
    assert run.code == code, run
    assert run.first.startswith(f"IPCHECK {word} - "), run
    for phrase in phrases:
        assert phrase in run.first, (phrase, run.first)
    assert "Traceback" not in run.stdout + run.stderr


# --- addresses ------------------------------------------------------------------------


def test_a_name_with_both_families(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "www.example.test")
    assert_state(run, 0, "www.example.test: 192.0.2.10, 2001:db8::10")
    assert run.perfdata["addresses"][0] == 2
    assert run.perfdata["time"][1] == "s"
    assert "listed" not in run.perfdata


def test_a_cname_leads_to_its_addresses(ns1: NsdServer) -> None:
    assert_state(ask(ns1, "-H", "alias.example.test", "--expect", "192.0.2.10",
                     "--expect", "2001:db8::10"), 0, "as expected")  # fmt: skip


def test_an_international_name_is_asked_in_its_idna_form(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "bücher.example.test")
    assert_state(run, 0, "xn--bcher-kva.example.test: 192.0.2.12")


def test_a_truncated_answer_is_asked_again_over_tcp(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "many.example.test", "-4", "-vv")
    assert_state(run, 0, "192.0.2.100, 192.0.2.101,", "192.0.2.139")
    assert run.perfdata["addresses"][0] == 40
    assert "was truncated: asking again over TCP" in run.stdout


def test_ipv4_and_ipv6_only(ns1: NsdServer) -> None:
    four = ask(ns1, "-H", "www.example.test", "-4")
    assert_state(four, 0, "www.example.test: 192.0.2.10")
    assert "2001:db8" not in four.first
    six = ask(ns1, "-H", "www.example.test", "-6")
    assert_state(six, 0, "www.example.test: 2001:db8::10")
    assert "192.0.2" not in six.text
    assert_state(ask(ns1, "-H", "v4only.example.test", "-6"), 2, "has no AAAA record")


def test_nxdomain_and_no_address_are_critical(ns1: NsdServer) -> None:
    assert_state(ask(ns1, "-H", "gone.example.test"), 2, "gone.example.test does not exist",
                 "NXDOMAIN")  # fmt: skip
    assert_state(ask(ns1, "-H", "empty.example.test"), 2, "has no A or AAAA record")
    # No address, nothing to look up on the blocklists: no zone counted either way.
    unlisted = ask(ns1, "-H", "gone.example.test", "--rbl", "bl.test")
    assert_state(unlisted, 2, "does not exist")
    assert unlisted.perfdata["zones_checked"][0] == unlisted.perfdata["zones_failed"][0] == 0


def test_servfail_is_critical_never_ok(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "host.servfail.test")
    assert_state(run, 2, "A and AAAA host.servfail.test: SERVFAIL from 127.0.0.1:")


def test_a_silent_nameserver_ends_within_the_timeout(silent: SilentServer) -> None:
    started = time.monotonic()
    run = ipcheck("--nameserver", silent.spec(), "-H", "www.example.test", "-t", "2")
    took = time.monotonic() - started
    assert_state(run, 2, f"no answer from {silent.spec()} within")
    assert took < 4, f"-t 2 took {took:.1f} s"
    assert run.perfdata["time"][0] < 2


@pytest.mark.parametrize(
    ("expect", "match", "code", "phrase"),
    [
        (["192.0.2.10", "2001:db8::10"], "exact", 0, "as expected"),
        (["192.0.2.10"], "exact", 2, "2001:db8::10 not in --expect 192.0.2.10/32"),
        (["192.0.2.10", "2001:db8::10", "192.0.2.11"], "exact", 2,
         "192.0.2.11/32 expected, not among"),
        (["192.0.2.0/28", "2001:db8::/64"], "exact", 0, "as expected"),
        (["192.0.2.10"], "any", 0, "as expected"),
        (["198.51.100.1"], "any", 2, "none in --expect 198.51.100.1/32"),
        (["192.0.2.0/24", "2001:db8::/32", "198.51.100.1"], "subset", 0, "as expected"),
        (["192.0.2.0/24"], "subset", 2, "2001:db8::10 not in --expect 192.0.2.0/24"),
    ],
)  # fmt: skip
def test_expect_and_match(
    ns1: NsdServer, expect: list[str], match: str, code: int, phrase: str
) -> None:
    flags = [word for address in expect for word in ("--expect", address)]
    run = ask(ns1, "-H", "www.example.test", *flags, "--match", match)
    assert_state(run, code, phrase)


def test_expect_with_one_family(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "www.example.test", "-4", "--expect", "192.0.2.10",
              "--expect", "2001:db8::10")  # fmt: skip
    assert_state(run, 0, "192.0.2.10 as expected")


def test_an_address_is_taken_as_it_is(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "192.0.2.25", "--ptr")
    assert_state(run, 0, "192.0.2.25, PTR confirmed")


# --- several nameservers --------------------------------------------------------------


def test_nameservers_that_agree(ns1: NsdServer, ns2: NsdServer) -> None:
    run = ipcheck("--nameserver", ns1.spec(), "--nameserver", ns2.spec(), "-H", "www.example.test")
    assert_state(run, 0, "2 nameservers agree")


def test_nameservers_that_disagree_are_named(ns1: NsdServer, ns2: NsdServer) -> None:
    run = ipcheck("--nameserver", ns1.spec(), "--nameserver", ns2.spec(), "-H",
                  "split.example.test")  # fmt: skip
    assert_state(run, 1, f"nameservers disagree: {ns1.spec()} says 192.0.2.80; "
                 f"{ns2.spec()} says 192.0.2.81")  # fmt: skip
    expected = ipcheck("--nameserver", ns1.spec(), "--nameserver", ns2.spec(), "-H",
                       "split.example.test", "--expect", "192.0.2.80")  # fmt: skip
    assert_state(expected, 2, f"{ns2.spec()}: 192.0.2.81 not in --expect", "disagree")


def test_a_silent_second_nameserver_is_critical(ns1: NsdServer, silent: SilentServer) -> None:
    run = ipcheck("--nameserver", ns1.spec(), "--nameserver", silent.spec(), "-H",
                  "www.example.test", "-t", "2")  # fmt: skip
    assert_state(run, 2, f"no answer from {silent.spec()}")


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
def test_an_ipv6_nameserver(ns1: NsdServer) -> None:
    run = ipcheck("--nameserver", ns1.spec("::1"), "-H", "mail.example.test", "--ptr")
    assert_state(run, 0, "192.0.2.25, 2001:db8::25", "PTR confirmed")


# --- reverse DNS ----------------------------------------------------------------------


def test_forward_confirmed_reverse_dns(ns1: NsdServer) -> None:
    assert_state(ask(ns1, "-H", "mail.example.test", "--ptr"), 0, "PTR confirmed")


def test_a_missing_ptr_is_a_warning(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "noptr.example.test", "--ptr")
    assert_state(run, 1, "192.0.2.30 has no PTR record (NXDOMAIN")
    critical = ask(ns1, "-H", "noptr.example.test", "--ptr-critical")
    assert_state(critical, 2, "192.0.2.30 has no PTR record")


def test_a_ptr_that_does_not_resolve_back(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "badptr.example.test", "--ptr")
    assert_state(run, 1, "192.0.2.40 PTR other.example.test, which resolves to 192.0.2.41: "
                 "not back to 192.0.2.40")  # fmt: skip


def test_ipv6_reverse_dns(ns1: NsdServer) -> None:
    assert_state(ask(ns1, "-H", "www.example.test", "-6", "--ptr"), 0, "PTR confirmed")
    run = ask(ns1, "-H", "v4only.example.test", "--ptr")
    assert_state(run, 1, "192.0.2.50 has no PTR record")


# --- blocklists -----------------------------------------------------------------------


def test_a_clean_address(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "www.example.test", "--rbl", "bl.test", "--rbl", "clean.test")
    assert_state(run, 0, "listed on none of 2 zones")
    assert run.perfdata["listed"][0] == 0
    assert run.perfdata["zones_checked"][0] == 2
    assert run.perfdata["zones_failed"][0] == 0
    assert run.perfdata["listed"][2][:2] == ["", "0"]


def test_a_listing_is_critical_with_its_reason(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "--rbl", "bl.test", "--rbl", "clean.test")
    assert_state(run, 2, "1 listing", f"192.0.2.66 listed on bl.test (127.0.0.2): {SPAM_REASON}")
    assert run.perfdata["listed"][0] == 1


def test_an_ipv6_listing(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "2001:db8::66", "--rbl", "bl.test")
    assert_state(run, 2, "2001:db8::66 listed on bl.test (127.0.0.3): IPv6 spam source")


def test_thresholds_on_listings(ns1: NsdServer) -> None:
    zones = ["--rbl", "bl.test", "--rbl", "second.test", "--rbl", "clean.test"]
    assert_state(ask(ns1, "-H", "dirty.example.test", *zones, "-w", "0", "-c", "2"), 1,
                 "2 listings (outside the warning range 0)")  # fmt: skip
    assert_state(ask(ns1, "-H", "dirty.example.test", *zones, "-w", "2", "-c", "1"), 2,
                 "2 listings (outside the critical range 1)")  # fmt: skip
    relaxed = ask(ns1, "-H", "dirty.example.test", *zones, "-c", "3")
    assert_state(relaxed, 0, "2 listings within the thresholds")
    assert relaxed.perfdata["listed"][2][:2] == ["", "3"]


def test_a_refusing_list_is_not_a_listing(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "--rbl", "refusing.test", "--rbl", "clean.test")
    assert_state(run, 1, "refusing.test refused the query (127.255.255.254: queries through a "
                 "public or open resolver are refused)")  # fmt: skip
    assert "listed on refusing" not in run.first
    assert run.perfdata["listed"][0] == 0
    assert run.perfdata["zones_failed"][0] == 1
    assert run.perfdata["zones_checked"][0] == 1


def test_a_list_that_refuses_one_lookup(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "--rbl", "rate-limited.test")
    assert_state(run, 1, "rate-limited.test refused the query (127.255.255.255: too many queries)")
    assert run.perfdata["listed"][0] == 0


def test_a_list_that_lists_everything_is_broken(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "www.example.test", "--rbl", "everything.test")
    assert_state(run, 1, "everything.test answers for every name (127.0.0.2), even 127.0.0.1")
    assert run.perfdata["listed"][0] == 0


def test_a_list_that_lists_localhost_is_broken(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "--rbl", "lists-localhost.test")
    assert_state(run, 1, "lists-localhost.test lists 127.0.0.1 (127.0.0.2), which no working")
    assert run.perfdata["listed"][0] == 0


def test_an_answer_that_is_no_code(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "--rbl", "parked.test")
    assert_state(run, 1, "parked.test answered 192.0.2.200 for 192.0.2.66, which is no blocklist")
    assert run.perfdata["listed"][0] == 0


def test_a_failing_list_is_reported_not_counted(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "www.example.test", "--rbl", "servfail.test", "--rbl", "bl.test")
    assert_state(run, 1, "servfail.test: SERVFAIL from")
    assert run.perfdata["zones_failed"][0] == 1


def test_lists_that_do_not_answer_in_time(silent: SilentServer) -> None:
    started = time.monotonic()
    run = ipcheck("--nameserver", silent.spec(), "-H", "192.0.2.66", "--rbl", "bl.test",
                  "--rbl", "clean.test", "-t", "2")  # fmt: skip
    assert time.monotonic() - started < 4
    assert_state(run, 1, "bl.test: no answer from", "clean.test: no answer from")
    assert run.perfdata["listed"][0] == 0
    assert run.perfdata["zones_failed"][0] == 2


def test_the_default_lists(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "dirty.example.test", "-4", "--rbl-default")
    assert_state(run, 2, "5 listings", *(f"listed on {zone}" for zone in rbl.DEFAULT_ZONES))
    assert run.perfdata["zones_checked"][0] == len(rbl.DEFAULT_ZONES)
    clean = ask(ns1, "-H", "www.example.test", "--rbl-default", "--rbl", "clean.test")
    assert_state(clean, 0, "listed on none of 6 zones")


# --- the public address ---------------------------------------------------------------


class AddressEcho(http.server.BaseHTTPRequestHandler):
    """Answers each GET with the client's address, as public "what is my IP" pages do."""

    def do_GET(self) -> None:
        body = f"{self.client_address[0]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AddressEcho)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ip"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def public(server: NsdServer, state: Path, *args: str) -> PluginRun:
    return ipcheck("--public-ip", "--state-file", str(state), *args)


def test_the_public_address_from_dns_against_expect(ns1: NsdServer, tmp_path: Path) -> None:
    source = f"dns:myip.example.test@{ns1.spec()}"
    state = tmp_path / "state"
    run = public(ns1, state, "--public-ip-source", source, "--expect", "198.51.100.7")
    assert_state(run, 0, "public address: 198.51.100.7 as expected")
    moved = public(ns1, state, "--public-ip-source", source, "--expect", "198.51.100.8")
    assert_state(moved, 2, "198.51.100.7 not in --expect 198.51.100.8/32")
    txt = public(ns1, state, "-6", "--public-ip-source", f"dns:myip6.example.test/TXT@{ns1.spec()}")
    assert_state(txt, 0, "public address: 2001:db8::77")


def test_a_change_of_public_address_is_a_warning(
    ns1: NsdServer, tmp_path: Path, echo_url: str
) -> None:
    state = tmp_path / "vigie" / "ipcheck.state"
    dns_source = ["--public-ip-source", f"dns:myip.example.test@{ns1.spec()}"]
    assert_state(public(ns1, state, *dns_source), 0, "198.51.100.7")
    assert_state(public(ns1, state, *dns_source), 0, "198.51.100.7")
    # Another source list is another key: its first run is OK too.
    http_source = ["--public-ip-source", echo_url]
    assert_state(public(ns1, state, *http_source), 0, "public address: 127.0.0.1")
    # The same source list seeing another address: the file says the last run saw .8.
    kept = json.loads(state.read_text())
    key = next(key for key in kept if "myip.example.test" in key)
    kept[key]["address"] = "198.51.100.8"
    state.write_text(json.dumps(kept))
    changed = public(ns1, state, *dns_source)
    assert_state(changed, 1, "public address changed from 198.51.100.8 to 198.51.100.7")
    assert_state(public(ns1, state, *dns_source), 1, "changed from 198.51.100.8")
    assert_state(public(ns1, state, *dns_source, "--changed-for", "0.001"), 0, "198.51.100.7")


def test_sources_are_asked_in_order(ns1: NsdServer, tmp_path: Path, echo_url: str) -> None:
    first = f"dns:nothing.example.test@{ns1.spec()}"
    run = public(ns1, tmp_path / "s", "--public-ip-source", first, "--public-ip-source", echo_url)
    assert_state(run, 0, "public address: 127.0.0.1")
    none = public(ns1, tmp_path / "s", "--public-ip-source", f"dns:gone.example.test@{ns1.spec()}")
    assert_state(none, 3, "no source told the public address", "NXDOMAIN")


def test_an_unwritable_state_file(ns1: NsdServer, tmp_path: Path) -> None:
    folder = tmp_path / "file-not-folder"
    folder.write_text("")
    run = public(ns1, folder / "state", "--public-ip-source", f"dns:myip.example.test@{ns1.spec()}")
    assert_state(run, 3, f"cannot keep the public address in {folder / 'state'}")


# --- the command line and the plugin conventions --------------------------------------


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        ([], "-H NAME (or --public-ip) is required"),
        (["-H", "a.test", "--public-ip"], "-H and --public-ip exclude each other"),
        (["-H", "bad name"], "invalid host"),
        (["-H", "a.test", "--expect", "192.0.2.1/24"], "has host bits set"),
        (["-H", "a.test", "--expect", "mail"], "invalid --expect 'mail'"),
        (["-H", "a.test", "--nameserver", "ns1.example"], "expected an IP address"),
        (["-H", "a.test", "--nameserver", "127.0.0.1:99999"], "the port must be 1 to 65535"),
        (["-H", "a.test", "--nameserver", "[::1"], "expected [IPV6]:PORT"),
        (["-H", "a.test", "--match", "most"], "invalid choice: 'most'"),
        (["-H", "a.test", "-w", "1"], "-w/-c are thresholds on blocklist listings"),
        (["-H", "a.test", "--rbl", "bad zone"], "invalid blocklist zone"),
        (["-H", "a.test", "--rbl", "x.test", "-c", "abc"], "invalid range"),
        (["-H", "a.test", "-6", "--expect", "192.0.2.1"], "--expect lists no IPv6 address"),
        (["-H", "192.0.2.1", "-6"], "is not of the address family"),
        (["--public-ip", "--public-ip-source", "ftp://x"], "invalid source 'ftp://x'"),
        (["-H", "a.test", "--state-file", "/x"], "go with --public-ip"),
        (["-H", "a.test", "-4", "-6"], "not allowed with argument"),
    ],
)
def test_bad_arguments_are_unknown(args: list[str], phrase: str) -> None:
    run = ipcheck(*args)
    assert_state(run, 3, "bad arguments", phrase)


def test_verbose_output_explains(ns1: NsdServer) -> None:
    run = ask(ns1, "-H", "noptr.example.test", "--ptr", "-vv")
    assert_state(run, 1)
    assert "warning: 192.0.2.30 has no PTR record (NXDOMAIN from" in run.stdout
    assert "asking A noptr.example.test of" in run.stdout


def test_the_plugin_deadline(silent: SilentServer) -> None:
    run = ipcheck("--nameserver", silent.spec(), "-H", "192.0.2.1", "--rbl", "bl.test", "-t",
                  "0.001", "--timeout-result", "critical")  # fmt: skip
    assert_state(run, 2, "plugin timeout: no result after 0.001 s (-t)")


def test_without_dnspython_it_says_how_to_install(ns1: NsdServer) -> None:
    code = (
        "import sys; sys.modules['dns'] = None; sys.argv[0] = 'check_vigie_ipcheck'; "
        "from plugins.ipcheck import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "-H", "www.example.test", "--nameserver", ns1.spec()],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    run = PluginRun(done)
    assert_state(run, 3, "dnspython is not installed: pip install 'vigie[dns]'")


def test_dnspython_is_loaded_by_this_plugin_only() -> None:
    code = (
        "import sys, plugins.http, plugins.runtime, plugins.ipcheck_options; "
        "print(sorted(m for m in sys.modules if m == 'dns' or m.startswith('dns.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


# --- the system resolver --------------------------------------------------------------

IN_NAMESPACE = """
ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 97
"$2" "$3" "$4" "$5" & server=$!
tries=0
while [ ! -s "$6" ] && [ $tries -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
sleep 0.2
shift 6
"$@"; code=$?
kill $server; wait $server
exit $code
"""


def test_without_nameserver_the_system_resolver_is_asked(tmp_path: Path) -> None:
    """In a network and mount namespace of its own, NSD on port 53 of its loopback is the
    resolver that resolv.conf names, as a local caching resolver would be."""
    server = NsdServer(tmp_path / "nsd", zones("192.0.2.80"), port=53)
    server.addresses = ("127.0.0.1",)
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text("nameserver 127.0.0.1\n")
    argv = [
        "unshare", "--net", "--mount", "sh", "-c", IN_NAMESPACE, "sh", str(resolv_conf),
        *server.command(), str(server.folder / "nsd.pid"),
        str(CHECK_IPCHECK), "-H", "mail.example.test", "--ptr", "--rbl", "bl.test",
    ]  # fmt: skip
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a network namespace of its own needs root and unshare (util-linux)")
    run = run_command(argv)
    if run.code == 97 or "unshare failed" in run.stderr or "Operation not permitted" in run.stderr:
        pytest.skip(f"cannot make a network namespace here: {run.stderr.strip()}")
    assert_state(run, 0, "mail.example.test: 192.0.2.25, 2001:db8::25", "PTR confirmed")


def test_an_https_source_is_verified(
    ns1: NsdServer, tmp_path: Path, tls_server: Callable[..., TestServer]
) -> None:
    """A page whose certificate the system does not trust is no source: the next one is."""
    untrusted = f"https://127.0.0.1:{tls_server().port}/ip"
    run = public(ns1, tmp_path / "s", "--public-ip-source", untrusted,
                 "--public-ip-source", f"dns:myip.example.test@{ns1.spec()}", "-vv")  # fmt: skip
    assert_state(run, 0, "public address: 198.51.100.7")
    assert f"public address source: {untrusted}: " in run.stdout
    assert "certificate verify failed" in run.stdout


def test_help_and_version_exit_unknown() -> None:
    shown = ipcheck("--help")
    assert shown.code == 3 and "--rbl-default" in shown.stdout and "States:" in shown.stdout
    version = ipcheck("--version")
    assert version.code == 3 and version.first.startswith("check_vigie_ipcheck "), version
