"""User text made safe to echo (Markdown) and to export (CSV formulas), and messages without server paths."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from analysis.textsafe import csv_safe_cell, csv_safe_frame, escape_markdown, redact_paths


@pytest.mark.parametrize(
    "text",
    [
        "![i](http://host/u.png)",
        "[登录](http://host/login)",
        "<img src=x onerror=alert(1)>",
        "http://host/bare",
        "**bold** `code` $x$",
    ],
)
def test_markdown_payloads_are_escaped(text):
    escaped = escape_markdown(text)
    # every punctuation mark that Markdown or HTML could read is escaped, and the text reads the same
    assert re.search(r"(?<!\\)[!\[\]()<>`*$:/]", escaped) is None, escaped
    assert escaped.replace("\\", "").replace("\u200b", "") == text


def test_control_and_direction_characters_become_spaces():
    assert escape_markdown("a\x00b\u202ec\nd") == "a b c d"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","fix")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text):
    assert csv_safe_cell(text) == "'" + text


def test_numbers_and_plain_text_are_untouched():
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "2023 actuals", None], "value": [-1.5, 2.0, 3.0]})
    safe = csv_safe_frame(frame)
    assert list(safe["name"])[:2] == ['\'=HYPERLINK("http://x")', "2023 actuals"]
    assert list(safe["value"]) == [-1.5, 2.0, 3.0]
    assert frame["name"][0].startswith("="), "the original frame is left alone"


def test_the_figures_download_neutralises_a_version_name():
    from ui.widgets import csv_bytes

    frame = pd.DataFrame({"figure_id": ["x_actual"], "version_name": ['=HYPERLINK("http://evil","fix")'], "value": [1.0]})
    rows = list(csv.DictReader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0]["version_name"].startswith("'=")


def test_server_paths_are_cut_to_file_names():
    message = "cannot read /srv/atlas/var/userdata/imports/versions.json: [Errno 13] Permission denied"
    assert redact_paths(message) == "cannot read versions.json: [Errno 13] Permission denied"
    assert redact_paths("see http://example.com/a/b") == "see http://example.com/a/b"


def test_a_guard_limited_to_some_columns_leaves_the_others_as_written():
    frame = pd.DataFrame({"source": ["@SUM(A1)", "IDC"], "change": ["+3.2%", "-1.0%"]})
    safe = csv_safe_frame(frame, ["source"])
    assert list(safe["source"]) == ["'@SUM(A1)", "IDC"]
    assert list(safe["change"]) == ["+3.2%", "-1.0%"]


def test_the_figures_grid_guards_the_columns_an_importer_writes():
    from analysis.i18n import t
    from analysis.tables import guarded_figures_display

    row = {
        "metric_en": "AI server market",
        "entity_en": "Global",
        "segment": None,
        "period": "2024",
        "value": 1.0,
        "value_low": None,
        "value_high": None,
        "qualifier": "none",
        "unit": "usd_100m",
        "format_en": "{v}",
        "en_scale": 1.0,
        "printed": "-cmd|' /C calc'!A0",
        "kind": "reported",
        "producer_en": '=HYPERLINK("http://x")',
        "origin": "imported",
        "version_name": "v",
        "note": "@SUM(A1)",
        "figure_id": "+x",
    }
    shown = guarded_figures_display(pd.DataFrame([row]), "en").iloc[0]
    for key in ("column.printed", "column.source", "column.note", "column.figure_id"):
        assert shown[t(key, "en")].startswith("'"), key
