"""The one exception a service raises when the domain says no: it carries the verdict."""

from __future__ import annotations

from bridge.domain.refusals import Invalid, Refusal


class Rejected(Exception):
    """The domain refused the operation (a Refusal naming its rule) or found it invalid."""

    def __init__(self, verdict: Refusal | Invalid) -> None:
        super().__init__(str(verdict))
        self.verdict = verdict

    @property
    def refused(self) -> bool:
        """A contract rule said no (exit 1), rather than bad input (exit 2)."""
        return isinstance(self.verdict, Refusal)
