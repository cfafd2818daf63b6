"""AppTest: every slider of the market and intelligent-compute pages redraws its chart and table at once;
links carry the scenario; bad link values warn; saved scenarios are compared and survive a new process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.build import build
from analysis.i18n import t
from analysis.market import SERIES, SETTING_NAMES
from analysis.paths import datasets_dir
from analysis.scenario import all_params
from analysis.userstore import ScenarioStore

TIMEOUT = 90
PAGE_FILES = {"market": "pages/market.py", "intelligent_compute": "pages/intelligent_compute.py"}
# Position of each series' chart and table on its page (the comparison comes after them).
POSITION = {"market": 0, "shipments": 1, "icc": 0}
# Each series table is followed by the table of its later figures (in an expander).
TABLE_POSITION = {"market": 0, "shipments": 2, "icc": 0}
COMPARE_TABLE = 4  # on the market page: two series tables, each followed by its later figures, then the comparison


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("market-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield work / "userdata"


@pytest.fixture
def userdata(isolated):
    """An empty saved-scenario store for the test, removed afterwards."""
    store = ScenarioStore(isolated)
    yield isolated
    store.path.unlink(missing_ok=True)


EN_SLIDER_FACTOR = {"mkt_base_value": 0.1, "ship_base_value": 0.01}


def test_base_value_sliders_speak_the_charts_unit():
    at = open_page("market")
    market, shipments = at.slider(key="sc.mkt_base_value"), at.slider(key="sc.ship_base_value")
    assert (market.label, market.value) == ("Market size: base value (USD bn)", 31.79)  # the report's 317.9 亿美元
    assert shipments.label == "Shipments: base value (million units)"
    assert at.session_state["scenario.values"]["mkt_base_value"] == 317.9  # the store keeps the report's unit


def open_page(page_id: str, lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(PAGE_FILES[page_id])
    return at.run()


def chart_json(at: AppTest, index: int) -> dict:
    return chart_specs(at)[index]


def table(at: AppTest, index: int):
    return at.dataframe[index].value


def changed_value(name: str):
    """A valid value different from the default, on the slider's step."""
    param = all_params()[name]
    if name.endswith("_horizon"):
        return 2032
    if name.endswith("_base_year"):
        return param.default + 1
    if name.endswith("_spread"):
        return 10.0
    if name.endswith("_base_value"):
        return round(param.default * 1.2, 1)
    return param.default + 10.0


SLIDERS = [
    pytest.param(series_id, name, id=f"{series_id}-{name}")
    for series_id, series in SERIES.items()
    for name in (series.param(n) for n in SETTING_NAMES)
]


@pytest.mark.parametrize("series_id, name", SLIDERS)
def test_each_slider_redraws_chart_and_table_and_writes_the_url(series_id, name):
    page_id = SERIES[series_id].page_id
    at = open_page(page_id)
    assert not at.exception, [e.value for e in at.exception]
    index, table_index = POSITION[series_id], TABLE_POSITION[series_id]
    chart_before, table_before = chart_json(at, index), table(at, table_index)
    value = changed_value(name)
    # English shows the base value in the chart's unit: 亿美元 as USD bn (× 0.1), 万台 as million units (× 0.01).
    shown = float(Decimal(repr(value)) * Decimal(repr(EN_SLIDER_FACTOR.get(name, 1))))
    at.slider(key=f"sc.{name}").set_value(shown).run()
    assert not at.exception, [e.value for e in at.exception]
    assert chart_json(at, index)["data"] != chart_before["data"], "the chart did not change"
    assert not table(at, table_index).equals(table_before), "the table did not change"
    assert at.query_params[name] == all_params()[name].to_text(value)
    assert at.session_state["scenario.values"][name] == value


def test_phase_band_switch_redraws_the_charts():
    at = open_page("market")
    before = chart_json(at, 0)
    at.toggle(key="sc.phase_bands").set_value(True).run()
    assert not at.exception
    after = chart_json(at, 0)
    assert len(after["layout"].get("shapes", [])) == 3 and not before["layout"].get("shapes")
    assert at.query_params["phase_bands"] == "1"


@pytest.mark.parametrize("given", ["abc", "900", "9999", "inf"])
def test_a_bad_link_value_opens_with_a_warning_the_allowed_range_and_the_default(given):
    at = open_page("market", mkt_cagr=given)
    assert not at.exception
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    label = t("market.param.mkt_cagr", "en")
    assert f"{label} (mkt_cagr): “{given}” is not a number from 0% to 80%; using the default 19%" in warning
    assert at.slider(key="sc.mkt_cagr").value == 19.0
    assert "mkt_cagr" not in at.query_params
    assert len(chart_specs(at)) >= 2


def test_a_copied_link_reproduces_the_view():
    at = open_page("market")
    at.slider(key="sc.ship_cagr").set_value(30.0).run()
    at.slider(key="sc.ship_horizon").set_value(2031).run()
    link = {k: at.query_params[k] for k in at.query_params}
    assert link["ship_cagr"] == "30" and link["ship_horizon"] == "2031" and link["lang"] == "en"
    reopened = open_page("market", **{k: v for k, v in link.items() if k != "lang"})
    assert not reopened.exception and not reopened.warning
    assert chart_json(reopened, 1)["data"] == chart_json(at, 1)["data"]
    shipments = TABLE_POSITION["shipments"]
    assert reopened.dataframe[shipments].value.equals(at.dataframe[shipments].value)


def test_intelligent_compute_page_says_it_is_supplementary():
    at = open_page("intelligent_compute", "zh")
    assert not at.exception
    assert t("market.supplementary_badge", "zh") in [i.value for i in at.info]
    # Under the chart's title, which the page shows above the chart (exported pictures carry it in the figure).
    badge = t("market.supplementary_badge", "zh")
    assert any(badge in re.sub(r"\\(.)", r"\1", caption.value) for caption in at.caption)


# ---------------------------------------------------------------- saved scenarios


def test_saved_scenarios_are_compared_side_by_side(userdata):
    ScenarioStore(userdata).save("High growth", {"mkt_cagr": 30.0, "mkt_horizon": 2032})
    at = open_page("market")
    assert not at.exception
    picker = at.multiselect(key="market.compare.pick")
    assert picker.value == ["baseline", "High growth"]
    comparison = chart_json(at, 2)
    names = [trace.get("name", "").replace("<br>", " ") for trace in comparison["data"]]  # wrapped in the legend
    assert t("scenario.baseline", "en") in names and "High growth" in names
    columns = list(at.dataframe[COMPARE_TABLE].value.columns)
    assert columns[1:] == [t("scenario.baseline", "en"), "High growth"]

    at.selectbox(key="market.compare.series").set_value("shipments").run()
    assert not at.exception
    # The chart's title, shown above it as the page's text (the browser wraps it at the column's width).
    assert any(t("market.series.shipments", "en") in md.value for md in at.markdown)

    picker = at.multiselect(key="market.compare.pick")
    picker.set_value([]).run()
    assert [i.value for i in at.info] == [t("market.compare.none", "en")]


def test_an_unreadable_store_is_reported_not_a_traceback(userdata):
    (userdata / "scenarios.json").parent.mkdir(parents=True, exist_ok=True)
    (userdata / "scenarios.json").write_text("{not json", encoding="utf-8")
    at = open_page("market", "zh")
    assert not at.exception
    assert any(t("market.compare.store_unreadable", "zh", detail="").rstrip("：: ") in e.value for e in at.error)


SAVE_SCRIPT = """
from analysis.userstore import ScenarioStore
ScenarioStore().save("Slow market", {"mkt_cagr": 8.5, "ship_spread": 2.0, "icc_horizon": 2028})
"""
LOAD_SCRIPT = """
import json
from analysis.userstore import ScenarioStore
store = ScenarioStore()
print(json.dumps({"names": store.names(), "values": store.load("Slow market")}))
"""


def _run(script: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_saved_scenario_survives_a_new_process_and_a_rebuild(tmp_path):
    env = {**os.environ, "ATLAS_USER_DATA_DIR": str(tmp_path / "userdata"), "PYTHONPATH": str(PROJECT_ROOT)}
    _run(SAVE_SCRIPT, env)
    build(datasets_dir(), tmp_path / "atlas.duckdb")  # a database rebuild does not touch user data
    loaded = json.loads(_run(LOAD_SCRIPT, env))
    assert loaded["names"] == ["baseline", "Slow market"]
    assert loaded["values"]["mkt_cagr"] == 8.5
    assert loaded["values"]["ship_spread"] == 2.0
    assert loaded["values"]["icc_horizon"] == 2028
    assert loaded["values"]["ship_cagr"] == all_params()["ship_cagr"].default


def test_the_year_table_keeps_the_year_in_view_and_its_columns_as_wide_as_their_figures():
    """The grid's column settings (what Streamlit sends the browser): the year pinned, each figure column given a
    width that fits its figures rather than its long header, which is whole in the column's tooltip."""
    at = open_page("market")
    grid = at.dataframe[0].proto
    columns = json.loads(grid.columns)
    shown = at.dataframe[0].value
    assert columns[shown.columns[0]].get("pinned") is True
    for name in shown.columns[1:]:
        config = columns[name]
        assert isinstance(config.get("width"), int) and config["width"] <= 160, (name, config)
        assert config.get("help") == name
