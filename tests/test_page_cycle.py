"""AppTest: every assumption slider on the cycle page moves the chart and the URL; bad input keeps the page."""

from __future__ import annotations

import json

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.scenario import params_for_page
from ui.scenario import widget_key

CYCLE_PARAMS = [p for p in params_for_page("cycle") if not p.name.startswith("cyc_link")]


@pytest.fixture(autouse=True)
def isolated(tmp_path):
    with isolated_app(tmp_path / "atlas.duckdb", tmp_path / "userdata"):
        yield


def open_cycle(lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("pages/cycle.py")
    return at.run()


def curves_spec(at: AppTest) -> str:
    return json.dumps(chart_specs(at)[0], sort_keys=True)


def starts(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def test_page_shows_the_calibrated_starts_in_both_languages():
    for lang in ("zh", "en"):
        at = open_cycle(lang)
        assert not at.exception and not at.error
        assert starts(at) == ["2023", "2026", "2029"]


@pytest.mark.parametrize("param", CYCLE_PARAMS, ids=lambda p: p.name)
def test_each_slider_changes_the_chart_and_the_url(param):
    at = open_cycle()
    before = curves_spec(at)
    moved = param.max_value if param.default != param.max_value else param.min_value
    at.slider(key=widget_key(param.name)).set_value(moved).run()
    assert not at.exception and not at.error
    assert curves_spec(at) != before
    assert float(at.query_params[param.name]) == moved


def test_an_earlier_inference_midpoint_moves_the_development_phase_earlier():
    at = open_cycle()
    at.slider(key="sc.cyc_inference_midpoint").set_value(2024.5).run()
    assert int(starts(at)[1]) < 2026
    # Development now starts with infrastructure (2023): the page says why the infrastructure band is gone.
    assert starts(at)[:2] == ["2023", "2023"]
    assert "the same year as the AIGC infrastructure phase" in " ".join(i.value for i in at.info)


def test_a_link_with_an_out_of_range_assumption_warns_and_uses_the_default():
    at = open_cycle(cyc_inference_ceiling="-3", cyc_services_midpoint="soon")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "“-3” is not a number from" in warning and "“soon” is not a number from" in warning
    assert starts(at) == ["2023", "2026", "2029"]


def test_assumptions_that_never_overtake_say_so_instead_of_failing():
    at = open_cycle(cyc_inference_ceiling="50")
    assert not at.exception
    assert starts(at)[1:] == ["Not reached", "Not reached"]
    assert any("do not all occur" in w.value for w in at.warning)


def test_bad_maturity_scores_warn_and_keep_the_last_good_chart():
    at = open_cycle()
    charts_before = chart_specs(at)
    editor = at.get("arrow_data_editor")[0] if at.get("arrow_data_editor") else None
    if editor is None:  # AppTest cannot drive st.data_editor: set its state as the frontend would
        at.session_state["cycle.scores.development"] = {
            "edited_rows": {0: {"scale_score": None}},
            "added_rows": [],
            "deleted_rows": [],
        }
    at.run()
    assert not at.exception
    assert any("Scores must be numbers from 0 to 10" in w.value for w in at.warning)
    bubble = chart_specs(at)[1]
    assert bubble["data"] == charts_before[1]["data"]


def test_linking_to_a_faster_inference_path_moves_the_development_phase_earlier():
    at = open_cycle(wl_mode="manual", wl_change="5")
    assert starts(at)[1] == "2026"
    at.toggle(key="sc.cyc_link").set_value(True).run()
    assert not at.exception
    assert int(starts(at)[1]) < 2026
    assert at.query_params["cyc_link"] == "1"
    assert any("the inference midpoint moves by -0.6 years" in c.value for c in at.caption)


def test_a_link_that_cannot_apply_says_so():
    at = open_cycle(wl_mode="manual", wl_change="-1", cyc_link="1")
    assert not at.exception
    assert any("Link not applied" in w.value for w in at.warning)
    assert starts(at) == ["2023", "2026", "2029"]
