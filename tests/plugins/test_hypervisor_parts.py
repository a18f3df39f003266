"""The parts of check_vigie_hypervisor that need no hypervisor: ranges of ages, the API's
URL, perfdata labels, what is selected, and how sizes are worded."""

from __future__ import annotations

import argparse

import pytest

from plugins.arguments import UsageError
from plugins.hypervisor import age_range, names_list
from plugins.hypervisor_probes import Selection, label
from plugins.hypervisor_readings import Guest, GuestSnapshots, Pool
from plugins.hypervisor_verdicts import names, size
from plugins.pve_api import parse_url
from plugins.wording import range_text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", "3600"),
        ("90m", "5400"),
        ("36h", "129600"),
        ("7d", "604800"),
        ("2w", "1209600"),
        ("1.5h", "5400"),
        ("1h:2d", "3600:172800"),
        ("~:1d", "~:86400"),
        ("@0:12h", "@0:43200"),
        ("1d:", "86400:"),
    ],
)
def test_age_ranges_in_seconds(text: str, seconds: str) -> None:
    assert range_text(age_range(text), explicit_start=text.startswith("@")) == seconds


@pytest.mark.parametrize("text", ["3x", "d", "-1d", "1d:2d:3d", "2d:1d", "1e3s", "½d", ""])
def test_bad_age_ranges(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        age_range(text)


def test_names_list() -> None:
    assert names_list("web01, db01,,") == ["web01", "db01"]
    with pytest.raises(argparse.ArgumentTypeError):
        names_list(" , ")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("https://pve1.example.net", ("pve1.example.net", 8006)),
        ("https://pve1:8443/", ("pve1", 8443)),
        ("https://192.0.2.1:8006/api2/json", ("192.0.2.1", 8006)),
        ("https://[2001:db8::1]:8006", ("2001:db8::1", 8006)),
    ],
)
def test_api_urls(url: str, where: tuple[str, int]) -> None:
    assert parse_url(url) == where


@pytest.mark.parametrize("url", ["http://pve1:8006", "pve1", "https://", "https://pve1:0"])
def test_bad_api_urls(url: str) -> None:
    with pytest.raises(UsageError):
        parse_url(url)


def test_labels_keep_perfdata_parsable() -> None:
    assert label("web's=db") == "web_s_db"
    assert label("local-lvm") == "local-lvm"


def test_selection_by_name_or_id() -> None:
    web = Guest("web01", "running", ident="100")
    db = Guest("db01", "running", ident="101")
    assert [g.name for g in (web, db) if Selection([], ["101"]).keeps(g)] == ["web01"]
    assert [g.name for g in (web, db) if Selection(["web01"], []).keeps(g)] == ["web01"]
    assert Selection(["images"], ["images"]).keeps_name("images") is False
    assert Selection([], []).keeps_name("anything") is True


def test_readings() -> None:
    assert Pool("p", 0, 0).usage_percent == 0.0
    assert Pool("p", 25, 100).usage_percent == 25.0
    taken = GuestSnapshots(Guest("g", "running"), [("b", 20.0), ("a", 10.0)])
    assert taken.oldest() == ("a", 10.0)
    assert GuestSnapshots(Guest("g", "running"), []).oldest() is None


def test_wording() -> None:
    assert size(3 * 1024**3 + 512 * 1024**2) == "3.5 GiB"
    assert size(512 * 1024**2) == "512.0 MiB"
    assert size(2 * 1024**4) == "2.0 TiB"
    assert names([f"vm{i}" for i in range(10)]) == (
        "vm0, vm1, vm2, vm3, vm4, vm5, vm6, vm7 and 2 more"
    )
