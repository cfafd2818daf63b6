"""Data notes in both languages: every note a user can see has its Chinese text, with the same figures."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, append_row, find_problem, problems_of, set_cell

from analysis.build import BuildError, load_and_validate
from analysis.data import figures, units
from analysis.notes import TRANSLATIONS_FILE, note_text, zh_notes
from analysis.schema import NOTE_COLUMN, TABLES
from analysis.tables import figures_display, units_display

DATASETS = PROJECT_ROOT / "datasets"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A figure, entity or later-figure id in running text (snake_case with a digit or two underscores), as in
# "as for moffett_max_sparsity" or "See tf_shipments_2024_jul24"; a formula ("Derived: a / b") names its inputs.
INTERNAL_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+){2,}\b")


def _notes() -> list[tuple[str, str]]:
    """(file, note) for every non-empty note in every table that has a note column."""
    found = []
    for spec in TABLES:
        if NOTE_COLUMN not in spec.column_names:
            continue
        with (DATASETS / spec.file_name).open(encoding="utf-8", newline="") as fh:
            found += [(spec.file_name, row[NOTE_COLUMN]) for row in csv.DictReader(fh) if row[NOTE_COLUMN].strip()]
    return found


def test_every_note_has_chinese_text_with_its_figures():
    translations = zh_notes()
    notes = _notes()
    assert len(notes) > 300  # the tables' notes, not an empty selection
    for file, note in notes:
        zh = translations.get(note)
        assert zh, f"{file}: no Chinese text for {note!r}"
        prose = re.search(r"[a-z]{4,}", note)  # a formula ("1 PF-day = 10^15 FLOP/s × …") reads the same in both
        assert CJK.search(zh) or not prose, f"{file}: the Chinese text of {note!r} is not Chinese: {zh!r}"
        missing = [n for n in NUMBER.findall(note) if n not in NUMBER.findall(zh)]
        assert not missing, f"{file}: {zh!r} lacks {missing} of {note!r}"


def test_no_note_names_an_internal_id_in_prose():
    for file, note in _notes():
        if note.startswith(("Derived", "Supplementary (not in the report's text). Derived")):
            continue  # a formula names its inputs by id, and the forecast tests recompute it from them
        prose = re.sub(r"\(the reading in \w+'s note\)", "", note)
        assert not INTERNAL_ID.search(prose), f"{file}: internal id in {note!r}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "芯片占高性能服务器成本的比例"), ("en", "Chips' share of the cost of high-performance servers")],
)
def test_figure_table_shows_the_note_in_the_page_language(db_con, lang, expected):
    shown = figures_display(figures(db_con, figure_ids=["hp_server_chip_cost_share"]), lang)
    note = shown.iloc[0, -2]  # the note column, before the id
    assert note.startswith(expected)


def test_unit_table_notes_in_chinese(db_con):
    table = units_display(units(db_con), "zh")
    notes = set(table.iloc[:, -1])
    assert {"取决于日历；不换算为天", "取决于日历；不换算为人周"} <= notes
    assert "Calendar-dependent; not converted to days" not in notes


def test_a_note_not_in_the_datasets_is_shown_as_written():
    assert note_text("Imported by the analyst", "zh") == "Imported by the analyst"
    assert note_text(None, "zh") == ""


def test_build_refuses_a_note_without_chinese_text(datasets_copy: Path):
    line = set_cell(datasets_copy / "figures.csv", "figure_id", "hp_server_chip_cost_share", NOTE_COLUMN, "A new note")
    with pytest.raises(BuildError) as excinfo:
        load_and_validate(datasets_copy)
    problems = problems_of(excinfo)
    find_problem(problems, "figures.csv", line, NOTE_COLUMN, "no Chinese text")
    # and the old note's translation is now unused: reported too, so a stale translation cannot pile up
    assert any(p.file == TRANSLATIONS_FILE and "no table has this note" in p.reason for p in problems)


def test_build_accepts_a_new_note_with_its_translation(datasets_copy: Path):
    with (datasets_copy / "units.csv").open(encoding="utf-8", newline="") as fh:
        unit_id = next(r["unit_id"] for r in csv.DictReader(fh) if not r[NOTE_COLUMN])
    set_cell(datasets_copy / "units.csv", "unit_id", unit_id, NOTE_COLUMN, "Unit note for the test")
    append_row(datasets_copy / TRANSLATIONS_FILE, {"note_en": "Unit note for the test", "note_zh": "测试用单位注释"})
    load_and_validate(datasets_copy)  # raises BuildError if the new note were not matched with its translation
