"""The ``paging:`` key of vigie.yaml: people, rota and a policy per level, each problem named
by its key (R3, R5, R16 settings)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.config.model import ConfigError
from bridge.config.sections import parse_config
from bridge.domain.paging import LevelPolicy, Paging, Step
from bridge.domain.rota import Override, Person, Shift
from tests.offer import BUSINESS_HOURS_DATA, LEVELS_DATA

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vigie.yaml"

PAGING: dict[str, Any] = {
    "people": {
        "alice": {"email": "alice@provider.example", "sms": "+32470111111"},
        "dave": {"email": "dave@provider.example"},
    },
    "rota": {
        "weekly": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "09:00",
                "end": "17:00",
                "person": "alice",
            },
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "start": "17:00",
                "end": "09:00",
                "person": "dave",
            },
            {"days": ["sat", "sun"], "start": "09:00", "end": "17:00", "person": "dave"},
        ],
        "overrides": [{"from": "2026-12-24 17:00", "until": "2026-12-26", "person": "alice"}],
        "backup": "alice",
    },
    "policy": {
        "C": {
            "steps": [
                {"at": "opening", "whom": "on_call"},
                {"at": "50%", "whom": ["on_call", "account_manager"]},
            ]
        },
        "A": {"quiet_outside_business_hours": True, "steps": [{"at": "50%", "whom": "dave"}]},
    },
}


def config(paging: Any, **top: Any) -> dict[str, Any]:
    return {
        "levels": dict(LEVELS_DATA),
        "alerts": {"sms_gateway": "{number}@sms.example"},
        "customers": {
            "acme": {
                "name": "ACME SA",
                "account_manager": "alice",
                "servers": {"db01": {"level": "C", "since": "2026-01-01"}},
            }
        },
        "paging": paging,
        **top,
    }


def parsed(paging: Any, **top: Any) -> Paging:
    result = parse_config(config(paging, **top), "test").paging
    assert result is not None
    return result


def test_every_key_is_read() -> None:
    paging = parsed(PAGING)
    assert paging.people["alice"] == Person("alice", "alice@provider.example", "+32470111111")
    assert paging.rota.weekly[0] == Shift(frozenset(range(5)), time(9), time(17), "alice")
    assert paging.rota.weekly[2].start == time(9)
    brussels_eve = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)  # 17:00 in Brussels
    assert paging.rota.overrides == (
        Override(brussels_eve, datetime(2026, 12, 25, 23, 0, tzinfo=UTC), "alice"),
    )
    assert paging.rota.backup == "alice" and paging.rota.holidays is None
    assert paging.policies["C"] == LevelPolicy(
        (
            Step(Decimal(0), ("on_call",)),
            Step(Decimal("0.5"), ("on_call", "account_manager")),
        )
    )
    assert paging.policies["A"].quiet_outside_business_hours
    # The page links to the web queue at its listen address unless link_base says otherwise.
    assert paging.link_base == "http://127.0.0.1:8080"
    assert paging.catch_up == timedelta(hours=1)


def test_no_paging_section_pages_nobody() -> None:
    assert parse_config({"levels": dict(LEVELS_DATA)}, "test").paging is None


def test_the_example_configuration_pages() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    paging = parse_config(data, "example").paging
    assert paging is not None
    assert set(paging.policies) == {"A", "B", "C"}
    assert paging.link_base == "https://vigie.provider.example"


def changed(path: str, value: Any) -> dict[str, Any]:
    """PAGING with ``value`` at the dotted ``path`` (a list index as a number)."""
    data = copy.deepcopy(PAGING)
    keys = path.split(".")
    target: Any = data
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is None:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("paging", "problem"),
    [
        (changed("people.dave", {}), "paging.people.dave: give an email address, an SMS"),
        (changed("people.dave", {"email": "nope"}), "paging.people.dave.email: not an email"),
        (changed("people.dave", {"sms": 32470}), "paging.people.dave.sms: must be a phone"),
        (
            changed("rota.weekly.0", {"days": ["mon"], "person": "zoe"}),
            "paging.rota.weekly[0].person: 'zoe' is not in paging.people (known: alice, dave)",
        ),
        (
            changed("rota.weekly.0", {"days": ["lun"], "person": "alice"}),
            "paging.rota.weekly[0].days: unknown weekday 'lun'",
        ),
        (
            changed("rota.weekly.0", {"days": ["mon"], "start": "9h", "person": "alice"}),
            'paging.rota.weekly[0].start: must be a time of day like "09:00"',
        ),
        (
            changed("rota.overrides", [{"from": "soon", "until": "2026-12-26", "person": "dave"}]),
            "paging.rota.overrides[0].from: must be a date or a local time",
        ),
        (
            changed(
                "rota.overrides",
                [{"from": "2026-12-26", "until": "2026-12-24", "person": "dave"}],
            ),
            "paging.rota.overrides[0].until: must be after from",
        ),
        (
            changed("rota.holidays", "dave"),
            "paging.rota.holidays: business_hours.holidays names no country",
        ),
        (
            changed("rota", {"weekly": [{"days": ["mon"], "start": "09:00", "person": "dave"}]}),
            "paging.rota.weekly: nobody is on call on mon 00:00 and no backup is set",
        ),
        (changed("rota.backpu", "dave"), "paging.rota.backpu: unknown key (did you mean backup?)"),
        (
            changed("policy.C", {"steps": [{"at": "half", "whom": "on_call"}]}),
            "paging.policy.C.steps[0].at: must be opening or a share of the take-over delay",
        ),
        (
            changed("policy.C", {"steps": [{"at": "120%", "whom": "on_call"}]}),
            "paging.policy.C.steps[0].at: must be opening or a share",
        ),
        (
            changed(
                "policy.C",
                {"steps": [{"at": "50%", "whom": "on_call"}, {"at": "opening", "whom": "dave"}]},
            ),
            "paging.policy.C.steps[1].at: steps must come in order",
        ),
        (
            changed("policy.C", {"steps": [{"at": "50%", "whom": "the boss"}]}),
            "paging.policy.C.steps[0].whom: 'the boss' is neither on_call, account_manager, backup",
        ),
        (changed("policy.C", {"steps": []}), "paging.policy.C.steps: must be a non-empty list"),
        (
            changed("policy.D", {"steps": [{"at": "50%", "whom": "on_call"}]}),
            "paging.policy.D: no such level in levels (known: A, B, C)",
        ),
        (changed("link_base", "vigie.example"), "paging.link_base: must be an http(s) URL"),
        (changed("catch_up", "0s"), "paging.catch_up: must be longer than zero"),
        (changed("people", None), "paging.people: required"),
        ("yes", "paging: must be a mapping"),
    ],
)
def test_each_problem_is_named_by_its_key(paging: Any, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parsed(paging)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_r16_the_account_manager_must_be_reachable() -> None:
    """R16: a policy paging the account manager must know how to reach each one."""
    data = config(PAGING)
    data["customers"]["acme"]["account_manager"] = "zoe"
    with pytest.raises(ConfigError) as raised:
        parse_config(data, "test")
    assert raised.value.problems == [
        "customers.acme.account_manager: 'zoe' is not in paging.people: the paging policy "
        "could not reach this account manager"
    ]


def test_sms_needs_the_gateway() -> None:
    with pytest.raises(ConfigError) as raised:
        parsed(PAGING, alerts={})
    assert raised.value.problems == [
        "paging.people.alice.sms: an SMS number given, but alerts.sms_gateway is not set: "
        "no SMS could be sent"
    ]


def test_r1_the_holiday_stand_in_with_a_country() -> None:
    paging = parsed(
        changed("rota.holidays", "dave"),
        business_hours=dict(BUSINESS_HOURS_DATA, holidays="BE"),
    )
    assert paging.rota.holidays == "dave"
