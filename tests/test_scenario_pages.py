"""AppTest: the scenario travels in the URL, bad link values warn, the sidebar saves and opens scenarios."""

from __future__ import annotations

import re

import pytest
import streamlit as st
from conftest import PROJECT_ROOT
from streamlit.testing.v1 import AppTest

from analysis import scenario as sc
from analysis.userstore import ScenarioStore


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


def save_button(at: AppTest):
    return next(b for b in at.sidebar.button if b.key.startswith("FormSubmitter:scenario.save_form"))


def test_a_link_with_bad_values_opens_with_a_warning_and_the_defaults():
    at = open_app(t_growth="abc", t_horizon="900", t_bands="maybe", lang="en")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "“abc” is not a number from 0% to 80%; using the default 19%" in warning
    assert "“900” is not a whole number from 2024 to 2032; using the default 2030" in warning
    assert "“maybe” is not on or off (1 or 0); using the default off" in warning
    assert at.session_state["scenario.values"]["t_growth"] == 19.0
    assert "t_growth" not in at.query_params


def test_a_good_link_is_kept_in_the_session_and_the_url():
    at = open_app(t_growth="33")
    assert not at.exception and not at.warning
    assert at.session_state["scenario.values"]["t_growth"] == 33.0
    assert at.query_params["t_growth"] == "33"


def test_save_then_open_from_the_sidebar(isolated):
    at = open_app(t_growth="33", lang="en")
    at.sidebar.text_input(key="scenario.new_name").input("High growth")
    save_button(at).click()
    at.run()
    assert not at.exception and not at.error
    assert ScenarioStore(isolated).load("High growth")["t_growth"] == 33.0

    fresh = open_app(lang="en")
    fresh.sidebar.selectbox(key="scenario.pick").select("High growth")
    fresh.sidebar.button(key="scenario.open_btn").click()
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["scenario.values"]["t_growth"] == 33.0
    assert fresh.query_params["t_growth"] == "33"


def test_saving_under_the_baseline_name_is_refused(isolated):
    at = open_app(lang="en")
    at.sidebar.text_input(key="scenario.new_name").input("baseline")
    save_button(at).click()
    at.run()
    assert "reserved" in " ".join(e.value for e in at.error)
    assert not (isolated / "scenarios.json").exists()


def scenario_heading(at: AppTest) -> str:
    # The sidebar's scenario line (a markdown line a section can rewrite, not an expander label), as read.
    line = next(e.value for e in at.sidebar.markdown if "Scenario:" in e.value)
    return re.sub(r"\\(.)", r"\1", line.removeprefix(":material/tune: "))


def save_as(at: AppTest, name: str) -> AppTest:
    at.sidebar.text_input(key="scenario.new_name").input(name)
    save_button(at).click()
    return at.run()


def test_after_saving_the_heading_and_the_url_name_the_scenario(isolated):
    at = open_app(t_growth="33", lang="en")
    assert scenario_heading(at) == "Scenario: unsaved changes"
    save_as(at, "High growth")
    assert not at.exception and not at.error
    assert scenario_heading(at) == "Scenario: High growth"
    assert at.query_params["scenario"] == "High growth"

    at.sidebar.button(key="scenario.reset_btn").click().run()  # another scenario open: the name leaves the URL
    assert scenario_heading(at) == "Scenario: Baseline (report values)"
    assert "scenario" not in at.query_params


def test_saving_under_a_taken_name_asks_before_replacing(isolated):
    ScenarioStore(isolated).save("High growth", {"t_growth": 33.0})
    at = open_app(t_growth="40", lang="en")
    save_as(at, "High growth")
    assert "already saved" in " ".join(w.value for w in at.sidebar.warning)
    assert ScenarioStore(isolated).load("High growth")["t_growth"] == 33.0  # nothing replaced yet

    at.sidebar.button(key="scenario.keep_btn").click().run()
    assert ScenarioStore(isolated).load("High growth")["t_growth"] == 33.0
    assert not at.sidebar.warning

    save_as(at, "High growth")
    at.sidebar.button(key="scenario.overwrite_btn").click().run()
    assert not at.exception and not at.error
    assert ScenarioStore(isolated).load("High growth")["t_growth"] == 40.0
    assert scenario_heading(at) == "Scenario: High growth"


def test_a_link_naming_a_saved_scenario_opens_it(isolated):
    ScenarioStore(isolated).save("High growth", {"t_growth": 33.0})
    at = open_app(scenario="High growth", lang="en")
    assert not at.exception and not at.warning
    assert at.session_state["scenario.values"]["t_growth"] == 33.0
    assert scenario_heading(at) == "Scenario: High growth"
    assert at.query_params["t_growth"] == "33"


def test_a_link_naming_an_unknown_scenario_warns_and_keeps_its_values(isolated):
    at = open_app(scenario="Gone", t_growth="33", lang="en")
    assert "“Gone”" in " ".join(w.value for w in at.warning)
    assert at.session_state["scenario.values"]["t_growth"] == 33.0
    assert "scenario" not in at.query_params
