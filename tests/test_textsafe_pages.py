"""User text on the pages (AppTest): URL values echoed as text, tables handed to the data grid with their
formulas guarded, the shared store said out loud, and a saved scenario deleted only when the user confirms."""

from __future__ import annotations

import pytest
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID

TIMEOUT = 120
PAYLOAD = "![i](http://198.51.100.7/u.png)[fix](http://198.51.100.7/x)"


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("textsafe-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield work / "userdata"


def open_page(page: str | None, lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def assert_no_markdown_from(text: str) -> None:
    assert "![" not in text and "](" not in text and "http://" not in text, text


# ---------------------------------------------------------------- Markdown in URL values (issue 28, medium 4)


@pytest.mark.parametrize(
    ("page_id", "key", "label_key"),
    [
        ("industry", "ind_node", "industry.node_label"),
        ("players", "ind_layer", "industry.filter.layer"),
        ("players", "ind_route", "industry.filter.route"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_markdown_payload_in_an_industry_filter_is_echoed_as_text(page_id, key, label_key, lang):
    at = open_page(PAGES_BY_ID[page_id].file, lang, **{key: PAYLOAD})
    assert not at.exception
    warnings = [w.value for w in at.warning if t(label_key, lang) in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert_no_markdown_from(warnings[0])
    # What the reader sees is the value as the link carried it (its first 40 characters).
    assert PAYLOAD[:40] in warnings[0].replace("\\", "").replace("\u200b", "")
    assert key not in at.query_params


# ---------------------------------------------------------------- formulas in the data grid's CSV (issue 28, low 11)

FORMULA_NAME = '=HYPERLINK("http://198.51.100.7/x","fix")'
FORMULA_FILE = "@SUM(A1:A9).csv"


def _frames(at: AppTest) -> list:
    return [element.value for element in at.dataframe]


def test_the_versions_table_hands_the_grid_guarded_names(isolated):
    from import_rows import apply, good_file

    from analysis.db import connect_readonly, ensure_database

    status = ensure_database()
    con = connect_readonly(status.path)
    try:
        apply(con, good_file(), name=FORMULA_NAME, file_name=FORMULA_FILE)
    finally:
        con.close()
    at = open_page(PAGES_BY_ID["imports"].file)
    assert not at.exception
    [versions] = [f for f in _frames(at) if t("imports.col_name", "en") in f.columns]
    assert list(versions[t("imports.col_name", "en")]) == ["'" + FORMULA_NAME]
    assert list(versions[t("imports.col_file", "en")]) == ["'" + FORMULA_FILE]
    assert list(versions[t("imports.col_rows", "en")]) == [1], "numbers are left as they are"


def test_the_comparison_table_hands_the_grid_guarded_scenario_names(isolated):
    from analysis.userstore import ScenarioStore

    store = ScenarioStore(isolated)
    store.save(FORMULA_NAME, {"mkt_cagr": 30.0})
    store.save("'" + FORMULA_NAME, {"mkt_cagr": 25.0})  # what the guard makes of the first: the columns stay apart
    try:
        at = open_page(PAGES_BY_ID["market"].file)
        assert not at.exception
        [table] = [f for f in _frames(at) if t("market.compare.row", "en") in f.columns]
        headers = list(table.columns)
        assert FORMULA_NAME not in headers
        assert "'" + FORMULA_NAME in headers and len(set(headers)) == len(headers) == 4, headers
    finally:
        store.delete(FORMULA_NAME)
        store.delete("'" + FORMULA_NAME)


# ---------------------------------------------------------------- the shared store said out loud (issue 28)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_scenario_manager_and_the_imports_page_say_the_store_is_shared(lang):
    at = open_page(PAGES_BY_ID["market"].file, lang)
    assert not at.exception
    assert t("auth.single_user_notice", lang) in [c.value for c in at.sidebar.caption]
    at = open_page(PAGES_BY_ID["imports"].file, lang)
    assert not at.exception
    assert t("auth.single_user_notice", lang) in [c.value for c in at.caption]
    assert t("imports.shared_notice", lang) in [c.value for c in at.caption]


def _pick_and_delete(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="scenario.pick").set_value(name).run()
    return at.button(key="scenario.delete_btn").click().run()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_deleting_a_scenario_asks_first_and_says_when_it_was_saved(isolated, lang):
    from analysis.userstore import ScenarioStore

    store = ScenarioStore(isolated)
    name = f"Doomed {lang}"
    store.save(name, {"mkt_cagr": 30.0})
    when = store.saved_at(name)  # e.g. 2026-12-07T04:30:12+00:00
    at = _pick_and_delete(open_page(PAGES_BY_ID["market"].file, lang), name)
    assert not at.exception
    assert name in store.names(), "a click on Delete alone deletes nothing"
    [ask] = [w.value for w in at.sidebar.warning]
    assert ask == t("scenario.delete_ask", lang, name=name, saved_at=f"{when[:10]} {when[11:16]} UTC")

    at.button(key="scenario.delete_keep_btn").click().run()
    assert name in store.names() and not at.sidebar.warning

    at = _pick_and_delete(at, name)
    at.button(key="scenario.delete_confirm_btn").click().run()
    assert not at.exception
    assert name not in store.names()
    assert name not in at.selectbox(key="scenario.pick").options


def test_a_scenario_saved_before_times_were_recorded_is_asked_about_without_a_time(isolated):
    import json

    path = isolated / "scenarios.json"
    body = {"format": "compute-atlas-scenarios", "version": 1, "scenarios": {"Old one": {"values": {"mkt_cagr": 30.0}}}}
    path.write_text(json.dumps(body), encoding="utf-8")
    try:
        at = _pick_and_delete(open_page(PAGES_BY_ID["market"].file), "Old one")
        assert [w.value for w in at.sidebar.warning] == [t("scenario.delete_ask_undated", "en", name="Old one")]
        assert "Old one" in path.read_text(encoding="utf-8")
    finally:
        path.unlink()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_name_with_a_direction_override_is_refused_saying_which_character_and_where(isolated, lang):
    from analysis.userstore import ScenarioStore

    at = open_page(PAGES_BY_ID["market"].file, lang)
    at.text_input(key="scenario.new_name").set_value("Q3 plan \u202eFDP.exe")
    [save] = [b for b in at.sidebar.button if b.label == t("scenario.save", lang)]
    at = save.click().run()
    assert not at.exception
    expected = t("scenario.name_bad_char", lang, char="U+202E", char_name="RIGHT-TO-LEFT OVERRIDE", position=9)
    assert expected in [e.value for e in at.sidebar.error]
    assert ScenarioStore(isolated).names() == ["baseline"]
