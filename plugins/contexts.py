"""How a check judges what it measured: the Contexts most checks need.

Domain model: the judgement of one metric, as nagiosplugin's Context makes it. A number
is judged against the admin's Nagios ranges (``ThresholdContext``), a failure of the
service is CRITICAL in its own words (``FailureContext``), a yes/no finding is OK when it
is what was wanted (``FindingContext``). A check adds its own for what is particular to
it (an HTTP status, a certificate's lifetime).
"""

from __future__ import annotations

from plugins.nagios import Context, Critical, Ok, Result, Warn
from plugins.wording import number, performance, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable

    from plugins.nagios import Metric, Performance, Range, Resource


class ThresholdContext(Context):
    """Judges a number against Nagios warning/critical ranges; perfdata in plain decimals.

    ``hint(metric, level, range)`` words a violation; the default names the metric, its
    value and the range it breaks.
    """

    def __init__(
        self,
        name: str,
        warning: Range | None = None,
        critical: Range | None = None,
        *,
        digits: int = 6,
        hint: Callable[[Metric, str, Range], str] | None = None,
    ) -> None:
        super().__init__(name)
        self.warning = warning
        self.critical = critical
        self.digits = digits
        self.hint = hint or self._default_hint

    def _default_hint(self, metric: Metric, level: str, spec: Range) -> str:
        value = f"{number(metric.value, self.digits)}{metric.uom or ''}"
        return f"{metric.name} {value} is {range_violation(spec, level)}"

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Critical outside the critical range, else warning outside the warning range."""
        if self.critical is not None and not self.critical.match(metric.value):
            return Result(Critical, self.hint(metric, "critical", self.critical), metric)
        if self.warning is not None and not self.warning.match(metric.value):
            return Result(Warn, self.hint(metric, "warning", self.warning), metric)
        return Result(Ok, None, metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance:
        """The metric with its ranges, in base units and plain decimal notation."""
        return performance(
            metric.name,
            metric.value,
            metric.uom or "",
            warning=self.warning,
            critical=self.critical,
            minimum=metric.min,
            maximum=metric.max,
            digits=self.digits,
        )


class FailureContext(Context):
    """A failure of the service (the metric's value says which) is CRITICAL.

    For what the server or the network did wrong: refused, reset, timed out, garbled.
    The admin's own mistakes are not failures but ``PluginError`` (UNKNOWN).
    """

    def __init__(self, name: str = "failure") -> None:
        super().__init__(name)

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Always critical, with the failure's own words."""
        return Result(Critical, str(metric.value), metric)


class FindingContext(Context):
    """Judges a yes/no finding (a string in a body, a banner): OK when it is as wanted.

    ``problem`` is the CRITICAL message when the finding is not what was wanted.
    """

    def __init__(self, name: str, wanted: bool, problem: str) -> None:
        super().__init__(name)
        self.wanted = wanted
        self.problem = problem

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK when the finding is what is wanted, else CRITICAL with the problem."""
        if bool(metric.value) == self.wanted:
            return Result(Ok, None, metric)
        return Result(Critical, self.problem, metric)
