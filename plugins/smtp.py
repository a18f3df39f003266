"""check_vigie_smtp: an SMTP check for Icinga 2, in the line of check_smtp.

Domain model: one SMTP session as a mail client lives it (``plugins.smtp_session``
acquires it). A failure of the server or the network is CRITICAL and says which step
failed and why (a mail server that lost STARTTLS is one: a security problem, not a
detail), whereas bad arguments and the plugin's own deadline are UNKNOWN.

Laid out as the template check (``plugins.template_check``) is: data acquisition
(``smtp_session``, on ``smtp_wire``), data evaluation (the Contexts, here), data
presentation (``SmtpSummary``), then the runtime (``build_check`` and ``main``), with the
command line in ``smtp_options``, on the shared toolkit. Start-up time is part of every
check's cost: ``tls`` (and with it ``ssl``) is imported only with TLS, ``base64`` only
for AUTH.
"""

from __future__ import annotations

from plugins import runtime
from plugins.contexts import FailureContext, ThresholdContext
from plugins.nagios import Ok, Range, Summary
from plugins.runtime import PluginCheck
from plugins.smtp_options import NAME, Settings, build_parser
from plugins.smtp_session import SmtpSession
from plugins.wording import number, one_line, range_text, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Metric, Results
    from plugins.smtp_session import Session


# --- data evaluation ------------------------------------------------------------------
# Failures, times and the certificate's days: the toolkit's contexts, with these words.


def _time_hint(metric: Metric, level: str, spec: Range) -> str:
    took = f"session took {metric.value:.3f} s"
    if not spec.invert and spec.start == 0:
        return f"{took}, above the {level} threshold of {range_text(spec)} s"
    return f"{took}, {range_violation(spec, level)}"


def _cert_hint(session: Session) -> Callable[[Metric, str, Range], str]:
    def hint(metric: Metric, level: str, spec: Range) -> str:
        days = metric.value
        when = f"{session.cert_not_after:%Y-%m-%d %H:%M} UTC"
        name = one_line(session.cert_name, 200)
        if days < 0:
            return f"certificate of {name} expired {-days:.1f} days ago ({when})"
        return (
            f"certificate of {name} expires in {days:.1f} days ({when}), "
            f"under the {level} threshold of {number(spec.start, 0)} days"
        )

    return hint


# --- data presentation ----------------------------------------------------------------


class SmtpSummary(Summary):
    """The status line: ``220 mx.example ESMTP, STARTTLS, certificate 83 days, 0.041 s``."""

    def __init__(self, resource: SmtpSession) -> None:
        self.resource = resource

    def _session_words(self) -> str:
        session, settings = self.resource.session, self.resource.settings
        assert session.banner is not None
        parts = [one_line(session.banner.first, 100)]
        if session.tls_version is not None:
            tls = "STARTTLS" if settings.starttls else "TLS"
            parts.append(f"{tls} ({session.tls_version})")
        days = session.cert_days_left()
        if days is not None:
            parts.append(f"certificate {days:.0f} days")
        if session.mechanism is not None and settings.user is not None:
            parts.append(f"authenticated as {one_line(settings.user, 80)} ({session.mechanism})")
        if session.queued is not None:
            parts.append(f"test message {session.token} sent: {session.queued.shown(120)}")
        elif session.accepted:
            count = len(session.accepted)
            parts.append(f"{count} recipient{'s' if count > 1 else ''} accepted")
        elif settings.mail_from is not None:
            parts.append("sender accepted")
        parts.append(f"{session.total:.3f} s")
        return ", ".join(parts)

    def ok(self, results: Results) -> str:
        """The session in a few words."""
        return self._session_words()

    def problem(self, results: Results) -> str:
        """Every problem, worst first, then the session when it went through."""
        parts = [str(result) for result in results if result.state != Ok and str(result)]
        session = self.resource.session
        if session.failure is None and session.banner is not None:
            parts.append(self._session_words())
        return "; ".join(one_line(part) for part in parts)

    def verbose(self, results: Results) -> list[str]:
        """With -v: the extensions the server offered, then each problem with its state."""
        session = self.resource.session
        lines = []
        if session.extensions:
            lines.append("extensions: " + one_line(" ".join(session.extensions)))
        lines += [f"{r.state.text}: {r}" for r in results if r.state != Ok]
        return lines


# --- runtime --------------------------------------------------------------------------


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the session, its judges and its summary."""
    settings = Settings(args)
    resource = SmtpSession(settings, deadline)
    if settings.tls:
        resource.tls_context()  # bad certificate files are UNKNOWN, before any network
    warn_days, crit_days = settings.certificate or (None, None)
    return PluginCheck(
        resource,
        FailureContext("failure"),
        ThresholdContext("time", settings.warning, settings.critical, hint=_time_hint),
        ThresholdContext("timing"),
        ThresholdContext(
            "cert_days_left",
            # Fixed-point text: Range reads "1e-05" (str of a float) as no number at all.
            Range(f"{warn_days:f}:") if warn_days is not None else None,
            Range(f"{crit_days:f}:") if crit_days is not None else None,
            digits=2,
            hint=_cert_hint(resource.session),
        ),
        SmtpSummary(resource),
        name=NAME,
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_smtp."""
    runtime.run(build_parser(), build_check, argv)
