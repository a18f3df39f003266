"""One served web app per test module, on its own store with its accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.entrypoints.web.harness import Site, make_store, serve


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The web app served on 127.0.0.1 for the module's tests."""
    config_file, config, tokens = make_store(tmp_path_factory.mktemp("web"))
    with serve(config) as url:
        yield Site(url, config, config_file, tokens)
