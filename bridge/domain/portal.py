"""The customer portal's rules: attachments a request may carry, approval requests (R11)
with their estimate, and the customer's decision on them.

Pure: plain values in and out, no clock, no store. Money is Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bridge.domain.billing import billable_quarters, cents, quarter_rate
from bridge.domain.contract import Rates

Decision = Literal["approved", "declined"]
DECISIONS: tuple[Decision, ...] = ("approved", "declined")

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024  # per file
MAX_ATTACHMENTS = 5
MAX_DESCRIPTION = 8000
_FILE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


@dataclass(frozen=True)
class NewAttachment:
    """A file a customer sends with a request, before it is stored."""

    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Attachment:
    """A file kept with a ticket (its content is read apart)."""

    id: int
    ticket_id: int
    name: str
    media_type: str
    size: int
    by: str | None
    created_at: datetime


@dataclass(frozen=True)
class ApprovalRequest:
    """Staff were refused past the threshold (R11): what they asked the customer for.

    ``quarters`` is what the ticket would be billed once the work is logged, ``rate`` the
    ticket's rate per quarter and ``amount`` their product (before free quarters, excl.
    VAT). ``decision`` is None while the customer has not answered.
    """

    id: int
    ticket_id: int
    minutes: int
    quarters: int
    rate: Decimal
    amount: Decimal
    asked_by: str
    asked_at: datetime
    decision: Decision | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def pending(self) -> bool:
        """Whether the customer has still to answer."""
        return self.decision is None


@dataclass(frozen=True)
class Estimate:
    """Quarters a ticket would be billed after the work asked for, at its rate (R7, R9)."""

    quarters: int
    rate: Decimal
    amount: Decimal


def estimate(
    current_minutes: int,
    new_minutes: int,
    business_hours: bool,
    under_contract: bool,
    rates: Rates,
) -> Estimate:
    """The quarters and cost the ticket would reach with ``new_minutes`` more billable work."""
    total = current_minutes + new_minutes
    quarters = billable_quarters(total, business_hours, under_contract, rates)
    rate = quarter_rate(business_hours, under_contract, rates)
    return Estimate(quarters, rate, cents(rate * quarters))


def attachment_problem(
    attachments: Sequence[NewAttachment], limit: int = MAX_ATTACHMENT_BYTES
) -> str | None:
    """What is wrong with a request's attachments (too many, too big, empty), or None."""
    if len(attachments) > MAX_ATTACHMENTS:
        return f"attachments: at most {MAX_ATTACHMENTS} files, got {len(attachments)}"
    for attachment in attachments:
        if not attachment.content:
            return f"attachments: {attachment.name!r} is empty"
        if len(attachment.content) > limit:
            return (
                f"attachments: {attachment.name!r} is {len(attachment.content)} bytes, "
                f"at most {limit}"
            )
    return None


def safe_file_name(name: str) -> str:
    """A file name fit for a download header: its last path part, plain characters only."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _FILE_NAME.sub("_", base)[:100].strip(" .")
    return cleaned or "attachment"


def decision_problem(request: ApprovalRequest | None, decision: str) -> str | None:
    """Why this decision cannot be recorded, or None."""
    if decision not in DECISIONS:
        return f"decision: one of {', '.join(DECISIONS)}, got {decision[:20]!r}"
    if request is None:
        return "no approval is waiting for an answer on this ticket"
    if not request.pending:
        return f"approval request {request.id} was already {request.decision}"
    return None
