"""Customer alerts (R14) and approval requests (R11) in the customer's language, from the
built-in wording or an admin's: a line needing a value the ticket lacks is left out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bridge.domain.alert_texts import DEFAULT_TEXTS, NAMES, MessageTexts, render
from bridge.domain.alerts import compose
from bridge.domain.contract import Alerts, Customer
from bridge.domain.times import to_display
from tests.domain.test_accounts_and_queue import ticket

TZ = ZoneInfo("Europe/Brussels")


def acme(language: str | None) -> Customer:
    return Customer(
        "acme",
        "ACME SA",
        {},
        alerts=Alerts(email=("ops@acme.example",), sms=("+32470000000",)),
        language=language,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "problème sur"), ("nl", "probleem met"), ("en", "problem"), (None, "problem")],
)
def test_r14_a_problem_alert_is_in_the_customers_language(language: str | None, words: str) -> None:
    opened = ticket(7)
    messages = compose({"acme": acme(language)}, TZ, opened, "opened", link="https://p/t/7")
    (_, to, subject, body), (_, number, _, sms) = messages
    assert to == "ops@acme.example" and number == "+32470000000"
    assert words in subject and "#7" in subject.replace("n°", "#").replace("nr. ", "#")
    assert "https://p/t/7" in body
    assert to_display(opened.deadline_at, TZ) in body  # R3's deadline, in the provider's zone
    assert len(sms) <= 160


def test_every_language_has_every_message_and_the_same_placeholders() -> None:
    english = DEFAULT_TEXTS["en"]
    for language, texts in DEFAULT_TEXTS.items():
        assert set(texts) == set(NAMES), language
        for name in NAMES:
            for part in ("subject", "body", "sms"):
                ours = getattr(texts[name], part)
                theirs = getattr(english[name], part)
                assert sorted(set(_names(ours))) == sorted(set(_names(theirs))), (language, name)


def _names(text: str) -> list[str]:
    import re

    return re.findall(r"\$(\w+)", text)


def test_a_line_needing_a_missing_value_is_left_out() -> None:
    """Out of contract (R9) a ticket has no deadline; without web.public_url, no link."""
    out_of_contract = dataclasses.replace(ticket(8), deadline_at=None, level=None)
    (_, _, _, body), _ = compose({"acme": acme("en")}, TZ, out_of_contract, "opened")
    assert "Taken over by" not in body and "Follow it" not in body
    assert body.startswith("Ticket #8: down\n")


def test_a_recovery_says_when() -> None:
    recovered = dataclasses.replace(
        ticket(9), recovered_at=datetime(2026, 3, 2, 10, 5, tzinfo=UTC) + timedelta(0)
    )
    (_, _, subject, body), _ = compose({"acme": acme("nl")}, TZ, recovered, "recovery")
    assert "hersteld" in subject and "Hersteld:   2026-03-02T11:05:00+01:00" in body


def test_an_unknown_placeholder_stays_as_written() -> None:
    texts = MessageTexts("Ticket $ticket $oops", "Body $ticket\n", "$ticket")
    assert render(texts, {"ticket": "5"}) == ("Ticket 5 $oops", "Body 5\n", "5")
