"""The translation lookup: one catalog per language, every UI string goes through `t`.

A language's catalog is the union of `locales/<lang>/*.json` (one file per area of the app);
a key defined in two files is an error, so areas cannot silently override each other.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_NAMES = {"zh": "中文", "en": "English"}
_LOCALES_DIR = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    merged: dict[str, str] = {}
    for path in sorted((_LOCALES_DIR / lang).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        clash = sorted(merged.keys() & part.keys())
        if clash:
            raise ValueError(f"{path.name} redefines {len(clash)} key(s) of {lang}: {', '.join(clash[:5])}")
        merged.update(part)
    return merged


def normalize_lang(value: object) -> str:
    """Map anything (a URL parameter, a session value) to a supported language."""
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: object) -> str:
    """Translate `key`; a missing key shows as ⟦key⟧ so it is visible, and the catalog test catches it."""
    text = catalog(normalize_lang(lang)).get(key)
    if text is None:
        return f"⟦{key}⟧"
    return text.format(**values) if values else text


def with_aside(text: str, aside: object, lang: str) -> str:
    """`text` with `aside` in parentheses: full-width in Chinese ("IDC · 2025年2月（口径已变）"), with a space
    before ASCII ones in English ("IDC · Feb 2025 (definition changed)")."""
    return f"{text}（{aside}）" if normalize_lang(lang) == "zh" else f"{text} ({aside})"


def localized(row, base: str, lang: str):
    """Pick `base_zh` or `base_en` from a row or mapping."""
    return row[f"{base}_{normalize_lang(lang)}"]
