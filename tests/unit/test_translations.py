"""Every error the server can answer with has a text in both languages, so the
Chinese UI never shows a server message in English (the server's messages are
English; the UI looks `error.<code>` up and says it in the user's language)."""

from __future__ import annotations

import json
import re

from conftest import ROOT


def error_codes() -> set[str]:
    """Every error code in the server's code: AppError classes and `code=` arguments."""
    codes: set[str] = set()
    for root in ("localapp", "sync"):
        for path in (ROOT / root).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            codes |= set(re.findall(r'^\s+code = "([a-z_]+)"', text, re.M))
            codes |= set(re.findall(r'\bcode="([a-z_]+)"', text))
    return codes


def test_every_error_code_has_a_text_in_both_languages() -> None:
    codes = error_codes()
    assert {"disk_full", "bucket_unsafe", "sync_unreachable", "too_many_attempts"} <= codes
    for lang in ("zh-CN", "en"):
        texts = json.loads((ROOT / "ui" / "i18n" / f"{lang}.json").read_text("utf-8"))
        missing = sorted(c for c in codes if not texts.get(f"error.{c}"))
        assert missing == [], f"{lang}: no text for error codes {missing}"
