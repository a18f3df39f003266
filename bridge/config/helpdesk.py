"""The ``helpdesk:`` key of ``vigie.yaml``: an external helpdesk tickets are mirrored to.

The embedded store stays the default and the record of truth for SLA and billing; an
external helpdesk (Request Tracker, Redmine, Zammad, GLPI) gets the tickets through the
outbox and gives back what staff did there (``vigie sync``).
"""

from __future__ import annotations

from pathlib import Path

from bridge.config.model import HelpdeskKind, HelpdeskSettings
from bridge.config.validate import (
    Checker,
    read_choice,
    read_duration,
    read_integer,
    read_optional_path,
    read_string,
    read_timeout,
    read_url,
    shown,
)

_KEYS = (
    "kind",
    "url",
    "token_file",
    "project",
    "deliver_within",
    "max_attempts",
    "tracker",
    "customer",
    "timeout",
)
# What each kind calls its ``project``, for the message when it is missing.
PROJECT_MEANS = {
    "rt": "the queue",
    "redmine": "the project identifier",
    "zammad": "the group",
    "glpi": "the entity id",
}


def read_helpdesk(check: Checker, raw: object, base_dir: Path | None) -> HelpdeskSettings | None:
    """The ``helpdesk:`` mapping; None when a problem was reported."""
    before = len(check.problems)
    path = "helpdesk"
    if isinstance(raw, dict) and ("token" in raw or "password" in raw):
        secret = "token" if "token" in raw else "password"
        check.add(f"{path}.{secret}", "not allowed here; put it in a file named by token_file")
        raw = {key: value for key, value in raw.items() if key not in ("token", "password")}
    data = check.mapping(raw, path, (), _KEYS)
    if data is None:
        return None
    default = HelpdeskSettings()
    kind = check.field(data, "kind", path, read_choice(HelpdeskKind), default.kind)
    url = check.field(data, "url", path, read_url, None)
    token_file = check.field(data, "token_file", path, read_optional_path(base_dir), None)
    project = check.field(data, "project", path, _project, None)
    within = check.field(data, "deliver_within", path, read_duration(allow_zero=True), None)
    attempts = check.field(data, "max_attempts", path, read_integer(1), default.max_attempts)
    tracker = check.field(data, "tracker", path, read_string, None)
    customer = check.field(data, "customer", path, read_string, None)
    timeout = check.field(data, "timeout", path, read_timeout, default.timeout)
    if kind is not None and kind != "embedded":
        for key, value in (("url", url), ("token_file", token_file), ("project", project)):
            if value is None and key not in data:
                what = PROJECT_MEANS[kind] if key == "project" else "required"
                check.add(f"{path}.{key}", f"required for kind {kind} ({what})")
    if kind == "zammad" and customer is None and "customer" not in data:
        check.add(f"{path}.customer", "required for kind zammad (an existing customer's e-mail)")
    if kind == "glpi" and project is not None and not project.isdigit():
        check.add(f"{path}.project", f"the GLPI entity's id (a number), got {shown(project)}")
    for key in ("tracker", "customer"):
        owner = {"tracker": "redmine", "customer": "zammad"}[key]
        if key in data and kind is not None and kind != owner:
            check.add(f"{path}.{key}", f"only for kind {owner}, got kind {shown(kind)}")
    if len(check.problems) > before:
        return None
    assert kind is not None and attempts is not None and timeout is not None
    return HelpdeskSettings(
        kind=kind,  # type: ignore[arg-type]
        url=None if url is None else url.rstrip("/"),
        token_file=token_file,
        project=project,
        deliver_within=default.deliver_within if within is None else within.total_seconds(),
        max_attempts=attempts,
        tracker=tracker,
        customer=customer,
        timeout=timeout,
    )


def _project(value: object) -> str:
    """A name, or a number (GLPI's entity id) read as its text."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return read_string(value)
