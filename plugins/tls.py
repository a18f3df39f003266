"""TLS for the checks: the client context, and what a server's certificate says.

Domain model: the certificate a server presents at the handshake. A check verifies its
chain and its names (RFC 6125) unless told not to, reads how long it remains valid even
when it was rejected (an expired certificate is worth a date, not just a refusal), and
words a failed handshake so that an admin knows which side to fix.

TLS inside TLS (a tunnel through an ``https://`` proxy) runs on memory buffers.

Imported only on the TLS path: ``ssl`` alone costs several milliseconds of start-up, which
a plain-HTTP check does not pay. Shared by the checks that speak TLS (HTTPS, SMTP STARTTLS).
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import re
import socket
import ssl

from plugins import network
from plugins.arguments import PluginError

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    from plugins.line_reader import Stream

    _T = TypeVar("_T")

_log = logging.getLogger(__name__)

# The --tls-min-version values and the protocol versions they name.
MIN_VERSIONS = {"1.0": "TLSv1", "1.1": "TLSv1_1", "1.2": "TLSv1_2", "1.3": "TLSv1_3"}


# --- the client context ---------------------------------------------------------------


def client_context(
    *,
    verify: bool = True,
    check_hostname: bool = True,
    ca_file: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
    min_version: str | None = None,
    alpn: tuple[str, ...] = (),
) -> ssl.SSLContext:
    """A client context: verification on unless ``verify`` is false, the admin's files loaded.

    ``check_hostname=False`` leaves the name check to the caller (``certificate_matches``),
    for when no SNI is sent: ssl ties its own name check to SNI. Files that cannot be
    loaded are the admin's problem: PluginError (UNKNOWN), named after the flag.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if alpn:
        context.set_alpn_protocols(list(alpn))
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif not check_hostname:
        context.check_hostname = False
    if min_version is not None:
        if min_version not in MIN_VERSIONS:
            raise PluginError(f"unknown TLS version {min_version!r}")
        context.minimum_version = ssl.TLSVersion[MIN_VERSIONS[min_version]]
    try:
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
        elif verify:
            context.load_default_certs()
    except (OSError, ValueError) as exc:
        raise PluginError(f"cannot load --ca-file {ca_file}: {os_reason(exc)}") from None
    if client_cert:
        try:
            context.load_cert_chain(client_cert, client_key)
        except (OSError, ValueError) as exc:
            key = f" / --client-key {client_key}" if client_key else ""
            raise PluginError(
                f"cannot load --client-cert {client_cert}{key}: {os_reason(exc)}"
            ) from None
    return context


def unverified_peer_certificate(sock: socket.socket, server_name: str | None) -> bytes | None:
    """The DER certificate the server on ``sock`` presents, trusted or not.

    For reporting only: after a failed check, a rejected certificate still has a lifetime
    worth telling. The handshake runs without any verification, so nothing else is sent.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with context.wrap_socket(sock, server_hostname=server_name) as tls_sock:
        return tls_sock.getpeercert(binary_form=True)


def wrap(
    context: ssl.SSLContext, sock: Stream, server_name: str | None
) -> ssl.SSLSocket | TlsInTls:
    """The TLS handshake on ``sock``, which may itself be TLS (a tunnel through an
    ``https://`` proxy); returns the connection to use from then on."""
    if isinstance(sock, (ssl.SSLSocket, TlsInTls)):
        return TlsInTls(sock, context, server_name)
    assert isinstance(sock, socket.socket)
    return context.wrap_socket(sock, server_hostname=server_name)


class TlsInTls:
    """TLS inside a TLS connection: to a server through a tunnel of an ``https://`` proxy.

    ``ssl`` wraps only real sockets; here the inner TLS runs over memory buffers, its
    records carried by the outer connection. Offers what the checks use of a socket.
    """

    def __init__(self, outer: Stream, context: ssl.SSLContext, server_name: str | None) -> None:
        self.outer = outer
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_name)
        self._run(self.tls.do_handshake)

    def _run(self, operation: Callable[..., _T], *args: object) -> _T:
        while True:
            try:
                result = operation(*args)
            except ssl.SSLWantReadError:
                self._flush()
                data = self.outer.recv(65536)
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.outer.sendall(data)

    def settimeout(self, value: float | None) -> None:
        """Timeouts apply to the outer connection, which does the waiting."""
        self.outer.settimeout(value)

    def recv(self, size: int) -> bytes:
        """Up to ``size`` decrypted bytes; b"" once the server has closed TLS."""
        try:
            return self._run(self.tls.read, size)
        except ssl.SSLZeroReturnError:
            return b""

    def sendall(self, data: bytes) -> None:
        """Encrypt and send all of ``data``."""
        view = memoryview(data)
        while view:
            sent = self._run(self.tls.write, view)
            view = view[sent:]

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The server's certificate, as ``ssl.SSLSocket.getpeercert`` gives it."""
        return self.tls.getpeercert(binary_form)

    def version(self) -> str | None:
        """The TLS version negotiated."""
        return self.tls.version()

    def cipher(self) -> tuple[str, str, int] | None:
        """The cipher negotiated."""
        return self.tls.cipher()

    def close(self) -> None:
        """Close the outer connection (and with it this one)."""
        self.outer.close()


def unverified_not_after(
    host: str, port: int, server_name: str | None, *, family: int, steps: network.Steps
) -> datetime.datetime | None:
    """The notAfter date of the certificate ``host`` presents, trusted or not; None when it
    cannot be had (the reason is logged)."""
    try:
        sock, _ = network.connect(host, port, family=family, budget=steps.budget, step=steps.step)
        with sock:
            der = unverified_peer_certificate(sock, server_name)
    except (OSError, ValueError) as exc:
        _log.info("could not read the certificate without verification: %s", exc)
        return None
    return certificate_not_after(der) if der else None


# --- what the certificate says --------------------------------------------------------


def certificate_not_after(der: bytes) -> datetime.datetime | None:
    """The notAfter date of a DER X.509 certificate (UTC), None if it cannot be read.

    ssl only decodes certificates it has verified; this reads the date of any certificate
    by walking Certificate > TBSCertificate > validity (RFC 5280, section 4.1).
    """
    try:
        return _der_not_after(der)
    except (IndexError, ValueError, UnicodeDecodeError):
        _log.info("cannot read the certificate's notAfter date")
        return None


def days_left(not_after: datetime.datetime, now: datetime.datetime | None = None) -> float:
    """Days from ``now`` (default: this moment) until ``not_after``; negative once passed."""
    left = not_after - (now or datetime.datetime.now(datetime.UTC))
    return left.total_seconds() / 86400


def _der_not_after(der: bytes) -> datetime.datetime:
    """notAfter from the DER itself; raises IndexError or ValueError on a malformed one."""

    def element(pos: int) -> tuple[int, int, int]:
        tag, length = der[pos], der[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(der[pos : pos + count], "big")
            pos += count
        return tag, pos, pos + length

    _, certificate, _ = element(0)
    _, pos, _ = element(certificate)
    tag, _, end = element(pos)
    if tag == 0xA0:  # explicit version
        pos = end
    for _ in range(3):  # serialNumber, signature, issuer
        pos = element(pos)[2]
    _, validity, _ = element(pos)
    not_before_end = element(validity)[2]
    tag, start, end = element(not_before_end)
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ: years 50..99 are 19xx
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=datetime.UTC)


def name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 matching of one certificate name against a host name (leftmost wildcard)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def certificate_matches(cert: Mapping[str, object], host: str) -> bool:
    """True when the verified certificate ``cert`` names ``host`` in its subjectAltName."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    names = cert.get("subjectAltName", ())
    for kind, value in names if isinstance(names, tuple) else ():
        if kind == "DNS" and address is None and name_matches(value, host):
            return True
        if kind == "IP Address" and address is not None:
            try:
                if ipaddress.ip_address(value.strip()) == address:
                    return True
            except ValueError:
                continue
    return False


# --- what went wrong ------------------------------------------------------------------


def describe_error(
    exc: BaseException, *, where: str, activity: str, cert_name: str, client_cert: bool
) -> str | None:
    """One line for a TLS failure (the CRITICAL message); None when ``exc`` is not one.

    ``where`` is the server as the message names it, ``activity`` what the check was
    doing, ``cert_name`` the name the certificate was checked against.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {cert_name} not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLEOFError):
        hint = "" if client_cert else " (is a client certificate required?)"
        return f"TLS connection cut short while {activity}{hint}"
    if isinstance(exc, ssl.SSLError):
        why = reason(exc)
        if "CERTIFICATE_REQUIRED" in why:
            return f"{where} requires a client certificate: {why}"
        if activity.startswith("negotiating TLS"):
            return f"TLS handshake with {where} failed: {why}"
        return f"TLS error while {activity}: {why}"
    return None


def reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason code (``TLSV1_ALERT_PROTOCOL_VERSION``), without source locations."""
    return exc.reason or re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))


def os_reason(exc: BaseException) -> str:
    """Why a file could not be loaded, in the fewest words that say it."""
    if isinstance(exc, ssl.SSLError):
        return reason(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
