"""One compiled validator for the whole session (compiling the CEN rules takes 0.5 s)."""

from __future__ import annotations

import pytest

from bridge.adapters.einvoice_validation import Validator


@pytest.fixture(scope="session")
def validator() -> Validator:
    """The product's validator: UBL 2.1 schema, CEN EN 16931 rules, Peppol BIS rules."""
    return Validator()
