"""An admin's wording of alerts: ``alerts.templates`` files over the built-in texts."""

from __future__ import annotations

from pathlib import Path

from bridge.adapters.alert_templates import texts_from
from bridge.domain.alert_texts import default_texts


def test_a_file_replaces_its_part_only_and_others_keep_the_default(tmp_path: Path) -> None:
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "approval.subject").write_text("Accord requis : ticket $ticket\n")
    (tmp_path / "fr" / "approval.body").write_text("Bonjour,\n\n$quarters quarts d'heure.\n")
    texts = texts_from(tmp_path)("fr", "approval")
    assert texts.subject == "Accord requis : ticket $ticket"
    assert texts.body == "Bonjour,\n\n$quarters quarts d'heure.\n"
    assert texts.sms == default_texts("fr", "approval").sms
    assert texts_from(tmp_path)("nl", "approval") == default_texts("nl", "approval")


def test_no_folder_or_an_unreadable_file_is_the_built_in_wording(tmp_path: Path) -> None:
    assert texts_from(None)("en", "problem") == default_texts("en", "problem")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "problem.subject").write_bytes(b"\xff\xfe not utf-8")
    assert texts_from(tmp_path)("en", "problem") == default_texts("en", "problem")
