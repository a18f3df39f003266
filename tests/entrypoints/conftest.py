"""Fixtures: a vigie.yaml in a temporary folder and the installed ``vigie`` command on it."""

from __future__ import annotations

from tests.servers.helpdesks import (
    desk,
    private_desk,
    redmine_server,
    redmine_template,
    rt_server,
)
from tests.vigie_command import config_file, vigie

__all__ = [
    "config_file",
    "desk",
    "private_desk",
    "redmine_server",
    "redmine_template",
    "rt_server",
    "vigie",
]
