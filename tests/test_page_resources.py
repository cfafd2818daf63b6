"""Bounded resources on the pages (issue 28): the SQL console's shared result budget, seen through AppTest."""

from __future__ import annotations

import pytest
from conftest import isolated_app, open_app_page
from streamlit.testing.v1 import AppTest

from analysis import sqlconsole
from analysis.sqlconsole import ResultBudget

TIMEOUT = 120
MB = 2**20
HEAVY = "SELECT " + ", ".join(f"[]::INT[] c{i}" for i in range(500)) + " FROM range(20000) t(i)"


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("resources-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield work / "userdata"


@pytest.fixture
def budget(monkeypatch):
    """The server-wide budget, as a fresh one for this test (AppTest sessions run in this process)."""
    fresh = ResultBudget(60 * MB)  # one heavy result (about 40 MB) and a part of another
    monkeypatch.setattr(sqlconsole, "RESULT_BUDGET", fresh)
    return fresh


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql.text").set_value(sql)
    next(b for b in at.button if b.key.startswith("FormSubmitter:sql.form")).click()
    return at.run()


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_a_query_replaced_gives_its_bytes_back_and_sessions_share_the_budget(budget):
    first = run_sql(open_app_page("pages/sql.py", timeout=TIMEOUT), HEAVY)
    assert not first.exception and not first.warning
    held = budget.used_bytes
    assert held == first.session_state["sql.outcome"].nbytes > 30 * MB
    first = run_sql(first, HEAVY)  # the same session again: its first result is dropped before the next runs
    assert not first.warning, "the second run had the whole budget again"
    assert budget.used_bytes == held
    # A second and a third session: the second gets the rest of the budget and says why its result is cut.
    second = run_sql(open_app_page("pages/sql.py", "zh", timeout=TIMEOUT), HEAVY)
    assert not second.exception
    assert "由本服务器的所有用户共用" in texts(second.warning)
    third = run_sql(open_app_page("pages/sql.py", timeout=TIMEOUT), HEAVY)
    assert not third.exception
    assert "shared by everyone using this server" in texts(third.error)
    assert f"{sqlconsole.RESULT_BUDGET_MB} MB" in texts(third.error)
    assert budget.used_bytes <= budget.total_bytes


# ---------------------------------------------------------------- the briefing page's scenario upload


def upload(at: AppTest, name: str, payload: bytes, mime: str = "application/json") -> AppTest:
    return at.file_uploader(key="briefing.loader").set_value((name, payload, mime)).run()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_deeply_nested_upload_is_a_message_and_changes_nothing(lang):
    from analysis import briefing
    from analysis.i18n import t

    depth = 100_000
    payload = b'{"format": "compute-atlas-scenario", "values": ' + b"[" * depth + b"]" * depth + b"}"
    at = upload(open_app_page("pages/briefing.py", lang, timeout=TIMEOUT, mkt_cagr="40"), "deep.json", payload)
    assert not at.exception
    expected = t("briefing.file_error.too_deep", lang, file="deep\\.json", **briefing.FILE_ERROR_LIMITS)
    assert [e.value for e in at.error] == [expected]
    assert at.session_state["scenario.values"]["mkt_cagr"] == 40.0


def test_a_huge_integer_or_a_name_of_100000_characters_never_reaches_the_url():
    from analysis import scenario as sc

    at = open_app_page("pages/briefing.py", timeout=TIMEOUT)
    before = dict(at.session_state["scenario.values"])
    huge = b'{"format": "compute-atlas-scenario", "name": "x", "values": {"t_growth": 1' + b"0" * 5000 + b"}}"
    at = upload(at, "huge.json", huge)
    assert not at.exception and "more than 30 digits" in texts(at.error)
    at = upload(at, "long.json", sc.to_json("x" * 100_000, {**sc.defaults(), "mkt_cagr": 40.0}).encode())
    assert not at.exception and "100,000 characters" in texts(at.error).replace("\\", "")
    assert at.session_state["scenario.values"] == before
    assert all(len(str(value)) < 1_000 for value in at.query_params.values())


def test_the_sql_page_shows_the_database_file_not_the_servers_folders(isolated):
    at = run_sql(open_app_page("pages/sql.py", timeout=TIMEOUT), "PRAGMA database_list")
    assert not at.exception and not at.error
    shown = at.dataframe[-1].value
    assert shown["file"].tolist() == ["atlas.duckdb"]
    assert str(isolated.parent) not in shown.to_csv()
