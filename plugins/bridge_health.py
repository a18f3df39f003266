"""check_vigie_bridge: is Icinga's own ticket path working?

Domain model: ``vigie notify`` turns Icinga's notifications into tickets. What can break
that path without Icinga noticing: a store the notification's user cannot write (every
event then waits in the spool, exit 0), events waiting in the spool, records a replay set
aside, customer alerts the SMTP relay does not take, acknowledgements Icinga does not
take. The check reads them through the bridge's read-only ``services.health``, as the
user it runs as (Icinga's, the one that runs ``vigie notify``), and writes nothing.

1. acquisition: ``BridgeState`` yields one metric per figure, or a ``failure``;
2. evaluation: ``ThresholdContext`` per figure, ``FindingContext`` for the store;
3. presentation: ``BridgeSummary``, every problem worst first;
4. runtime: ``build_parser``, ``build_check``, ``main`` (console script).
"""

from __future__ import annotations

from plugins import arguments, runtime
from plugins.contexts import FailureContext, ThresholdContext
from plugins.nagios import Metric, Ok, Resource, Summary
from plugins.runtime import PluginCheck

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Range, Results

NAME = "VIGIE BRIDGE"
PROG = "check_vigie_bridge"
CONFIG_ENV = "VIGIE_CONFIG"


# --- data acquisition -----------------------------------------------------------------


class BridgeState(Resource):
    """The bridge's health as this user sees it, one metric per figure."""

    def __init__(self, config: str | None, deadline: Deadline) -> None:
        self.config = config
        self.deadline = deadline

    def probe(self) -> Iterator[Metric]:
        """Store writable, spool, set-aside records, alerts, acknowledgements."""
        from datetime import UTC, datetime

        from bridge.config.load import config_path, load_config
        from bridge.config.model import ConfigError
        from bridge.services.health import bridge_health

        self.deadline.activity = "reading the configuration"
        path = config_path(self.config)
        try:
            config = load_config(path)
        except ConfigError as error:
            first = error.problems[0] if error.problems else str(error)
            raise arguments.PluginError(f"configuration {path}: {first}") from None
        self.deadline.activity = f"reading the store {config.store_path}"
        health = bridge_health(config)
        now = datetime.now(UTC)
        problem = health.store_error
        if health.not_writable is not None:
            problem = f"{health.not_writable}: notifications are only spooled"
        if problem is not None:
            yield Metric("failure", problem, context="failure")
        yield Metric("spooled", health.spooled, min=0, context="spooled")
        yield Metric("spool_age", _age(health.oldest_spooled, now), "s", min=0, context="age")
        yield Metric("rejected", health.rejected, min=0, context="rejected")
        yield Metric("alerts_waiting", health.alerts_waiting, min=0, context="alerts")
        yield Metric("alerts_failing", health.alerts_failing, min=0, context="alerts_failing")
        yield Metric("alert_age", _age(health.oldest_alert, now), "s", min=0, context="alert_age")
        yield Metric("acks_failing", health.acks_failing, min=0, context="acks_failing")


def _age(moment: datetime | None, now: datetime) -> float:
    return 0.0 if moment is None else max(0.0, round((now - moment).total_seconds(), 1))


# --- data evaluation ------------------------------------------------------------------


# A store that cannot be written is a ``failure`` metric (FailureContext: CRITICAL in its
# own words); every figure is a number judged by ThresholdContext (build_check).


# --- data presentation ----------------------------------------------------------------


class BridgeSummary(Summary):
    """``VIGIE BRIDGE OK - nothing waiting``; else every problem, worst first."""

    def ok(self, results: Results) -> str:
        """All clear, with what still waits within its thresholds."""
        figures = {r.metric.name: r.metric.value for r in results if r.metric is not None}
        if figures.get("spooled") or figures.get("alerts_waiting"):
            return (
                f"{figures.get('spooled', 0)} notification(s) spooled, "
                f"{figures.get('alerts_waiting', 0)} alert(s) waiting"
            )
        return "store writable, nothing waiting"

    def problem(self, results: Results) -> str:
        """Every problem, worst first."""
        bad = sorted((r for r in results if r.state != Ok), key=lambda r: -r.state.code)
        return "; ".join(str(r) for r in bad)

    def verbose(self, results: Results) -> list[str]:
        """With -v: each problem with its state."""
        return [f"{r.state.text}: {r}" for r in results if r.state != Ok]


def _hint(what: str) -> Callable[[Metric, str, Range], str]:
    """A violation in words: ``notifications spooled: 3``, ``... waiting for 960 s``."""

    def hint(metric: Metric, level: str, spec: Range) -> str:
        unit = " s" if metric.uom == "s" else ""
        return f"{what} {round(metric.value)}{unit}"

    return hint


# --- runtime --------------------------------------------------------------------------


def build_parser() -> arguments.PluginArgumentParser:
    """The check's command line: the configuration and a range per figure."""
    parser = arguments.PluginArgumentParser(
        NAME,
        PROG,
        "Check Vigie's bridge as the user running it: the store writable, nothing stuck in "
        "the spool, the alerts' outbox or Icinga's acknowledgements.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"vigie.yaml [env {CONFIG_ENV}; default /etc/vigie/vigie.yaml]",
    )
    ages = arguments.age_range
    counts = arguments.nagios_range
    for flag, kind, warning, critical, what in (
        ("spool-age", ages, "5m", "15m", "age of the oldest spooled notification"),
        ("spooled", counts, "0", None, "notifications waiting in the spool"),
        ("rejected", counts, "0", None, "records a replay set aside (<spool>.rejected)"),
        ("alerts-failing", counts, "0", None, "alerts the relay refused, still waiting"),
        ("alert-age", ages, "10m", "1h", "age of the oldest alert waiting"),
        ("acks-failing", counts, "0", None, "acknowledgements Icinga did not take"),
    ):
        parser.add_argument(
            f"--{flag}-warning",
            type=kind,
            metavar="RANGE",
            default=warning and kind(warning),
            help=f"{what}: WARNING outside this range (default {warning})",
        )
        parser.add_argument(
            f"--{flag}-critical",
            type=kind,
            metavar="RANGE",
            default=critical and kind(critical),
            help=f"{what}: CRITICAL outside this range (default {critical or 'none'})",
        )
    return parser


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The bridge check: the resource, a context per figure, the summary."""
    import os

    def ranged(name: str, flag: str, what: str) -> ThresholdContext:
        return ThresholdContext(
            name,
            getattr(args, f"{flag}_warning"),
            getattr(args, f"{flag}_critical"),
            digits=1,  # counts, and ages to the tenth of a second
            hint=_hint(what),
        )

    return PluginCheck(
        BridgeState(args.config or os.environ.get(CONFIG_ENV) or None, deadline),
        ranged("spooled", "spooled", "notifications spooled:"),
        ranged("age", "spool_age", "oldest spooled notification waiting for"),
        ranged("rejected", "rejected", "records set aside by a replay:"),
        ThresholdContext("alerts", digits=1),
        ranged("alerts_failing", "alerts_failing", "alerts failing:"),
        ranged("alert_age", "alert_age", "oldest alert waiting for"),
        ranged("acks_failing", "acks_failing", "acknowledgements Icinga did not take:"),
        FailureContext(),
        BridgeSummary(),
        name=NAME,
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: parse, probe, judge, print, exit."""
    runtime.run(build_parser(), build_check, argv)


if __name__ == "__main__":
    main()
