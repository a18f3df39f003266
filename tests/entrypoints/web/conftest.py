"""One served web app per test module, on its own store with its accounts; one Chromium
per module for the browser tests (Debian's, driven by Playwright: it never downloads one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.entrypoints.web.harness import Site, make_store, serve


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The web app served on 127.0.0.1 for the module's tests."""
    config_file, config, tokens = make_store(tmp_path_factory.mktemp("web"))
    with serve(config) as url:
        yield Site(url, config, config_file, tokens)


CHROMIUM = "/usr/bin/chromium"
# Playwright adds --headless, --no-sandbox and turns background networking off; this keeps
# Chromium from resolving any name but loopback (it still asks for Google's hosts otherwise).
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and its page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()
