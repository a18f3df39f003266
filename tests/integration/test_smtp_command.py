"""CheckCommand ``vigie-smtp`` and the ``vars.vigie_smtp`` apply rule as a real Icinga 2 runs
them, against real SMTP servers (aiosmtpd) on 127.0.0.1: the services the rule makes, the
command lines it builds, the password through the environment, and the results.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.pki import Certificates, Pki, server_context
from tests.servers.polling import wait_for
from tests.servers.smtp import PASSWORD, REFUSED, USER, SmtpServer

pytestmark = pytest.mark.icinga

WAIT = 45.0  # seconds; bounds a stuck run only


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(Pki(tmp_path_factory.mktemp("smtp-pki")))


@pytest.fixture
def servers(certs: Certificates) -> Iterator[tuple[SmtpServer, SmtpServer]]:
    """An MX (STARTTLS, no AUTH) and a submission service (STARTTLS and AUTH)."""
    started: list[SmtpServer] = []
    try:
        started.append(SmtpServer(starttls=server_context(certs.valid)))
        started.append(SmtpServer(starttls=server_context(certs.valid), auth=True))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def result_of(sandbox: IcingaSandbox, service: str) -> dict[str, Any]:
    """The first check result of mail01!service."""

    def probe() -> dict[str, Any] | None:
        found: dict[str, Any] | None = sandbox.service("mail01", service)["last_check_result"]
        return found

    try:
        return wait_for(f"a check result of mail01!{service}", probe, timeout=WAIT)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


def test_one_host_gets_a_service_per_vigie_smtp_entry(
    start_icinga: StartIcinga,
    servers: tuple[SmtpServer, SmtpServer],
    certs: Certificates,
    tmp_path: Path,
) -> None:
    mx, submission = servers
    password_file = tmp_path / "smtp-password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    objects = f"""
object Host "mail01" {{
  import "vigie-level-a"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  vars.customer = "acme"
  enable_notifications = false
  vars.vigie_smtp["smtp"] = {{
    port = {mx.port}
    starttls = true
    ca_file = "{certs.ca}"
    certificate = "30,7"
    mail_from = "monitoring@provider.example"
    rcpt_to = [ "postmaster@acme.example", "abuse@acme.example" ]
    timeout = 5
  }}
  vars.vigie_smtp["submission"] = {{
    hostname = "localhost"
    port = {submission.port}
    starttls = true
    ca_file = "{certs.ca}"
    auth_user = "{USER}"
    password = "{PASSWORD}"
    auth_mechanism = "PLAIN"
    verbose = 2
  }}
  vars.vigie_smtp["submission-file"] = {{
    port = {submission.port}
    starttls = true
    ca_file = "{certs.ca}"
    auth_user = "{USER}"
    password_file = "{password_file}"
  }}
  vars.vigie_smtp["refused"] = {{
    port = {mx.port}
    mail_from = "monitoring@provider.example"
    rcpt_to = "{REFUSED}"
  }}
}}
/* Not a Vigie host (no level): its vars.vigie_smtp gives it nothing. */
object Host "other" {{
  address = "127.0.0.1"
  check_command = "dummy"
  vars.vigie_smtp["smtp"] = {{ port = {mx.port} }}
}}
"""
    sandbox = start_icinga(objects=objects)
    services = sandbox.compiled_objects("Service")
    assert {name for name in services if name.startswith(("mail01!", "other!"))} == {
        "mail01!smtp", "mail01!submission", "mail01!submission-file", "mail01!refused",
    }  # fmt: skip
    sandbox.api(
        "POST",
        "/v1/actions/reschedule-check",
        {"type": "Service", "filter": 'host.name == "mail01"', "force": True},
    )

    smtp = result_of(sandbox, "smtp")
    command = smtp["command"]
    assert smtp["exit_status"] == 0, smtp
    assert command[command.index("--ip") + 1] == "127.0.0.1"
    assert "--starttls" in command and "--tls" not in command
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--rcpt-to"] == [
        "postmaster@acme.example", "abuse@acme.example",
    ]  # fmt: skip
    assert smtp["output"].startswith("SMTP OK - 220 mx.vigie.test ESMTP Vigie test, STARTTLS")
    assert ", 2 recipients accepted, " in smtp["output"]

    for name in ("submission", "submission-file"):
        result = result_of(sandbox, name)
        assert result["exit_status"] == 0, result
        assert f"authenticated as {USER}" in result["output"]
        assert not any(PASSWORD in arg for arg in result["command"]), result["command"]
        assert PASSWORD not in result["output"]
    verbose = result_of(sandbox, "submission")
    assert "-vv" in verbose["command"]
    assert "C: (AUTH data)" in verbose["output"]
    assert sorted(submission.mailbox.mechanisms) == ["CRAM-MD5", "PLAIN"]

    refused = result_of(sandbox, "refused")
    assert refused["exit_status"] == 2, refused
    assert f"refused the recipient <{REFUSED}>: 550 5.1.1" in refused["output"]


def test_an_entry_that_is_not_a_dictionary_is_named(start_icinga: StartIcinga) -> None:
    sandbox = start_icinga(
        build_only=True,
        objects="""
object Host "mail01" {
  import "vigie-level-b"
  check_command = "dummy"
  vars.vigie_smtp["smtp"] = "mx.acme.example"
}
""",
    )
    checked = sandbox.validate()
    assert checked.returncode != 0
    assert 'host mail01: vars.vigie_smtp["smtp"] must be a dictionary' in checked.stdout
