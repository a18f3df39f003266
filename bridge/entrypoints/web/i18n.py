"""The portal's languages: French, Dutch and English from gettext catalogs (Babel).

The catalogs are the ``.po`` files beside this module, read once per process: a fresh
checkout needs no compile step. Which language a page is in: the ``lang`` the user chose
(a cookie, set by ``?lang=``), else the customer's ``language`` in ``vigie.yaml``, else
English.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request

from bridge.config.model import Config
from bridge.domain.accounts import User

LANGUAGES = ("en", "fr", "nl")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "vigie_lang"
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "portal"

Gettext = Callable[[str], str]


# Message ids a page asked for that its catalog lacks: named by the tests, never shown
# as ids to a customer without a test failing first.
MISSING: set[tuple[str, str]] = set()


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` read from its ``.po`` file (English has one too: some
    message ids are keys, ``sla-met``, not English)."""
    if language not in LANGUAGES:
        return gettext.NullTranslations()
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = Translations(domain=DOMAIN)
    # Babel's catalog held as the gettext one: fuzzy and empty entries stay untranslated.
    found._catalog = {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }
    return found


def language_of(request: Request, config: Config, user: User | None) -> str:
    """The language this request's page is shown in."""
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked in LANGUAGES:
        return asked
    if user is not None and user.customer is not None:
        customer = config.customers.get(user.customer)
        if customer is not None and customer.language in LANGUAGES:
            return customer.language
    return DEFAULT_LANGUAGE


def gettext_of(language: str) -> Gettext:
    """The ``_`` of templates in this language; a message its catalog lacks is shown as its
    id and recorded in ``MISSING``."""
    catalog: dict[str, str] = getattr(translations(language), "_catalog", {})

    def translate(message: str) -> str:
        found = catalog.get(message)
        if found is None:
            MISSING.add((language, message))
            return message
        return found

    return translate
