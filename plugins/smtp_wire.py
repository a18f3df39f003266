"""SMTP on a socket: commands out, replies in, TLS on demand, AUTH's encodings.

Domain model: the SMTP dialogue as RFC 5321 frames it. The client sends one command line
at a time; the server answers each with a reply, one or more lines of a three-digit code
followed by ``-`` (more lines follow) or a space (the last line). STARTTLS (RFC 3207)
turns the same connection into TLS after a 220 reply; AUTH (RFC 4954) runs a
mechanism's challenges as 334 replies until a final 235 or a refusal.

A monitoring check talks to servers that may be broken or hostile, so everything the
server sends is bounded: the length of a line, the number of lines in a reply, and every
wait (``budget()`` gives the timeout of the next one and raises TimeoutError once none is
left). What does not parse raises a WireError saying what was wrong, for the caller to
turn into one CRITICAL line. Nothing secret is ever logged.

Only ``socket``-level code: ``ssl`` comes with the context a caller passes in, ``base64``
with AUTH, ``hmac`` only for CRAM-MD5.
"""

from __future__ import annotations

import logging

from plugins.line_reader import LineReader, LineTooLong
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

    from plugins.line_reader import Stream

_log = logging.getLogger(__name__)

# RFC 5321 allows 512 octets per reply line; real servers stay far below this bound.
MAX_LINE = 2048
# An EHLO reply lists a few dozen extensions at most; a reply longer than this never ends.
MAX_LINES = 100
# The AUTH mechanisms this check speaks, in the order it prefers them when several are
# offered: CRAM-MD5 never sends the password itself.
MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")


class WireError(Exception):
    """The server sent something that is not SMTP, or broke off; the message says what."""


class Closed(WireError):
    """The server closed the connection before its reply was complete."""


class Reply:
    """One SMTP reply: its code and the text of each line."""

    __slots__ = ("code", "lines")

    def __init__(self, code: int, lines: list[str]) -> None:
        self.code = code
        self.lines = lines

    @property
    def first(self) -> str:
        """The first line as the server wrote it, code included (``220 mx.example ESMTP``)."""
        return f"{self.code} {self.lines[0]}".rstrip()

    def shown(self, limit: int = 200) -> str:
        """The whole reply on one line, cleaned of anything a terminal would act on."""
        return one_line(f"{self.code} {' '.join(self.lines)}", limit)

    def extensions(self) -> dict[str, list[str]]:
        """The service extensions an EHLO reply lists: {keyword: parameters}."""
        found: dict[str, list[str]] = {}
        for line in self.lines[1:]:
            words = line.split()
            if words:
                found[words[0].upper()] = words[1:]
        return found


def _parse_line(raw: bytes) -> tuple[int, bool, str]:
    """(code, last, text) of one reply line; WireError when it is not one."""
    line = raw.rstrip(b"\r\n")
    code, separator = line[:3], line[3:4]
    if not (len(code) == 3 and code.isdigit() and code[:1] in b"2345" and separator in b" -"):
        raise WireError(f"not an SMTP reply ({one_line(repr(bytes(line[:80])), 100)})")
    # Replies are ASCII (RFC 5321), UTF-8 with SMTPUTF8; anything else is shown escaped.
    return int(code), separator != b"-", line[4:].decode("utf-8", "backslashreplace")


class SmtpWire:
    """One SMTP connection: ``command`` sends a line and reads the reply to it.

    ``budget()`` returns the timeout for the next network wait (raising TimeoutError when
    none is left).
    """

    def __init__(self, sock: Stream, budget: Callable[[], float]) -> None:
        self.sock = sock
        self.budget = budget
        self.reader = LineReader(sock, budget)

    def send(self, data: bytes) -> None:
        """Send ``data`` as it is, within the budget."""
        self.sock.settimeout(self.budget())
        self.sock.sendall(data)

    def command(self, line: str, *, secret: bool = False) -> Reply:
        """Send one command line and read its reply; ``secret`` keeps it out of the logs."""
        _log.info("C: %s", "(AUTH data)" if secret else line)
        self.send(line.encode("utf-8") + b"\r\n")
        return self.read_reply()

    def read_reply(self) -> Reply:
        """The next reply, every line of it; WireError or Closed when it is not one."""
        lines: list[str] = []
        code = 0
        while len(lines) < MAX_LINES:
            try:
                raw = self.reader.readline(MAX_LINE)
            except LineTooLong:
                raise WireError(f"a reply line longer than {MAX_LINE} bytes") from None
            if not raw.endswith(b"\n"):
                if raw:
                    _log.info("S: %s (cut off)", one_line(raw.decode("utf-8", "replace")))
                raise Closed("connection closed" + (" in mid-reply" if lines or raw else ""))
            line_code, last, text = _parse_line(raw)
            if lines and line_code != code:
                raise WireError(f"a reply whose lines carry codes {code} and {line_code}")
            code = line_code
            lines.append(text)
            _log.info("S: %d%s%s", code, " " if last else "-", one_line(text))
            if last:
                return Reply(code, lines)
        raise WireError(f"a reply of more than {MAX_LINES} lines")

    def start_tls(self, context: ssl.SSLContext, server_name: str | None) -> ssl.SSLSocket:
        """The TLS handshake once the server has said 220 to STARTTLS."""
        from plugins import tls  # the caller made the context: ssl is loaded already

        if self.reader.buffer:
            # Bytes sent before the handshake would be read as if they came over TLS:
            # the STARTTLS command injection of CVE-2011-0411. Never trust them.
            raise WireError("data after the reply to STARTTLS, before TLS began,")
        self.sock.settimeout(self.budget())
        sock = tls.wrap(context, self.sock, server_name)
        assert not isinstance(sock, tls.TlsInTls)  # SMTP runs on a plain socket first
        self.sock = sock
        self.reader = LineReader(sock, self.budget)
        return sock


# --- AUTH -----------------------------------------------------------------------------


def choose_mechanism(offered: list[str], wanted: str | None) -> str | None:
    """The mechanism to use: ``wanted`` if the server offers it, else the best offered."""
    upper = [name.upper() for name in offered]
    if wanted is not None:
        return wanted if wanted in upper else None
    return next((name for name in MECHANISMS if name in upper), None)


def authenticate(wire: SmtpWire, mechanism: str, user: str, password: str) -> Reply:
    """Run AUTH with ``mechanism``; the server's final reply (235 on success)."""
    import base64  # only with AUTH

    def encoded(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    login, secret = user.encode("utf-8"), password.encode("utf-8")
    answers: list[str] = []
    if mechanism == "PLAIN":
        # RFC 4616: an empty authorization identity, then the user and the password.
        credentials = encoded(b"\0" + login + b"\0" + secret)
        reply = wire.command("AUTH PLAIN " + credentials, secret=True)
    elif mechanism == "LOGIN":
        reply = wire.command("AUTH LOGIN")
        answers = [encoded(login), encoded(secret)]
    else:  # CRAM-MD5, RFC 2195: the user and an HMAC-MD5 of the server's challenge
        import hmac  # only for CRAM-MD5

        reply = wire.command("AUTH CRAM-MD5")
        if reply.code != 334:
            return reply
        try:
            challenge = base64.b64decode(reply.lines[0].strip(), validate=True)
        except ValueError:
            raise WireError("a CRAM-MD5 challenge that is not base64") from None
        digest = hmac.new(secret, challenge, "md5").hexdigest()
        answers = [encoded(login + b" " + digest.encode("ascii"))]
    for answer in answers:
        if reply.code != 334:
            return reply
        reply = wire.command(answer, secret=True)
    if reply.code == 334:
        # Another challenge where none belongs: cancel the exchange (RFC 4954, 4).
        reply = wire.command("*")
    return reply
