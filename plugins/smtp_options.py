"""The command line of check_vigie_smtp: every flag, documented, and the settings they make.

Domain model: what an Icinga admin asks of a mail server, flag by flag, in the words of
monitoring-plugins' check_smtp where it has them (``-H``, ``-p``, ``-e``, ``-F``, ``-S``),
and the settings of one run judged together (``settings_from_args``): the admin's
mistakes are one UNKNOWN line with the usage, before any network. The password never
comes from the command line, and never crosses a clear channel unless the admin says so.
"""

from __future__ import annotations

import argparse
import socket

from plugins import arguments
from plugins.arguments import PluginError, UsageError
from plugins.network import BadName, ascii_name
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.nagios import Range

NAME = "SMTP"
PROG = "check_vigie_smtp"
PASSWORD_ENV = "VIGIE_SMTP_PASSWORD"
MECHANISM_CHOICES = ("PLAIN", "LOGIN", "CRAM-MD5")
SUBMISSION_PORTS = {False: 25, True: 465}
# What never belongs in a mail address on the command line: it would end the command.
_NOT_IN_ADDRESSES = frozenset(' <>"\\,;')


# --- flag types -----------------------------------------------------------------------


def _reply_code(text: str) -> int:
    if not (len(text) == 3 and text.isascii() and text.isdigit() and text[0] in "2345"):
        raise argparse.ArgumentTypeError(
            f"invalid reply code {one_line(repr(text), 40)}: expected three digits, e.g. 220"
        )
    return int(text)


def _ehlo_name(text: str) -> str:
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(
            f"invalid EHLO name {one_line(repr(text), 200)}: expected a domain name or an "
            "address literal such as [192.0.2.1], ASCII without spaces"
        )
    return text


def _mailbox(text: str) -> str:
    """A mail address as MAIL FROM and RCPT TO carry it, its domain in IDNA form."""
    problem = None
    local, at, domain = text.rpartition("@")
    if text == "<>":
        return text
    if not text or not text.isprintable() or not _NOT_IN_ADDRESSES.isdisjoint(text):
        problem = "spaces, brackets, quotes or control characters"
    elif not at or not local or not domain:
        problem = "expected local-part@domain"
    elif not local.isascii():
        problem = "a non-ASCII local part needs SMTPUTF8, which this check does not speak"
    if problem is None:
        try:
            return f"{local}@{ascii_name(domain)}"
        except BadName as exc:
            problem = str(exc)
    raise argparse.ArgumentTypeError(f"invalid address {one_line(repr(text), 200)}: {problem}")


def build_parser() -> arguments.PluginArgumentParser:
    """The command line of check_vigie_smtp, documented flag by flag."""
    parser = arguments.PluginArgumentParser(
        NAME,
        PROG,
        "Check an SMTP service the way a mail client reaches it: banner, EHLO, TLS and its "
        "certificate, AUTH, the envelope.\nFirst line: SMTP OK - 220 mx.example ESMTP, "
        "STARTTLS, certificate 83 days, 0.041 s | time=0.041s;W;C;0 ...",
        epilog=(
            "Perfdata, in seconds and days: time (the whole dialogue, QUIT included),\n"
            "time_connect (TCP), time_banner (from connected, or from the handshake with\n"
            "--tls, to the banner), time_tls (the STARTTLS command and the handshake, or\n"
            "the implicit handshake), time_auth (AUTH), cert_days_left (with TLS).\n\n"
            "Every failure of the server is CRITICAL, one line naming the step and why: a\n"
            "banner other than -e, STARTTLS not offered with -S, a certificate not trusted,\n"
            "AUTH refused, a sender or recipient refused (with the server's reply).\n"
            "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, the\n"
            "plugin's own deadline, an internal error; also after --help and --version).\n\n"
            f"The password never comes from the command line, which Icinga logs: ${PASSWORD_ENV}\n"
            "or --password-file. AUTH runs only over TLS (-S or --tls) unless\n"
            "--allow-plaintext-auth says otherwise."
        ),
    )
    target = parser.add_argument_group("server")
    target.add_argument(
        "-H",
        "--hostname",
        type=arguments.host_name,
        metavar="HOST",
        help="mail server's name: connected to unless -I is given, and the name its "
        "certificate must carry unless --sni is given",
    )
    target.add_argument(
        "-I",
        "--ip",
        type=arguments.host_name,
        metavar="ADDRESS",
        help="address to connect to (default: HOST resolved)",
    )
    target.add_argument(
        "-p", "--port", type=arguments.port, help="TCP port (default 25, or 465 with --tls)"
    )
    family = target.add_mutually_exclusive_group()
    family.add_argument(
        "-4", dest="family", action="store_const", const=socket.AF_INET, help="IPv4 only"
    )
    family.add_argument(
        "-6", dest="family", action="store_const", const=socket.AF_INET6, help="IPv6 only"
    )
    target.add_argument(
        "-e",
        "--expect",
        type=_reply_code,
        default=220,
        metavar="CODE",
        help="reply code the banner must carry (default %(default)s); another is CRITICAL",
    )
    target.add_argument(
        "-F",
        "--fqdn",
        type=_ehlo_name,
        metavar="NAME",
        help="name to give in EHLO (default: this host's fully qualified name)",
    )

    tls = parser.add_argument_group("TLS and certificate")
    mode = tls.add_mutually_exclusive_group()
    mode.add_argument(
        "-S",
        "--starttls",
        action="store_true",
        help="upgrade to TLS with STARTTLS; CRITICAL when the server does not offer it",
    )
    mode.add_argument(
        "--tls", action="store_true", help="implicit TLS from the first byte (SMTPS, port 465)"
    )
    tls.add_argument(
        "--sni",
        type=arguments.host_name,
        metavar="NAME",
        help="server name to send in SNI and to verify the certificate against "
        "(default: HOST, or ADDRESS without -H)",
    )
    tls.add_argument(
        "--ca-file",
        metavar="FILE",
        help="trust these CA certificates (PEM) instead of the system's",
    )
    tls.add_argument(
        "--insecure", action="store_true", help="do not verify the certificate chain and name"
    )
    tls.add_argument(
        "-C",
        "--certificate",
        type=arguments.certificate_days,
        metavar="WARN[,CRIT]",
        help="WARNING when fewer than WARN days of certificate validity are left, CRITICAL "
        f"under CRIT (default 0: expired; at most {arguments.MAX_CERT_DAYS})",
    )

    auth = parser.add_argument_group("authentication (after TLS)")
    auth.add_argument(
        "--auth-user",
        metavar="NAME",
        help=f"authenticate as NAME, with the password of ${PASSWORD_ENV} or --password-file",
    )
    auth.add_argument(
        "--password-file",
        metavar="FILE",
        help=f"file whose first line is the password (else ${PASSWORD_ENV})",
    )
    auth.add_argument(
        "--auth-mechanism",
        choices=MECHANISM_CHOICES,
        type=str.upper,
        metavar="MECHANISM",
        help="use this mechanism: PLAIN, LOGIN or CRAM-MD5 (default: CRAM-MD5 if offered, "
        "else PLAIN, else LOGIN)",
    )
    auth.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="allow AUTH without TLS, where anyone on the path can read the password",
    )

    envelope = parser.add_argument_group("envelope")
    envelope.add_argument(
        "--mail-from",
        type=_mailbox,
        metavar="ADDRESS",
        help="sender to give in MAIL FROM (<> for the null sender); CRITICAL when refused",
    )
    envelope.add_argument(
        "--rcpt-to",
        type=_mailbox,
        action="append",
        default=[],
        metavar="ADDRESS",
        help="recipient to give in RCPT TO, repeatable; CRITICAL when one is refused, with "
        "the server's reply; then RSET, no message (needs --mail-from)",
    )
    envelope.add_argument(
        "--send",
        action="store_true",
        help="deliver a small test message to the recipients, a unique token in its subject",
    )

    arguments.add_time_thresholds(parser)
    return parser


# --- the settings of one run ----------------------------------------------------------


class Settings:
    """What one run does, the flags judged together."""

    def __init__(self, args: argparse.Namespace) -> None:
        if not args.hostname and not args.ip:
            raise UsageError("-H/--hostname or -I/--ip is required")
        self.host: str = args.hostname or args.ip
        self.address: str = args.ip or args.hostname
        self.family: int = args.family or socket.AF_UNSPEC
        self.implicit_tls: bool = args.tls
        self.starttls: bool = args.starttls
        self.port: int = args.port or SUBMISSION_PORTS[self.implicit_tls]
        self.expect: int = args.expect
        self.ehlo_name: str = args.fqdn or this_host_name()
        self.cert_name: str = _idna(args.sni or self.host, "--sni" if args.sni else "-H")
        self.ca_file: str | None = args.ca_file
        self.verify: bool = not args.insecure
        self.certificate: tuple[float, float] | None = args.certificate
        self.warning: Range | None = args.warning
        self.critical: Range | None = args.critical
        self.mail_from: str | None = args.mail_from
        self.rcpt_to: list[str] = args.rcpt_to
        self.send: bool = args.send
        self.user: str | None = args.auth_user
        self.mechanism: str | None = args.auth_mechanism
        self.password: str = ""
        self._judge(args)

    @property
    def tls(self) -> bool:
        """True when the dialogue runs over TLS, from the start or after STARTTLS."""
        return self.implicit_tls or self.starttls

    @property
    def where(self) -> str:
        """The server as messages name it: ``mx.example port 25``."""
        return f"{self.host} port {self.port}"

    def _judge(self, args: argparse.Namespace) -> None:
        if not self.tls:
            for flag, given in (
                ("--sni", args.sni),
                ("--ca-file", args.ca_file),
                ("--insecure", args.insecure),
                ("-C/--certificate", args.certificate),
            ):
                if given:
                    raise UsageError(f"{flag} needs TLS: add -S/--starttls or --tls")
        if self.user is None:
            for flag, given in (
                ("--password-file", args.password_file),
                ("--auth-mechanism", args.auth_mechanism),
                ("--allow-plaintext-auth", args.allow_plaintext_auth),
            ):
                if given:
                    raise UsageError(f"{flag} needs --auth-user")
        else:
            if not self.tls and not args.allow_plaintext_auth:
                raise UsageError(
                    "--auth-user without TLS would send the password in clear: add "
                    "-S/--starttls or --tls (or --allow-plaintext-auth)"
                )
            password = arguments.read_secret(PASSWORD_ENV, args.password_file, "the password")
            if password is None:
                raise PluginError(f"--auth-user needs a password: set ${PASSWORD_ENV} or give "
                                  "--password-file")  # fmt: skip
            self.password = password
        if self.rcpt_to and self.mail_from is None:
            raise UsageError("--rcpt-to needs --mail-from: RCPT comes after MAIL")
        if self.send and not self.rcpt_to:
            raise UsageError("--send needs --mail-from and at least one --rcpt-to")


def _idna(name: str, flag: str) -> str:
    """``name`` as SNI and the certificate carry it: an international name in IDNA form."""
    try:
        return ascii_name(name)
    except BadName as exc:
        raise UsageError(f"{flag}: {exc}") from None


def this_host_name() -> str:
    """This host's fully qualified name, as ``hostname -f`` finds it (the EHLO default).

    ``socket.getfqdn`` prefers the first name of the address's reverse lookup, which on
    many hosts is ``localhost``; the canonical name of the host name is what is meant.
    """
    name = socket.gethostname()
    if "." in name:
        return name
    try:
        infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    except OSError:
        return name
    canonical = infos[0][3] if infos else ""
    return canonical if canonical and canonical.isascii() and " " not in canonical else name
