"""AppTest: the figures page's new filters and imported rows, the SQL console, imports with rollback, the scorecard."""

from __future__ import annotations

import pytest
from conftest import isolated_app, open_app_page
from import_rows import apply, csv_bytes, row
from streamlit.testing.v1 import AppTest

from analysis.i18n import t
from analysis.imports import ImportStore
from analysis.textsafe import escape_markdown

TIMEOUT = 60


@pytest.fixture(autouse=True)
def isolated(tmp_path, built_db):
    """The session's built database and an empty user-data store of this test's own."""
    with isolated_app(built_db, tmp_path / "userdata"):
        yield tmp_path / "userdata"


def open_page(file: str, lang: str = "en", **query) -> AppTest:
    return open_app_page(file, lang, timeout=TIMEOUT, **query)


def ids_shown(at: AppTest, lang: str = "en") -> list[str]:
    return list(at.dataframe[0].value[t("column.figure_id", lang)])


def snapshot(directory):
    return {str(p): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()} if directory.exists() else {}


# ---------------------------------------------------------------- figures page


def test_year_and_source_filters_narrow_the_table():
    at = open_page("pages/figures.py")
    total = len(at.dataframe[0].value)
    at.multiselect(key="year").set_value([2024]).run()
    at.multiselect(key="source").set_value(["idc_workload"]).run()
    assert not at.exception
    assert sorted(ids_shown(at)) == ["cn_ai_server_workload_inference_2024", "cn_ai_server_workload_training_2024"]
    assert t("figures.count", "en", shown=2, total=total) in [c.value for c in at.caption]


def test_an_import_appears_on_the_figures_page_and_goes_after_rollback(db_con):
    apply(db_con, csv_bytes([row()]), "2023 actuals")
    at = open_page("pages/figures.py")
    assert "test_shipments_2023_actual" in ids_shown(at)
    source_column = at.dataframe[0].value[t("column.source", "en")]
    assert any(s.endswith(f"· {t('origin.imported', 'en')} · 2023 actuals") for s in source_column)

    at.selectbox(key="sc.imports_layer").set_value("report").run()
    assert "test_shipments_2023_actual" not in ids_shown(at)
    assert at.query_params["imports_layer"] in ("report", ["report"])
    at.selectbox(key="sc.imports_layer").set_value("imported").run()
    assert ids_shown(at) == ["test_shipments_2023_actual"]

    ImportStore().rollback("v0001")
    at.selectbox(key="sc.imports_layer").set_value("both").run()
    assert not at.exception
    assert "test_shipments_2023_actual" not in ids_shown(at)


# ---------------------------------------------------------------- SQL console


def run_query(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql.text").set_value(sql)
    next(b for b in at.button if b.key.startswith("FormSubmitter:sql.form")).click()
    return at.run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_console_runs_a_query_and_shows_the_rows(lang):
    at = run_query(
        open_page("pages/sql.py", lang), "SELECT figure_id, value FROM figures WHERE kind = 'editorial' ORDER BY figure_id"
    )
    assert not at.exception and not at.error
    result = at.dataframe[-1].value
    assert list(result.columns) == ["figure_id", "value"] and len(result) == 3
    before_seconds = t("sql.summary", lang, rows="3", seconds="\x00").split("\x00")[0]
    assert any(c.value.startswith(before_seconds) for c in at.caption)
    assert at.get("download_button")


@pytest.mark.parametrize(
    "sql, code",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "permission"),
        ("ATTACH '/tmp/x.db' AS x", "not_a_query"),
        ("SELECT 1; SELECT 2", "one_statement"),
        ("SELEC 1", "syntax"),
    ],
)
def test_console_refusals_are_messages_not_tracebacks(sql, code):
    at = run_query(open_page("pages/sql.py", "zh"), sql)
    assert not at.exception
    assert [e.value for e in at.error] == [t(f"sql.error.{code}", "zh", seconds="5")]
    if code in ("permission", "syntax"):
        assert at.code and "Error" in at.code[0].value  # DuckDB's own words under the message


def test_console_example_fills_the_query():
    at = open_page("pages/sql.py")
    at.selectbox(key="sql.example").set_value("by_kind").run()
    assert "GROUP BY kind" in at.text_area(key="sql.text").value


# ---------------------------------------------------------------- imports page


def uploader(at: AppTest):
    return at.get("file_uploader")[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_upload_shows_row_and_problem_and_stores_nothing(isolated, lang):
    at = open_page("pages/imports.py", lang)
    before = snapshot(isolated)
    uploader(at).set_value(("bad.csv", csv_bytes([row(), row(value="abc", figure_id="t2")]), "text/csv"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("imports.rejected", lang, file=escape_markdown("bad.csv"), count=2)]
    listed = " ".join(m.value for m in at.markdown)
    reason = t("imports.reason.not_number", lang, value="'abc'")
    assert escape_markdown(t("imports.at_line_column", lang, line=3, column="value", reason=reason)) in listed  # shown as text
    assert not any(b.key.startswith("FormSubmitter:imports.apply_form") for b in at.button)
    assert snapshot(isolated) == before


def test_a_gbk_upload_says_how_to_fix_it():
    at = open_page("pages/imports.py", "zh")
    uploader(at).set_value(("gbk.csv", csv_bytes([row(source="测试来源")], encoding="gbk"), "text/csv"))
    at.run()
    assert not at.exception
    assert "CSV UTF-8" in " ".join(m.value for m in at.markdown).replace("\\", "")  # Markdown escapes (UTF\\-8)


def versions_table(at):
    """The versions list: not the page's last table, the audit log follows it."""
    status = t("imports.col_status", "en")
    (table,) = [d.value for d in at.dataframe if status in d.value.columns]
    return table


def test_a_good_upload_is_previewed_applied_listed_and_rolled_back(isolated):
    at = open_page("pages/imports.py")
    uploader(at).set_value(("actuals.csv", csv_bytes([row()]), "text/csv"))
    at.run()
    assert not at.exception and not at.error
    diff = at.dataframe[0].value
    assert list(diff[t("column.figure_id", "en")]) == ["test_shipments_2023_actual"]
    assert list(diff[t("imports.diff_status", "en")]) == [t("imports.diff_beside_report", "en")]
    at.text_input(key=next(w.key for w in at.text_input if w.label == t("imports.name", "en"))).set_value("2023 actuals")
    next(b for b in at.button if b.key.startswith("FormSubmitter:imports.apply_form")).click()
    at.run()
    assert not at.exception
    assert [v.name for v in ImportStore().versions()] == ["2023 actuals"]
    assert t("imports.applied", "en", version="v0001", name="2023 actuals", rows=1) in [s.value for s in at.success]
    versions = versions_table(at)
    assert list(versions[t("imports.col_status", "en")]) == [t("imports.status.active", "en")]

    at.button(key="imports.action").click()
    at.run()
    assert not at.exception
    assert [v.status for v in ImportStore().versions()] == ["rolled_back"]
    assert list(versions_table(at)[t("imports.col_status", "en")]) == [t("imports.status.rolled_back", "en")]
    assert at.button(key="imports.action").label == t("imports.restore", "en")


# ---------------------------------------------------------------- scorecard


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scorecard_is_empty_then_shows_the_actual_then_empty_after_rollback(db_con, lang):
    at = open_page("pages/scorecard.py", lang)
    assert [i.value for i in at.info] == [t("scorecard.empty", lang)]
    apply(db_con, csv_bytes([row()]))
    at = open_page("pages/scorecard.py", lang)
    assert not at.exception and not at.info
    card = at.dataframe[1].value  # after the report card against the shipped later figures
    assert len(card) == 1
    assert card.iloc[0][t("scorecard.error_percent", lang)] == "-0.9%"  # (118.9 − 120) / 120
    ImportStore().rollback("v0001")
    at.run()
    assert [i.value for i in at.info] == [t("scorecard.empty", lang)]
