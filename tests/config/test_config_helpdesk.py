"""The ``helpdesk:`` key of vigie.yaml: embedded by default; an external helpdesk needs
its url, token_file and project; every problem is named by its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.config.model import ConfigError, HelpdeskSettings
from bridge.config.sections import parse_config
from tests.offer import LEVELS_DATA


def parsed(helpdesk: Any, base_dir: Path | None = None) -> HelpdeskSettings:
    data = {"levels": dict(LEVELS_DATA), "helpdesk": helpdesk}
    return parse_config(data, "test", base_dir=base_dir).helpdesk


def problems(helpdesk: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parsed(helpdesk)
    return caught.value.problems


def test_the_embedded_store_is_the_default() -> None:
    settings = parse_config({"levels": dict(LEVELS_DATA)}, "test").helpdesk
    assert settings == HelpdeskSettings()
    assert (settings.kind, settings.external, settings.deliver_within) == ("embedded", False, 2.0)
    assert settings.max_attempts == 20


def test_the_contract_keys_are_read(tmp_path: Path) -> None:
    settings = parsed(
        {
            "kind": "redmine",
            "url": "http://127.0.0.1:3000/",
            "token_file": "helpdesk.token",
            "project": "support",
            "deliver_within": "2s",
            "max_attempts": 20,
            "tracker": "Support",
        },
        base_dir=tmp_path,
    )
    assert settings == HelpdeskSettings(
        kind="redmine",
        url="http://127.0.0.1:3000",
        token_file=tmp_path / "helpdesk.token",  # relative to vigie.yaml
        project="support",
        deliver_within=2.0,
        max_attempts=20,
        tracker="Support",
    )
    assert settings.external


@pytest.mark.parametrize(
    ("helpdesk", "expected"),
    [
        ({"kind": "jira"}, "helpdesk.kind: must be one of embedded, rt, redmine, zammad, glpi"),
        ({"kind": "rt", "url": "http://rt", "token_file": "/t"},
         "helpdesk.project: required for kind rt (the queue)"),
        ({"kind": "glpi", "url": "http://g", "project": "0"},
         "helpdesk.token_file: required for kind glpi"),
        ({"kind": "zammad", "token_file": "/t", "project": "Users"},
         "helpdesk.url: required for kind zammad"),
        ({"kind": "zammad", "url": "http://z", "token_file": "/t", "project": "Users"},
         "helpdesk.customer: required for kind zammad"),
        ({"kind": "glpi", "url": "http://g", "token_file": "/t", "project": "root"},
         "helpdesk.project: the GLPI entity's id (a number), got 'root'"),
        ({"deliver_within": 2}, "helpdesk.deliver_within: must be a duration like 4h"),
        ({"max_attempts": 0}, "helpdesk.max_attempts: must be >= 1, got 0"),
        ({"token": "abc"}, "helpdesk.token: not allowed here; put it in a file"),
        ({"kind": "rt", "tracker": "Bug"}, "helpdesk.tracker: only for kind redmine"),
        ({"colour": "red"}, "helpdesk.colour"),
        ("redmine", "helpdesk: must be a mapping"),
    ],
)  # fmt: skip
def test_each_problem_names_its_key(helpdesk: Any, expected: str) -> None:
    found = problems(helpdesk)
    assert any(problem.startswith(expected) for problem in found), found


def test_zero_deliver_within_leaves_every_delivery_to_flush() -> None:
    settings = parsed({"deliver_within": "0s"})
    assert settings.deliver_within == 0.0


def test_a_glpi_entity_may_be_given_as_a_number() -> None:
    settings = parsed({"kind": "glpi", "url": "http://g", "token_file": "/t", "project": 0})
    assert settings.project == "0"
