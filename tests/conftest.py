"""Fixtures of every folder: the real helpdesks (started only by the tests that use them,
once per session)."""

from __future__ import annotations

from tests.servers.helpdesks import (
    desk,
    private_desk,
    redmine_server,
    redmine_template,
    rt_server,
)

__all__ = ["desk", "private_desk", "redmine_server", "redmine_template", "rt_server"]
