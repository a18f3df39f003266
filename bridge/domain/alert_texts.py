"""The wording of customer alerts (R14) and approval requests (R11), in French, Dutch and
English: ``string.Template`` texts an admin may override (``alerts.templates``).

Placeholders: ``$ticket $customer $key $subject $level $since $deadline $recovered $link``,
and for approvals ``$quarters $rate $amount $minutes $asked_by``. A line of a body holding a
placeholder that has no value (no deadline out of contract, no ``web.public_url`` for the
link) is left out; an unknown ``$name`` stays as written, so a typo never stops an alert.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Template

SMS_LENGTH = 160
NAMES = ("problem", "recovered", "approval")
PARTS = ("subject", "body", "sms")
_PLACEHOLDER = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class MessageTexts:
    """One message's templates: its subject, its email body, its SMS."""

    subject: str
    body: str
    sms: str


_EN = {
    "problem": MessageTexts(
        "[$customer] ticket #$ticket: $key problem",
        "Ticket #$ticket: $subject\n\nServer:     $key\nSince:      $since\n"
        "Taken over by $deadline at the latest (level $level).\n\n"
        "We are on it; every incident is debriefed once closed.\nFollow it: $link\n",
        "#$ticket $key problem: $subject",
    ),
    "recovered": MessageTexts(
        "[$customer] ticket #$ticket: $key recovered",
        "Ticket #$ticket: $subject\n\nServer:     $key\nSince:      $since\n"
        "Recovered:  $recovered\n\n"
        "We are on it; every incident is debriefed once closed.\nFollow it: $link\n",
        "#$ticket $key recovered: $subject",
    ),
    "approval": MessageTexts(
        "[$customer] ticket #$ticket: your approval is needed",
        "Ticket #$ticket: $subject\n\n"
        "$asked_by asks to work past your approval threshold: the ticket would reach "
        "$quarters quarters at $rate EUR each, about $amount EUR excluding VAT "
        "(before free quarters).\n\nApprove or decline here: $link\n",
        "Ticket #$ticket: approval needed ($quarters quarters, ~$amount EUR). $link",
    ),
}
_FR = {
    "problem": MessageTexts(
        "[$customer] ticket n°$ticket : problème sur $key",
        "Ticket n°$ticket : $subject\n\nServeur :   $key\nDepuis :    $since\n"
        "Prise en charge au plus tard le $deadline (niveau $level).\n\n"
        "Nous nous en occupons ; chaque incident est débriefé à sa clôture.\n"
        "Suivre le ticket : $link\n",
        "n°$ticket problème $key : $subject",
    ),
    "recovered": MessageTexts(
        "[$customer] ticket n°$ticket : $key rétabli",
        "Ticket n°$ticket : $subject\n\nServeur :   $key\nDepuis :    $since\n"
        "Rétabli :   $recovered\n\n"
        "Nous nous en occupons ; chaque incident est débriefé à sa clôture.\n"
        "Suivre le ticket : $link\n",
        "n°$ticket $key rétabli : $subject",
    ),
    "approval": MessageTexts(
        "[$customer] ticket n°$ticket : votre approbation est nécessaire",
        "Ticket n°$ticket : $subject\n\n"
        "$asked_by demande à dépasser votre seuil d'approbation : le ticket atteindrait "
        "$quarters quarts d'heure à $rate EUR chacun, environ $amount EUR hors TVA "
        "(avant quarts d'heure gratuits).\n\nApprouver ou refuser : $link\n",
        "Ticket n°$ticket : approbation demandée ($quarters quarts d'heure, ~$amount EUR). $link",
    ),
}
_NL = {
    "problem": MessageTexts(
        "[$customer] ticket nr. $ticket: probleem met $key",
        "Ticket nr. $ticket: $subject\n\nServer:     $key\nSinds:      $since\n"
        "Uiterlijk overgenomen op $deadline (niveau $level).\n\n"
        "We zijn ermee bezig; elk incident wordt na afsluiting gedebriefd.\n"
        "Volg het ticket: $link\n",
        "nr. $ticket probleem $key: $subject",
    ),
    "recovered": MessageTexts(
        "[$customer] ticket nr. $ticket: $key hersteld",
        "Ticket nr. $ticket: $subject\n\nServer:     $key\nSinds:      $since\n"
        "Hersteld:   $recovered\n\n"
        "We zijn ermee bezig; elk incident wordt na afsluiting gedebriefd.\n"
        "Volg het ticket: $link\n",
        "nr. $ticket $key hersteld: $subject",
    ),
    "approval": MessageTexts(
        "[$customer] ticket nr. $ticket: uw goedkeuring is nodig",
        "Ticket nr. $ticket: $subject\n\n"
        "$asked_by vraagt om uw goedkeuringsdrempel te overschrijden: het ticket zou "
        "$quarters kwartieren bereiken aan $rate EUR per kwartier, ongeveer $amount EUR "
        "exclusief btw (vóór gratis kwartieren).\n\nGoedkeuren of weigeren: $link\n",
        "Ticket nr. $ticket: goedkeuring gevraagd ($quarters kwartieren, ~$amount EUR). $link",
    ),
}
TextsOf = Callable[[str | None, str], MessageTexts]
DEFAULT_TEXTS: Mapping[str, Mapping[str, MessageTexts]] = {"en": _EN, "fr": _FR, "nl": _NL}


def default_texts(language: str | None, name: str) -> MessageTexts:
    """The built-in wording of message ``name`` in ``language`` (English when unknown)."""
    return DEFAULT_TEXTS.get(language or "en", _EN)[name]


def render(texts: MessageTexts, values: Mapping[str, str | None]) -> tuple[str, str, str]:
    """(subject, body, sms) with the values put in; a body line needing a missing value
    is left out, the subject and SMS keep a ``-`` for it, and the SMS is cut to 160."""
    present = {k: v for k, v in values.items() if v is not None}
    shown = {k: "-" if v is None else v for k, v in values.items()}
    lines = []
    for line in texts.body.splitlines(keepends=True):
        names = {a or b for a, b in _PLACEHOLDER.findall(line)}
        if any(name in values and values[name] is None for name in names):
            continue
        lines.append(line)
    body = Template("".join(lines)).safe_substitute(present)
    subject = Template(texts.subject).safe_substitute(shown)
    sms = Template(texts.sms).safe_substitute(shown)[:SMS_LENGTH]
    return subject, body, sms
