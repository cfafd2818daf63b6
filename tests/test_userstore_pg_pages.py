"""AppTest: with ATLAS_USERDATA_URL naming PostgreSQL, the sidebar saves into the database and every session
(every server pointed at it) opens the scenario; an unreachable database is a message, not a traceback."""

from __future__ import annotations

import pytest
import streamlit as st
from conftest import PROJECT_ROOT
from streamlit.testing.v1 import AppTest

from analysis import scenario as sc
from analysis import userstore_pg
from analysis.userstore_pg import PostgresScenarioStore


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", ("scenario_params_fixture",))
    monkeypatch.setenv("ATLAS_DB_PATH", str(tmp_path / "atlas.duckdb"))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path / "userdata"
    st.cache_data.clear()
    st.cache_resource.clear()


def open_app(**query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_scenario_saved_in_one_session_opens_in_another_from_postgresql(pg_url, isolated):
    at = open_app(t_growth="33", lang="en")
    at.sidebar.text_input(key="scenario.new_name").input("Team plan")
    next(b for b in at.sidebar.button if b.key.startswith("FormSubmitter:scenario.save_form")).click()
    at.run()
    assert not at.exception and not at.error
    assert PostgresScenarioStore(pg_url).load("Team plan")["t_growth"] == 33.0
    assert not (isolated / "scenarios.json").exists(), "saved in the database, not on this server's disk"

    other = open_app(lang="en")
    other.sidebar.selectbox(key="scenario.pick").select("Team plan")
    other.sidebar.button(key="scenario.open_btn").click()
    other.run()
    assert not other.exception
    assert other.session_state["scenario.values"]["t_growth"] == 33.0


def test_an_unreachable_database_is_shown_as_a_message_without_server_details(tmp_path, monkeypatch):
    monkeypatch.setattr(userstore_pg, "POOL_TIMEOUT", 1.0)
    monkeypatch.setenv("ATLAS_USERDATA_URL", f"postgresql://secretuser:hunter2@/atlas?host={tmp_path}&port=1")
    try:
        at = open_app(lang="en")
    finally:
        userstore_pg.close_pools()
    assert not at.exception
    shown = " ".join(e.value for e in at.sidebar.error).replace("\\", "")
    assert "The saved scenarios cannot be read" in shown and "user-data database cannot be used" in shown
    assert "file" not in shown, "the message does not call the database a file"
    assert "hunter2" not in shown and "secretuser" not in shown and str(tmp_path) not in shown
