"""check_vigie_http: an HTTP(S) check for Icinga 2, in the line of check_http and check_curl.

Domain model: one HTTP exchange as a monitoring system sees it (``plugins.http_exchange``
acquires it). A failure of the server or the network is CRITICAL and says which step
failed and why, whereas bad arguments and the plugin's own deadline are UNKNOWN.

Laid out as the template check (``plugins.template_check``) is: data acquisition
(``http_exchange``), data evaluation (the Contexts, here), data presentation
(``HttpSummary``), then the runtime (``build_check`` and ``main``). The parts it builds on
have a module each: ``http_options`` (the command line), ``http_request`` (the validated
request), ``http_headers`` (request header fields), ``http_target`` (proxies, redirects),
``http_wire`` (HTTP/1.1 on a socket), ``http_body`` (content codings), ``http_age``
(``-M``) and ``tls``, on the shared toolkit (``arguments``, ``deadline``, ``network``,
``line_reader``, ``contexts``, ``wording``, ``runtime``).
Start-up time is part of every check's cost: ``tls`` (and with it ``ssl``) is imported
only for HTTPS, ``http_age`` only for ``-M``, ``zlib`` only for a compressed body.
"""

from __future__ import annotations

from plugins import runtime
from plugins.contexts import FailureContext, FindingContext, ThresholdContext
from plugins.http_exchange import Exchange, HttpExchange
from plugins.http_options import NAME, build_parser
from plugins.http_request import Expected, request_from_args
from plugins.nagios import Context, Critical, Ok, Range, Result, Summary, Warn
from plugins.runtime import PluginCheck
from plugins.wording import number, one_line, range_text, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Metric, Resource, Results


# --- data evaluation ------------------------------------------------------------------


class StatusContext(Context):
    """Judges the final status code: ``-e`` lists what is OK, else by class.

    Without ``-e``: 2xx and 3xx are OK, 4xx WARNING, anything else CRITICAL.
    """

    def __init__(self, expected: Expected | None) -> None:
        super().__init__("status")
        self.expected = expected

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK, WARNING or CRITICAL for the status code in ``metric.value``."""
        code = metric.value
        if self.expected is not None:
            if self.expected.accepts(code):
                return Result(Ok, None, metric)
            return Result(Critical, f"status {code} is not one of -e {self.expected.text}", metric)
        if 200 <= code < 400:
            return Result(Ok, None, metric)
        return Result(Warn if 400 <= code < 500 else Critical, None, metric)


def _time_hint(metric: Metric, level: str, spec: Range) -> str:
    took = f"response time {metric.value:.3f} s"
    if not spec.invert and spec.start == 0:
        return f"{took} is above the {level} threshold of {range_text(spec)} s"
    # "inside" for an inverted range (@0:1 alerts on the values it holds), else "outside".
    return f"{took} is {range_violation(spec, level)}"


def _size_hint(metric: Metric, level: str, spec: Range) -> str:
    return f"size {metric.value} bytes is outside -m {range_text(spec)}"


def _cert_hint(exchange: Exchange) -> Callable[[Metric, str, Range], str]:
    def hint(metric: Metric, level: str, spec: Range) -> str:
        days = metric.value
        when = f"{exchange.cert_not_after:%Y-%m-%d %H:%M} UTC"
        name = exchange.cert_name
        if days < 0:
            return f"certificate of {name} expired {-days:.1f} days ago ({when})"
        return (
            f"certificate of {name} expires in {days:.1f} days ({when}), "
            f"under the {level} threshold of {number(spec.start, 0)} days"
        )

    return hint


# --- data presentation ----------------------------------------------------------------


class HttpSummary(Summary):
    """The status line: ``200 OK, 1234 bytes in 0.012 s``, problems first when there are any."""

    def __init__(self, resource: HttpExchange, show_certificate: bool) -> None:
        self.resource = resource
        self.show_certificate = show_certificate

    def ok(self, results: Results) -> str:
        """The exchange in a few words, and the certificate's lifetime when -C asked for it."""
        ex = self.resource.exchange
        line = ex.summary()
        days = ex.cert_days_left()
        if self.show_certificate and days is not None:
            line += f", certificate valid for {days:.0f} more days"
        return line

    def problem(self, results: Results) -> str:
        """Every problem, worst first, then the exchange if there was a response."""
        parts = [str(result) for result in results if result.state != Ok and str(result)]
        ex = self.resource.exchange
        if ex.failure is None and ex.status is not None:
            parts.append(ex.summary())
        return "; ".join(one_line(part) for part in parts)

    def verbose(self, results: Results) -> list[str]:
        """With -v: each request and its answer, then each problem with its state."""
        ex = self.resource.exchange
        lines = list(ex.hops)
        for result in results:
            if result.state != Ok:
                # A status judged by its class has no words of its own: the exchange has.
                lines.append(f"{result.state.text}: {str(result) or ex.summary()}")
        return lines


# --- runtime --------------------------------------------------------------------------


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the exchange, its judges and its summary."""
    request = request_from_args(args)
    resource = HttpExchange(request, deadline)
    if request.target.tls:
        resource.tls_context()  # bad certificate files are UNKNOWN, before any network
    ex = resource.exchange
    warn_days, crit_days = request.certificate or (None, None)
    contexts: list[Context] = [
        FailureContext("failure"),
        StatusContext(request.expect),
        ThresholdContext("time", request.warning, request.critical, hint=_time_hint),
        ThresholdContext("size", request.size, None, hint=_size_hint),
        ThresholdContext("timing"),
        ThresholdContext(
            "cert_days_left",
            # Fixed-point text: Range reads "1e-05" or "1e+20" (str of a float) as neither.
            Range(f"{warn_days:f}:") if warn_days is not None else None,
            Range(f"{crit_days:f}:") if crit_days is not None else None,
            digits=2,
            hint=_cert_hint(ex),
        ),
    ]
    if request.string is not None:
        contexts.append(
            FindingContext("string", True, f"string {request.string!r} not found in the body")
        )
    if request.pattern is not None:
        shown = repr(request.pattern.pattern)
        if request.invert_regex:
            problem = f"pattern {shown} found in the body (--invert-regex)"
        else:
            problem = f"pattern {shown} not found in the body"
        contexts.append(FindingContext("regex", not request.invert_regex, problem))
    if request.header_string is not None:
        contexts.append(
            FindingContext(
                "header_string", True, f"header string {request.header_string!r} not found"
            )
        )
    if request.max_age is not None:
        from plugins.http_age import AgeContext  # only for -M

        contexts.append(AgeContext(*request.max_age))
    return PluginCheck(
        resource, *contexts, HttpSummary(resource, bool(request.certificate)), name=NAME
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_http."""
    runtime.run(build_parser(), build_check, argv)
