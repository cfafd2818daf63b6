"""A data note in the reader's language.

The tables' `note` columns are written in English, the source text; datasets/note_translations.csv gives each
its Chinese text, and the build fails when a note has none. A note that is not in the datasets (an imported
figure's, written by its importer) is shown as written.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from analysis import paths
from analysis.format import is_blank

TRANSLATIONS_FILE = "note_translations.csv"


@cache
def _translations(path: Path, mtime_ns: int) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["note_en"]: row["note_zh"] for row in csv.DictReader(fh) if row.get("note_zh")}


def zh_notes() -> dict[str, str]:
    """English note -> Chinese note, re-read when the file changes."""
    path = paths.datasets_dir() / TRANSLATIONS_FILE
    try:
        return _translations(path, path.stat().st_mtime_ns)
    except OSError:
        return {}


def note_text(note: object, lang: str) -> str:
    """The note as a reader of `lang` sees it; "" for no note."""
    if is_blank(note):
        return ""
    text = str(note)
    if lang == "zh":
        return zh_notes().get(text, text)
    return text
