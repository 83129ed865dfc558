"""The catalog of student-facing text: every message, misconception and hint in
English and 中文, with the same placeholders; hints for every function."""

import re
import string

import pytest

from gradkit import catalog, i18n

PLACEHOLDERS = string.Formatter()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in PLACEHOLDERS.parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.messages()))
def test_every_message_exists_in_both_languages(key):
    entry = i18n.messages()[key]
    assert set(entry) == set(i18n.LANGS), f"{key} has {sorted(entry)}"
    assert _fields(entry["en"]) == _fields(entry["zh"]), key
    assert re.search(r"[\u4e00-\u9fff]", entry["zh"]) or entry["zh"] == entry["en"], key


@pytest.mark.parametrize("mid", sorted(i18n.misconceptions()))
def test_every_misconception_exists_in_both_languages(mid):
    entry = i18n.misconceptions()[mid]
    assert set(entry) == set(i18n.LANGS) and all(entry.values()), mid
    assert re.search(r"[\u4e00-\u9fff]", entry["zh"]), mid


@pytest.mark.parametrize("fn", catalog.all_functions(), ids=lambda f: f.name)
def test_every_function_has_two_or_three_progressive_hints_in_both_languages(fn):
    en, zh = i18n.hints(fn.name, "en"), i18n.hints(fn.name, "zh")
    assert 2 <= len(en) <= 3 and len(zh) == len(en), fn.name
    for hint in en + zh:  # prose with code fragments, never a function to paste
        assert "def " not in hint and "\n" not in hint, hint


def test_the_language_comes_from_the_flag_then_the_environment_then_the_locale(monkeypatch):
    monkeypatch.setenv("GRADKIT_LANG", "zh")
    assert i18n.detect() == "zh" and i18n.detect("en") == "en"
    monkeypatch.delenv("GRADKIT_LANG")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert i18n.detect() == "zh"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert i18n.detect() == "en"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.detect("fr")


def test_messages_render_in_the_chosen_language():
    assert "MB" in i18n.text("error.output_flood", "zh", mb=1) and "超过" in i18n.text(
        "error.output_flood", "zh", mb=1)
    assert i18n.text("error.output_flood", "en", mb=1).startswith("printed more than 1 MB")
