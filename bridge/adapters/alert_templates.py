"""An admin's wording of the customer alerts: files in ``alerts.templates``.

``LANG/NAME.PART`` (``fr/problem.subject``, ``nl/approval.body``, ``en/recovered.sms``...)
replaces that part of the built-in wording (``bridge.domain.alert_texts``); a part without
its file keeps the built-in one. Read when a message is composed, so an edit counts from
the next alert on. An unreadable file falls back too: an alert is never lost to a template.
"""

from __future__ import annotations

from pathlib import Path

from bridge.domain.alert_texts import PARTS, MessageTexts, TextsOf, default_texts


def texts_from(folder: Path | None) -> TextsOf:
    """The wording of each (language, message name): the folder's files over the defaults."""

    def texts(language: str | None, name: str) -> MessageTexts:
        default = default_texts(language, name)
        if folder is None:
            return default
        parts = {}
        for part in PARTS:
            try:
                text = (folder / (language or "en") / f"{name}.{part}").read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                text = getattr(default, part)
            else:
                # A subject or an SMS is one line: an editor's final newline is not part of it.
                text = text if part == "body" else " ".join(text.split())
            parts[part] = text
        return MessageTexts(**parts)

    return texts
