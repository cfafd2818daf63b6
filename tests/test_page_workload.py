"""AppTest: every widget of the training-vs-inference page changes its chart and table; bad links warn."""

from __future__ import annotations

import json

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.i18n import t

PAGE = "pages/workload.py"
TIMEOUT = 60


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("workload-page")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield


def open_page(lang: str = "en", **query: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at: AppTest) -> dict:
    return chart_specs(at)[0]


def year_table(at: AppTest):
    key_column = t("workload.column.basis", "en")
    return next(d.value for d in at.dataframe if key_column in d.value.columns)


def answer(at: AppTest) -> str:
    return at.metric[0].value


def state(at: AppTest):
    """What a reader sees change: the chart, the year table and the answer."""
    return json.dumps(chart(at), sort_keys=True), year_table(at).to_csv(), answer(at)


def changed_parts(before, after) -> list[str]:
    return [name for name, a, b in zip(("chart", "table", "answer"), before, after, strict=True) if a != b]


def test_default_view_answers_with_a_year_and_shows_the_model(isolated):
    at = open_page()
    assert at.metric[0].label == t("workload.metric_label", "en", target="60%")
    assert answer(at).isdigit()
    assert any(r"\hat b" in latex.value for latex in at.get("latex"))
    fit = next(d.value for d in at.dataframe if t("workload.fit.term", "en") in d.value.columns)
    assert "7" in list(fit[t("workload.fit.estimate", "en")])  # n = 7
    assert at.slider(key="sc.wl_change").disabled  # the manual change only applies to the manual path
    assert not at.warning


@pytest.mark.parametrize(
    "widget, key, value, expected_changes",
    [
        ("slider", "sc.wl_target", 75.0, {"chart", "answer"}),  # the year table does not depend on the target
        ("selectbox", "sc.wl_confidence", "95", {"chart", "table"}),
        ("slider", "sc.wl_horizon", 2028, {"chart", "table"}),
        ("selectbox", "sc.wl_mode", "manual", {"chart", "table"}),
        ("toggle", "sc.phase_bands", True, {"chart"}),
    ],
)
def test_each_widget_changes_what_it_should(widget, key, value, expected_changes):
    at = open_page()
    before = state(at)
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(changed_parts(before, state(at))) >= expected_changes
    name = key.removeprefix("sc.")
    assert name in at.query_params  # the URL carries the new value


def test_the_manual_change_slider_moves_the_users_path():
    at = open_page(wl_mode="manual", wl_target="70")
    slider = at.slider(key="sc.wl_change")
    assert not slider.disabled
    before = state(at)
    slider.set_value(3.0).run()
    assert not at.exception
    assert set(changed_parts(before, state(at))) == {"chart", "table", "answer"}
    # 62.2% in 2026 plus 3 pp a year reaches 70% in 2029 (71.2%).
    assert answer(at) == "2029"
    assert t("workload.column.manual", "en", change="+3") in year_table(at).columns


def test_horizon_changes_the_number_of_rows():
    at = open_page()
    assert year_table(at)[t("chart.year", "en")].max() == 2032
    at.slider(key="sc.wl_horizon").set_value(2029).run()
    assert year_table(at)[t("chart.year", "en")].max() == 2029


def test_an_unreached_target_says_so_in_chinese():
    at = open_page("zh", wl_target="90")
    assert answer(at) == t("workload.not_before", "zh", year=2032)


@pytest.mark.parametrize(
    "query, name, default",
    [
        ({"wl_target": "abc"}, "wl_target", "60"),
        ({"wl_horizon": "2040"}, "wl_horizon", "2032"),
        ({"wl_mode": "magic"}, "wl_mode", "trend"),
    ],
)
def test_a_link_with_a_bad_value_warns_and_uses_the_default(query, name, default):
    at = open_page(**query)
    warning = " ".join(w.value for w in at.warning)
    assert t("scenario.bad_url", "en") in warning
    assert f"“{query[name]}”" in warning and default in warning
    assert name not in at.query_params
    assert at.session_state["scenario.values"][name] == type(at.session_state["scenario.values"][name])(default)


def test_a_good_link_opens_the_same_view():
    at = open_page(wl_target="65", wl_confidence="80", wl_horizon="2030")
    assert at.slider(key="sc.wl_target").value == 65.0
    assert at.selectbox(key="sc.wl_confidence").value == "80"
    assert t("workload.column.lower", "en", confidence="80%") in year_table(at).columns
    assert year_table(at)[t("chart.year", "en")].max() == 2030
    assert not at.warning


def test_years_without_an_idc_figure_show_a_dash_not_none(isolated):
    table = year_table(open_page())
    idc = table[t("workload.column.idc_inference", "en")]
    after = idc[table[t("chart.year", "en")] > 2026]
    assert not after.empty and set(after) == {"—"}
    assert not table.isna().any().any()
