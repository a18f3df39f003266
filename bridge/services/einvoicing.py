"""E-invoicing's use cases: a draft UBL document of a statement or invoice, and issuing
them (a gapless number, validation, the bytes stored) in one unit of work.

Issuing the same statement or invoice again gives back the documents already issued, byte
for byte, when nothing changed; when something did (a refund asked after the statement was
issued, work logged late), only the difference is issued, as a credit note or invoice that
refers to the first one. An issued document is never recomputed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bridge.config.model import Config
from bridge.domain.billing import Document
from bridge.domain.einvoice import DRAFT, EInvoice, EInvoiceError, correction, to_einvoice
from bridge.domain.parties import Buyer, Seller
from bridge.domain.refusals import Invalid
from bridge.services import billing
from bridge.services.errors import Rejected
from bridge.store.issued import Issued, IssuedDocuments
from bridge.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Period:
    """What to issue: ``statement`` for a month (R13) or ``invoice`` for a quarter (R12)."""

    source: str  # "statement" or "invoice"
    year: int
    number: int  # the month or the quarter

    @property
    def label(self) -> str:
        if self.source == "statement":
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"


@dataclass(frozen=True)
class Output:
    """One e-invoice and its UBL bytes; ``new`` when this call issued it."""

    einvoice: EInvoice | None
    ubl: bytes
    number: str
    new: bool


def parties(config: Config, customer_id: str) -> tuple[Seller, Buyer]:
    """The seller and the customer as buyer, or Rejected naming the missing key."""
    if config.provider is None:
        raise Rejected(Invalid("provider: required for e-invoices (the seller's identity)"))
    customer = config.customers.get(customer_id)
    if customer is None or customer.billing is None:
        raise Rejected(
            Invalid(f"customers.{customer_id}.billing: required for e-invoices (the buyer)")
        )
    return config.provider, customer.billing


def _einvoice(
    document: Document,
    seller: Seller,
    buyer: Buyer,
    number: str,
    issue_date: date,
    corrects: str | None,
) -> EInvoice:
    try:
        return to_einvoice(document, seller, buyer, number, issue_date, corrects)
    except EInvoiceError as error:
        raise Rejected(Invalid(str(error))) from None


def _documents(
    uow: UnitOfWork,
    config: Config,
    customer: str | None,
    every: bool,
    period: Period,
    now: datetime,
) -> list[Document]:
    if period.source == "statement":
        repo = uow.tickets
        chosen = billing.statement_customers(
            repo, config, customer, every, period.year, period.number
        )
        return [
            billing.statement_of(repo, config, c, period.year, period.number, now) for c in chosen
        ]
    return [
        billing.invoice_of(config, c, period.year, period.number)
        for c in billing.invoice_customers(config, customer, every)
    ]


def drafts(
    uow: UnitOfWork,
    config: Config,
    customer: str | None,
    every: bool,
    period: Period,
    now: datetime,
    write: Write | None = None,
    check: Check | None = None,
) -> list[Output]:
    """The e-invoices of the documents as they are now, numbered ``DRAFT``, validated as
    issued ones are, nothing stored. With ``--all``, customers without ``billing:`` and
    empty documents are left out."""
    write = write or write_ubl
    check = check or failed_rules
    today = now.astimezone(config.timezone).date()
    with uow:
        documents = _documents(uow, config, customer, every, period, now)
    result = []
    for document in documents:
        if every and (_billing(config, document.customer) is None or not document.lines):
            continue
        seller, buyer = parties(config, document.customer)
        einvoice = _einvoice(document, seller, buyer, DRAFT, today, None)
        ubl = write(einvoice)
        _refuse_invalid(document, period, check(ubl), "draft")
        result.append(Output(einvoice, ubl, DRAFT, new=False))
    return result


def _refuse_invalid(document: Document, period: Period, failed: list[str], what: str) -> None:
    if failed:
        raise Rejected(
            Invalid(
                f"{document.customer} {period.label}: {what}, invalid e-invoice: "
                + "; ".join(failed)
            )
        )


def write_ubl(invoice: EInvoice) -> bytes:
    """The UBL bytes of an e-invoice (lxml, loaded on first use)."""
    from bridge.adapters.ubl import write_ubl as write

    return write(invoice)


def failed_rules(ubl: bytes) -> list[str]:
    """The failed rules of a UBL document, each "id text"; none when it is valid."""
    from bridge.adapters.einvoice_validation import shared_validator

    return [f"{f.id} {f.text}" for f in shared_validator().validate(ubl).findings]


def _billing(config: Config, customer_id: str) -> Buyer | None:
    customer = config.customers.get(customer_id)
    return None if customer is None else customer.billing


Check = Callable[[bytes], list[str]]  # the failed rules of a UBL document, none if valid
Write = Callable[[EInvoice], bytes]


def issue(
    uow: UnitOfWork,
    config: Config,
    customer: str | None,
    every: bool,
    period: Period,
    now: datetime,
    write: Write | None = None,
    check: Check | None = None,
) -> list[Output]:
    """Number, validate and store the e-invoices of a statement or invoice, all or none.

    ``write`` makes the UBL bytes, ``check`` lists the failed rules (each "id: text"); by
    default the UBL writer and the three validation layers. Any failure refuses the whole
    command and nothing is issued."""
    write = write or write_ubl
    check = check or failed_rules
    outputs: list[Output] = []
    with uow:
        for document in _documents(uow, config, customer, every, period, now):
            if every and (_billing(config, document.customer) is None or not document.lines):
                continue
            seller, buyer = parties(config, document.customer)
            outputs.extend(
                _issue_one(
                    uow.issued,
                    document,
                    (seller, buyer),
                    period,
                    now,
                    config.timezone,
                    write,
                    check,
                )
            )
        uow.commit()
    return outputs


def _issue_one(
    issued: IssuedDocuments,
    document: Document,
    sides: tuple[Seller, Buyer],
    period: Period,
    now: datetime,
    tz: tzinfo,
    write: Write,
    check: Check,
) -> list[Output]:
    seller, buyer = sides
    today = now.astimezone(tz).date()
    before = issued.of(document.customer, period.source, period.label)
    if before:
        delta = correction(before[-1].basis, document)
        if delta is None:  # nothing changed: the documents as they left, byte for byte
            return [
                Output(_again(item, seller, buyer, tz), item.ubl, item.number, new=False)
                for item in before
            ]
        to_issue = delta
        corrects: str | None = before[0].number
    else:
        to_issue, corrects = document, _corrected_invoice(issued, document, period)
    sequence, number = issued.next_number(today.year)
    einvoice = _einvoice(to_issue, seller, buyer, number, today, corrects)
    ubl = write(einvoice)
    _refuse_invalid(document, period, check(ubl), "not issued")
    issued.add(
        today.year,
        sequence,
        Issued(
            number=number,
            type=einvoice.type,
            source=period.source,
            customer=document.customer,
            period=period.label,
            corrects=corrects,
            issued_at=now,
            content=to_issue,
            basis=document,
            ubl=ubl,
        ),
    )
    return [Output(einvoice, ubl, number, new=True)]


def _again(item: Issued, seller: Seller, buyer: Buyer, tz: tzinfo) -> EInvoice | None:
    """An issued document's e-invoice again, for its PDF (its UBL is the stored bytes);
    None when the parties changed so much since (a buyer moved abroad) that it cannot be."""
    issue_date = item.issued_at.astimezone(tz).date()
    try:
        return to_einvoice(item.content, seller, buyer, item.number, issue_date, item.corrects)
    except EInvoiceError:
        return None


def _corrected_invoice(issued: IssuedDocuments, document: Document, period: Period) -> str | None:
    """A statement that is a credit note (R5 refunds above its charges) pays back fees of
    the quarter's invoice: it refers to that invoice when it was issued."""
    if period.source != "statement" or document.total >= 0:
        return None
    quarter = f"{period.year:04d}-Q{(period.number - 1) // 3 + 1}"
    invoices = issued.of(document.customer, "invoice", quarter)
    return invoices[0].number if invoices else None


def reissued(uow: UnitOfWork, number: str) -> Issued:
    """An issued document by its number, as it left."""
    with uow:
        found = uow.issued.by_number(number)
    if found is None:
        raise Rejected(Invalid(f"no document was issued with number {number!r}"))
    return found
