"""Names and imported text: NFC, and no control, format or separator characters, each refusal saying which
character and where (issue 28, low 13). Names saved before the rule stay readable."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import quote

import pytest

from analysis import scenario as sc
from analysis.i18n import LANGS, t
from analysis.imports import ImportNameError, check_import, describe_problem, validate_version_name
from analysis.textsafe import normalize_text, refused_character
from analysis.userstore import ScenarioStore

# (text, the refused character's code, its name, its position counted from 1)
HIDDEN = [
    ("Q3\x00plan", "U+0000", "NULL", 3),
    ("Q3 plan\x07", "U+0007", "BELL", 8),
    ("Q3 plan \u202eFDP.exe", "U+202E", "RIGHT-TO-LEFT OVERRIDE", 9),
    ("Bull\u200b case", "U+200B", "ZERO WIDTH SPACE", 5),
    ("\ufeffBull case", "U+FEFF", "ZERO WIDTH NO-BREAK SPACE", 1),
    ("Bull \u061ccase", "U+061C", "ARABIC LETTER MARK", 6),
    ("Bull\u2028case", "U+2028", "LINE SEPARATOR", 5),
    ("Bull\u2029case", "U+2029", "PARAGRAPH SEPARATOR", 5),
    ("Bull\u200dcase", "U+200D", "ZERO WIDTH JOINER", 5),
    ("Bull\tcase", "U+0009", "CHARACTER TABULATION", 5),
    ("Bull\ncase", "U+000A", "LINE FEED", 5),
    ("Bull\ud800case", "U+D800", "SURROGATE", 5),
]
IDS = [code for _, code, _, _ in HIDDEN]


@pytest.mark.parametrize(("text", "code", "name", "position"), HIDDEN, ids=IDS)
def test_refused_character_names_it_and_says_where(text, code, name, position):
    found = refused_character(text)
    assert (found.code, found.name, found.position) == (code, name, position)


@pytest.mark.parametrize("text", ["Bull case", "牛市 2025", "Café", "Q3/Q4 · 上调", "emoji 📈"])
def test_plain_text_is_accepted(text):
    assert refused_character(text) is None


# ---------------------------------------------------------------- scenario names


@pytest.mark.parametrize(("text", "code", "name", "position"), HIDDEN, ids=IDS)
def test_a_scenario_name_with_a_hidden_character_is_refused_saying_which_and_where(text, code, name, position):
    with pytest.raises(sc.ScenarioNameError) as info:
        sc.validate_name(text)
    assert info.value.code == "bad_char"
    assert info.value.details == {"char": code, "char_name": name, "position": position}
    for lang in LANGS:
        message = t("scenario.name_bad_char", lang, **info.value.details)
        assert code in message and name in message and str(position) in message


def test_a_scenario_name_is_stored_in_nfc_so_a_decomposed_twin_is_the_same_name():
    decomposed = "Cafe\u0301 case"
    assert sc.validate_name(decomposed) == "Caf\u00e9 case" == unicodedata.normalize("NFC", decomposed)
    assert normalize_text(decomposed) == sc.validate_name("Caf\u00e9 case")


@pytest.mark.parametrize("text", [".", "..", " .. "])
def test_a_name_a_url_could_never_reach_is_refused(text):
    with pytest.raises(sc.ScenarioNameError) as info:
        sc.validate_name(text)
    assert info.value.code == "dots"


def test_the_store_refuses_a_hidden_character_and_writes_nothing(tmp_path):
    store = ScenarioStore(tmp_path)
    with pytest.raises(sc.ScenarioNameError):
        store.save("Bull\u200b case", {"mkt_cagr": 30.0})
    assert store.names() == ["baseline"]


def test_a_name_saved_before_the_rule_stays_readable_and_survives_repair(tmp_path):
    from analysis.repair import repair_store

    old = "Q3 plan \u202eFDP.exe"
    body = {"format": "compute-atlas-scenarios", "version": 1, "scenarios": {old: {"values": {"mkt_cagr": 30.0}}}}
    (tmp_path / "scenarios.json").write_text(json.dumps(body), encoding="utf-8")
    store = ScenarioStore(tmp_path)
    assert store.names() == ["baseline", old]
    assert store.load(old)["mkt_cagr"] == 30.0
    repair_store(tmp_path)
    assert ScenarioStore(tmp_path).names() == ["baseline", old]
    store.delete(old)
    assert store.names() == ["baseline"]


# ---------------------------------------------------------------- import version names and cells


@pytest.mark.parametrize(("text", "code", "name", "position"), HIDDEN, ids=IDS)
def test_a_version_name_with_a_hidden_character_is_refused(text, code, name, position):
    with pytest.raises(ImportNameError) as info:
        validate_version_name(text)
    assert info.value.code == "bad_char"
    assert info.value.details == {"char": code, "char_name": name, "position": position}
    assert "⟦" not in t("imports.name_bad_char", "zh", **info.value.details)


@pytest.mark.parametrize("column", ["figure_id", "source", "note", "printed"])
@pytest.mark.parametrize(("text", "code", "name", "position"), HIDDEN[:9], ids=IDS[:9])
def test_an_import_cell_with_a_hidden_character_is_refused_saying_line_column_and_character(
    db_con, column, text, code, name, position
):
    from import_rows import csv_bytes, row

    cell = ("x_" + text.replace(" ", "_") + "_actual") if column == "figure_id" else text
    check = check_import(db_con, csv_bytes([row(**{column: cell})]), "a.csv")
    assert not check.ok and check.rows == ()
    [problem] = check.problems
    where = position + (2 if column == "figure_id" else 0)
    assert (problem.line, problem.column) == (2, column)
    assert problem.reason == f"contains {code} ({name}) at character {where}"
    for lang in LANGS:
        shown = describe_problem(problem, lang)
        assert code in shown and name in shown and column in shown and "2" in shown and "⟦" not in shown


def test_imported_text_is_stored_in_nfc(db_con):
    from import_rows import csv_bytes, row

    check = check_import(db_con, csv_bytes([row(source="Cafe\u0301 tracker", note="re\u0301vise\u0301")]), "a.csv")
    assert check.ok, check.problems
    assert check.rows[0]["source"] == "Caf\u00e9 tracker" and check.rows[0]["note"] == "r\u00e9vis\u00e9"


# ---------------------------------------------------------------- a name with "/" has a working API URL


@pytest.fixture
def api_client(built_db, tmp_path, monkeypatch):
    from starlette.applications import Starlette
    from test_api import AsgiClient

    from analysis.api import Api
    from ui.http_api import routes

    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path))
    return tmp_path, AsgiClient(Starlette(routes=routes(Api())))


@pytest.mark.parametrize("name", ["Q3/Q4 plan", "bull/", "/bear", "a//b", "what if?", "#2 case", "50% up", "a%2Fb", "牛/熊"])
def test_a_saved_name_with_a_slash_or_url_character_is_reachable_at_its_listed_url(api_client, name):
    folder, client = api_client
    ScenarioStore(folder).save(name, {"mkt_cagr": 30.0})
    listing = client.get("/api/v1/scenarios").json()["scenarios"]
    [entry] = [s for s in listing if s["name"] == name]
    assert entry["url"] == f"/api/v1/scenarios/{quote(name, safe='')}"
    answer = client.get(entry["url"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == name and answer.json()["values"]["mkt_cagr"] == 30.0
