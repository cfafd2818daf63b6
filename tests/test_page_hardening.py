"""Hostile and careless input on the pages: infinite values, Markdown in echoed text, a damaged store, SQL that runs away.

Each test is an attack from issue 16's list, driven through AppTest: the page must show a translated
message, never an exception, and never render what a user typed as Markdown.
"""

from __future__ import annotations

import json

import pytest
from conftest import PROJECT_ROOT, isolated_app
from import_rows import apply, good_file
from streamlit.testing.v1 import AppTest

from analysis.db import connect_readonly, ensure_database
from analysis.scenario import defaults
from analysis.userstore import ScenarioStore

TIMEOUT = 120
PAYLOAD = "![i](http://127.0.0.1:9/u.png)[fix](http://127.0.0.1:9/x)"


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("hardening-apptest")
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


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def assert_no_markdown_from(text: str) -> None:
    assert "![" not in text and "](" not in text and "http://" not in text, text


@pytest.mark.parametrize("page", [None, "pages/compute.py", "pages/market.py", "pages/figures.py"])
def test_an_infinite_url_value_is_a_warning_not_an_overflow(page):
    at = open_page(page, cmp_gpus="inf", mkt_cagr="-Infinity")
    assert not at.exception
    warning = texts(at.warning).replace("\\", "")
    assert "“inf” is not a whole number from 8 to 50000" in warning
    assert "“-Infinity” is not a number from 0% to 80%" in warning


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_markdown_payload_in_a_url_value_is_echoed_as_text(lang):
    at = open_page("pages/market.py", lang, mkt_cagr=PAYLOAD)
    assert not at.exception
    warning = texts(at.warning)
    assert "mkt_cagr" in warning
    assert_no_markdown_from(warning)


def test_a_markdown_payload_as_the_language_is_echoed_as_text():
    at = open_page(None, "[登录](http://127.0.0.1:9/login)")
    assert not at.exception
    toasts = texts(at.toast)
    assert "登录" in toasts
    assert_no_markdown_from(toasts)


def test_a_scenario_name_with_markdown_is_shown_as_text_in_the_comparison(isolated):
    store = ScenarioStore(isolated)
    store.save(PAYLOAD[:60], {**defaults(), "mkt_cagr": 40.0})
    try:
        at = open_page("pages/market.py")
        assert not at.exception
        shown = " ".join(m.value for m in at.markdown if "Highest in" in m.value)
        assert "127" in shown
        assert shown, "the comparison's takeaway names the scenario"
        assert_no_markdown_from(shown)
    finally:
        store.delete(PAYLOAD[:60])


@pytest.mark.parametrize("page", [None, "pages/figures.py", "pages/scorecard.py", "pages/market.py", "pages/imports.py"])
def test_a_damaged_import_store_is_one_message_and_the_page_still_works(isolated, page):
    status = ensure_database()
    con = connect_readonly(status.path)
    try:
        apply(con, good_file())
    finally:
        con.close()
    manifest = isolated / "imports" / "versions.json"
    body = json.loads(manifest.read_text(encoding="utf-8"))
    body["revision"] = "abc"
    body["versions"][0]["created_at"] = 5
    damaged = json.dumps(body)
    manifest.write_text(damaged, encoding="utf-8")
    try:
        at = open_page(page)
        assert not at.exception
        messages = [w.value for w in at.warning if "repair-store" in w.value]
        assert len(messages) == 1
        assert str(isolated) not in messages[0], "no server path"
        assert manifest.read_text(encoding="utf-8") == damaged, "a damaged store is never written"
    finally:
        for path in (isolated / "imports").iterdir():
            path.unlink()


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql.text").set_value(sql)
    next(b for b in at.button if b.key.startswith("FormSubmitter:sql.form")).click()
    return at.run()


def test_an_error_while_a_result_streams_is_a_translated_message():
    at = open_page("pages/sql.py")
    at = run_sql(at, "SELECT CASE WHEN range > 50000 THEN error('boom') END FROM range(100000)")
    assert not at.exception
    assert texts(at.error) == "DuckDB refused the query."
    assert "boom" in " ".join(c.value for c in at.code)


def test_a_wide_result_is_cut_by_bytes_and_says_so():
    at = open_page("pages/sql.py", "zh")
    at = run_sql(at, "SELECT repeat('x', 20000) AS wide FROM range(100000)")
    assert not at.exception
    warning = texts(at.warning)
    assert "64 MB" in warning and "1,000,000" in warning
    rows = at.session_state["sql.outcome"].row_count
    assert 0 < rows < 10_000


def test_an_enormous_scalar_is_refused_for_memory():
    at = open_page("pages/sql.py")
    at = run_sql(at, "SELECT length(repeat('x', 4000000000))")
    assert not at.exception
    assert "more memory than the console allows" in texts(at.error)
