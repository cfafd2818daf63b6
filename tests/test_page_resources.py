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
